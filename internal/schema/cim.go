package schema

import (
	"cmp"
	"math"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// cim adds Splunk Common Information Model fields as attributes (the
// Splunk distribution's HEC exporter sends them as indexed fields), with
// one sourcetype per data model so two stanzas tag them (docs/schemas.md):
// Authentication, Change, Web and Alerts, per Splunk's CIM reference
// (https://docs.splunk.com/Documentation/CIM/latest/User/Howtousethesereferencetables).
// Other records carry the fields every model shares and a sourcetype of
// their own (salesforce:api, ...). The body stays Salesforce's record.
func (m *Mapper) cim(s *scratch, rv *resolved, lr plog.LogRecord) {
	a := lr.Attributes()
	a.EnsureCapacity(a.Len() + 24)
	a.PutStr("com.splunk.sourcetype", rv.sourcetype)
	a.PutStr("vendor_product", "Salesforce")
	a.PutStr("app", "salesforce")
	if s.instanceHost != "" {
		a.PutStr("dest", s.instanceHost)
	}
	putStr(s, a, "src", fSourceIP)
	if u := cmp.Or(s.str(fUserName), s.str(fUserID)); u != "" {
		a.PutStr("user", u)
	}
	putStr(s, a, "user_id", fUserID)
	putStr(s, a, "session_id", fSession)
	if s.has(fDuration) {
		a.PutDouble("duration", math.Round(s.num(fDuration)/1e6)/1e3) // seconds
	}
	putStr(s, a, "object", fEntity)

	switch rv.r.act.CIM.Model {
	case "Authentication":
		// action: success or failure; a LoginAs is the admin (src_user)
		// becoming the user (user).
		putStr(s, a, "action", fOutcome)
		putStr(s, a, "reason", fReason)
		putStr(s, a, "authentication_method", fLoginType)
		a.PutStr("signature", "Salesforce "+strings.ReplaceAll(rv.r.act.Name, "_", " "))
		if s.has(fDelegateUser) {
			a.PutStr("src_user", s.str(fDelegateUser))
		}
	case "Change":
		// command is Salesforce's Action; user the account changed (where
		// Display names one), src_user who changed it.
		putStr(s, a, "command", fAction)
		a.PutStr("status", cmp.Or(s.str(fOutcome), "success"))
		putStr(s, a, "src_user", fUserName)
		a.PutStr("object", cmp.Or(s.str(fTargetUser), s.str(fSection)))
		a.PutStr("object_category", "setup")
		a.PutStr("change_type", "configuration")
		if s.str(fSection) == "Manage Users" {
			a.PutStr("object_category", "user")
			a.PutStr("change_type", "AAA")
		}
		if s.has(fTargetUser) {
			a.PutStr("user", s.str(fTargetUser))
		}
		a.PutStr("action", changeAction(s.str(fAction)))
	case "Web":
		putStr(s, a, "http_method", fHTTPMethod)
		putInt(s, a, "status", fStatusCode)
		if p, ok := splitURL(s.str(fURL)); ok && s.has(fURL) {
			a.PutStr("url", s.str(fURL))
			a.PutStr("uri_path", p.path)
			putNonEmpty(a, "uri_query", p.query)
		}
		if ua := s.str(fUserAgent); strings.Contains(ua, "/") && !allDigits(ua) {
			a.PutStr("http_user_agent", ua)
		}
		putInt(s, a, "bytes_in", fRequestBytes)
		putInt(s, a, "bytes_out", fResponseBytes)
	case "Alerts":
		a.PutStr("signature", cmp.Or(s.str(fSubtype), rv.event))
		putStr(s, a, "description", fSummary)
		a.PutStr("severity", "medium")
		a.PutStr("type", "alert")
		putStr(s, a, "id", fEventID)
	}
}

// changeAction is CIM's Change action from the Setup Audit Trail action's
// verb; the rest are updates.
func changeAction(action string) string {
	a := strings.ToLower(action)
	switch {
	case strings.HasPrefix(a, "created"), strings.HasPrefix(a, "insert"), strings.HasPrefix(a, "new"):
		return "created"
	case strings.HasPrefix(a, "deleted"), strings.HasPrefix(a, "delete"), strings.HasPrefix(a, "remove"):
		return "deleted"
	case strings.HasPrefix(a, "permset"), strings.HasPrefix(a, "changedprofile"), strings.HasPrefix(a, "loginasgranted"):
		return "acl_modified"
	}
	return "updated"
}
