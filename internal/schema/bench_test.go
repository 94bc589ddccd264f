package schema

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/bench/inputs"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
)

// loginBatch is n EventLogFile Login rows as the receiver's converter makes
// them (the black box's rows).
func loginBatch(tb testing.TB, n int) plog.Logs {
	tb.Helper()
	m := convert.Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file", EventType: "Login",
		TimeFallbacks: convert.ELFTimeFields}
	h := m.CSVHeader(inputs.LoginNames, inputs.LoginTypes)
	b := convert.NewBatch(testOrg, n)
	for i, row := range inputs.LoginRows(n) {
		_, err := m.AppendCSV(b, h, row, convert.Origin{Key: fmt.Sprint(i), Observed: testObserved, LogFileID: "0AT5g00000Elf01"})
		require.NoError(tb, err)
	}
	return b.Logs()
}

// BenchmarkMap is the mapping's own cost per record, on batches of 500
// EventLogFile Login rows (the receiver's batch size), fresh each time.
func BenchmarkMap(b *testing.B) {
	const rows = 500
	for _, s := range Names() {
		b.Run(string(s), func(b *testing.B) {
			m, err := New(s)
			require.NoError(b, err)
			src := loginBatch(b, rows)
			batch := plog.NewLogs()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				src.CopyTo(batch)
				b.StartTimer()
				m.Map(batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/record")
		})
	}
}
