// Package convert turns Salesforce records (SOQL JSON records and
// EventLogFile CSV rows) into OpenTelemetry log records, following the
// rules of docs/records.md, with the catalog's roles and severities.
package convert

import (
	"fmt"
	"strings"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// ELFTimeFields are the event-time columns of an EventLogFile row.
var ELFTimeFields = []string{"TIMESTAMP_DERIVED", "TIMESTAMP"}

// Resource identifies the org the records come from.
type Resource struct {
	OrgID       string
	InstanceURL string
}

// Batch is one plog.Logs with a single ResourceLogs/ScopeLogs, filled record
// by record. It is not safe for concurrent use.
type Batch struct {
	logs    plog.Logs
	records plog.LogRecordSlice
	orgID   string
	scratch []byte // reused by the log.record.uid hash
	box     boxes  // key/value slices and value wrappers of the records (kv.go)
	arena   []byte // backing store for uid strings; see uid
}

// NewBatch starts a batch for res, with room for capacity records.
func NewBatch(res Resource, capacity int) *Batch {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	attrs := rl.Resource().Attributes()
	if res.OrgID != "" {
		attrs.PutStr(semconv.AttrOrgID, res.OrgID)
	}
	if res.InstanceURL != "" {
		attrs.PutStr(semconv.AttrInstanceURL, res.InstanceURL)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	records := sl.LogRecords()
	if capacity > 0 {
		records.EnsureCapacity(capacity)
	}
	return &Batch{logs: logs, records: records, orgID: res.OrgID, scratch: make([]byte, 0, 192)}
}

// Logs returns the batch's logs (not a copy).
func (b *Batch) Logs() plog.Logs { return b.logs }

// Len is the number of log records in the batch.
func (b *Batch) Len() int { return b.records.Len() }

// uid returns the record's log.record.uid. The strings are carved out of a
// shared append-only arena (one allocation per 128 records instead of one per
// record); bytes already handed out are never written again, which is what
// makes unsafe.String sound here.
func (b *Batch) uid(stream, key string) string {
	var sum [16]byte
	b.scratch, sum = uidSum(b.scratch, b.orgID, stream, key)
	if cap(b.arena)-len(b.arena) < uidLen {
		b.arena = make([]byte, 0, uidLen*128)
	}
	start := len(b.arena)
	b.arena = appendUUID(b.arena, sum)
	return unsafe.String(&b.arena[start], uidLen) //nolint:gosec // G103: sound, as said above
}

// Mapping says how one stream's records map.
type Mapping struct {
	// EventName is one of the Event* constants.
	EventName string
	// Stream is a stable stream id used in log.record.uid, e.g.
	// "login_history" or "object/LoginEvent". Changing it changes every uid.
	Stream string
	// EventType is the salesforce.event_type value ("" = none): the ELF
	// file's EventType, or the object name.
	EventType string
	// TimestampField names the event-time field; see TimeFallbacks.
	TimestampField string
	// TimeFallbacks are tried, in order, when TimestampField is empty or
	// unusable (EventLogFile: TIMESTAMP_DERIVED, then TIMESTAMP).
	TimeFallbacks []string
	// Warn makes every record WARN (threat detection events).
	Warn bool
	// ObservedWhenUntimed: a record with none of the time fields is timed
	// when it was received, as a fact rather than a parse_error (Pub/Sub
	// events: EventDate, else CreatedDate, else when received). An
	// unparsable time field is still an error.
	ObservedWhenUntimed bool
	// roles says which fields feed which attribute and severity rule
	// (nil: the ones every source shares); ForObject sets an object's.
	roles *Roles
}

// Roles is the mapping's roles table.
func (m *Mapping) Roles() *Roles {
	if m.roles == nil {
		return RolesFor(nil)
	}
	return m.roles
}

// ForObject returns m with the catalog's rules for the object (or
// streaming event) whose records it maps: its severity, and which of its
// fields become which attribute. Failed logins and threat events are WARN
// whichever stream reads them. An object the catalog does not know keeps
// the rules every source shares.
func (m Mapping) ForObject(object string) Mapping {
	e := catalog.Lookup(object)
	if e == nil {
		e = catalog.ByEvent(object)
	}
	if e == nil {
		m.roles, m.Warn = nil, false
		return m
	}
	m.roles, m.Warn = RolesFor(e), e.Threat()
	return m
}

// ForEventType returns m for the rows of an EventLogFile event type: its
// salesforce.event_type, and the catalog's rules for the type (which of
// its columns become which attribute, its severity). A type the catalog
// does not list keeps the rules every source shares.
func (m Mapping) ForEventType(eventType string) Mapping {
	m.EventType = eventType
	e := catalog.EventType(eventType)
	if e == nil {
		m.roles, m.Warn = nil, false
		return m
	}
	m.roles, m.Warn = RolesFor(e), e.Threat()
	return m
}

// Origin is what a record's log record carries besides the record's own
// fields.
type Origin struct {
	// Key identifies the record within its stream, for log.record.uid:
	// its Id, EventIdentifier, "<file Id>/<row>", a digest, ...
	Key string
	// Observed is when the receiver read it: the ObservedTimestamp, and
	// the timestamp of a record without a usable event time.
	Observed time.Time
	// LogFileID is the EventLogFile its row came from
	// (salesforce.log_file.id); "" for others.
	LogFileID string
	// Topic is the Pub/Sub topic it arrived on (salesforce.pubsub.topic);
	// "" for others.
	Topic string
}

// Appended is what an Append wrote.
type Appended struct {
	// Time is the record's timestamp: its event time, or Observed.
	Time time.Time
	// UID is its log.record.uid.
	UID string
}

// Append adds one log record for a SOQL record or a decoded event. A
// record without a usable event time takes o.Observed and, unless the
// mapping says that is expected (ObservedWhenUntimed), carries
// salesforce.parse_error.
func (m *Mapping) Append(b *Batch, rec *sobject.Record, o Origin) Appended {
	ts, tsErr := m.EventTime(rec)
	return m.AppendTimed(b, rec, o, ts, tsErr)
}

// EventTime is the record's event time by the mapping's time fields, or
// why it has none usable (tsErr non-empty), so a caller that needs the
// time first parses it once. A zero time with no error means: none, and
// the observed time is the record's (ObservedWhenUntimed).
func (m *Mapping) EventTime(rec *sobject.Record) (ts time.Time, tsErr string) {
	return m.recordTime(rec)
}

// AppendTimed is Append with the event time EventTime gave.
func (m *Mapping) AppendTimed(b *Batch, rec *sobject.Record, o Origin, ts time.Time, tsErr string) Appended {
	lr := b.records.AppendEmpty()
	body := lr.Body().SetEmptyMap()
	body.EnsureCapacity(len(rec.Fields))

	var p picks
	roles := m.Roles()
	for i := range rec.Fields {
		f := &rec.Fields[i]
		switch v := f.Value.(type) {
		case string:
			body.PutStr(f.Name, v)
			if refs := roles.lookup(f.Name); refs != nil {
				p.offerAll(refs, v)
			}
		case int64:
			body.PutInt(f.Name, v)
		case float64:
			body.PutDouble(f.Name, v)
		case bool:
			body.PutBool(f.Name, v)
		case nil:
			// null: left out
		default:
			putOther(body, f.Name, v)
		}
	}

	return m.finish(b, lr, &p, o, ts, tsErr)
}

// AppendUndecodable delivers a SOQL record whose JSON did not decode
// (rec.Err) as its text with the reason, keyed by that text, and reports
// whether it did; a decoded record is left to the caller.
func (m *Mapping) AppendUndecodable(b *Batch, rec *sobject.Record, observed time.Time) bool {
	if rec.Err == nil {
		return false
	}
	m.AppendRaw(b, rec.Raw, rec.Err.Error(), Origin{Key: rec.Raw, Observed: observed})
	return true
}

// AppendRaw adds a record that could not be parsed (a CSV row, a record,
// an event), so it is still delivered: its raw text as a string body,
// salesforce.parse_error = reason, severity WARN, and o.Observed as its
// timestamp.
func (m *Mapping) AppendRaw(b *Batch, raw, reason string, o Origin) Appended {
	lr := b.records.AppendEmpty()
	lr.Body().SetStr(raw)
	ts := pcommon.NewTimestampFromTime(o.Observed)
	lr.SetEventName(m.EventName)
	lr.SetTimestamp(ts)
	lr.SetObservedTimestamp(ts)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	if reason == "" {
		reason = "unparsable row"
	}
	return Appended{Time: o.Observed, UID: m.putAttrs(b, lr, &picks{}, o, reason)}
}

// putOther keeps values of types sobject.DecodeRecord never produces (records built
// by hand) in the most faithful form pdata offers.
func putOther(body pcommon.Map, k string, v any) {
	switch t := v.(type) {
	case int:
		body.PutInt(k, int64(t))
	case int32:
		body.PutInt(k, int64(t))
	case float32:
		body.PutDouble(k, float64(t))
	case fmt.Stringer:
		body.PutStr(k, t.String())
	default:
		body.PutStr(k, fmt.Sprint(t))
	}
}

// recordTime finds the event time of a SOQL record.
func (m *Mapping) recordTime(rec *sobject.Record) (time.Time, string) {
	var fields [3]string
	cands := m.timeFields(fields[:0])
	if len(cands) == 0 {
		return time.Time{}, "no event time field configured; used the observed time"
	}
	var bad, badVal string
	for _, name := range cands {
		v, ok := rec.Get(name)
		if !ok {
			continue
		}
		s, _ := v.(string)
		if t, ok := parseAny(s); ok {
			return t, ""
		}
		if bad == "" {
			bad, badVal = name, fmt.Sprint(v)
		}
	}
	if bad == "" && m.ObservedWhenUntimed {
		return time.Time{}, ""
	}
	return time.Time{}, timeError(cands, bad, badVal)
}

// timeFields lists the event-time fields to try, in order.
func (m *Mapping) timeFields(dst []string) []string {
	if m.TimestampField != "" {
		dst = append(dst, m.TimestampField)
	}
	for _, f := range m.TimeFallbacks {
		if f != m.TimestampField {
			dst = append(dst, f)
		}
	}
	return dst
}

func timeError(cands []string, bad, badVal string) string {
	if bad != "" {
		return fmt.Sprintf("event time field %s has unparsable value %q; used the observed time", bad, badVal)
	}
	return fmt.Sprintf("event time field %s is missing; used the observed time", strings.Join(cands, " / "))
}

// finish sets everything but the body; tsErr non-empty, or a zero ts,
// means the record is timed when observed.
func (m *Mapping) finish(b *Batch, lr plog.LogRecord, p *picks, o Origin, ts time.Time, tsErr string) Appended {
	if tsErr != "" || ts.IsZero() {
		ts = o.Observed
	}
	lr.SetEventName(m.EventName)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(o.Observed))
	if m.Warn || p.warn() {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	} else {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}
	return Appended{Time: ts, UID: m.putAttrs(b, lr, p, o, tsErr)}
}

// putAttrs writes a record's attributes and returns its uid.
func (m *Mapping) putAttrs(b *Batch, lr plog.LogRecord, p *picks, o Origin, parseErr string) string {
	var a attrSet
	a.add(semconv.AttrEventType, m.EventType)
	a.add(semconv.AttrLogFileID, o.LogFileID)
	for s := range slotAttrs {
		if v := p.val[s]; v != "" {
			if slotAttrs[s].id18 {
				v = ID18(v)
			}
			a.add(slotAttrs[s].key, v)
		}
	}
	uid := b.uid(m.Stream, o.Key)
	a.add(semconv.AttrLogRecordUID, uid)
	a.add(semconv.AttrParseError, parseErr)
	a.add(semconv.AttrPubSubTopic, o.Topic)
	a.writeTo(b, lr.Attributes())
	return uid
}

// attrSet is one record's attributes in the order they are written: the
// writer is sized from the same list it writes, so an attribute is added
// in one place.
type attrSet struct {
	n  int
	kv [maxAttrs][2]string
}

// maxAttrs: the slots' attributes, and event type, log file, uid, parse
// error and topic.
const maxAttrs = int(numAttrSlots) + 5

// add keeps k unless v is empty.
func (a *attrSet) add(k, v string) {
	if v != "" {
		a.kv[a.n] = [2]string{k, v}
		a.n++
	}
}

func (a *attrSet) writeTo(b *Batch, m pcommon.Map) {
	w := b.newKVWriter(m, a.n, true) // the keys are distinct constants
	for i := range a.n {
		w.str(a.kv[i][0], a.kv[i][1])
	}
	w.done()
}
