package convert

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

var update = flag.Bool("update", false, "rewrite the expected golden files in testdata")

var (
	testObserved = time.Date(2024, 5, 4, 0, 0, 0, 0, time.UTC)
	testResource = Resource{OrgID: "00D5g00000OrgAbEAC", InstanceURL: "https://acme.my.salesforce.com"}
)

// pageRecords splits a SOQL query response page into its raw records.
func pageRecords(t testing.TB, file string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	require.NoError(t, json.Unmarshal(data, &page))
	out := make([][]byte, len(page.Records))
	for i, r := range page.Records {
		out[i] = r
	}
	return out
}

func convertPage(t *testing.T, file string, m Mapping, keyField string) plog.Logs {
	t.Helper()
	raws := pageRecords(t, file)
	b := NewBatch(testResource, len(raws))
	var rec sobject.Record
	for _, raw := range raws {
		require.NoError(t, sobject.DecodeRecord(raw, &rec))
		m.Append(b, &rec, Origin{Key: rec.String(keyField), Observed: testObserved})
	}
	require.Equal(t, len(raws), b.Len())
	return b.Logs()
}

// convertELF converts an EventLogFile CSV the way the stream reader will:
// header first, then row by row, unparsable rows delivered raw.
func convertELF(t *testing.T, csvFile, typesFile string, m Mapping, logFileID string) plog.Logs {
	t.Helper()
	typesData, err := os.ReadFile(filepath.Join("testdata", typesFile))
	require.NoError(t, err)
	types := strings.Split(strings.TrimSpace(string(typesData)), ",")

	f, err := os.Open(filepath.Join("testdata", csvFile))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan())
	names, err := csv.NewReader(strings.NewReader(sc.Text())).Read()
	require.NoError(t, err)
	h := (&Mapping{}).CSVHeader(names, types)

	b := NewBatch(testResource, 8)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		key := fmt.Sprintf("%s/%d", logFileID, n)
		row, err := csv.NewReader(strings.NewReader(line)).Read()
		if err == nil {
			_, err = m.AppendCSV(b, h, row, Origin{Key: key, Observed: testObserved, LogFileID: logFileID})
		}
		if err != nil {
			m.AppendRaw(b, line, err.Error(), Origin{Key: key, Observed: testObserved, LogFileID: logFileID})
		}
	}
	require.NoError(t, sc.Err())
	return b.Logs()
}

func checkGolden(t *testing.T, name string, actual plog.Logs) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		// WriteLogsToFile rather than WriteLogs: the latter marks the test failed.
		require.NoError(t, golden.WriteLogsToFile(path, actual))
		t.Logf("updated %s", path)
	}
	expected, err := golden.ReadLogs(path)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(expected, actual))
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		logs func(t *testing.T) plog.Logs
	}{
		{"login_history_expected.yaml", func(t *testing.T) plog.Logs {
			return convertPage(t, "login_history.json",
				Mapping{EventName: semconv.EventLoginHistory, Stream: "login_history", TimestampField: "LoginTime"}.ForObject("LoginHistory"), "Id")
		}},
		{"setup_audit_trail_expected.yaml", func(t *testing.T) plog.Logs {
			return convertPage(t, "setup_audit_trail.json",
				Mapping{EventName: semconv.EventSetupAuditTrail, Stream: "setup_audit_trail", TimestampField: "CreatedDate"}, "Id")
		}},
		{"object_loginevent_expected.yaml", func(t *testing.T) plog.Logs {
			return convertPage(t, "object_loginevent.json",
				Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}.ForObject("LoginEvent"), "EventIdentifier")
		}},
		{"elf_login_expected.yaml", func(t *testing.T) plog.Logs {
			return convertELF(t, "elf_login.csv", "elf_login.types",
				Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file/Login", EventType: "Login"}, "0AT5g00000Elf01GAA")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.logs(t))
		})
	}
}
