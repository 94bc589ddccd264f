// Package convert turns Salesforce records (SOQL JSON records and
// EventLogFile CSV rows) into OpenTelemetry log records, following the
// "One log record per source record" section of the receiver's contract.
package convert

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ScopeName is the instrumentation scope of every log record.
const ScopeName = "github.com/sfevents/salesforcereceiver"

// Event names, one per stream kind.
const (
	EventLoginHistory    = "salesforce.login_history"
	EventSetupAuditTrail = "salesforce.setup_audit_trail"
	EventEventLogFile    = "salesforce.event_log_file"
	EventObject          = "salesforce.object"
	EventPubSub          = "salesforce.pubsub_event"
)

// ELFTimeFields are the event-time columns of an EventLogFile row.
var ELFTimeFields = []string{"TIMESTAMP_DERIVED", "TIMESTAMP"}

// Attribute keys.
const (
	AttrOrgID        = "salesforce.org.id"
	AttrInstanceURL  = "salesforce.instance.url"
	AttrEventType    = "salesforce.event_type"
	AttrRecordID     = "salesforce.record.id"
	AttrLogFileID    = "salesforce.log_file.id"
	AttrParseError   = "salesforce.parse_error"
	AttrUserID       = "user.id"
	AttrUserName     = "user.name"
	AttrClientAddr   = "client.address"
	AttrUserAgent    = "user_agent.original"
	AttrURLPath      = "url.path"
	AttrSessionID    = "session.id"
	AttrLogRecordUID = "log.record.uid"
	AttrPubSubTopic  = "salesforce.pubsub.topic"
	// AttrLoginKey and AttrLoginHistoryID link the views of one login:
	// LoginEvent carries both, ELF rows the key, LoginHistory rows the id.
	AttrLoginKey       = "salesforce.login.key"
	AttrLoginHistoryID = "salesforce.login_history.id"
)

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
		attrs.PutStr(AttrOrgID, res.OrgID)
	}
	if res.InstanceURL != "" {
		attrs.PutStr(AttrInstanceURL, res.InstanceURL)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(ScopeName)
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
	return unsafe.String(&b.arena[start], uidLen)
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
	// LoginOK, when set, is the Status of a successful login: a record
	// with another Status is a failed login, WARN.
	LoginOK string
	// Warn makes every record WARN (anomaly and threat detection events).
	Warn bool
	// LoginHistory marks the LoginHistory object, whose own Id is the
	// salesforce.login_history.id other views of a login refer to.
	LoginHistory bool
}

// loginObjects are the objects whose rows are logins with a Status that is
// "Success" unless the login failed.
var loginObjects = map[string]bool{"LoginHistory": true, "LoginEvent": true}

// threatObjects are the Real-Time Event Monitoring threat detection
// events' storage objects (and the events' own names, for topics without
// a storage object): every record is WARN.
var threatObjects = map[string]bool{
	"ApiAnomalyEventStore": true, "ApiAnomalyEvent": true,
	"CredentialStuffingEventStore": true, "CredentialStuffingEvent": true,
	"ReportAnomalyEventStore": true, "ReportAnomalyEvent": true,
	"SessionHijackingEventStore": true, "SessionHijackingEvent": true,
	"GuestUserAnomalyEventStore": true, "GuestUserAnomalyEvent": true,
	"LoginAnomalyEventStore": true, "LoginAnomalyEvent": true,
}

// ForObject returns m with the severity rules of the object whose records
// it maps (a storage object, or a Pub/Sub event's name): failed logins and
// threat events are WARN whichever stream reads them.
func (m Mapping) ForObject(object string) Mapping {
	if loginObjects[object] {
		m.LoginOK = "Success"
	}
	m.LoginHistory = object == "LoginHistory"
	m.Warn = threatObjects[object]
	return m
}

var errNilArg = errors.New("convert: nil batch or record")

// Append adds one log record for a SOQL record. key is the record key used in
// log.record.uid (the Id, or EventIdentifier for big objects); observed is the
// ObservedTimestamp. It returns the event time it used: the record's own, or
// observed when that is missing or unparsable (the record then carries
// salesforce.parse_error).
func (m *Mapping) Append(b *Batch, rec *Record, key string, observed time.Time) (time.Time, error) {
	if b == nil || rec == nil {
		return time.Time{}, errNilArg
	}
	ts, tsErr := m.EventTime(rec)
	return m.AppendTimed(b, rec, key, ts, tsErr, observed), nil
}

// EventTime is the record's event time by the mapping's time fields, or
// why it has none usable (tsErr non-empty), so a caller that needs the
// time first parses it once.
func (m *Mapping) EventTime(rec *Record) (ts time.Time, tsErr string) { return m.recordTime(rec) }

// AppendTimed is Append with the event time EventTime gave; it returns the
// time the record carries (observed when tsErr is set). b and rec must not
// be nil.
func (m *Mapping) AppendTimed(b *Batch, rec *Record, key string, ts time.Time, tsErr string, observed time.Time) time.Time {
	lr := b.records.AppendEmpty()
	body := lr.Body().SetEmptyMap()
	body.EnsureCapacity(len(rec.Fields))

	var p picks
	for i := range rec.Fields {
		f := &rec.Fields[i]
		switch v := f.Value.(type) {
		case string:
			body.PutStr(f.Name, v)
			if slot, prio := classify(f.Name); slot >= 0 {
				p.offer(slot, prio, v)
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

// putOther keeps values of types DecodeRecord never produces (records built
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
func (m *Mapping) recordTime(rec *Record) (time.Time, string) {
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

	rs := p.val[slotRequestStatus]
	warn := m.Warn || (m.LoginOK != "" && p.val[slotStatus] != "" && p.val[slotStatus] != m.LoginOK) ||
		(p.val[slotLoginStatus] != "" && p.val[slotLoginStatus] != "LOGIN_NO_ERROR") ||
		rs == "F" || rs == "A" // failure, authorization error
	if warn {
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
	if m.LoginHistory {
		n++
	}
	w := b.newKVWriter(attrs, n, true) // the keys below are distinct constants
	if m.EventType != "" {
		w.str(AttrEventType, m.EventType)
	}
	if v := p.val[slotRecordID]; v != "" {
		w.str(AttrRecordID, v)
	}
	if logFileID != "" {
		w.str(AttrLogFileID, logFileID)
	}
	if v := p.val[slotUserID]; v != "" {
		w.str(AttrUserID, ID18(v))
	}
	if v := p.val[slotUserName]; v != "" {
		w.str(AttrUserName, v)
	}
	if v := p.val[slotClientAddr]; v != "" {
		w.str(AttrClientAddr, v)
	}
	if v := p.val[slotUserAgent]; v != "" {
		w.str(AttrUserAgent, v)
	}
	if v := p.val[slotURLPath]; v != "" {
		w.str(AttrURLPath, v)
	}
	if v := p.val[slotSessionID]; v != "" {
		w.str(AttrSessionID, v)
	}
	if v := p.val[slotLoginKey]; v != "" {
		w.str(AttrLoginKey, v)
	}
	if v := p.val[slotLoginHistoryID]; v != "" {
		w.str(AttrLoginHistoryID, ID18(v))
	} else if m.LoginHistory && p.val[slotRecordID] != "" {
		w.str(AttrLoginHistoryID, ID18(p.val[slotRecordID]))
	}
	w.str(AttrLogRecordUID, b.uid(m.Stream, key))
	if tsErr != "" {
		w.str(AttrParseError, tsErr)
	}
	w.done()
	return ts
}

// Attribute and severity sources. A slot collects the value of the
// highest-priority source field that is present, non-empty and acceptable.
const (
	slotRecordID int8 = iota
	slotUserID
	slotUserName
	slotClientAddr
	slotUserAgent
	slotURLPath
	slotSessionID
	slotLoginKey
	slotLoginHistoryID
	slotStatus // a login's Status (Mapping.LoginOK); severity only
	slotLoginStatus
	slotRequestStatus
	numSlots

	numAttrSlots = slotLoginHistoryID + 1 // slots that become attributes
)

// classify maps a source field name (SOQL or ELF spelling) to its slot and
// priority (0 = preferred); slot -1 means the field feeds no attribute.
func classify(name string) (slot, prio int8) {
	switch name {
	case "Id":
		return slotRecordID, 0
	case "REQUEST_ID":
		return slotRecordID, 1
	case "USER_ID_DERIVED":
		return slotUserID, 0
	case "USER_ID":
		return slotUserID, 1
	case "UserId":
		return slotUserID, 2
	case "CreatedById":
		return slotUserID, 3
	case "USER_NAME":
		return slotUserName, 0
	case "Username":
		return slotUserName, 1
	case "CreatedBy.Username":
		return slotUserName, 2
	case "CLIENT_IP":
		return slotClientAddr, 0
	case "SOURCE_IP": // ELF Login: the real address where CLIENT_IP is "Salesforce.com IP"
		return slotClientAddr, 1
	case "SourceIp":
		return slotClientAddr, 2
	case "SourceIP":
		return slotClientAddr, 3
	case "USER_AGENT":
		return slotUserAgent, 0
	case "UserAgent":
		return slotUserAgent, 1
	case "BROWSER_TYPE":
		return slotUserAgent, 2
	case "URI":
		return slotURLPath, 0
	case "Uri":
		return slotURLPath, 1
	case "URL":
		return slotURLPath, 2
	case "SESSION_KEY":
		return slotSessionID, 0
	case "SessionKey":
		return slotSessionID, 1
	case "LoginKey":
		return slotLoginKey, 0
	case "LOGIN_KEY":
		return slotLoginKey, 1
	case "LoginHistoryId":
		return slotLoginHistoryID, 0
	case "Status":
		return slotStatus, 0
	case "LOGIN_STATUS":
		return slotLoginStatus, 0
	case "REQUEST_STATUS":
		return slotRequestStatus, 0
	}
	return -1, 0
}

type picks struct {
	val  [numSlots]string
	rank [numSlots]int8 // prio+1 of the value held; 0 = none yet
}

func (p *picks) offer(slot, prio int8, v string) {
	if v == "" || (p.rank[slot] != 0 && p.rank[slot] <= prio+1) {
		return
	}
	switch slot {
	case slotClientAddr:
		// "Salesforce.com IP" and the like are not the client's address;
		// a lower-priority source may still have it (ELF SOURCE_IP).
		if !ipChars(v) {
			return
		}
		if _, err := netip.ParseAddr(v); err != nil {
			return
		}
	case slotUserAgent:
		// BROWSER_TYPE is sometimes a bare browser name; a real UA string
		// always has a product/version token.
		if prio == 2 && !strings.Contains(v, "/") {
			return
		}
	case slotURLPath:
		var ok bool
		if v, ok = urlPath(v); !ok {
			return
		}
	}
	p.val[slot] = v
	p.rank[slot] = prio + 1
}

// ipChars reports whether v, up to an IPv6 zone ("%eth0"), has only the
// characters an address can: it turns "Salesforce.com IP" away before
// netip.ParseAddr, whose error would cost an allocation (BenchmarkClientAddrCheck).
func ipChars(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':':
		case c == '%' && i > 0:
			return true
		default:
			return false
		}
	}
	return len(v) > 0
}

// urlPath keeps values that already are paths and reduces absolute URLs to
// their path; anything else (ELF sometimes logs a page name) is not a path.
func urlPath(v string) (string, bool) {
	if v[0] == '/' {
		if len(v) > 1 && v[1] == '/' { // scheme-relative //host/path
			return hostRelative(v[2:])
		}
		return v, true
	}
	i := strings.Index(v, "://")
	if i <= 0 {
		return "", false
	}
	return hostRelative(v[i+3:])
}

// hostRelative returns the path of "host[:port]/path?query#frag".
func hostRelative(v string) (string, bool) {
	end := strings.IndexAny(v, "?#")
	if end < 0 {
		end = len(v)
	}
	slash := strings.IndexByte(v[:end], '/')
	if slash < 0 {
		return "/", true
	}
	return v[slash:end], true
}
