//go:build e2e

package e2e

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// The real-time (Pub/Sub API) scenarios: the built collector subscribes to
// the simulator's topics, something breaks, and what reached the sink is
// counted by log.record.uid against the events the simulator published.

const (
	loginTopic   = "/event/LoginEventStream"  // storage object LoginEvent (the simulator writes it)
	anomalyTopic = "/event/ApiAnomalyEvent"   // storage object ApiAnomalyEventStore (not simulated)
	alertTopic   = "/event/Security_Alert__e" // a platform event: no storage object, no EventUuid
)

// pubStorage is the storage object of a Real-Time Event Monitoring topic,
// whose row's uid an event carries.
var pubStorage = map[string]string{loginTopic: "LoginEvent", anomalyTopic: "ApiAnomalyEventStore"}

// pubUID is the log.record.uid the receiver gives ev: the storage row's
// (objects stream "object/<storage>", key EventIdentifier) for a topic with
// a storage object, else the topic stream's ("pubsub<topic>") keyed by
// EventUuid, else by the hex replay id.
func pubUID(org string, ev simulator.PublishedEvent) string {
	if s := pubStorage[ev.Topic]; s != "" && ev.EventIdentifier != "" {
		return convert.RecordUID(org, "object/"+s, ev.EventIdentifier)
	}
	if ev.EventUuid != "" {
		return convert.RecordUID(org, "pubsub"+ev.Topic, ev.EventUuid)
	}
	return convert.RecordUID(org, "pubsub"+ev.Topic, hex.EncodeToString(ev.ReplayID))
}

// wantPub is the set of uids of evs.
func (e *env) wantPub(evs ...[]simulator.PublishedEvent) map[string]bool {
	org := e.sim.Options().OrgID
	want := map[string]bool{}
	for _, list := range evs {
		for _, ev := range list {
			want[pubUID(org, ev)] = true
		}
	}
	return want
}

// pubTally counts by uid only (gap-read records carry the storage row's
// record id, stream events none).
func (s *sink) pubTally(want map[string]bool) tally {
	return tallyWith(s, want, func(_ string, wanted, _ bool) bool { return wanted })
}

// waitPub waits until nothing of want is missing (or timeout), lets
// stragglers land, and returns the tally.
func (e *env) waitPub(timeout time.Duration, want func() map[string]bool) tally {
	e.t.Helper()
	return waitSettled(timeout, 100*time.Millisecond, func() tally { return e.sink.pubTally(want()) })
}

// scoped restricts Delivered to want's uids and drops Mismatched, for a
// scenario that shares the sink with other topics.
func (s *sink) scoped(t tally, want map[string]bool) tally {
	t.Delivered, t.Mismatched = s.received(want)+t.Duplicated, 0
	return t
}

// received is how many of want arrived at least once.
func (s *sink) received(want map[string]bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for uid := range want {
		if s.byUID[uid] > 0 {
			n++
		}
	}
	return n
}

// subscribed waits until a Subscribe stream of topic has asked for events
// and is open.
func (e *env) subscribed(topic string) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		c, open := 0, false
		for _, st := range e.sim.PubSubStats().Streams {
			if st.Topic == topic && st.Requests > 0 {
				c++
				open = open || st.Open
			}
		}
		return c >= 1 && open
	}, 60*time.Second, 20*time.Millisecond, "%s subscribed", topic)
}

// topicStats sums the stats of topic's streams.
func topicStats(st simulator.PubSubStats, topic string) (subscribes, idleCloses, maxOutstanding int) {
	for _, s := range st.Streams {
		if s.Topic != topic {
			continue
		}
		subscribes++
		if s.IdleClosed {
			idleCloses++
		}
		maxOutstanding = max(maxOutstanding, s.MaxOutstanding)
	}
	return
}

func pubsubBlock(batch int, topics ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "      batch_size: %d\n      topics:\n", batch)
	for _, t := range topics {
		name, replay, _ := strings.Cut(t, " ")
		fmt.Fprintf(&b, "        - name: %s\n", name)
		if replay != "" {
			fmt.Fprintf(&b, "          replay: %s\n", replay)
		}
	}
	return b.String()
}

// Synchronous export: a page is accepted only once the sink answered.
const syncExport = `    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 0
    sending_queue:
      enabled: false`

var noSOQL = simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1}

// latest delivers what is published after the connection; earliest also
// what the topic retains. The uid is the storage row's for a topic with a
// storage object, the topic's own (EventUuid, else replay id) otherwise.
func TestPubSubReplayPresets(t *testing.T) {
	e := newEnvWith(t, noSOQL, envConfig{PubSub: pubsubBlock(100, loginTopic+" latest", anomalyTopic+" earliest", alertTopic+" earliest")})
	retained := map[string][]simulator.PublishedEvent{}
	for _, tp := range []string{loginTopic, anomalyTopic, alertTopic} {
		retained[tp] = e.sim.Publish(tp, 12)
	}
	e.start()
	for _, tp := range []string{loginTopic, anomalyTopic, alertTopic} {
		e.subscribed(tp)
	}
	later := map[string][]simulator.PublishedEvent{}
	for _, tp := range []string{loginTopic, anomalyTopic, alertTopic} {
		later[tp] = e.sim.Publish(tp, 30)
	}
	for _, tc := range []struct {
		scenario string
		want     map[string]bool
	}{
		{"pubsub replay latest (" + loginTopic + ")", e.wantPub(later[loginTopic])},
		{"pubsub replay earliest (" + anomalyTopic + ", storage uid)", e.wantPub(retained[anomalyTopic], later[anomalyTopic])},
		{"pubsub replay earliest (" + alertTopic + ", no storage: replay id uid)", e.wantPub(retained[alertTopic], later[alertTopic])},
	} {
		tl := e.waitPub(60*time.Second, func() map[string]bool { return tc.want })
		// Delivered/Mismatched span every topic here; per scenario the
		// figures that matter are Expected, Missing and Duplicated.
		tl = e.sink.scoped(tl, tc.want)
		report(t, tc.scenario, tl, "")
		assert.Zero(t, tl.Missing, tc.scenario)
		assert.Zero(t, tl.Duplicated, tc.scenario)
	}
	all := merge2(e.wantPub(later[loginTopic]), e.wantPub(retained[anomalyTopic], later[anomalyTopic]),
		e.wantPub(retained[alertTopic], later[alertTopic]))
	tl := e.sink.pubTally(all)
	require.Zero(t, tl.Mismatched, "nothing else arrived (the latest topic's retained events): %s", tl)
	require.Zero(t, e.sink.received(e.wantPub(retained[loginTopic])), "latest skipped the retained events")
	require.Equal(t, 12+30+12+30+30, tl.Delivered)
}

func merge2(ms ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// SIGKILL while events are published continuously, restarted with the
// same file_storage: nothing missing; what arrives again is the page that
// was in flight at the kill (at most one page, 500 events).
func TestPubSubSIGKILLMidStream(t *testing.T) {
	const kills, maxPage = 3, 500
	e := newEnvWith(t, noSOQL, envConfig{Exporter: syncExport, PubSub: pubsubBlock(50, loginTopic+" latest")})
	// A kill often lands between a page stored and its acknowledgement.
	e.sink.setDelay(300 * time.Millisecond)
	want := func() map[string]bool { return e.wantPub(e.sim.PubSubEvents(loginTopic)) }

	e.start()
	e.subscribed(loginTopic)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				e.sim.Publish(loginTopic, 2)
			}
		}
	}()
	seed := time.Now().UnixNano()
	rnd := rand.New(rand.NewPCG(uint64(seed), 2))
	t.Logf("random seed %d", seed)
	resent, _, snapshot := e.killRuns(kills, true, rnd, 1500*time.Millisecond, 400*time.Millisecond, func(k int) {
		t.Logf("kill %d: %d events received so far, %d published", k+1, e.sink.total(), len(e.sim.PubSubEvents(loginTopic)))
	})
	e.start()
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	tl := e.waitPub(90*time.Second, want)
	r, _ := resentSince(e.sink, snapshot, e.sink.snapshot())
	resent = append(resent, r)
	total, worst := 0, 0
	for _, n := range resent {
		total += n
		worst = max(worst, n)
	}
	_, _, maxOut := topicStats(e.sim.PubSubStats(), loginTopic)
	report(t, "pubsub SIGKILL x"+itoa(kills)+" mid-stream", tl,
		"resent_per_kill="+joinInts(resent)+" page_bound="+itoa(maxPage)+" max_outstanding="+itoa(maxOut))
	require.Zero(t, tl.Missing, "missing: %s", tl)
	require.Zero(t, tl.Mismatched, "mismatched: %s", tl)
	require.Equal(t, total, tl.Duplicated, "every repeat follows a kill")
	require.LessOrEqual(t, worst, maxPage, "re-sent more than a page")
	require.LessOrEqual(t, maxOut, 50, "outstanding <= batch_size")
	e.stop(syscall.SIGTERM)
}

// Stream faults: nothing missing, nothing duplicated, never more than
// batch_size outstanding.
func TestPubSubFaults(t *testing.T) {
	const batch = 10
	for _, tc := range []struct {
		name string
		opts simulator.Options
		// fault breaks the stream after the first events arrived.
		fault func(e *env)
		// subs: Subscribe streams of the topic at least (exact when idle).
		subs int
		log  string
	}{
		{name: "auth expiry (ExpireSessions)", subs: 2, fault: func(e *env) { e.sim.ExpireSessions() },
			log: "refreshing the token and resubscribing"},
		{name: "UNAVAILABLE close (" + simulator.PubSubErrUnavailable + ")", subs: 2, fault: func(e *env) {
			e.sim.InjectPubSubFault(simulator.PubSubFault{Topic: loginTopic, Code: codes.Unavailable, ErrorCode: simulator.PubSubErrUnavailable, AfterEvents: 13})
		}},
		{name: "dropped connection", subs: 2, fault: func(e *env) {
			e.sim.InjectPubSubFault(simulator.PubSubFault{Topic: loginTopic, Drop: true, AfterEvents: 17})
		}},
		{name: "idle topic (idle timeout 2s, 6s without events)", opts: simulator.Options{PubSubIdleTimeout: 2 * time.Second}, fault: func(e *env) {
			time.Sleep(6 * time.Second)
			st := e.sim.PubSubStats()
			require.Zero(e.t, st.IdleCloses, "no stream was closed as idle")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.LoginHistoryRows, opts.SetupAuditTrailRows = -1, -1
			e := newEnvWith(t, opts, envConfig{PubSub: pubsubBlock(batch, loginTopic)})
			e.start()
			e.subscribed(loginTopic)
			a := e.sim.Publish(loginTopic, 25)
			require.Eventually(t, func() bool { return e.sink.received(e.wantPub(a)) > 0 }, 30*time.Second, 10*time.Millisecond)
			if tc.subs == 0 { // idle: everything delivered, then nothing for a while
				require.Eventually(t, func() bool { return e.sink.received(e.wantPub(a)) == len(a) }, 30*time.Second, 10*time.Millisecond)
			}
			tc.fault(e)
			b := e.sim.Publish(loginTopic, 25)
			want := e.wantPub(a, b)
			tl := e.waitPub(60*time.Second, func() map[string]bool { return want })
			st := e.sim.PubSubStats()
			subs, idle, _ := topicStats(st, loginTopic)
			report(t, "pubsub "+tc.name, tl, fmt.Sprintf("subscribes=%d idle_closes=%d auth_failures=%d max_outstanding=%d batch_size=%d",
				subs, idle, st.AuthFailures, st.MaxOutstanding, batch))
			requireClean(t, tl)
			require.Zero(t, e.sim.PendingPubSubFaults(), "every fault fired")
			require.LessOrEqual(t, st.MaxOutstanding, batch, "outstanding <= batch_size")
			if tc.subs == 0 {
				require.Zero(t, st.IdleCloses)
				require.Equal(t, 1, subs, "one stream throughout")
			} else {
				require.GreaterOrEqual(t, subs, tc.subs, "the fault ended a stream")
			}
			if tc.log != "" {
				require.Contains(t, e.log(), tc.log)
			}
			e.stop(syscall.SIGTERM)
		})
	}
}

// A burst much larger than batch_size into a slow sink: the receiver never
// has more than batch_size requested and not yet received.
func TestPubSubFlowControl(t *testing.T) {
	const batch = 7
	e := newEnvWith(t, noSOQL, envConfig{Exporter: syncExport, PubSub: pubsubBlock(batch, loginTopic)})
	e.sink.setDelay(150 * time.Millisecond)
	e.start()
	e.subscribed(loginTopic)
	evs := e.sim.Publish(loginTopic, 1500)
	tl := e.waitPub(120*time.Second, func() map[string]bool { return e.wantPub(evs) })
	st := e.sim.PubSubStats()
	subs, _, _ := topicStats(st, loginTopic)
	report(t, "pubsub flow control (1500-event burst, slow sink)", tl, fmt.Sprintf("max_outstanding=%d batch_size=%d subscribes=%d events_sent=%d",
		st.MaxOutstanding, batch, subs, st.EventsSent))
	requireClean(t, tl)
	require.LessOrEqual(t, st.MaxOutstanding, batch, "outstanding <= batch_size")
	require.Equal(t, 1, subs, "one stream")
	e.stop(syscall.SIGTERM)
}

// A stored replay id past retention: the collector is down while events
// are published and age out (retention 3s here; the simulator's clock is
// real). On restart the receiver warns; for LoginEventStream it reads the
// gap from the LoginEvent storage object, so nothing is missing; the
// platform event has no storage object and its gap is lost (and said so).
func TestPubSubReplayIDPastRetention(t *testing.T) {
	const retention = 3 * time.Second
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, PubSubRetention: retention},
		envConfig{PubSub: pubsubBlock(100, loginTopic, alertTopic)})
	e.start()
	e.subscribed(loginTopic)
	e.subscribed(alertTopic)
	a, aa := e.sim.Publish(loginTopic, 10), e.sim.Publish(alertTopic, 6)
	_ = e.waitPub(30*time.Second, func() map[string]bool { return e.wantPub(a, aa) })
	require.Equal(t, len(a)+len(aa), e.sink.received(e.wantPub(a, aa)))
	e.stop(syscall.SIGTERM)

	b, bb := e.sim.Publish(loginTopic, 15), e.sim.Publish(alertTopic, 5) // published while down
	time.Sleep(retention + 700*time.Millisecond)
	c, cc := e.sim.Publish(loginTopic, 5), e.sim.Publish(alertTopic, 4)
	require.Len(t, e.sim.PubSubEvents(loginTopic), len(c), "a and b are past retention")
	require.Len(t, e.sim.PubSubEvents(alertTopic), len(cc), "aa and bb are past retention")
	for _, ev := range b {
		require.Equal(t, "LoginEvent", ev.StorageObject, "the storage row is readable")
	}

	e.start()
	login := e.wantPub(a, b, c)
	tl := e.waitPub(90*time.Second, func() map[string]bool { return login })
	tl = e.sink.scoped(tl, login) // the platform event's records are counted below
	report(t, "pubsub replay id past retention, gap read from LoginEvent ("+loginTopic+")", tl,
		fmt.Sprintf("gap_events=%d", len(b)))
	alert := e.wantPub(aa, cc)
	tla := e.waitPub(30*time.Second, func() map[string]bool { return alert })
	tla = e.sink.scoped(tla, alert)
	report(t, "pubsub replay id past retention, no storage object ("+alertTopic+")", tla,
		fmt.Sprintf("lost_in_gap=%d (expected: no storage object)", e.sink.received(e.wantPub(bb))))

	assert.Zero(t, tl.Missing, "login: %s", tl)
	assert.Zero(t, tl.Duplicated, "login: %s", tl)
	assert.Zero(t, tla.Missing, "alert: %s", tla)
	assert.Zero(t, tla.Duplicated, "alert: %s", tla)
	all := e.sink.pubTally(merge2(login, alert))
	assert.Zero(t, all.Mismatched, "nothing unexpected: %s", all)
	log := e.log()
	assert.Contains(t, log, "no longer holds the stored replay id")
	assert.Contains(t, log, "reading the gap from the storage object")
	assert.Contains(t, log, "Gap read from the storage object")
	assert.Contains(t, log, "events in the gap are lost")
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "no longer holds the stored replay id") || strings.Contains(l, "Gap read from the storage object") {
			t.Logf("collector: %s", l)
		}
	}
	e.stop(syscall.SIGTERM)
}
