package convert

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/semconv"
)

// The fast path must be on: a pdata upgrade that changes the layout kv.go
// mirrors turns it off (safely, but at about 10x the allocations), and this
// says so.
func TestFastKVLayout(t *testing.T) {
	require.True(t, fastKV, "pdata's KeyValue/AnyValue layout changed: update kv.go's mirrors")
}

// Records written by the fast path are byte for byte those of the public
// API, and stay independent: a later Put on one record's body or
// attributes (a processor's) changes no other record.
func TestFastKVMatchesPublicAPI(t *testing.T) {
	convert := map[string]func(t *testing.T) plog.Logs{
		"elf": func(t *testing.T) plog.Logs {
			return convertELF(t, "elf_login.csv", "elf_login.types",
				Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file/Login", EventType: "Login"}, "0AT5g00000Elf01GAA")
		},
		"soql": func(t *testing.T) plog.Logs {
			return convertPage(t, "object_loginevent.json",
				Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}.ForObject("LoginEvent"), "EventIdentifier")
		},
	}
	marshal := func(l plog.Logs) []byte {
		b, err := (&plog.ProtoMarshaler{}).MarshalLogs(l)
		require.NoError(t, err)
		return b
	}
	for name, conv := range convert {
		t.Run(name, func(t *testing.T) {
			fast := conv(t)
			fastKV = false
			slow := conv(t)
			fastKV = checkLayout()
			require.Equal(t, marshal(slow), marshal(fast))

			lrs := fast.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			require.Greater(t, lrs.Len(), 1)
			before := plog.NewLogs()
			fast.CopyTo(before)
			first := lrs.At(0)
			first.Body().Map().PutStr("added", "x")
			first.Attributes().PutStr("added", "x")
			first.Body().Map().RemoveIf(func(k string, _ pcommon.Value) bool { return k == "EVENT_TYPE" })
			for i := 1; i < lrs.Len(); i++ {
				want := before.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(i)
				require.Equal(t, want.Body().AsRaw(), lrs.At(i).Body().AsRaw(), "record %d", i)
				require.Equal(t, want.Attributes().AsRaw(), lrs.At(i).Attributes().AsRaw(), "record %d", i)
			}
			v, ok := first.Body().Map().Get("added")
			require.True(t, ok)
			require.Equal(t, "x", v.Str())
		})
	}
}

// FuzzFastKVMatchesPublicAPI: for any header, column types and row, the
// fast path writes the same protobuf bytes as pdata's public API (repeated
// header names take the public path; the test covers both).
func FuzzFastKVMatchesPublicAPI(f *testing.F) {
	f.Add("EVENT_TYPE,TIMESTAMP,CLIENT_IP,SOURCE_IP,RUN_TIME,IS_API", "String,String,IP,IP,Number,Boolean",
		"Login,20240501123456.789,Salesforce.com IP,198.51.100.9,83.5,1")
	f.Add("A,A,B", "Number,String,Boolean", "1,x,true")
	f.Add("USER_ID,LOGIN_KEY,URI", "Id,String,String", "0055g00000Xyz12,,https://h/p?q")
	f.Fuzz(func(t *testing.T, header, types, row string) {
		names, err := csv.NewReader(strings.NewReader(header)).Read()
		if err != nil {
			return
		}
		cells, err := csv.NewReader(strings.NewReader(row)).Read()
		if err != nil || len(cells) != len(names) {
			return
		}
		conv := func() []byte {
			b := NewBatch(testResource, 1)
			if _, err := elfLogin.AppendCSV(b, (&Mapping{}).CSVHeader(names, strings.Split(types, ",")), cells, Origin{Key: "0AT1/1", Observed: testObserved, LogFileID: "0AT1"}); err != nil {
				t.Fatal(err)
			}
			out, err := (&plog.ProtoMarshaler{}).MarshalLogs(b.Logs())
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		fast := conv()
		fastKV = false
		slow := conv()
		fastKV = checkLayout()
		require.Equal(t, slow, fast)
	})
}
