package apicalls

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/eventlog"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

const records = 100_000

// counting is an Emit that counts records and accepts everything.
func counting[C any](n *int) stream.Emit[C] {
	return func(_ context.Context, l plog.Logs, _ C) error {
		*n += l.LogRecordCount()
		return nil
	}
}

// measure runs one first-start poll of a fresh source per op, checks it
// delivered every record, and reports its data API calls against minimum.
func measure[C any](b *testing.B, sim *simulator.Server, c *sfapi.Client, minimum int64, newSource func() stream.Source[C]) {
	ctx := context.Background()
	org, err := c.Org(ctx) // token and identity: not per poll
	if err != nil {
		b.Fatal(err)
	}
	var calls int64
	polls := 0
	for b.Loop() {
		src := newSource()
		before := sim.Calls().Total
		n := 0
		if err := src.Poll(ctx, org, src.Initial(), counting[C](&n)); err != nil {
			b.Fatal(err)
		}
		if n != records {
			b.Fatalf("delivered %d of %d", n, records)
		}
		calls += sim.Calls().Total - before
		polls++
	}
	// A poll delivers exactly `records` (100k) records, so per poll is per 100k.
	b.ReportMetric(float64(calls)/float64(polls), "calls/100k")
	b.ReportMetric(float64(minimum), "min-calls/100k")
	b.ReportMetric(float64(calls-minimum*int64(polls))/float64(polls), "extra-calls/poll")
}

// BenchmarkAPICallsLoginHistory backfills 100,000 LoginHistory rows in one
// poll (an op): the minimum is one query plus a queryMore per further page
// of 2,000.
func BenchmarkAPICallsLoginHistory(b *testing.B) {
	opts := simulator.Options{History: 72 * time.Hour, LoginHistoryRows: records, SetupAuditTrailRows: -1, DailyLimit: 1 << 40,
		NoLoginHistory: true} // the sign-in would add a row
	sim := simulator.NewTestServer(b, opts)
	c := sftest.Client(b, sim, sftest.DefaultPacing)
	measure(b, sim, c, (records+1999)/2000, func() stream.Source[soqlstream.Cursor] {
		return soqlstream.New(c, soqlstream.LoginHistory, soqlstream.Options{Backfill: 96 * time.Hour, Overlap: soqlstream.DefaultOverlap})
	})
}

// BenchmarkAPICallsEventLogFile backfills ten daily Login files of 10,000
// rows in one poll: the minimum is one listing query plus one download per
// file.
func BenchmarkAPICallsEventLogFile(b *testing.B) {
	const files, perFile = 10, records / 10
	now := time.Now().UTC()
	sim := simulator.NewTestServer(b, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, History: -1, DailyLimit: 1 << 40})
	day := now.Truncate(24 * time.Hour)
	for i := range files {
		sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: day.Add(-time.Duration(i+2) * 24 * time.Hour), GenRows: perFile})
	}
	c := sftest.Client(b, sim, sftest.DefaultPacing)
	measure(b, sim, c, 1+files, func() stream.Source[eventlog.Cursor] {
		return eventlog.New(c, eventlog.Options{Backfill: 30 * 24 * time.Hour})
	})
}
