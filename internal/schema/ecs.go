package schema

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ecs adds the Elastic Common Schema fields as attributes, as Elastic's
// Salesforce integration writes them for the same source (its ingest
// pipelines: https://github.com/elastic/integrations/tree/main/packages/salesforce/data_stream),
// except where it is wrong against ECS (docs/schemas.md lists those). The
// body stays Salesforce's record. Elastic's OTLP intake stores attributes
// under their names, so its dashboards and rules read them as ECS fields.
func (m *Mapper) ecs(s *scratch, rv *resolved, lr plog.LogRecord) {
	a := lr.Attributes()
	// One allocation for every field below rather than the slice's
	// doublings.
	a.EnsureCapacity(a.Len() + ecsFields + len(rv.r.ecs))
	act := &rv.r.act.ECS
	a.PutStr("ecs.version", m.t.ECSVersion)
	// data_stream.dataset routes the record to logs-<dataset>.* (ECS:
	// "event.dataset should have the same value as data_stream.dataset").
	a.PutStr("data_stream.dataset", rv.dataset)
	a.PutStr("event.dataset", rv.dataset)
	a.PutStr("event.module", "salesforce")
	a.PutStr("event.provider", rv.provider)
	a.PutStr("event.kind", cmp.Or(act.Kind, "event"))
	a.PutStr("event.action", rv.action)
	putList(a, "event.category", act.Category)
	putList(a, "event.type", act.Type)
	if rv.r.act.Name == "setup_change" {
		// Users, profiles and permission sets are identity and access
		// management; other Setup sections configuration.
		category := "configuration"
		if s.str(fSection) == "Manage Users" {
			category = "iam"
		}
		putList(a, "event.category", []string{category})
	}
	if s.has(fOutcome) {
		a.PutStr("event.outcome", s.str(fOutcome))
	}
	putStr(s, a, "event.reason", fReason)
	putStr(s, a, "event.id", fEventID)
	putStr(s, a, "event.created", fCreated)
	if s.has(fDuration) {
		// ECS event.duration is in nanoseconds.
		a.PutInt("event.duration", int64(math.Round(s.num(fDuration))))
	}

	putStr(s, a, "user.id", fUserID)
	putStr(s, a, "user.name", fUserName)
	putStr(s, a, "user.target.id", fTargetUserID)
	putStr(s, a, "source.ip", fSourceIP)
	if s.has(fSourceIP) {
		putList(a, "related.ip", []string{s.str(fSourceIP)})
	}
	var users [5]string
	n := 0
	for _, f := range [...]fact{fUserID, fUserIDRaw, fUserName, fTargetUser, fDelegateUser} {
		if s.has(f) && !slices.Contains(users[:n], s.str(f)) {
			users[n] = s.str(f)
			n++
		}
	}
	putList(a, "related.user", users[:n])
	putStr(s, a, "source.geo.city_name", fGeoCity)
	putStr(s, a, "source.geo.country_name", fGeoCountry)
	putStr(s, a, "source.geo.country_iso_code", fGeoCountryISO)
	if s.has(fGeoLat) && s.has(fGeoLon) {
		a.PutDouble("source.geo.location.lat", s.num(fGeoLat))
		a.PutDouble("source.geo.location.lon", s.num(fGeoLon))
	}

	if s.has(fURL) {
		raw := s.str(fURL)
		a.PutStr("url.original", raw)
		if p, ok := splitURL(raw); ok {
			putNonEmpty(a, "url.scheme", p.scheme)
			putNonEmpty(a, "url.domain", p.domain)
			if p.port != 0 {
				a.PutInt("url.port", int64(p.port))
			}
			putNonEmpty(a, "url.path", p.path)
			putNonEmpty(a, "url.query", p.query)
			putNonEmpty(a, "url.fragment", p.fragment)
			putNonEmpty(a, "url.extension", p.extension)
		}
	}
	putStr(s, a, "http.request.method", fHTTPMethod)
	putStr(s, a, "http.request.id", fRequestID)
	putInt(s, a, "http.response.status_code", fStatusCode)
	putInt(s, a, "http.request.bytes", fRequestBytes)
	putInt(s, a, "http.response.bytes", fResponseBytes)
	// A User-Agent header, never a numeric client code.
	if ua := s.str(fUserAgent); s.has(fUserAgent) && !allDigits(ua) && strings.Contains(ua, "/") {
		a.PutStr("user_agent.original", ua)
	}
	putStr(s, a, "user_agent.name", fBrowser)
	putStr(s, a, "user_agent.os.name", fOS)
	if proto, version := splitTLS(s.str(fTLS)); proto != "" {
		a.PutStr("tls.version_protocol", proto)
		a.PutStr("tls.version", version)
	}
	putStr(s, a, "tls.cipher", fCipher)
	putStr(s, a, "organization.id", fOrgID)

	if rv.r.act.Name == "threat" {
		a.PutStr("rule.name", cmp.Or(s.str(fSubtype), rv.event))
		putStr(s, a, "rule.description", fSummary)
		if s.has(fScore) {
			a.PutDouble("event.risk_score", s.num(fScore))
		}
	}

	for i := range rv.r.ecs {
		p := &rv.r.ecs[i]
		if p.slot < 0 {
			switch v := p.value.(type) {
			case string:
				a.PutStr(p.key, v)
			case []string:
				putList(a, p.key, v)
			}
			continue
		}
		if s.rank[p.slot] == 0 {
			continue
		}
		v := s.vals[p.slot]
		if p.lookup != nil {
			if l, ok := p.lookup[v.s]; ok {
				v.s = l
			}
		}
		switch {
		case p.list:
			putList(a, p.key, []string{v.s})
		case p.slot < int(numFacts) && factKinds[p.slot] == kindBool:
			a.PutBool(p.key, v.s == "true")
		case v.num && v.n == math.Trunc(v.n) && p.lookup == nil:
			a.PutInt(p.key, int64(v.n))
		case v.num && p.lookup == nil:
			a.PutDouble(p.key, v.n)
		default:
			a.PutStr(p.key, v.s)
		}
	}
}

// ecsFields bounds the fields ecs sets beside a rule's placements.
const ecsFields = 48

func putStr(s *scratch, a pcommon.Map, key string, f fact) {
	if s.has(f) {
		a.PutStr(key, s.str(f))
	}
}

func putInt(s *scratch, a pcommon.Map, key string, f fact) {
	if s.has(f) {
		a.PutInt(key, int64(s.num(f)))
	}
}

func putNonEmpty(a pcommon.Map, key, v string) {
	if v != "" {
		a.PutStr(key, v)
	}
}

func putList(a pcommon.Map, key string, vs []string) {
	if len(vs) == 0 {
		return
	}
	sl := a.PutEmptySlice(key)
	sl.EnsureCapacity(len(vs))
	for _, v := range vs {
		sl.AppendEmpty().SetStr(v)
	}
}
