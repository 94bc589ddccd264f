//go:build e2e

package e2e

import (
	"flag"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// The scenarios below each run the built collector with file_storage
// against the simulator, break something, and count what reached the sink
// by log.record.uid against the simulator's ground truth. Figures are
// logged as "RELIABILITY ..." lines (make e2e runs with -v).

const elfDaily = `      enabled: true
      poll_interval: 1s
      backfill: 96h
      log_interval: daily`

// seedELF adds one day of daily files (one per event type) with rows rows
// each and returns their ids.
func seedELF(e *env, rows int) []string {
	day := time.Now().UTC().Add(-48 * time.Hour)
	return e.sim.SeedLogFiles(day, day.Add(time.Hour), false, rows)
}

var soak = flag.Bool("soak", false, "longer runs (make soak)")

func report(t *testing.T, scenario string, tl tally, extra string) {
	t.Helper()
	t.Logf("RELIABILITY scenario=%q %s %s", scenario, tl, extra)
}

func requireClean(t *testing.T, tl tally) {
	t.Helper()
	require.Zero(t, tl.Missing, "missing: %s", tl)
	require.Zero(t, tl.Duplicated, "duplicated: %s", tl)
	require.Zero(t, tl.Mismatched, "mismatched: %s", tl)
}

// 5xx bursts on queries, query locators and the token endpoint, and
// QUERY_TIMEOUT: retried, nothing lost or repeated.
func TestFaultServerErrorsAndQueryTimeouts(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: 5000, SetupAuditTrailRows: 800, SameTimestampRuns: true})
	e.sim.InjectFault(simulator.Fault{Path: "oauth2/token", Status: 503, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/query", Status: 503, Times: 3})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Skip: 1, Status: 502, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/query", Skip: 2, Status: 500, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/query", Skip: 1, Status: 400, ErrorCode: "QUERY_TIMEOUT", Times: 3})
	e.start()
	want := func() map[string]string { return e.wantSOQL("LoginHistory", "SetupAuditTrail") }
	tl := e.waitTally(90*time.Second, want)
	report(t, "5xx and QUERY_TIMEOUT bursts", tl, "")
	requireClean(t, tl)
	require.Zero(t, e.sim.PendingFaults(), "every fault fired")
	calls := e.sim.Calls()
	t.Logf("calls: %+v", calls)
}

// INVALID_SESSION_ID between pages of a query: one refresh, the same page
// again.
func TestFaultSessionExpiresMidPaging(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: 7000, SetupAuditTrailRows: 2500, SameTimestampRuns: true})
	// Isolated expiries: each gets one refresh and the same page again.
	e.sim.InjectFault(simulator.Fault{Path: "/query/", ExpireSession: true})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Skip: 2, ExpireSession: true})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Skip: 1, ExpireSession: true})
	e.start()
	want := func() map[string]string { return e.wantSOQL("LoginHistory", "SetupAuditTrail") }
	tl := e.waitTally(90*time.Second, want)
	report(t, "INVALID_SESSION_ID mid-paging", tl, "")
	requireClean(t, tl)
	require.Zero(t, e.sim.PendingFaults())
	require.GreaterOrEqual(t, e.sim.Calls().Token, int64(4), "sessions were refreshed")
	require.NotContains(t, e.log(), "Poll failed", "a refreshed session repeats the page; the poll goes on")
}

// INVALID_QUERY_LOCATOR on queryMore, and every locator dropped while the
// backfill runs: the stream re-queries from its cursor.
func TestFaultQueryLocatorExpires(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: 9000, SetupAuditTrailRows: 4500, SameTimestampRuns: true})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Status: 400, ErrorCode: "INVALID_QUERY_LOCATOR", Message: "invalid query locator", Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Skip: 2, Status: 400, ErrorCode: "INVALID_QUERY_LOCATOR", Message: "invalid query locator"})
	e.start()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				e.sim.ExpireLocators()
			}
		}
	}()
	want := func() map[string]string { return e.wantSOQL("LoginHistory", "SetupAuditTrail") }
	tl := e.waitTally(90*time.Second, want)
	close(stop)
	report(t, "INVALID_QUERY_LOCATOR", tl, "")
	requireClean(t, tl)
	require.Zero(t, e.sim.PendingFaults())
}

// EventLogFile downloads cut off: connections dropped before a response,
// and gzip bodies truncated mid-stream. Each download resumes after the
// rows accepted so far.
func TestFaultDownloadDroppedAndTruncatedGzip(t *testing.T) {
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1},
		envConfig{EventLogFile: elfDaily})
	files := seedELF(e, 2500)
	e.sim.InjectFault(simulator.Fault{Path: "/LogFile", DropAfterBytes: 30_000, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/LogFile", Drop: true})
	e.sim.InjectFault(simulator.Fault{Path: "/LogFile", Skip: 1, DropAfterBytes: 90_000, Times: 3})
	e.sim.InjectFault(simulator.Fault{Path: "/LogFile", Skip: 1, Status: 503})
	e.sim.InjectFault(simulator.Fault{Path: "/LogFile", Skip: 1, DropAfterBytes: 5})
	e.start()
	want := func() map[string]string { return e.wantELF(files) }
	tl := e.waitTally(120*time.Second, want)
	report(t, "dropped connections and truncated gzip (EventLogFile)", tl, "")
	requireClean(t, tl)
	require.Zero(t, e.sim.PendingFaults())
	require.GreaterOrEqual(t, e.sim.Calls().Dropped, int64(7))
	require.Contains(t, e.log(), "Log file download broke off")
}

// The sink refuses everything for a while.
func TestFaultSinkRefusesForAWhile(t *testing.T) {
	for _, tc := range []struct {
		name, exporter string
		// receiverSees: refusals reach the receiver's ConsumeLogs.
		receiverSees bool
	}{
		{name: "exporter retries and queue", exporter: `    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
    sending_queue:
      enabled: true
      storage: file_storage`},
		{name: "refused ConsumeLogs reaches the receiver", receiverSees: true, exporter: `    retry_on_failure:
      enabled: false
    sending_queue:
      enabled: false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, simulator.Options{LoginHistoryRows: 3000, SetupAuditTrailRows: 600, SameTimestampRuns: true},
				envConfig{Exporter: tc.exporter, EventLogFile: elfDaily})
			files := seedELF(e, 300)
			e.sink.setRefuse(true)
			e.start()
			require.Eventually(t, func() bool { return e.sink.refusals() >= 5 }, 60*time.Second, 50*time.Millisecond)
			time.Sleep(3 * time.Second)
			e.sink.setRefuse(false)
			want := func() map[string]string {
				return merge(e.wantSOQL("LoginHistory", "SetupAuditTrail"), e.wantELF(files))
			}
			tl := e.waitTally(120*time.Second, want)
			report(t, "sink refusing: "+tc.name, tl, "refused_requests="+itoa(e.sink.refusals()))
			requireClean(t, tl)
			if tc.receiverSees {
				assert.Contains(t, e.log(), "Next consumer refused records; holding the cursor and retrying")
				assert.Contains(t, e.log(), "Delivery accepted after refusals")
			}
		})
	}
}

// Slow answers beyond the configured timeout: queries, query locators,
// the token endpoint and a download that starts too late are given up on
// and tried again.
func TestFaultSlowResponsesHitTheTimeout(t *testing.T) {
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: 4500, SetupAuditTrailRows: 500, SameTimestampRuns: true},
		envConfig{Receiver: "    timeout: 1s", EventLogFile: elfDaily})
	files := seedELF(e, 400)
	e.sim.InjectFault(simulator.Fault{Path: "oauth2/token", Delay: 3 * time.Second})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Delay: 3 * time.Second, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/query", Delay: 3 * time.Second, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/LogFile", Delay: 3 * time.Second, Times: 2})
	e.start()
	want := func() map[string]string {
		return merge(e.wantSOQL("LoginHistory", "SetupAuditTrail"), e.wantELF(files))
	}
	tl := e.waitTally(120*time.Second, want)
	report(t, "slow responses hitting timeout: 1s", tl, "")
	requireClean(t, tl)
	require.Zero(t, e.sim.PendingFaults())
}

// The collector is SIGKILLed at random moments during a backfill of three
// streams, and restarted each time. Nothing may be lost; what arrives again
// must be records that were in flight at the kill: per kill and stream at
// most one page (2,000 rows; EventLogFile batches are 500).
func TestSIGKILLDuringBackfill(t *testing.T) {
	for _, tc := range []struct {
		name, exporter string
		// inFlight bounds the re-sent records per stream and kill.
		inFlight int
	}{
		{name: "synchronous export", inFlight: 2000, exporter: `    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 0
    sending_queue:
      enabled: false`},
		// A persistent queue accepts a page before the cursor is saved and
		// may be sending one request when killed: two pages per stream.
		{name: "persistent sending queue", inFlight: 2 * 2000, exporter: `    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 0
    sending_queue:
      enabled: true
      num_consumers: 1
      storage: file_storage`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kills, scale := 4, 1
			if *soak {
				kills, scale = 20, 5
			}
			e := newEnvWith(t, simulator.Options{LoginHistoryRows: 24000 * scale, SetupAuditTrailRows: 8000 * scale, SameTimestampRuns: true},
				envConfig{Exporter: tc.exporter, EventLogFile: elfDaily})
			files := seedELF(e, 1500*scale)
			// Slow every call a little so the backfill spans several kills.
			e.sim.InjectFault(simulator.Fault{Path: "/query", Delay: 700 * time.Millisecond, Times: 1 << 30})
			e.sim.InjectFault(simulator.Fault{Path: "/LogFile", Delay: 1500 * time.Millisecond, Times: 1 << 30})
			// and the sink: a kill often lands between a page stored and its
			// acknowledgement, the window in which a page is in flight.
			e.sink.setDelay(300 * time.Millisecond)
			want := merge(e.wantSOQL("LoginHistory", "SetupAuditTrail"), e.wantELF(files))

			seed := time.Now().UnixNano()
			rnd := rand.New(rand.NewPCG(uint64(seed), 1))
			t.Logf("random seed %d", seed)
			resent, worst, snapshot := e.killRuns(kills, false, rnd, time.Second, 300*time.Millisecond, func(k int) {
				t.Logf("kill %d: %d records received so far", k+1, e.sink.total())
			})
			tlBefore := e.sink.tally(want)
			require.Positive(t, tlBefore.Missing, "the kills must land during the backfill; it finished early")
			e.start()
			tl := e.waitTally(180*time.Second, func() map[string]string { return want })
			r, w := resentSince(e.sink, snapshot, e.sink.snapshot())
			resent, worst = append(resent, r), max(worst, w)
			total := 0
			for _, n := range resent {
				total += n
			}
			report(t, "SIGKILL x"+itoa(kills)+" during backfill, "+tc.name, tl,
				"resent_per_kill="+joinInts(resent)+" max_resent_per_stream_per_kill="+itoa(worst)+" in_flight_bound_per_stream="+itoa(tc.inFlight))
			require.Zero(t, tl.Missing, "missing: %s", tl)
			require.Zero(t, tl.Mismatched, "mismatched: %s", tl)
			require.Equal(t, total, tl.Duplicated, "every repeat follows a kill")
			require.LessOrEqual(t, worst, tc.inFlight, "re-sent more than was in flight")
			e.stop(syscall.SIGTERM)
		})
	}
}

// resentSince counts receptions between two snapshots of uids that had
// arrived before the first, in total and at most per stream.
// killRuns kills the collector with SIGKILL kills times, each run lasting
// run plus up to 2s (from rnd) and each kill followed by settle for the
// requests already read to land; the first run is started unless started.
// What each run re-sent of what had arrived before the kill ending the
// previous run is counted at its kill (the last run's, by the caller, from
// the snapshot at the last kill): the counts, the worst stream's largest,
// and that snapshot. logKill is called after every kill.
func (e *env) killRuns(kills int, started bool, rnd *rand.Rand, run, settle time.Duration, logKill func(k int)) (resent []int, worst int, snapshot map[string]int) {
	for k := range kills {
		if k > 0 || !started {
			e.start()
		}
		time.Sleep(run + time.Duration(rnd.IntN(2000))*time.Millisecond)
		e.stop(syscall.SIGKILL)
		time.Sleep(settle) // requests already read land
		now := e.sink.snapshot()
		if k > 0 {
			r, w := resentSince(e.sink, snapshot, now)
			resent, worst = append(resent, r), max(worst, w)
		}
		snapshot = now
		logKill(k)
	}
	return resent, worst, snapshot
}

func resentSince(s *sink, before, after map[string]int) (total, worstStream int) {
	per := map[string]int{}
	for uid, n := range before {
		if d := after[uid] - n; d > 0 {
			total += d
			per[s.eventOf(uid)] += d
		}
	}
	for _, n := range per {
		worstStream = max(worstStream, n)
	}
	return total, worstStream
}

// A configuration error stops the collector at start, exit status non-zero,
// with the field named; nothing is read or sent.
func TestBadConfigExitsNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(cfg string) string
		want []string
	}{
		{"invalid values", func(c string) string {
			return strings.Replace(c, "    storage: file_storage\n", "    storage: file_storage\n    timeout: -5s\n    api_budget:\n      reserve_percent: 150\n", 1)
		}, []string{"timeout: must be positive", "api_budget.reserve_percent"}},
		{"unknown flow", func(c string) string {
			return strings.Replace(c, "flow: jwt_bearer", "flow: saml", 1)
		}, []string{"auth.flow", "saml"}},
		{"misspelled key", func(c string) string {
			return strings.Replace(c, "    login_history:\n", "    login_histroy:\n      enabled: true\n    login_history:\n", 1)
		}, []string{"login_histroy"}},
		{"not a duration", func(c string) string {
			return strings.Replace(c, "poll_interval: 1s", "poll_interval: soon", 1)
		}, []string{"login_history.poll_interval", "invalid duration"}},
		{"plain http to a remote login host", func(c string) string {
			return regexp.MustCompile(`login_url: \S+`).ReplaceAllString(c, "login_url: http://login.salesforce.com")
		}, []string{"login_url", "https"}},
		{"missing CA file", func(c string) string {
			return strings.Replace(c, "    storage: file_storage\n", "    storage: file_storage\n    tls:\n      ca_file: /nonexistent/ca.pem\n", 1)
		}, []string{"tls", "/nonexistent/ca.pem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, simulator.Options{})
			b, err := os.ReadFile(e.config)
			require.NoError(t, err)
			edited := tc.edit(string(b))
			require.NotEqual(t, string(b), edited, "the edit applies")
			require.NoError(t, os.WriteFile(e.config, []byte(edited), 0o600))
			e.start()
			done := make(chan error, 1)
			go func() { done <- e.cmd.Wait() }()
			select {
			case err := <-done:
				e.cmd = nil
				require.Error(t, err, "the collector must exit non-zero")
			case <-time.After(30 * time.Second):
				t.Fatal("the collector kept running with an invalid config")
			}
			out := e.log()
			for _, w := range tc.want {
				require.Contains(t, out, w)
			}
			require.Zero(t, e.sink.total())
			require.Zero(t, e.sim.Calls().Total, "no API call was made")
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = itoa(n)
	}
	return "[" + strings.Join(s, ",") + "]"
}
