package schema

import (
	"cmp"
	"math"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// OCSF classes, categories and captions (OCSF 1.8.0:
// https://schema.ocsf.io/1.8.0/classes; the enums in each class's file at
// https://github.com/ocsf/ocsf-schema/tree/1.8.0/events).
const (
	classBase             = 0
	classDetectionFinding = 2004
	classAccountChange    = 3001
	classAuthentication   = 3002
	classEntityManagement = 3004
	classWebResources     = 6001
	classAPIActivity      = 6003
)

var ocsfClasses = map[int]struct {
	name, category string
	activities     map[int]string
}{
	classBase:             {"Base Event", "Uncategorized", map[int]string{0: "Unknown", 99: "Other"}},
	classDetectionFinding: {"Detection Finding", "Findings", map[int]string{1: "Create", 2: "Update", 3: "Close", 99: "Other"}},
	classAccountChange: {"Account Change", "Identity & Access Management", map[int]string{1: "Create", 2: "Enable",
		3: "Password Change", 4: "Password Reset", 5: "Disable", 6: "Delete", 7: "Attach Policy", 8: "Detach Policy",
		9: "Lock", 10: "MFA Factor Enable", 11: "MFA Factor Disable", 12: "Unlock", 99: "Other"}},
	classAuthentication: {"Authentication", "Identity & Access Management", map[int]string{1: "Logon", 2: "Logoff",
		7: "Account Switch", 99: "Other"}},
	classEntityManagement: {"Entity Management", "Identity & Access Management", map[int]string{1: "Create", 2: "Read",
		3: "Update", 4: "Delete", 8: "Enable", 9: "Disable", 99: "Other"}},
	classWebResources: {"Web Resources Activity", "Application Activity", map[int]string{1: "Create", 2: "Read",
		3: "Update", 4: "Delete", 99: "Other"}},
	classAPIActivity: {"API Activity", "Application Activity", map[int]string{1: "Create", 2: "Read", 3: "Update",
		4: "Delete", 99: "Other"}},
}

// severity_id and status_id captions (dictionary.json).
var (
	ocsfSeverities = map[int]string{1: "Informational", 2: "Low", 3: "Medium"}
	ocsfStatuses   = map[string]struct {
		id      int
		caption string
	}{outcomeSuccess: {1, "Success"}, outcomeFailure: {2, "Failure"}}
)

// ocsf replaces the body with the OCSF event of the record's class, with
// Salesforce's record under `unmapped` ("attributes that are not mapped
// to the event schema ... specific to the event source"). A record that
// lacks what its class requires (an Authentication without a user, an API
// Activity without a client) is a Base Event (class 0): every record is a
// valid OCSF event.
func (m *Mapper) ocsf(s *scratch, rv *resolved, lr plog.LogRecord) {
	class, activity, activityName := ocsfClass(s, rv)
	original := pcommon.NewValueEmpty()
	lr.Body().MoveTo(original)
	ev := lr.Body().SetEmptyMap()
	ev.EnsureCapacity(24)
	c := ocsfClasses[class]
	if activityName == "" {
		activityName = c.activities[activity]
	}
	ev.PutInt("class_uid", int64(class))
	ev.PutStr("class_name", c.name)
	ev.PutInt("category_uid", int64(class/1000))
	ev.PutStr("category_name", c.category)
	ev.PutInt("activity_id", int64(activity))
	ev.PutStr("activity_name", activityName)
	ev.PutInt("type_uid", int64(class*100+activity))
	// type_name is the type's caption ("Account Change: Other"); for
	// Other, activity_name carries Salesforce's own name of the activity.
	ev.PutStr("type_name", c.name+": "+c.activities[activity])
	severity := 1
	switch {
	case class == classDetectionFinding:
		severity = 3
	case s.str(fOutcome) == outcomeFailure:
		severity = 2
	}
	ev.PutInt("severity_id", int64(severity))
	ev.PutStr("severity", ocsfSeverities[severity])
	ev.PutInt("time", lr.Timestamp().AsTime().UnixMilli())
	// Every event says how it went: Success or Failure where Salesforce
	// says, else Unknown; a finding's status is its workflow state, New.
	switch st, ok := ocsfStatuses[s.str(fOutcome)]; {
	case class == classDetectionFinding:
		ev.PutInt("status_id", 1)
		ev.PutStr("status", "New")
	case ok:
		ev.PutInt("status_id", int64(st.id))
		ev.PutStr("status", st.caption)
	default:
		ev.PutInt("status_id", 0)
		ev.PutStr("status", "Unknown")
	}
	putStr(s, ev, "status_detail", fReason)
	if s.has(fDuration) {
		ev.PutInt("duration", int64(math.Round(s.num(fDuration)/1e6))) // long_t, milliseconds
	}

	md := ev.PutEmptyMap("metadata")
	md.PutStr("version", m.t.OCSFVersion)
	product := md.PutEmptyMap("product")
	product.PutStr("name", "Salesforce")
	product.PutStr("vendor_name", "Salesforce")
	if s.uid != "" {
		md.PutStr("uid", s.uid)
	}
	md.PutStr("log_name", rv.eventType)
	md.PutStr("log_provider", rv.provider)
	if s.orgID != "" {
		md.PutStr("tenant_uid", s.orgID)
	}

	switch class {
	case classAuthentication:
		ocsfAuthentication(s, rv, ev, activity)
	case classAccountChange:
		ocsfUser(s, ev.PutEmptyMap("user"), fTargetUserID, fTargetUser)
		ocsfActor(s, ev)
		putStr(s, ev, "message", fDisplay)
	case classEntityManagement:
		entity := ev.PutEmptyMap("entity")
		entity.PutStr("name", cmp.Or(s.str(fSection), rv.eventType))
		entity.PutStr("type", "Salesforce Setup")
		ocsfActor(s, ev)
		putStr(s, ev, "message", fDisplay)
	case classAPIActivity:
		ocsfActor(s, ev)
		api := ev.PutEmptyMap("api")
		api.PutStr("operation", ocsfOperation(s, rv))
		svc := api.PutEmptyMap("service")
		svc.PutStr("name", strings.TrimSpace("Salesforce "+s.str(fAPIType)))
		putStr(s, api, "version", fAPIVersion)
		if s.has(fRequestID) {
			api.PutEmptyMap("request").PutStr("uid", s.str(fRequestID))
		}
		ocsfSrcEndpoint(s, ev)
		ocsfHTTP(s, ev)
		if s.has(fEntity) {
			res := ev.PutEmptySlice("resources").AppendEmpty().SetEmptyMap()
			res.PutStr("name", s.str(fEntity))
			res.PutStr("type", "Salesforce object")
		}
	case classWebResources:
		wr := ev.PutEmptySlice("web_resources").AppendEmpty().SetEmptyMap()
		name := s.str(fPage)
		if p, ok := splitURL(s.str(fURL)); ok && s.has(fURL) {
			name = p.path
		}
		wr.PutStr("name", name)
		wr.PutStr("type", rv.eventType)
		ocsfSrcEndpoint(s, ev)
		ocsfHTTP(s, ev)
		// actor belongs to the host profile in this class.
		if ocsfActor(s, ev) {
			md.PutEmptySlice("profiles").AppendEmpty().SetStr("host")
		}
	case classDetectionFinding:
		fi := ev.PutEmptyMap("finding_info")
		fi.PutStr("uid", cmp.Or(s.str(fEventID), s.uid))
		title := cmp.Or(s.str(fSubtype), rv.event)
		fi.PutStr("title", title)
		putStr(s, fi, "desc", fSummary)
		fi.PutEmptySlice("types").AppendEmpty().SetStr(title)
		// Salesforce's threat detection runs machine-learning models
		// (Salesforce Help, "Threat Detection").
		an := fi.PutEmptyMap("analytic")
		an.PutStr("name", rv.eventType)
		an.PutInt("type_id", 4)
		an.PutStr("type", "Learning (ML/DL)")
		putStr(s, ev, "message", fSummary)
		if s.has(fSourceIP) || s.has(fUserID) || s.has(fUserName) {
			evd := ev.PutEmptySlice("evidences").AppendEmpty().SetEmptyMap()
			if s.has(fSourceIP) {
				evd.PutEmptyMap("src_endpoint").PutStr("ip", s.str(fSourceIP))
			}
			if s.has(fUserID) || s.has(fUserName) {
				ocsfUser(s, evd.PutEmptyMap("user"), fUserID, fUserName)
			}
		}
		if ocsfActor(s, ev) {
			md.PutEmptySlice("profiles").AppendEmpty().SetStr("host")
		}
	}
	if original.Type() != pcommon.ValueTypeEmpty {
		if original.Type() == pcommon.ValueTypeMap {
			original.Map().MoveTo(ev.PutEmptyMap("unmapped"))
		} else {
			// A record the receiver could not read: its raw text.
			ev.PutStr("raw_data", original.AsString())
		}
	}
}

// ocsfClass picks the record's class and activity, falling back to the
// Base Event when the record lacks what the class requires.
func ocsfClass(s *scratch, rv *resolved) (class, activity int, activityName string) {
	o := rv.r.act.OCSF
	class, activity = o.Class, o.Activity
	switch o.ActivityFrom {
	case "http":
		activity, activityName = crudActivity(s.str(fHTTPMethod), ocsfOperation(s, rv))
	case "setup":
		class, activity = setupActivity(s)
		if activity == 99 {
			activityName = s.str(fAction)
		}
	}
	ok := true
	switch class {
	case classAuthentication:
		ok = s.has(fUserID) || s.has(fUserName)
	case classAccountChange:
		ok = s.has(fTargetUser) || s.has(fTargetUserID)
	case classAPIActivity:
		ok = (s.has(fSourceIP) || s.str(fClient) != "") && (s.has(fUserID) || s.has(fUserName) || s.has(fSession))
	case classWebResources:
		_, urlOK := splitURL(s.str(fURL))
		ok = (s.has(fURL) && urlOK) || s.has(fPage)
	case classDetectionFinding:
		ok = s.has(fEventID) || s.uid != ""
	}
	if !ok || class == classBase {
		return classBase, 99, rv.eventType
	}
	return class, activity, activityName
}

// crudActivity is API and Web Resources Activity's activity: by the HTTP
// method, else by the operation's verb (SOAP calls name one: query,
// create, ...); another operation is Other, named as Salesforce names it.
func crudActivity(method, operation string) (int, string) {
	switch strings.ToUpper(method) {
	case "GET", "HEAD":
		return 2, ""
	case "POST":
		return 1, ""
	case "PUT", "PATCH":
		return 3, ""
	case "DELETE":
		return 4, ""
	}
	op := strings.ToLower(operation)
	switch {
	case op == "":
		return 99, "Unknown operation"
	case strings.HasPrefix(op, "query"), strings.HasPrefix(op, "retrieve"), strings.HasPrefix(op, "describe"),
		strings.HasPrefix(op, "search"), strings.HasPrefix(op, "get"), strings.HasPrefix(op, "read"),
		strings.HasPrefix(op, "report"):
		return 2, ""
	case strings.HasPrefix(op, "create"), strings.HasPrefix(op, "insert"):
		return 1, ""
	case strings.HasPrefix(op, "update"), strings.HasPrefix(op, "upsert"), strings.HasPrefix(op, "merge"):
		return 3, ""
	case strings.HasPrefix(op, "delete"), strings.HasPrefix(op, "harddelete"):
		return 4, ""
	}
	return 99, operation
}

// setupActivity is a Setup Audit Trail row's class and activity: a change
// to a named user account is an Account Change, by the action's meaning;
// anything else Entity Management, by the action's verb. Salesforce
// publishes no list of Action values (the SetupAuditTrail page names
// PermSetCreate as an example); these are the ones its user management
// writes.
func setupActivity(s *scratch) (class, activity int) {
	action := strings.ToLower(s.str(fAction))
	if (s.has(fTargetUser) || s.has(fTargetUserID)) && s.str(fSection) == "Manage Users" {
		switch {
		case action == "createduser" || action == "createdcustomersuccessuser":
			return classAccountChange, 1
		case strings.HasPrefix(action, "activateduser") || action == "reactivateduser":
			return classAccountChange, 2
		case action == "changedpassword":
			return classAccountChange, 3
		case action == "resetpassword":
			return classAccountChange, 4
		case strings.HasPrefix(action, "deactivateduser"):
			return classAccountChange, 5
		case strings.HasPrefix(action, "permsetassign") || strings.HasPrefix(action, "permsetgroupassign"):
			return classAccountChange, 7
		case strings.HasPrefix(action, "permsetunassign") || strings.HasPrefix(action, "permsetgroupunassign"):
			return classAccountChange, 8
		case action == "frozeuser" || strings.HasPrefix(action, "lockedout"):
			return classAccountChange, 9
		case action == "unfrozeuser" || strings.HasPrefix(action, "unlocked"):
			return classAccountChange, 12
		}
		return classAccountChange, 99
	}
	switch {
	case strings.HasPrefix(action, "insert"), strings.HasPrefix(action, "create"), strings.HasPrefix(action, "new"),
		strings.HasPrefix(action, "added"):
		return classEntityManagement, 1
	case strings.HasPrefix(action, "delete"), strings.HasPrefix(action, "remove"):
		return classEntityManagement, 4
	case strings.HasPrefix(action, "changed"), strings.HasPrefix(action, "update"), strings.HasPrefix(action, "edit"):
		return classEntityManagement, 3
	}
	return classEntityManagement, 99
}

// ocsfOperation is what an API call did: the operation Salesforce logs,
// else its HTTP method, else its event type.
func ocsfOperation(s *scratch, rv *resolved) string {
	return cmp.Or(s.str(fOperation), cmp.Or(s.str(fHTTPMethod), rv.eventType))
}

func ocsfAuthentication(s *scratch, rv *resolved, ev pcommon.Map, activity int) {
	ocsfUser(s, ev.PutEmptyMap("user"), fUserID, fUserName)
	if activity == 7 {
		// LoginAs: the user logged in as is the user; the admin the actor.
		ev.PutInt("account_switch_type_id", 2)
		ev.PutStr("account_switch_type", "Impersonate")
		if s.has(fDelegateUser) || s.has(fDelegateUserID) {
			ocsfUser(s, ev.PutEmptyMap("actor").PutEmptyMap("user"), fDelegateUserID, fDelegateUser)
		}
	} else {
		// Who asked to log in or out: the user.
		ocsfUser(s, ev.PutEmptyMap("actor").PutEmptyMap("user"), fUserID, fUserName)
	}
	svc := ev.PutEmptyMap("service")
	svc.PutStr("name", "Salesforce")
	if host := cmp.Or(s.str(fLoginHost), s.instanceHost); host != "" {
		ev.PutEmptyMap("dst_endpoint").PutStr("hostname", host)
	}
	ocsfSrcEndpoint(s, ev)
	if s.has(fSession) || s.has(fLoginKey) {
		sess := ev.PutEmptyMap("session")
		putStr(s, sess, "uid", fSession)
		putStr(s, sess, "uid_alt", fLoginKey)
	}
	if id, name := authProtocol(s.str(fLoginType)); id != 0 {
		ev.PutInt("auth_protocol_id", int64(id))
		ev.PutStr("auth_protocol", name)
	}
	ocsfHTTP(s, ev)
	_ = rv
}

// authProtocol reads the protocol from Salesforce's login type ("SAML
// Idp Initiated SSO", "Remote Access 2.0" for OAuth 2.0 connected apps,
// "OpenID Connect"); a password login names none.
func authProtocol(loginType string) (int, string) {
	lt := strings.ToLower(loginType)
	switch {
	case strings.Contains(lt, "saml"):
		return 5, "SAML"
	case strings.Contains(lt, "oauth"), strings.Contains(lt, "remote access"):
		return 6, "OAUTH 2.0"
	case strings.Contains(lt, "openid"):
		return 4, "OpenID"
	}
	return 0, ""
}

// ocsfUser fills a user object; 18-character Ids, usernames as names.
func ocsfUser(s *scratch, u pcommon.Map, id, name fact) {
	putStr(s, u, "uid", id)
	putStr(s, u, "name", name)
}

// ocsfActor sets actor.user from the record's user (who acted), and says
// whether there was one.
func ocsfActor(s *scratch, ev pcommon.Map) bool {
	if !s.has(fUserID) && !s.has(fUserName) {
		return false
	}
	actor := ev.PutEmptyMap("actor")
	ocsfUser(s, actor.PutEmptyMap("user"), fUserID, fUserName)
	if s.has(fSession) || s.has(fLoginKey) {
		sess := actor.PutEmptyMap("session")
		putStr(s, sess, "uid", fSession)
		putStr(s, sess, "uid_alt", fLoginKey)
	}
	if s.has(fConnectedApp) || s.has(fClientName) {
		actor.PutStr("app_name", cmp.Or(s.str(fClientName), s.str(fConnectedApp)))
	}
	return true
}

// ocsfSrcEndpoint is the client: its address, or, for Salesforce's own
// requests ("Salesforce.com IP"), that name.
func ocsfSrcEndpoint(s *scratch, ev pcommon.Map) {
	if !s.has(fSourceIP) && s.str(fClient) == "" {
		return
	}
	ep := ev.PutEmptyMap("src_endpoint")
	if s.has(fSourceIP) {
		ep.PutStr("ip", s.str(fSourceIP))
	} else {
		ep.PutStr("name", s.str(fClient))
	}
	if s.has(fGeoCity) || s.has(fGeoCountryISO) {
		loc := ep.PutEmptyMap("location")
		putStr(s, loc, "city", fGeoCity)
		putStr(s, loc, "country", fGeoCountryISO)
		if s.has(fGeoLat) && s.has(fGeoLon) {
			loc.PutDouble("lat", s.num(fGeoLat))
			loc.PutDouble("long", s.num(fGeoLon))
		}
	}
}

// ocsfHTTP sets http_request (and http_response, which needs a code).
func ocsfHTTP(s *scratch, ev pcommon.Map) {
	p, urlOK := splitURL(s.str(fURL))
	urlOK = urlOK && s.has(fURL)
	ua := s.str(fUserAgent)
	uaOK := s.has(fUserAgent) && !allDigits(ua) && strings.Contains(ua, "/")
	if !s.has(fHTTPMethod) && !urlOK && !uaOK && !s.has(fRequestID) {
		return
	}
	req := ev.PutEmptyMap("http_request")
	putStr(s, req, "http_method", fHTTPMethod)
	putStr(s, req, "uid", fRequestID)
	if uaOK {
		req.PutStr("user_agent", ua)
	}
	if urlOK {
		u := req.PutEmptyMap("url")
		if p.domain != "" {
			u.PutStr("url_string", s.str(fURL))
			u.PutStr("hostname", p.domain)
			u.PutStr("scheme", p.scheme)
		}
		u.PutStr("path", p.path)
		if p.query != "" {
			u.PutStr("query_string", p.query)
		}
	}
	if s.has(fStatusCode) {
		ev.PutEmptyMap("http_response").PutInt("code", int64(s.num(fStatusCode)))
	}
}
