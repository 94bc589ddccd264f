package salesforcereceiver

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var (
	storageID = component.MustNewID("redis_storage")
	electorID = component.MustNewID("k8s_leader_elector")
)

// replica is one collector of a Deployment: its receiver, elector and sink.
type replica struct {
	elector *sftest.Elector
	sink    *sftest.Sink
}

// startReplicas starts n receivers with cfg that share one storage and one
// lease, as replicas of one Deployment do.
func startReplicas(t *testing.T, cfg *Config, n int) []replica {
	t.Helper()
	cfg.Storage, cfg.LeaderElector = &storageID, &electorID
	shared := sftest.NewSharedStorage()
	out := make([]replica, n)
	for i := range out {
		out[i] = replica{elector: &sftest.Elector{}, sink: sftest.NewSink()}
		host := storagetest.NewStorageHost().WithExtension(storageID, shared).WithExtension(electorID, out[i].elector)
		t.Cleanup(startReceiver(t, cfg, out[i].sink, host, nil))
	}
	return out
}

// Leadership moves back and forth between two replicas while a
// 10,000-row backfill pages and a real-time topic streams: across both,
// every record arrives, and none twice (the lease moves cleanly: the old
// leader stops before the new one starts).
func TestLeadershipMovesBetweenReplicas(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{
		OrgID: "00D5g0000LeaderAQE", PubSub: true, SameTimestampRuns: true,
		LoginHistoryRows: 10000, SetupAuditTrailRows: 500, PubSubKeepalive: 200 * time.Millisecond,
	})
	cfg := simConfig(sim)
	cfg.PubSub.Endpoint = sim.PubSubAddr()
	cfg.PubSub.Topics = []TopicConfig{{Name: "/event/LoginEventStream", Replay: "earliest"}}
	reps := startReplicas(t, cfg, 2)
	lease := &sftest.Lease{}
	total := func() int { return reps[0].sink.Count() + reps[1].sink.Count() }
	logins := func() int {
		n := 0
		for _, r := range reps {
			for _, lr := range r.sink.Records() {
				if lr.EventName() == semconv.EventLoginHistory {
					n++
				}
			}
		}
		return n
	}

	// Events are published all along, also while nobody leads.
	var (
		mu        sync.Mutex
		published []simulator.PublishedEvent
	)
	pubCtx, stopPub := context.WithCancel(context.Background())
	var pubDone sync.WaitGroup
	pubDone.Go(func() {
		for pubCtx.Err() == nil {
			evs := sim.Publish("/event/LoginEventStream", 3)
			mu.Lock()
			published = append(published, evs...)
			mu.Unlock()
			time.Sleep(40 * time.Millisecond)
		}
	})
	defer func() { stopPub(); pubDone.Wait() }()

	// During the backfill: a move as soon as the leader delivered
	// something (so each leader gets somewhere, and most moves catch a page
	// in flight); after it, while only the topic and arrivals stream, ten
	// more.
	backfillMoves, streamingMoves := 0, 0
	for i := 0; logins() < 10000; i++ {
		before := logins()
		lease.MoveTo(reps[i%2].elector)
		backfillMoves++
		require.Eventually(t, func() bool { return logins() > before }, 20*time.Second, time.Millisecond, "the new leader goes on with the backfill")
		time.Sleep(time.Duration(i%3) * 20 * time.Millisecond)
	}
	for i := range 10 {
		sim.Arrive("LoginHistory", 5, time.Now())
		lease.MoveTo(reps[(backfillMoves+i)%2].elector)
		streamingMoves++
		time.Sleep(150 * time.Millisecond)
	}
	stopPub()
	pubDone.Wait()

	org := sim.Options().OrgID
	want := map[string]string{}
	for object, stream := range map[string]string{"LoginHistory": "login_history", "SetupAuditTrail": "setup_audit_trail"} {
		for _, r := range sim.Records(object) {
			want[convert.RecordUID(org, stream, r.ID)] = object + " " + r.ID
		}
	}
	for _, ev := range published {
		want[convert.RecordUID(org, "object/LoginEvent", ev.EventIdentifier)] = "event " + ev.EventIdentifier
	}
	require.Eventually(t, func() bool { return total() >= len(want) }, 30*time.Second, 10*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // a repeat would land now
	lease.MoveTo(nil)
	reps[0].sink.ExactlyOnce(t, sftest.UID, want, reps[1].sink)
	assert.Positive(t, reps[0].sink.Count())
	assert.Positive(t, reps[1].sink.Count())
	t.Logf("LEADERSHIP changes=%d (during backfill %d, while streaming %d) records=%d (replica 0: %d, replica 1: %d; pubsub events %d) duplicates=0",
		lease.Changes(), backfillMoves, streamingMoves, len(want), reps[0].sink.Count(), reps[1].sink.Count(), len(published))
}

// A replica that does not lead makes no data call, and the standby's
// status is OK once its connection test passed.
func TestStandbyReplicaPollsNothing(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{OrgID: "00D5g0000StandbAQE"})
	cfg := simConfig(sim)
	reps := startReplicas(t, cfg, 1)
	time.Sleep(1500 * time.Millisecond) // more than a poll interval
	assert.Zero(t, reps[0].sink.Count())
	lease := &sftest.Lease{}
	lease.MoveTo(reps[0].elector)
	waitDelivered(t, reps[0].sink, sim, bothStreams...)
	lease.MoveTo(nil)
	before := sim.Calls().Total
	time.Sleep(1500 * time.Millisecond)
	assert.Equal(t, before, sim.Calls().Total, "no call after the lease is lost")
}

func TestStartNamesAMissingOrWrongElector(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{})
	for name, tt := range map[string]struct {
		host component.Host
		want string
	}{
		"missing": {componenttest.NewNopHost(), `k8s_leader_elector: extension "k8s_leader_elector" is not configured`},
		"not an elector": {storagetest.NewStorageHost().WithExtension(electorID, storagetest.NewInMemoryStorageExtension("x")),
			`k8s_leader_elector: extension "k8s_leader_elector" has no SetCallBackFuncs(func(context.Context), func())`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := simConfig(sim)
			cfg.LeaderElector = &electorID
			rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sftest.NewSink())
			require.NoError(t, err)
			require.ErrorContains(t, rcv.Start(context.Background(), tt.host), tt.want)
			require.NoError(t, rcv.Shutdown(context.Background()))
		})
	}
}

// Starting and stopping are idempotent, a lease's end stops the streams
// by itself, a start after it runs them again, and nothing starts after
// close.
func TestStreamsStartStopAreIdempotent(t *testing.T) {
	var running, runs atomic.Int32
	s := &streams{launches: []func(context.Context){func(ctx context.Context) {
		running.Add(1)
		runs.Add(1)
		<-ctx.Done()
		running.Add(-1)
	}}}
	wait := func(n int32) {
		t.Helper()
		require.Eventually(t, func() bool { return running.Load() == n }, 5*time.Second, time.Millisecond)
	}
	parent := context.Background()
	s.start(parent, nil)
	s.start(parent, nil)
	wait(1)
	assert.Equal(t, int32(1), runs.Load(), "a second start while running does nothing")
	s.stop()
	s.stop()
	assert.Zero(t, running.Load(), "stop returns once the streams returned")

	lease, lost := context.WithCancel(parent)
	s.start(parent, lease)
	wait(1)
	lost() // the lease ends before any stop call
	wait(0)
	s.start(parent, context.Background())
	wait(1)
	assert.Equal(t, int32(3), runs.Load())

	s.close()
	assert.Zero(t, running.Load())
	s.start(parent, nil)
	assert.Zero(t, running.Load(), "nothing starts after close")
	assert.Equal(t, int32(3), runs.Load())
}
