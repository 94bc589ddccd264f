package salesforcereceiver

import (
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// TestPubSubStreams starts the receiver with only real-time topics against
// the simulator: events published after connection arrive once, an
// earliest topic also gets the retained ones, and a restart resumes from
// the stored replay id.
func TestPubSubStreams(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{PubSub: true, History: -1, PubSubKeepalive: 200 * time.Millisecond})
	retained := sim.Publish("/event/ApiAnomalyEvent", 5)

	cfg := simConfig(sim)
	cfg.LoginHistory.Enabled, cfg.SetupAuditTrail.Enabled = false, false
	cfg.PubSub.Endpoint = sim.PubSubAddr()
	cfg.PubSub.BatchSize = 20
	cfg.PubSub.Topics = []TopicConfig{
		{Name: "/event/LoginEventStream", Replay: "latest"},
		{Name: "/event/ApiAnomalyEvent", Replay: "earliest"},
	}
	require.NoError(t, cfg.Validate())
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("file_storage", t.TempDir())
	id := storagetest.NewStorageID("file_storage")
	cfg.Storage = &id

	org := sim.Options().OrgID
	want := map[string]string{}
	add := func(evs []simulator.PublishedEvent, stream string) {
		for _, ev := range evs {
			want[convert.RecordUID(org, stream, ev.EventIdentifier)] = ev.Topic + " " + ev.EventIdentifier
		}
	}
	add(retained, "object/ApiAnomalyEventStore")

	sink, logs, stop := startObserved(t, cfg, host, zapcore.InfoLevel)
	require.Eventually(t, func() bool {
		return len(logs.FilterMessage("Stream ready").FilterField(zapcore.Field{Key: "stream", Type: zapcore.StringType, String: "pubsub/event/LoginEventStream"}).All()) == 1
	}, 10*time.Second, 10*time.Millisecond, "the connection test checks each topic")
	require.Eventually(t, func() bool {
		n := 0
		for _, st := range sim.PubSubStats().Streams {
			if st.Topic == "/event/LoginEventStream" && st.Open && st.Requests > 0 {
				n++
			}
		}
		return n == 1
	}, 10*time.Second, 10*time.Millisecond)
	logins := sim.Publish("/event/LoginEventStream", 30)
	add(logins, "object/LoginEvent")
	require.Eventually(t, func() bool { return sink.Count() >= len(want) }, 15*time.Second, 10*time.Millisecond)
	stop()
	sink.ExactlyOnce(t, sftest.UID, want)

	// While the receiver is down.
	more := sim.Publish("/event/LoginEventStream", 10)
	add(more, "object/LoginEvent")
	sink2 := sftest.NewSink()
	stop = startReceiver(t, cfg, sink2, host, nil)
	require.Eventually(t, func() bool { return sink.Count()+sink2.Count() >= len(want) }, 15*time.Second, 10*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	stop()
	sink.ExactlyOnce(t, sftest.UID, want, sink2)
	st := sim.PubSubStats()
	assert.LessOrEqual(t, st.MaxOutstanding, 20)
	assert.Zero(t, st.IdleCloses)
	for _, lr := range sink2.Records() {
		assert.Equal(t, semconv.EventPubSub, lr.EventName())
		tp, _ := lr.Attributes().Get(semconv.AttrPubSubTopic)
		assert.Equal(t, "/event/LoginEventStream", tp.Str())
	}
}
