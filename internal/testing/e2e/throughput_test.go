//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// TestThroughputLoginHistoryBackfill measures records per second through
// the built collector: a 100,000-row LoginHistory backfill from the
// simulator to the OTLP/HTTP sink. It prints a go-bench-format line
// (BenchmarkE2E...) that `make bench` and internal/bench/report pick up:
// records/s over the whole run from process start, and steady-records/s
// from the first record to the last (startup and login excluded).
func TestThroughputLoginHistoryBackfill(t *testing.T) {
	const rows = 100_000
	e := newEnv(t, simulator.Options{LoginHistoryRows: rows, SetupAuditTrailRows: -1, DailyLimit: 1 << 40})
	want := len(e.truth("LoginHistory"))
	require.Equal(t, rows, want)
	measureBackfill(t, e, "BenchmarkE2ELoginHistoryBackfill", want, func() {
		missing, dup := e.sink.count(e.truth("LoginHistory"))
		require.Zero(t, missing)
		require.Zero(t, dup)
	})
}

// TestThroughputEventLogFileBackfill is the same measurement for the
// EventLogFile stream: ten daily files of 10,000 rows (one per event type)
// downloaded, parsed and delivered through the built collector.
func TestThroughputEventLogFileBackfill(t *testing.T) {
	const perFile = 10_000
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, DailyLimit: 1 << 40},
		envConfig{EventLogFile: elfDaily})
	files := seedELF(e, perFile)
	want := len(e.wantELF(files))
	require.Equal(t, want, perFile*len(files))
	measureBackfill(t, e, "BenchmarkE2EEventLogFileBackfill", want, func() {
		requireClean(t, e.waitTally(10*time.Second, func() map[string]string { return e.wantELF(files) }))
	})
}

// measureBackfill starts the collector, waits for want records, runs check
// and prints the benchmark line.
func measureBackfill(t *testing.T, e *env, bench string, want int, check func()) {
	t.Helper()
	began := time.Now()
	e.start()
	var first time.Time
	deadline := began.Add(5 * time.Minute)
	for {
		n := e.sink.total()
		if n > 0 && first.IsZero() {
			first = time.Now()
		}
		if n >= want {
			break
		}
		require.True(t, time.Now().Before(deadline), "only %d of %d records arrived", n, want)
		time.Sleep(20 * time.Millisecond)
	}
	end := time.Now()
	check()
	calls := e.sim.Calls()

	total, steady := end.Sub(began), end.Sub(first)
	// stdout, not t.Log: the line must start with "Benchmark" for benchstat.
	fmt.Fprintf(os.Stdout, "%s \t1\t%d ns/op\t%.0f records/s\t%.0f steady-records/s\t%d api-calls\n",
		bench, total.Nanoseconds(), float64(want)/total.Seconds(), float64(want)/steady.Seconds(), calls.Total)
}
