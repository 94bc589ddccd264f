package schema

import (
	"net/url"
	"strconv"
	"strings"
)

// urlParts is a URL or path split as ECS's url.* fields want it (and as
// Elasticsearch's uri_parts processor splits it): the path percent-decoded
// and without the query or fragment, an empty fragment dropped.
type urlParts struct {
	scheme, domain, path, query, fragment, extension string
	port                                             int
}

// splitURL splits an absolute URL (https://host/path?q#f) or a path
// (/one/one.app#); anything else ("CALLOUT-LOG", a page name) has no parts.
func splitURL(raw string) (urlParts, bool) {
	var p urlParts
	rest := raw
	if i := strings.Index(raw, "://"); i > 0 {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return p, false
		}
		p.scheme, p.domain = strings.ToLower(u.Scheme), u.Hostname()
		if port := u.Port(); port != "" {
			p.port, _ = strconv.Atoi(port)
		}
		rest = u.EscapedPath()
		if u.RawQuery != "" || u.ForceQuery {
			rest += "?" + u.RawQuery
		}
		if u.Fragment != "" {
			rest += "#" + u.EscapedFragment()
		}
		if rest == "" {
			rest = "/"
		}
	} else if !strings.HasPrefix(raw, "/") {
		return p, false
	}
	rest, p.fragment, _ = strings.Cut(rest, "#")
	rest, p.query, _ = strings.Cut(rest, "?")
	if path, err := url.PathUnescape(rest); err == nil {
		p.path = path
	} else {
		p.path = rest
	}
	// The extension of the last path segment only (ECS: "the file
	// extension ... excluding the leading dot").
	last := p.path[strings.LastIndexByte(p.path, '/')+1:]
	if dot := strings.LastIndexByte(last, '.'); dot >= 0 && dot < len(last)-1 {
		p.extension = last[dot+1:]
	}
	return p, true
}

// splitTLS splits a TLS protocol as Salesforce writes it ("TLSv1.2" in
// event log files, "TLS 1.2" on objects) into ECS's lowercase protocol
// name and version; "Unknown" and the like have neither.
func splitTLS(v string) (protocol, version string) {
	i := 0
	for i < len(v) && (v[i] >= 'A' && v[i] <= 'Z' || v[i] >= 'a' && v[i] <= 'z') {
		i++
	}
	name, rest := v[:i], strings.TrimSpace(v[i:])
	if len(name) > 1 && (name[len(name)-1] == 'v' || name[len(name)-1] == 'V') {
		name = name[:len(name)-1] // "TLSv1.2"
	}
	if name == "" || rest == "" || strings.Trim(rest, "0123456789.") != "" {
		return "", ""
	}
	return strings.ToLower(name), rest
}

// allDigits reports whether v is a number code rather than a string
// (USER_AGENT holds "the numeric code for the type of client" in some
// event types).
func allDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
