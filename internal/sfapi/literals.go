package sfapi

import (
	"strconv"
	"strings"
	"time"
)

// LimitInfo is one reading of the org's daily API usage: the api-usage part
// of a Sforce-Limit-Info header, or DailyApiRequests of /limits. App, when
// Salesforce reports one, is the connected app's own quota.
type LimitInfo struct {
	Used, Max int64
	App       *AppUsage
	// AppUnknown: the reading cannot tell whether an app quota applies
	// (a /limits body without the app's entry), so a nil App says
	// nothing. A header without per-app-api-usage means no quota:
	// Salesforce leaves the part out then.
	AppUnknown bool
}

// AppUsage is a connected app's API quota (per-app-api-usage): past it
// Salesforce refuses every call the app makes, whatever the org has left.
type AppUsage struct {
	Name      string
	Used, Max int64
}

// ParseLimitInfo reads a Sforce-Limit-Info header. Salesforce documents
// its parts separated by "; ", e.g.
//
//	api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)
//	api-usage=10018/100000; api-bursts=1/750
//
// (REST API Developer Guide, "Limit Info Header":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm;
// the per-app form is in its older versions, e.g.
// https://developer.salesforce.com/docs/atlas.en-us.214.0.api_rest.meta/api_rest/headers_api_usage.htm).
// "," is accepted as a separator too, spaces around parts and unknown parts
// are ignored, and api-usage may stand anywhere. ok is false when no
// well-formed api-usage part is there; App is set only when a well-formed
// per-app-api-usage part is.
func ParseLimitInfo(h string) (li LimitInfo, ok bool) {
	for _, part := range splitLimitParts(h) {
		k, v, found := strings.Cut(part, "=")
		if !found {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "api-usage":
			if used, limit, valid := parseUsage(v); valid && !ok {
				li.Used, li.Max, ok = used, limit, true
			}
		case "per-app-api-usage":
			if app, valid := parseAppUsage(v); valid && li.App == nil {
				li.App = app
			}
		}
	}
	if !ok {
		return LimitInfo{}, false
	}
	return li, true
}

// splitLimitParts splits a header at ";" and "," outside parentheses, so
// an app name holding either stays whole.
func splitLimitParts(h string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(h); i++ {
		switch h[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case ';', ',':
			if depth == 0 {
				parts = append(parts, h[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, h[start:])
}

// parseUsage reads "used/max".
func parseUsage(v string) (used, limit int64, ok bool) {
	u, m, found := strings.Cut(strings.TrimSpace(v), "/")
	if !found {
		return 0, 0, false
	}
	used, err1 := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
	limit, err2 := strconv.ParseInt(strings.TrimSpace(m), 10, 64)
	if err1 != nil || err2 != nil || used < 0 || limit <= 0 {
		return 0, 0, false
	}
	return used, limit, true
}

// parseAppUsage reads "used/max(appName=name)"; the name is optional.
func parseAppUsage(v string) (*AppUsage, bool) {
	v = strings.TrimSpace(v)
	name := ""
	if i := strings.IndexByte(v, '('); i >= 0 {
		inner := strings.TrimSuffix(strings.TrimSpace(v[i+1:]), ")")
		if k, n, found := strings.Cut(inner, "="); found && strings.EqualFold(strings.TrimSpace(k), "appName") {
			name = strings.TrimSpace(n)
		}
		v = v[:i]
	}
	used, limit, ok := parseUsage(v)
	if !ok {
		return nil, false
	}
	return &AppUsage{Name: name, Used: used, Max: limit}, true
}

var soqlEscaper = strings.NewReplacer(
	`\`, `\\`, `'`, `\'`, `"`, `\"`,
	"\n", `\n`, "\r", `\r`, "\t", `\t`, "\b", `\b`, "\f", `\f`,
)

// QuoteString renders s as a SOQL string literal.
func QuoteString(s string) string {
	return "'" + soqlEscaper.Replace(s) + "'"
}

// FormatDateTime renders t as a SOQL dateTime literal (UTC, whole seconds, truncated).
func FormatDateTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}
