// Package schema maps the receiver's log records to a SIEM's schema
// (the receiver's `schema` option): the Elastic Common Schema as Elastic's
// Salesforce integration writes it, OCSF for Security Lake, or Splunk's
// CIM. One table (table.yaml) says what each Salesforce source's fields
// mean; every schema is rendered from those facts, so the three agree with
// each other and with the catalog. docs/schemas.md is the reference.
package schema

import (
	"cmp"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
)

// Name is a schema the receiver maps its records to.
type Name string

// The schemas; None leaves the records as the receiver makes them.
const (
	None Name = ""
	ECS  Name = "ecs"
	OCSF Name = "ocsf"
	CIM  Name = "cim"
)

// Names lists the schemas, for messages.
func Names() []Name { return []Name{ECS, OCSF, CIM} }

// Valid reports whether n is a schema (or None).
func (n Name) Valid() bool { return n == None || n == ECS || n == OCSF || n == CIM }

var (
	loadOnce sync.Once
	loaded   *table
	loadErr  error
)

// load compiles the embedded table once; TestTable reports a broken one.
func load() (*table, error) {
	loadOnce.Do(func() { loaded, loadErr = parseTable(tableYAML) })
	return loaded, loadErr
}

// Mapper maps records to one schema. It is safe for concurrent use.
type Mapper struct {
	name  Name
	t     *table
	cache sync.Map // event name + "\x00" + event type → *resolved
	pool  sync.Pool
}

// New returns the mapper of a schema (nil for None).
func New(name Name) (*Mapper, error) {
	if !name.Valid() {
		return nil, fmt.Errorf("schema %q is not one of %v", name, Names())
	}
	if name == None {
		return nil, nil
	}
	t, err := load()
	if err != nil {
		return nil, err
	}
	m := &Mapper{name: name, t: t}
	m.pool.New = func() any { return new(scratch) }
	return m, nil
}

// Map maps every record of logs in place: ECS and CIM add attributes and
// keep the body; OCSF makes the body the OCSF event, with Salesforce's
// record under `unmapped`. The receiver's own attributes stay.
func (m *Mapper) Map(logs plog.Logs) {
	s := m.pool.Get().(*scratch)
	s.last = nil
	defer m.pool.Put(s)
	rls := logs.ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		s.resource(rl.Resource().Attributes())
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				m.mapRecord(s, lrs.At(k))
			}
		}
	}
}

// resolved is how records of one event name and type are mapped.
type resolved struct {
	r          *rule
	eventType  string
	event      string // a storage object's streaming event (ApiAnomalyEvent), else eventType
	provider   string // ECS event.provider: EventLogFile, Object, PubSub
	dataset    string // ECS event.dataset
	action     string // ECS event.action, unless the rule places one
	sourcetype string
}

func (m *Mapper) resolve(eventName, eventType string) *resolved {
	key := eventName + "\x00" + eventType
	if v, ok := m.cache.Load(key); ok {
		return v.(*resolved)
	}
	rv := &resolved{eventType: eventType, provider: "Object"}
	var src string
	var o origin
	switch eventName {
	case semconv.EventEventLogFile:
		src, o, rv.provider = "elf:"+eventType, originELF, "EventLogFile"
	case semconv.EventLoginHistory:
		src, o, eventType = "LoginHistory", originObject, "LoginHistory"
	case semconv.EventSetupAuditTrail:
		src, o, eventType = "SetupAuditTrail", originObject, "SetupAuditTrail"
	default:
		src, o = eventType, objectOrigin(eventType)
		if eventName == semconv.EventPubSub {
			rv.provider = "PubSub"
		}
	}
	rv.eventType, rv.event = eventType, eventType
	if e := catalog.Lookup(eventType); e != nil && e.Topic != "" {
		rv.event = e.Topic
	}
	rv.r = m.t.bySource[src]
	if rv.r == nil {
		rv.r = m.t.fallback[o]
	}
	rv.dataset, rv.action, rv.sourcetype = rv.r.act.ECS.Dataset, rv.r.act.ECS.Action, rv.r.act.CIM.Sourcetype
	name := snake(cmp.Or(eventType, strings.TrimPrefix(eventName, "salesforce.")))
	if rv.dataset == "" {
		rv.dataset = "salesforce." + name
	}
	if rv.action == "" {
		rv.action = strings.ReplaceAll(snake(rv.event), "_", "-") // api-anomaly-event, content-transfer
	}
	if rv.sourcetype == "" {
		rv.sourcetype = "salesforce:" + name
	}
	v, _ := m.cache.LoadOrStore(key, rv)
	return v.(*resolved)
}

// snake is an API name in lower snake case: LightningPageView →
// lightning_page_view, URI → uri, RestApi → rest_api.
func snake(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		upper := c >= 'A' && c <= 'Z'
		if upper && i > 0 {
			prev := name[i-1]
			nextLower := i+1 < len(name) && name[i+1] >= 'a' && name[i+1] <= 'z'
			if (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') || (prev >= 'A' && prev <= 'Z' && nextLower) {
				b.WriteByte('_')
			}
		}
		if upper {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// scratch is one Map call's working state.
type scratch struct {
	vals [int(numFacts) + maxRaws]value
	rank [int(numFacts) + maxRaws]int8
	// of the record
	uid, parseError string
	// of the resource
	orgID, instanceHost string
	// the last record's mapping: a batch's records mostly share theirs
	last               *resolved
	lastName, lastType string
}

// value is a fact's value: its text and, for numbers and times, n (a
// time: Unix milliseconds).
type value struct {
	s   string
	n   float64
	num bool // n holds the value (numbers; raw fields that are numbers)
}

func (s *scratch) resource(res pcommon.Map) {
	s.orgID, s.instanceHost = "", ""
	if v, ok := res.Get(semconv.AttrOrgID); ok {
		s.orgID = v.Str()
	}
	if v, ok := res.Get(semconv.AttrInstanceURL); ok {
		u := v.Str()
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
		}
		s.instanceHost, _, _ = strings.Cut(u, "/")
	}
}

func (s *scratch) has(f fact) bool { return s.rank[f] != 0 }

// str is a fact's text, "" when the record has none (the values of an
// earlier record stay behind their rank).
func (s *scratch) str(f fact) string {
	if s.rank[f] == 0 {
		return ""
	}
	return s.vals[f].s
}

func (s *scratch) num(f fact) float64 {
	if s.rank[f] == 0 {
		return 0
	}
	return s.vals[f].n
}

func (s *scratch) set(f fact, v string) { s.vals[f], s.rank[f] = value{s: v}, 1 }

func (m *Mapper) mapRecord(s *scratch, lr plog.LogRecord) {
	attrs := lr.Attributes()
	var eventType string
	if v, ok := attrs.Get(semconv.AttrEventType); ok {
		eventType = v.Str()
	}
	rv := s.last
	if rv == nil || s.lastName != lr.EventName() || s.lastType != eventType {
		rv = m.resolve(lr.EventName(), eventType)
		s.last, s.lastName, s.lastType = rv, lr.EventName(), eventType
	}
	r := rv.r
	s.rank = [len(s.rank)]int8{}
	s.uid, s.parseError = "", ""
	attrs.Range(func(k string, v pcommon.Value) bool {
		switch k {
		case semconv.AttrLogRecordUID:
			s.uid = v.Str()
		case semconv.AttrParseError:
			s.parseError = v.Str()
		}
		for _, rf := range r.byAttr[k] {
			s.offer(r, rf, v)
		}
		return true
	})
	body := lr.Body()
	if body.Type() == pcommon.ValueTypeMap {
		body.Map().Range(func(k string, v pcommon.Value) bool {
			for _, rf := range r.byField[k] {
				s.offer(r, rf, v)
			}
			return true
		})
	}
	s.settle(r)
	switch m.name {
	case ECS:
		m.ecs(s, rv, lr)
	case OCSF:
		m.ocsf(s, rv, lr)
	case CIM:
		m.cim(s, rv, lr)
	}
}

// offer gives a field's value to one slot: it is taken if the slot holds
// nothing better and the value is of the slot's kind.
func (s *scratch) offer(r *rule, rf ref, v pcommon.Value) {
	slot := rf.slot
	if s.rank[slot] != 0 && s.rank[slot] <= rf.prio+1 {
		return
	}
	text, ok := valueText(v)
	if !ok || text == "" {
		return
	}
	var val value
	if int(slot) >= int(numFacts) {
		val.s = text // a raw field: as it is; numbers stay numbers
		if t := v.Type(); t == pcommon.ValueTypeInt || t == pcommon.ValueTypeDouble {
			val.n, _ = valueNumber(v)
			val.num = true
		}
		s.vals[slot], s.rank[slot] = val, rf.prio+1
		return
	}
	switch f := fact(slot); factKinds[f] {
	case kindIP:
		if !isIP(text) {
			return
		}
		val.s = text
	case kindNumber:
		n, ok := valueNumber(v)
		if !ok {
			return
		}
		if f == fDuration {
			n *= rf.scale
		}
		val.s, val.n, val.num = text, n, true
	case kindTime:
		t, err := convert.ParseDateTime(text)
		if err != nil {
			return
		}
		val.s, val.n = t.UTC().Format(isoMillis), float64(t.UnixMilli())
	case kindBool:
		switch strings.ToLower(text) {
		case "1", "true":
			val.s = "true"
		case "0", "false":
			val.s = "false"
		default:
			return
		}
	default:
		if f == fOutcome {
			if val.s = r.outcome.decide(text); val.s == "" {
				return
			}
			break
		}
		val.s = text
	}
	s.vals[slot], s.rank[slot] = val, rf.prio+1
}

// isoMillis is how ECS and CIM write a time: RFC 3339 in UTC, milliseconds.
const isoMillis = "2006-01-02T15:04:05.000Z"

// settle applies what comes after every field was seen: constants,
// lookups, the outcome's constant, the reason (only of a failure) and the
// user a Setup change names.
func (s *scratch) settle(r *rule) {
	for f := range numFacts {
		if c := r.consts[f]; c != "" && !s.has(f) {
			s.set(f, c)
		}
		if l := r.lookups[f]; l != nil && s.has(f) {
			if v, ok := l[s.str(f)]; ok {
				s.vals[f].s = v
			}
		}
	}
	if !s.has(fOutcome) && r.outcome.constant != "" {
		s.set(fOutcome, r.outcome.constant)
	}
	if s.has(fReason) && s.str(fOutcome) != outcomeFailure {
		s.rank[fReason] = 0
	}
	if s.has(fTargetUser) {
		display := s.str(fTargetUser)
		if id := targetUserID(display); id != "" {
			s.set(fTargetUserID, convert.ID18(id))
		}
		if u := targetUser(display, s.str(fSection)); u != "" {
			s.vals[fTargetUser].s = u
		} else {
			s.rank[fTargetUser] = 0
		}
	}
	if s.has(fDelegateUserID) {
		s.vals[fDelegateUserID].s = convert.ID18(s.str(fDelegateUserID))
	}
}

// targetUserID is the user Id a Setup Audit Trail row's Display gives
// ("... assigned to user Omar Haddad (UserID: [0055g00000KxQ3c])").
func targetUserID(display string) string {
	_, rest, ok := strings.Cut(display, "(UserID: [")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "]")
	if !ok || (len(id) != 15 && len(id) != 18) {
		return ""
	}
	return id
}

// targetUser is the user a Setup Audit Trail row's Display names: "For
// user X, ..." (how Salesforce words changes to a user, and what Elastic's
// pipeline dissects), else, for Manage Users rows, the first
// username-shaped word ("Changed password for user jane@acme.com").
func targetUser(display, section string) string {
	if rest, ok := strings.CutPrefix(display, "For user "); ok {
		if name, _, ok := strings.Cut(rest, ","); ok && name != "" {
			return name
		}
	}
	if section != "Manage Users" {
		return ""
	}
	for word := range strings.FieldsSeq(display) {
		word = strings.TrimRight(word, ".,;:)]")
		word = strings.TrimLeft(word, "([")
		// Usernames have an email's form, but not always a dot after the
		// @ (the Automated Process user's is autoproc@00d...).
		if at := strings.IndexByte(word, '@'); at > 0 && at < len(word)-1 {
			return word
		}
	}
	return ""
}

// valueText is a body or attribute value as text.
func valueText(v pcommon.Value) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str(), true
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10), true
	case pcommon.ValueTypeDouble:
		return strconv.FormatFloat(v.Double(), 'f', -1, 64), true
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool()), true
	}
	return "", false
}

// valueNumber is a number, or a string that is one (ELF columns typed
// String, SOQL numbers Salesforce sends as text).
func valueNumber(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64)
		return n, err == nil
	}
	return 0, false
}

// isIP reports whether v is an IP address; "Salesforce.com IP" (what
// CLIENT_IP holds for Salesforce's own requests) is not.
func isIP(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':', c == '%':
		default:
			return false
		}
	}
	_, err := netip.ParseAddr(v)
	return err == nil
}
