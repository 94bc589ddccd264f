package schema

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/schema/schematest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var (
	testOrg      = convert.Resource{OrgID: "00D5g00000OrgAbEAJ", InstanceURL: "https://acme.my.salesforce.com"}
	testObserved = time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)
)

// loadEvents reads the test events (testdata/events).
func loadEvents(t testing.TB) []*schematest.File {
	t.Helper()
	files, err := schematest.Load(filepath.Join("testdata", "events"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// mapped is the events of one file as the receiver makes them, mapped to s.
func mapped(t testing.TB, s Name, events []*schematest.Event) plog.Logs {
	t.Helper()
	m, err := New(s)
	require.NoError(t, err)
	return mappedBy(t, m, events)
}

// mappedBy is events mapped by m.
func mappedBy(t testing.TB, m *Mapper, events []*schematest.Event) plog.Logs {
	t.Helper()
	logs, err := schematest.Records(events, testOrg, testObserved)
	require.NoError(t, err)
	m.Map(logs)
	return logs
}

// TestGolden maps every test event to each schema and compares the records
// with testdata/golden/<schema>/<events file>.yaml (-update rewrites them).
func TestGolden(t *testing.T) {
	files := loadEvents(t)
	for _, s := range Names() {
		for _, f := range files {
			t.Run(string(s)+"/"+f.Name, func(t *testing.T) {
				actual := mapped(t, s, f.Events)
				path := filepath.Join("testdata", "golden", string(s), f.Name+".yaml")
				if *update {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, golden.WriteLogsToFile(path, actual))
				}
				expected, err := golden.ReadLogs(path)
				require.NoError(t, err)
				require.NoError(t, plogtest.CompareLogs(expected, actual))
			})
		}
	}
}
