// Package convert turns Salesforce records (SOQL JSON records and
// EventLogFile CSV rows) into OpenTelemetry log records, following the
// rules of docs/records.md, with the catalog's roles and severities.
package convert

import (
	"errors"
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

var errNilArg = errors.New("convert: nil batch or record")

// Append adds one log record for a SOQL record. key is the record key used in
// log.record.uid (the Id, or EventIdentifier for big objects); observed is the
// ObservedTimestamp. It returns the event time it used: the record's own, or
// observed when that is missing or unparsable (the record then carries
// salesforce.parse_error).
func (m *Mapping) Append(b *Batch, rec *sobject.Record, key string, observed time.Time) (time.Time, error) {
	if b == nil || rec == nil {
		return time.Time{}, errNilArg
	}
	ts, tsErr := m.EventTime(rec)
	return m.AppendTimed(b, rec, key, ts, tsErr, observed), nil
}

// EventTime is the record's event time by the mapping's time fields, or
// why it has none usable (tsErr non-empty), so a caller that needs the
// time first parses it once.
func (m *Mapping) EventTime(rec *sobject.Record) (ts time.Time, tsErr string) {
	return m.recordTime(rec)
}

// AppendTimed is Append with the event time EventTime gave; it returns the
// time the record carries (observed when tsErr is set). b and rec must not
// be nil.
func (m *Mapping) AppendTimed(b *Batch, rec *sobject.Record, key string, ts time.Time, tsErr string, observed time.Time) time.Time {
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

	return m.finish(b, lr, &p, "", key, ts, tsErr, observed)
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

// finish sets everything but the body; tsErr non-empty means ts is unusable.
func (m *Mapping) finish(b *Batch, lr plog.LogRecord, p *picks, logFileID, key string, ts time.Time, tsErr string, observed time.Time) time.Time {
	if tsErr != "" {
		ts = observed
	}
	lr.SetEventName(m.EventName)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))

	if m.Warn || p.warn() {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	} else {
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	}

	attrs := lr.Attributes()
	n := 1 // uid
	for _, v := range p.val[:numAttrSlots] {
		if v != "" {
			n++
		}
	}
	if m.EventType != "" {
		n++
	}
	if logFileID != "" {
		n++
	}
	if tsErr != "" {
		n++
	}
	w := b.newKVWriter(attrs, n, true) // the keys below are distinct constants
	if m.EventType != "" {
		w.str(semconv.AttrEventType, m.EventType)
	}
	if v := p.val[slotRecordID]; v != "" {
		w.str(semconv.AttrRecordID, v)
	}
	if logFileID != "" {
		w.str(semconv.AttrLogFileID, logFileID)
	}
	if v := p.val[slotUserID]; v != "" {
		w.str(semconv.AttrUserID, ID18(v))
	}
	if v := p.val[slotUserName]; v != "" {
		w.str(semconv.AttrUserName, v)
	}
	if v := p.val[slotClientAddr]; v != "" {
		w.str(semconv.AttrClientAddr, v)
	}
	if v := p.val[slotUserAgent]; v != "" {
		w.str(semconv.AttrUserAgent, v)
	}
	if v := p.val[slotURLPath]; v != "" {
		w.str(semconv.AttrURLPath, v)
	}
	if v := p.val[slotSessionID]; v != "" {
		w.str(semconv.AttrSessionID, v)
	}
	if v := p.val[slotLoginKey]; v != "" {
		w.str(semconv.AttrLoginKey, v)
	}
	if v := p.val[slotLoginHistoryID]; v != "" {
		w.str(semconv.AttrLoginHistoryID, ID18(v))
	}
	w.str(semconv.AttrLogRecordUID, b.uid(m.Stream, key))
	if tsErr != "" {
		w.str(semconv.AttrParseError, tsErr)
	}
	w.done()
	return ts
}
