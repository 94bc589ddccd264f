package convert

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

var elfLogin = Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file/Login", EventType: "Login"}

// appendFields runs Append on a hand-built record and returns the log record.
func appendFields(t *testing.T, m Mapping, fields ...sobject.Field) plog.LogRecord {
	t.Helper()
	b := NewBatch(testResource, 1)
	m.Append(b, &sobject.Record{Fields: fields}, Origin{Key: "k", Observed: testObserved})
	return b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}

func appendRow(t *testing.T, m Mapping, names, types, row []string) plog.LogRecord {
	t.Helper()
	b := NewBatch(testResource, 1)
	_, err := m.AppendCSV(b, (&Mapping{}).CSVHeader(names, types), row, Origin{Key: "0AT1/1", Observed: testObserved, LogFileID: "0AT1"})
	require.NoError(t, err)
	return b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}

func attr(lr plog.LogRecord, k string) (string, bool) {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return "", false
	}
	return v.Str(), true
}

func TestAttributeRules(t *testing.T) {
	obj := Mapping{EventName: semconv.EventObject, Stream: "object/X", TimestampField: "T"}
	tests := []struct {
		name   string
		fields []sobject.Field
		key    string
		want   string // "" = attribute absent
	}{
		{"record id", []sobject.Field{{Name: "Id", Value: "0Ya1"}}, semconv.AttrRecordID, "0Ya1"},
		{"record id from REQUEST_ID", []sobject.Field{{Name: "REQUEST_ID", Value: "4ex"}}, semconv.AttrRecordID, "4ex"},
		{"Id wins over REQUEST_ID", []sobject.Field{{Name: "REQUEST_ID", Value: "4ex"}, {Name: "Id", Value: "0Ya1"}}, semconv.AttrRecordID, "0Ya1"},
		{"user id made 18", []sobject.Field{{Name: "UserId", Value: "001A0000006Vm9r"}}, semconv.AttrUserID, "001A0000006Vm9rIAC"},
		{"USER_ID_DERIVED first", []sobject.Field{{Name: "USER_ID", Value: "003A0000005QB3A"}, {Name: "USER_ID_DERIVED", Value: "001A0000006Vm9rIAC"}}, semconv.AttrUserID, "001A0000006Vm9rIAC"},
		{"empty candidate skipped", []sobject.Field{{Name: "USER_ID_DERIVED", Value: ""}, {Name: "USER_ID", Value: "003A0000005QB3A"}}, semconv.AttrUserID, "003A0000005QB3AIAW"},
		{"CreatedById last", []sobject.Field{{Name: "CreatedById", Value: "003A0000005QB3A"}}, semconv.AttrUserID, "003A0000005QB3AIAW"},
		{"user name", []sobject.Field{{Name: "Username", Value: "a@b"}}, semconv.AttrUserName, "a@b"},
		{"user name from relationship", []sobject.Field{{Name: "CreatedBy.Username", Value: "c@d"}}, semconv.AttrUserName, "c@d"},
		{"USER_NAME first", []sobject.Field{{Name: "CreatedBy.Username", Value: "c@d"}, {Name: "USER_NAME", Value: "e@f"}}, semconv.AttrUserName, "e@f"},
		{"client address", []sobject.Field{{Name: "SourceIp", Value: "192.0.2.1"}}, semconv.AttrClientAddr, "192.0.2.1"},
		{"Salesforce.com IP skipped", []sobject.Field{{Name: "SourceIp", Value: "Salesforce.com IP"}}, semconv.AttrClientAddr, ""},
		{"Salesforce.com IP falls through", []sobject.Field{{Name: "CLIENT_IP", Value: "Salesforce.com IP"}, {Name: "SourceIP", Value: "192.0.2.2"}}, semconv.AttrClientAddr, "192.0.2.2"},
		{"ELF SOURCE_IP behind Salesforce.com IP", []sobject.Field{{Name: "CLIENT_IP", Value: "Salesforce.com IP"}, {Name: "SOURCE_IP", Value: "198.51.100.9"}}, semconv.AttrClientAddr, "198.51.100.9"},
		{"ELF SOURCE_IP when CLIENT_IP empty", []sobject.Field{{Name: "CLIENT_IP", Value: ""}, {Name: "SOURCE_IP", Value: "2001:db8::1"}}, semconv.AttrClientAddr, "2001:db8::1"},
		{"ELF CLIENT_IP over SOURCE_IP", []sobject.Field{{Name: "SOURCE_IP", Value: "198.51.100.9"}, {Name: "CLIENT_IP", Value: "192.0.2.7"}}, semconv.AttrClientAddr, "192.0.2.7"},
		{"no real address anywhere", []sobject.Field{{Name: "CLIENT_IP", Value: "Salesforce.com IP"}, {Name: "SOURCE_IP", Value: "Unknown"}}, semconv.AttrClientAddr, ""},
		{"login key", []sobject.Field{{Name: "LoginKey", Value: "lk1"}}, semconv.AttrLoginKey, "lk1"},
		{"ELF LOGIN_KEY", []sobject.Field{{Name: "LOGIN_KEY", Value: "LK2"}}, semconv.AttrLoginKey, "LK2"},
		{"login history id made 18", []sobject.Field{{Name: "LoginHistoryId", Value: "0Ya5g00000AbCdE"}}, semconv.AttrLoginHistoryID, "0Ya5g00000AbCdECAV"},
		{"Id is no login history id outside LoginHistory", []sobject.Field{{Name: "Id", Value: "0Ya5g00000AbCdE"}}, semconv.AttrLoginHistoryID, ""},
		{"user agent", []sobject.Field{{Name: "UserAgent", Value: "curl/8.0"}}, semconv.AttrUserAgent, "curl/8.0"},
		{"BROWSER_TYPE only if UA-like", []sobject.Field{{Name: "BROWSER_TYPE", Value: "Chrome"}}, semconv.AttrUserAgent, ""},
		{"BROWSER_TYPE UA", []sobject.Field{{Name: "BROWSER_TYPE", Value: "Mozilla/5.0 x"}}, semconv.AttrUserAgent, "Mozilla/5.0 x"},
		{"USER_AGENT over BROWSER_TYPE", []sobject.Field{{Name: "BROWSER_TYPE", Value: "Mozilla/5.0 x"}, {Name: "USER_AGENT", Value: "Foo/1.0"}}, semconv.AttrUserAgent, "Foo/1.0"},
		// RestApi's USER_AGENT is a number, a client-type code, in the
		// EventLogFile reference: not a user agent.
		{"placeholder Id", []sobject.Field{{Name: "Id", Value: "000000000000000AAA"}}, semconv.AttrRecordID, ""},
		{"numeric USER_AGENT", []sobject.Field{{Name: "USER_AGENT", Value: "9999"}}, semconv.AttrUserAgent, ""},
		{"Event Log Object user and client", []sobject.Field{{Name: "UserIdentifier", Value: "005000000000001"}, {Name: "ClientIp", Value: "192.0.2.9"}},
			semconv.AttrClientAddr, "192.0.2.9"},
		{"ClientIp Salesforce.com IP", []sobject.Field{{Name: "ClientIp", Value: "Salesforce.com IP"}}, semconv.AttrClientAddr, ""},
		{"PageUrl path", []sobject.Field{{Name: "PageUrl", Value: "https://acme.lightning.force.com/lightning/r/Account/001/view"}},
			semconv.AttrURLPath, "/lightning/r/Account/001/view"},
		{"url path as-is", []sobject.Field{{Name: "URI", Value: "/apex/Page?id=1"}}, semconv.AttrURLPath, "/apex/Page?id=1"},
		{"full url reduced to path", []sobject.Field{{Name: "URL", Value: "https://acme.my.salesforce.com/lightning/r/Account?x=1#f"}}, semconv.AttrURLPath, "/lightning/r/Account"},
		{"full url without path", []sobject.Field{{Name: "Uri", Value: "https://acme.my.salesforce.com"}}, semconv.AttrURLPath, "/"},
		{"not a path", []sobject.Field{{Name: "URI", Value: "TOOLING_API"}}, semconv.AttrURLPath, ""},
		{"session id", []sobject.Field{{Name: "SessionKey", Value: "sk"}}, semconv.AttrSessionID, "sk"},
		{"SESSION_KEY first", []sobject.Field{{Name: "SessionKey", Value: "sk"}, {Name: "SESSION_KEY", Value: "SK"}}, semconv.AttrSessionID, "SK"},
		{"non-string ignored", []sobject.Field{{Name: "Id", Value: int64(5)}}, semconv.AttrRecordID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := appendFields(t, obj, append(tt.fields, sobject.Field{Name: "T", Value: "2024-05-01T00:00:00Z"})...)
			got, ok := attr(lr, tt.key)
			if tt.want == "" {
				assert.False(t, ok, "unexpected %s=%q", tt.key, got)
				return
			}
			assert.Equal(t, tt.want, got)
			uid, ok := attr(lr, semconv.AttrLogRecordUID)
			assert.True(t, ok)
			assert.Equal(t, RecordUID(testResource.OrgID, "object/X", "k"), uid)
		})
	}
}

func TestEventTypeAndLogFileID(t *testing.T) {
	lr := appendFields(t, Mapping{EventName: semconv.EventObject, Stream: "s", EventType: "LoginEvent", TimestampField: "T"})
	v, _ := attr(lr, semconv.AttrEventType)
	assert.Equal(t, "LoginEvent", v)
	_, ok := attr(lr, semconv.AttrLogFileID)
	assert.False(t, ok, "no log file id outside CSV")

	lr = appendFields(t, Mapping{EventName: semconv.EventLoginHistory, Stream: "s", TimestampField: "T"}.ForObject("LoginHistory"))
	_, ok = attr(lr, semconv.AttrEventType)
	assert.False(t, ok)

	lr = appendRow(t, elfLogin, []string{"TIMESTAMP"}, nil, []string{"20240501000000"})
	v, _ = attr(lr, semconv.AttrLogFileID)
	assert.Equal(t, "0AT1", v)
	v, _ = attr(lr, semconv.AttrEventType)
	assert.Equal(t, "Login", v)
	assert.Equal(t, semconv.EventEventLogFile, lr.EventName())
}

// An event type's rows follow its catalog entry: RestApi's USER_AGENT is a
// numeric client code, never a user agent, whatever it holds; where the
// column is a user agent, or the type is not listed, it is one.
func TestEventTypeRoles(t *testing.T) {
	names := []string{"EVENT_TYPE", "TIMESTAMP", "USER_AGENT", "CLIENT_IP"}
	for _, tt := range []struct {
		eventType string
		wantUA    bool
	}{{"RestApi", false}, {"LightningPageView", true}, {"SomeFutureType", true}} {
		t.Run(tt.eventType, func(t *testing.T) {
			m := Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file"}.ForEventType(tt.eventType)
			b := NewBatch(testResource, 1)
			_, err := m.AppendCSV(b, m.CSVHeader(names, nil), []string{tt.eventType, "20240501000000.000", "sfdc/1.0", "192.0.2.1"},
				Origin{Key: "0AT1/1", Observed: testObserved, LogFileID: "0AT1"})
			require.NoError(t, err)
			lr := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			ua, ok := attr(lr, semconv.AttrUserAgent)
			assert.Equal(t, tt.wantUA, ok, "user_agent.original %q", ua)
			v, _ := attr(lr, semconv.AttrEventType)
			assert.Equal(t, tt.eventType, v)
			addr, _ := attr(lr, semconv.AttrClientAddr)
			assert.Equal(t, "192.0.2.1", addr, "the shared roles still apply")
		})
	}
}

func TestSeverity(t *testing.T) {
	lh := Mapping{EventName: semconv.EventLoginHistory, Stream: "login_history", TimestampField: "LoginTime"}.ForObject("LoginHistory")
	obj := Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", TimestampField: "EventDate"}
	tests := []struct {
		name   string
		m      Mapping
		fields []sobject.Field
		warn   bool
	}{
		{"login success", lh, []sobject.Field{{Name: "Status", Value: "Success"}}, false},
		{"login failure", lh, []sobject.Field{{Name: "Status", Value: "Invalid Password"}}, true},
		{"no status", lh, nil, false},
		{"Status of another object", obj, []sobject.Field{{Name: "Status", Value: "Failed"}}, false},
		{"LoginEvent success", obj.ForObject("LoginEvent"), []sobject.Field{{Name: "Status", Value: "Success"}}, false},
		{"LoginEvent failure", obj.ForObject("LoginEvent"), []sobject.Field{{Name: "Status", Value: "Failed"}}, true},
		{"LoginHistory by ForObject", Mapping{EventName: semconv.EventLoginHistory}.ForObject("LoginHistory"), []sobject.Field{{Name: "Status", Value: "Invalid Password"}}, true},
		{"threat event store", obj.ForObject("ApiAnomalyEventStore"), nil, true},
		{"threat event stream", obj.ForObject("SessionHijackingEvent"), nil, true},
		{"other event", obj.ForObject("LoginAsEvent"), []sobject.Field{{Name: "Status", Value: "Failed"}}, false},
		{"LOGIN_STATUS ok", elfLogin, []sobject.Field{{Name: "LOGIN_STATUS", Value: "LOGIN_NO_ERROR"}}, false},
		{"LOGIN_STATUS error", elfLogin, []sobject.Field{{Name: "LOGIN_STATUS", Value: "LOGIN_ERROR_INVALID_PASSWORD"}}, true},
		{"LOGIN_STATUS empty", elfLogin, []sobject.Field{{Name: "LOGIN_STATUS", Value: ""}}, false},
		{"REQUEST_STATUS success", elfLogin, []sobject.Field{{Name: "REQUEST_STATUS", Value: "S"}}, false},
		{"REQUEST_STATUS failed", elfLogin, []sobject.Field{{Name: "REQUEST_STATUS", Value: "F"}}, true},
		{"REQUEST_STATUS authorization error", elfLogin, []sobject.Field{{Name: "REQUEST_STATUS", Value: "A"}}, true},
		{"REQUEST_STATUS undefined", elfLogin, []sobject.Field{{Name: "REQUEST_STATUS", Value: "U"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := appendFields(t, tt.m, tt.fields...)
			want, text := plog.SeverityNumberInfo, "INFO"
			if tt.warn {
				want, text = plog.SeverityNumberWarn, "WARN"
			}
			assert.Equal(t, want, lr.SeverityNumber())
			assert.Equal(t, text, lr.SeverityText())

			// The same rule holds for CSV rows with the same columns.
			if tt.m.EventName == semconv.EventEventLogFile && len(tt.fields) == 1 {
				row := appendRow(t, tt.m, []string{tt.fields[0].Name}, nil, []string{tt.fields[0].Value.(string)})
				assert.Equal(t, want, row.SeverityNumber())
			}
		})
	}
}

func TestTimestamps(t *testing.T) {
	lh := Mapping{EventName: semconv.EventLoginHistory, Stream: "lh", TimestampField: "LoginTime"}.ForObject("LoginHistory")
	lr := appendFields(t, lh, sobject.Field{Name: "LoginTime", Value: "2024-05-01T12:34:56.000+0000"})
	assert.Equal(t, time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC), lr.Timestamp().AsTime())
	assert.Equal(t, testObserved, lr.ObservedTimestamp().AsTime())
	_, ok := attr(lr, semconv.AttrParseError)
	assert.False(t, ok)

	for _, fields := range [][]sobject.Field{nil, {{Name: "LoginTime", Value: "garbage"}}, {{Name: "LoginTime", Value: int64(5)}}} {
		b := NewBatch(testResource, 1)
		used := lh.Append(b, &sobject.Record{Fields: fields}, Origin{Key: "k", Observed: testObserved})
		assert.Equal(t, testObserved, used.Time)
		lr := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		assert.Equal(t, testObserved, lr.Timestamp().AsTime())
		msg, ok := attr(lr, semconv.AttrParseError)
		assert.True(t, ok)
		assert.Contains(t, msg, "LoginTime")
	}

	// ELF: TIMESTAMP_DERIVED wins, TIMESTAMP is the fallback.
	names := []string{"TIMESTAMP", "TIMESTAMP_DERIVED"}
	lr = appendRow(t, elfLogin, names, nil, []string{"20240501000000", "2024-05-01T00:00:01.500Z"})
	assert.Equal(t, time.Date(2024, 5, 1, 0, 0, 1, 500_000_000, time.UTC), lr.Timestamp().AsTime())
	lr = appendRow(t, elfLogin, names, nil, []string{"20240501000000.250", ""})
	assert.Equal(t, time.Date(2024, 5, 1, 0, 0, 0, 250_000_000, time.UTC), lr.Timestamp().AsTime())
	lr = appendRow(t, elfLogin, names, nil, []string{"", ""})
	assert.Equal(t, testObserved, lr.Timestamp().AsTime())
	msg, _ := attr(lr, semconv.AttrParseError)
	assert.Contains(t, msg, "missing")
}

// A Pub/Sub event is timed by EventDate, else CreatedDate, else when
// received: only an unparsable time is a parse_error. The topic and the
// uid come out of the one Append.
func TestEventsTimedWhenReceived(t *testing.T) {
	m := Mapping{EventName: semconv.EventPubSub, Stream: "object/LoginEvent", TimestampField: "EventDate",
		TimeFallbacks: []string{"CreatedDate"}, ObservedWhenUntimed: true}
	tests := []struct {
		name     string
		fields   []sobject.Field
		want     time.Time
		parseErr string // "" = none
	}{
		{"EventDate", []sobject.Field{{Name: "EventDate", Value: "2024-05-01T12:00:00.000Z"}}, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), ""},
		{"CreatedDate", []sobject.Field{{Name: "CreatedDate", Value: "2024-05-01T13:00:00.000Z"}}, time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC), ""},
		{"neither: when received", []sobject.Field{{Name: "Other", Value: "x"}}, testObserved, ""},
		{"unparsable", []sobject.Field{{Name: "EventDate", Value: "soon"}}, testObserved, "unparsable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBatch(testResource, 1)
			got := m.Append(b, &sobject.Record{Fields: tc.fields}, Origin{Key: "k1", Observed: testObserved, Topic: "/event/LoginEventStream"})
			lr := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			assert.Equal(t, tc.want, got.Time)
			assert.Equal(t, tc.want, lr.Timestamp().AsTime())
			msg, ok := attr(lr, semconv.AttrParseError)
			assert.Equal(t, tc.parseErr != "", ok)
			assert.Contains(t, msg, tc.parseErr)
			topic, _ := attr(lr, semconv.AttrPubSubTopic)
			assert.Equal(t, "/event/LoginEventStream", topic)
			uid, _ := attr(lr, semconv.AttrLogRecordUID)
			assert.Equal(t, RecordUID(testResource.OrgID, m.Stream, "k1"), uid)
			assert.Equal(t, uid, got.UID)
		})
	}
}

func TestCSVTyping(t *testing.T) {
	names := []string{"N1", "N2", "N3", "N4", "B1", "B2", "B3", "B4", "S", "D", "Empty", "Extra"}
	types := []string{"Number", "Number", "Number", "number", "Boolean", "Boolean", "Boolean", "Boolean", "EscapedString", "DateTime", "Number"}
	row := []string{"42", "-1.5", "n/a", "1e3", "true", "0", "FALSE", "maybe", "x", "2024-05-01T00:00:00Z", "", "7"}
	lr := appendRow(t, elfLogin, names, types, row)
	want := map[string]any{
		"N1": int64(42), "N2": -1.5, "N3": "n/a", "N4": 1000.0,
		"B1": true, "B2": false, "B3": false, "B4": "maybe",
		"S": "x", "D": "2024-05-01T00:00:00Z", "Extra": "7", // type missing: String
	}
	assert.Equal(t, want, lr.Body().Map().AsRaw())
	// Header names are used as keys in column order.
	var keys []string
	lr.Body().Map().Range(func(k string, _ pcommon.Value) bool { keys = append(keys, k); return true })
	assert.Equal(t, []string{"N1", "N2", "N3", "N4", "B1", "B2", "B3", "B4", "S", "D", "Extra"}, keys)
}

func TestAppendCSVColumnCount(t *testing.T) {
	b := NewBatch(testResource, 1)
	_, err := elfLogin.AppendCSV(b, (&Mapping{}).CSVHeader([]string{"A", "B"}, nil), []string{"1"}, Origin{Key: "f/1", Observed: testObserved, LogFileID: "f"})
	require.ErrorIs(t, err, ErrColumnCount)
	assert.Equal(t, 0, b.Len())
}

func TestAppendRaw(t *testing.T) {
	b := NewBatch(testResource, 1)
	elfLogin.AppendRaw(b, `"Login","2024`, "bare quote", Origin{Key: "0AT1/9", Observed: testObserved, LogFileID: "0AT1"})
	require.Equal(t, 1, b.Len())
	lr := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, `"Login","2024`, lr.Body().Str())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, semconv.EventEventLogFile, lr.EventName())
	msg, _ := attr(lr, semconv.AttrParseError)
	assert.Equal(t, "bare quote", msg)
	uid, _ := attr(lr, semconv.AttrLogRecordUID)
	assert.Equal(t, RecordUID(testResource.OrgID, elfLogin.Stream, "0AT1/9"), uid)
}

func TestBatch(t *testing.T) {
	b := NewBatch(testResource, 4)
	assert.Equal(t, 0, b.Len())
	rl := b.Logs().ResourceLogs()
	require.Equal(t, 1, rl.Len())
	assert.Equal(t, map[string]any{semconv.AttrOrgID: testResource.OrgID, semconv.AttrInstanceURL: testResource.InstanceURL},
		rl.At(0).Resource().Attributes().AsRaw())
	assert.Equal(t, metadata.ScopeName, rl.At(0).ScopeLogs().At(0).Scope().Name())
}

// loginRow is a 28-column ELF Login row as Salesforce writes it: a few
// columns are typically empty.
var (
	loginNames = []string{"EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "RUN_TIME", "CPU_TIME", "URI",
		"SESSION_KEY", "LOGIN_KEY", "USER_TYPE", "REQUEST_STATUS", "DB_TOTAL_TIME", "LOGIN_TYPE", "BROWSER_TYPE", "API_TYPE",
		"API_VERSION", "USER_NAME", "TLS_PROTOCOL", "CIPHER_SUITE", "AUTHENTICATION_METHOD_REFERENCE", "LOGIN_SUB_TYPE",
		"TIMESTAMP_DERIVED", "USER_ID_DERIVED", "CLIENT_IP", "URI_ID_DERIVED", "LOGIN_STATUS", "SOURCE_IP"}
	loginTypes = []string{"String", "String", "String", "Id", "Id", "Number", "Number", "String", "String", "String", "String",
		"String", "Number", "String", "String", "String", "String", "String", "String", "String", "String", "String",
		"DateTime", "Id", "IP", "Id", "String", "IP"}
	loginRow = []string{"Login", "20240501123456.789", "4exLFFQZ1234567890", "00D5g00000OrgAb", "0055g00000Xyz12", "83", "41",
		"/index.jsp", "", "Zh1pDqYT0XbHhR4C", "Standard", "S", "52873925", "Application",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"", "", "jdoe@example.com", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "", "", "2024-05-01T12:34:56.789Z",
		"0055g00000Xyz12AAA", "203.0.113.7", "", "LOGIN_NO_ERROR", "203.0.113.7"}
)

const batchSize = 1000

func BenchmarkAppendCSV(b *testing.B) {
	h := (&Mapping{}).CSVHeader(loginNames, loginTypes)
	keys := make([]string, batchSize)
	for i := range keys {
		keys[i] = "0AT5g00000Elf01GAA/" + strconv.Itoa(i)
	}
	batch := NewBatch(testResource, batchSize)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if batch.Len() == batchSize {
			batch = NewBatch(testResource, batchSize)
		}
		if _, err := elfLogin.AppendCSV(batch, h, loginRow, Origin{Key: keys[i%batchSize], Observed: testObserved, LogFileID: "0AT5g00000Elf01GAA"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendCSVAllCells is the worst case: every one of the 28 cells set.
func BenchmarkAppendCSVAllCells(b *testing.B) {
	h := (&Mapping{}).CSVHeader(loginNames, loginTypes)
	row := append([]string(nil), loginRow...)
	for i, v := range row {
		if v == "" {
			row[i] = "x"
		}
	}
	batch := NewBatch(testResource, batchSize)
	b.ReportAllocs()
	for b.Loop() {
		if batch.Len() == batchSize {
			batch = NewBatch(testResource, batchSize)
		}
		if _, err := elfLogin.AppendCSV(batch, h, row, Origin{Key: "0AT5g00000Elf01GAA/1", Observed: testObserved, LogFileID: "0AT5g00000Elf01GAA"}); err != nil {
			b.Fatal(err)
		}
	}
}

var loginEventJSON = []byte(`{"attributes":{"type":"LoginEvent","url":"/services/data/v66.0/sobjects/LoginEvent/000000000000000AAA"},"EventIdentifier":"6a8f2c2e-1c55-4e7f-9a0b-1d2e3f4a5b6c","EventDate":"2024-05-03T10:00:01.123Z","UserId":"0055g00000Xyz12AAA","Username":"jdoe@example.com","SourceIp":"192.0.2.10","Browser":"Firefox 125","Platform":"Linux","Status":"Success","LoginType":"Application","LoginUrl":"login.salesforce.com","SessionKey":"vMASKu8PqTeDbhR7","CountryIso":"FR","Latitude":48.8566,"Longitude":2.3522,"EvaluationTime":0,"LoginLatitude":null,"PolicyOutcome":"NoAction","Application":"Browser","CipherSuite":"ECDHE-RSA-AES256-GCM-SHA384","TlsProtocol":"TLS 1.2","HttpMethod":"POST","LoginKey":"a1b2c3d4e5f6","UserType":"Standard","Id":"000000000000000AAA"}`)

// BenchmarkAppend measures sobject.DecodeRecord + Append of one LoginEvent record.
func BenchmarkAppend(b *testing.B) {
	m := Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}
	var rec sobject.Record
	batch := NewBatch(testResource, batchSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(loginEventJSON)))
	for b.Loop() {
		if batch.Len() == batchSize {
			batch = NewBatch(testResource, batchSize)
		}
		if err := sobject.DecodeRecord(loginEventJSON, &rec); err != nil {
			b.Fatal(err)
		}
		m.Append(batch, &rec, Origin{Key: rec.String("EventIdentifier"), Observed: testObserved})
	}
}

// BenchmarkStdlibCSVBaseline is the reference for the CSV path: a plain
// encoding/csv read of the same row, one row per op from a long stream.
func BenchmarkStdlibCSVBaseline(b *testing.B) {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	for range batchSize {
		_ = w.Write(loginRow)
	}
	w.Flush()
	data := sb.String()
	rd := strings.NewReader(data)
	r := csv.NewReader(rd)
	b.ReportAllocs()
	b.SetBytes(int64(len(data) / batchSize))
	for b.Loop() {
		if _, err := r.Read(); err != nil {
			rd.Reset(data)
			r = csv.NewReader(rd)
		}
	}
}

// LoginHistory rows carry their own Id as the link other views of the
// login (LoginEvent.LoginHistoryId) refer to.
func TestLoginHistoryLink(t *testing.T) {
	lh := Mapping{EventName: semconv.EventLoginHistory, Stream: "login_history", TimestampField: "T"}.ForObject("LoginHistory")
	lr := appendFields(t, lh, sobject.Field{Name: "Id", Value: "0Ya5g00000AbCdE"}, sobject.Field{Name: "T", Value: "2024-05-01T00:00:00Z"})
	got, _ := attr(lr, semconv.AttrLoginHistoryID)
	assert.Equal(t, "0Ya5g00000AbCdECAV", got)
	ev := appendFields(t, Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", TimestampField: "T"}.ForObject("LoginEvent"),
		sobject.Field{Name: "LoginHistoryId", Value: "0Ya5g00000AbCdECAV"}, sobject.Field{Name: "T", Value: "2024-05-01T00:00:00Z"})
	link, _ := attr(ev, semconv.AttrLoginHistoryID)
	assert.Equal(t, got, link, "a backend joins the two on this attribute")
}
