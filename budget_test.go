package salesforcereceiver

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap/zapcore"

	"github.com/sfevents/salesforcereceiver/internal/budget"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// With 1,000 calls a day, 880 used and other applications spending at the
// same time, every stream polling at once: no stream call is made while 100
// or fewer remain; when the org's usage drops, collection resumes and
// completes with nothing lost. The org answers with each header form:
// the plain one, the one Salesforce documents with a connected app's
// quota ("; " between the parts), and none at all (a proxy dropped it:
// /limits is the only reading).
func TestBudgetKeepsTheReserveAndCatchesUp(t *testing.T) {
	tests := []struct {
		name string
		opts func(*simulator.Options)
	}{
		{"api-usage", func(*simulator.Options) {}},
		{"api-usage; per-app-api-usage", func(o *simulator.Options) { o.AppQuota = 1_000_000 }},
		{"no header", func(o *simulator.Options) { o.NoLimitHeader = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const probe = 300 * time.Millisecond
			opts := simulator.Options{
				OrgID: "00D5g0000BudgetAQE", DailyLimit: 1000, SameTimestampRuns: true,
				LoginHistoryRows: 400, SetupAuditTrailRows: 100,
			}
			tc.opts(&opts)
			sim := simulator.NewTestServer(t, opts)
			sim.SetUsage(880)
			cfg := simConfig(sim)
			cfg.APIBudget.ProbeInterval = probe

			// Other applications: a call every 25ms while the test runs.
			others, stopOthers := context.WithCancel(context.Background())
			var othersDone sync.WaitGroup
			othersDone.Go(func() {
				for {
					select {
					case <-others.Done():
						return
					case <-time.After(25 * time.Millisecond):
						if used, limit := sim.Usage(); used < limit {
							sim.AddUsage(1)
						}
					}
				}
			})
			defer func() { stopOthers(); othersDone.Wait() }()

			s := sftest.NewSink()
			stop := startReceiver(t, cfg, s, componenttest.NewNopHost(), nil)
			defer stop()

			// The org runs dry: held back, rows keep arriving meanwhile.
			require.Eventually(t, func() bool {
				used, limit := sim.Usage()
				return limit-used <= 100
			}, 20*time.Second, 10*time.Millisecond)
			heldFrom := time.Now()
			sim.Arrive("LoginHistory", 30, time.Now())
			sim.Arrive("SetupAuditTrail", 5, time.Now())
			time.Sleep(8 * probe)
			stopOthers()
			othersDone.Wait()
			heldFor := time.Since(heldFrom)

			// The rolling window moves on: usage drops and collection catches up.
			sim.SetUsage(200)
			waitDelivered(t, s, sim, bothStreams...)

			var probes int
			for _, c := range sim.ChargeLog() {
				if strings.HasSuffix(c.Path, "/limits") {
					if c.RemainingBefore <= 100 {
						probes++
					}
					continue
				}
				assert.Greater(t, c.RemainingBefore, int64(100), "a %s call was made with only %d calls left", c.Path, c.RemainingBefore)
			}
			assert.LessOrEqual(t, probes, int(heldFor/probe)+2, "at most one probe per probe_interval while held back")
			assert.Positive(t, probes, "held back, the budget probes")
			assert.Zero(t, sim.Calls().Forbidden, "no call refused")
		})
	}
}

// A connected app's quota is a hard limit of its own: with 240 of 250
// used and the org far from its reserve, the streams make the 10 calls
// left and no more (no call is refused), the hold-back line names the
// quota, and the gauges show it.
func TestAppQuotaIsNeverPassed(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{
		OrgID: "00D5g0000AppQtaAQE", AppQuota: 250, AppName: "otel-collector", SameTimestampRuns: true,
		LoginHistoryRows: 30_000, SetupAuditTrailRows: 10,
	})
	sim.SetAppUsage(240)
	cfg := simConfig(sim)
	cfg.APIBudget.ProbeInterval = 200 * time.Millisecond
	_, logs, stop := startObserved(t, cfg, componenttest.NewNopHost(), zapcore.InfoLevel)
	defer stop()
	const held = "API budget: holding back: the connected app's API quota is spent"
	require.Eventually(t, func() bool { return logs.FilterMessage(held).Len() == 1 }, 20*time.Second, 10*time.Millisecond)
	limitsBefore := sim.Calls().Limits
	time.Sleep(time.Second) // five probe intervals: probes only
	appUsed, quota := sim.AppUsage()
	assert.Equal(t, quota, appUsed, "every call of the quota spent, up to it")
	// Past the quota Salesforce refuses every call, /limits too: the
	// probes (one per interval, never retried) are the only refusals.
	calls := sim.Calls()
	assert.LessOrEqual(t, calls.Forbidden, calls.Limits-limitsBefore+1, "no stream call went past the app's quota")
	assert.LessOrEqual(t, calls.Limits-limitsBefore, int64(7), "one probe per probe_interval")
	line := logs.FilterMessage(held).All()[0].ContextMap()
	assert.Equal(t, "per_app_api_usage", line["limit"])
	assert.Equal(t, "otel-collector", line["app"])

	// The app's window moves on: the streams resume.
	sim.SetAppUsage(0)
	require.Eventually(t, func() bool {
		return logs.FilterMessage("API budget: allowance is back; resuming").Len() >= 1
	}, 10*time.Second, 10*time.Millisecond)
}

// A concurrency REQUEST_LIMIT_EXCEEDED (help 000389067's text) on one
// stream's query delays that stream by the client's retries, seconds; the
// budget holds nothing back, and another stream's rows arriving meanwhile
// are delivered at its own poll interval.
func TestConcurrencyLimitDelaysOnlyItsStream(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{OrgID: "00D5g0000ConcurAQE", SameTimestampRuns: true,
		LoginHistoryRows: 50, SetupAuditTrailRows: 20})
	cfg := simConfig(sim)
	s, logs, stop := startObserved(t, cfg, componenttest.NewNopHost(), zapcore.InfoLevel)
	defer stop()
	waitDelivered(t, s, sim, bothStreams...)

	// Three refusals in a row: retried after about 0.5, 1 and 2 seconds.
	sim.InjectFault(simulator.Fault{Path: "/query", Query: "FROM LoginHistory", Status: 403,
		ErrorCode: "REQUEST_LIMIT_EXCEEDED", Message: simulator.MessageConcurrentRequests, Times: 3})
	sim.Arrive("LoginHistory", 10, time.Now())
	require.Eventually(t, func() bool { return sim.Calls().Forbidden >= 1 }, 5*time.Second, 5*time.Millisecond)
	refusedAt := time.Now()
	sim.Arrive("SetupAuditTrail", 5, time.Now())
	waitDelivered(t, s, sim, "SetupAuditTrail")
	satAfter := time.Since(refusedAt)
	waitDelivered(t, s, sim, bothStreams...)
	lhAfter := time.Since(refusedAt)
	t.Logf("CONCURRENCY setup_audit_trail rows delivered %v after the refusal, login_history %v", satAfter, lhAfter)

	assert.Less(t, satAfter, 2500*time.Millisecond, "the other stream kept its poll interval")
	assert.Less(t, lhAfter, 15*time.Second, "the refused stream is delayed by seconds")
	assert.Zero(t, logs.FilterMessageSnippet("holding back").Len(), "a concurrency limit holds nothing back")
	assert.Equal(t, 1, logs.FilterMessageSnippet("fewer requests in flight for a while").Len())
	assert.Equal(t, 3, int(sim.Calls().Forbidden))
}

// Two receiver instances reading one org in one collector spend from one
// budget.
func TestTwoReceiversShareOneBudget(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{OrgID: "00D5g0000SharedAQE", LoginHistoryRows: 50, SetupAuditTrailRows: 20})
	a, b := sftest.NewSink(), sftest.NewSink()
	cfgA := simConfig(sim)
	cfgA.SetupAuditTrail.Enabled = false
	cfgB := simConfig(sim)
	cfgB.LoginHistory.Enabled = false
	cfgB.APIBudget.ReservePercent = 30

	start := func(name string, cfg *Config, next *sftest.Sink) {
		set := receivertest.NewNopSettings(metadata.Type)
		set.ID = component.MustNewIDWithName("salesforce", name)
		rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
		require.NoError(t, err)
		require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	}
	start("a", cfgA, a)
	start("b", cfgB, b)
	waitDelivered(t, a, sim, "LoginHistory")
	waitDelivered(t, b, sim, "SetupAuditTrail")

	shared, leave := budget.Shared.For("00D5g0000SharedAQE", budget.Settings{})
	defer leave()
	require.Eventually(t, func() bool {
		st := shared.Status()
		used, _ := sim.Usage()
		return st.HaveReading && st.Inflight == 0 && st.Used == used
	}, 5*time.Second, time.Millisecond, "both receivers' calls feed the one budget")
	// The strictest reserve of the two applies to both.
	sim.SetUsage(75_000) // 25% left: under receiver b's 30% reserve
	// The next poll's call brings the new reading; from then on, nothing.
	require.Eventually(t, func() bool { return shared.Status().Used >= 75_000 }, 5*time.Second, 10*time.Millisecond)
	before := len(sim.ChargeLog())
	sim.Arrive("LoginHistory", 3, time.Now())
	time.Sleep(2500 * time.Millisecond) // two poll intervals of receiver a
	for _, c := range sim.ChargeLog()[before:] {
		assert.True(t, strings.HasSuffix(c.Path, "/limits"), "receiver a made a %s call under b's reserve", c.Path)
	}
}

// api_budget.max_calls_per_day holds across a restart: the collector's
// calls for the org, counted by the simulator, never pass the cap, and
// the hold-back line names the cap.
func TestCapNeverExceededAcrossReceiverRestart(t *testing.T) {
	const limit = 12
	sim := simulator.NewTestServer(t, simulator.Options{
		OrgID: "00D5g0000CapOrgAQE", SameTimestampRuns: true, LoginHistoryRows: 30000, SetupAuditTrailRows: 10,
	})
	cfg := simConfig(sim)
	cfg.APIBudget.MaxCallsPerDay = new(int64(limit))
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("file_storage", t.TempDir())
	id := storagetest.NewStorageID("file_storage")
	cfg.Storage = &id

	used := func() int64 { u, _ := sim.Usage(); return u }
	// Stopped halfway through its allowance, in the middle of a backfill.
	s, _, stop := startObserved(t, cfg, host, zapcore.InfoLevel)
	require.Eventually(t, func() bool { return used() >= limit/2 }, 20*time.Second, time.Millisecond)
	stop()
	first := used()

	s2, logs2, stop := startObserved(t, cfg, host, zapcore.InfoLevel)
	require.Eventually(t, func() bool {
		return logs2.FilterMessage("API budget: holding back: this collector's max_calls_per_day for the org is spent").Len() == 1
	}, 20*time.Second, 10*time.Millisecond)
	time.Sleep(1500 * time.Millisecond) // a poll interval: nothing more is called
	stop()
	total := used()
	t.Logf("CAP receiver restart: max_calls_per_day=%d, org calls charged: first run %d, after the restart %d, total %d; records %d+%d",
		limit, first, total-first, total, s.Count(), s2.Count())
	assert.LessOrEqual(t, total, int64(limit), "never over the cap, across the restart")
	assert.Equal(t, int64(limit), total, "the restart spent what the first run left")
	held := logs2.FilterMessage("API budget: holding back: this collector's max_calls_per_day for the org is spent").All()[0].ContextMap()
	assert.Equal(t, "max_calls_per_day", held["limit"])
}
