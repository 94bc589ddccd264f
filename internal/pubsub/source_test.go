package pubsub

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

const (
	loginTopic     = "/event/LoginEventStream"
	anomalyTopic   = "/event/ApiAnomalyEvent"
	universalTopic = "/event/UniversalAnomalyEvent" // API 66.0: a standard-object store
)

// saves records every cursor saved, with how many records the sink had
// accepted at that moment.
type saves struct {
	mu   sync.Mutex
	m    map[string][]byte
	log  []saved
	sink *sftest.Sink
}

type saved struct {
	cursor   Cursor
	accepted []string // uids accepted when it was saved
}

func (s *saves) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.m[key]), nil
}

func (s *saves) Set(_ context.Context, key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = slices.Clone(v)
	var c Cursor
	if err := json.Unmarshal(v, &c); err == nil {
		var uids []string
		for _, lr := range s.sink.Records() {
			uids = append(uids, sftest.UID(lr))
		}
		s.log = append(s.log, saved{c, uids})
	}
	return nil
}

func (s *saves) last() (Cursor, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) == 0 {
		return Cursor{}, false
	}
	return s.log[len(s.log)-1].cursor, true
}

type env struct {
	t      *testing.T
	sim    *simulator.Server
	client *sfapi.Client
	conn   *Conn
	sink   *sftest.Sink
	kv     *saves
	store  *checkpoint.Store
	logs   *observer.ObservedLogs
	logger *zap.Logger
}

func newEnv(t *testing.T, mod func(*simulator.Options)) *env {
	t.Helper()
	o := simulator.Options{PubSub: true, History: -1, PubSubKeepalive: 200 * time.Millisecond, PubSubIdleTimeout: 2 * time.Second}
	if mod != nil {
		mod(&o)
	}
	sim := simulator.NewTestServer(t, o)
	client := sftest.Client(t, sim)
	conn, err := Dial(ConnConfig{Endpoint: sim.PubSubAddr()}, client)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	sink := sftest.NewSink()
	kv := &saves{m: map[string][]byte{}, sink: sink}
	core, logs := observer.New(zapcore.InfoLevel)
	return &env{t: t, sim: sim, client: client, conn: conn, sink: sink, kv: kv, store: checkpoint.New(kv), logs: logs, logger: zap.New(core)}
}

func (e *env) source(topic Topic, opts Options) *Source {
	if opts.Logger == nil {
		opts.Logger = e.logger
	}
	opts.RetryInitial, opts.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	if opts.Flush == 0 {
		opts.Flush = 20 * time.Millisecond
	}
	return New(e.conn, topic, opts)
}

func (e *env) runner(src *Source) *stream.Runner[Cursor] {
	return &stream.Runner[Cursor]{
		Stream: src.Descriptor(), Interval: 20 * time.Millisecond, Source: src, Consumer: e.sink, Store: e.store,
		Org: e.client.Org, Logger: e.logger, RetryInitial: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
	}
}

// start runs a stream of topic until the returned stop.
func (e *env) start(topic Topic, opts Options) (stop func()) {
	return sftest.Start(e.t, e.runner(e.source(topic, opts)))
}

// subscribed waits until a Subscribe stream of topic has asked for
// events.
func (e *env) subscribed(topic string) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		c := 0
		for _, st := range e.sim.PubSubStats().Streams {
			if st.Topic == topic && st.Requests > 0 {
				c++
			}
		}
		return c >= 1
	}, 10*time.Second, 5*time.Millisecond, "subscribed")
}

// truth is the uid of each event.
func (e *env) truth(evs ...[]simulator.PublishedEvent) map[string]string {
	org := e.sim.Options().OrgID
	want := map[string]string{}
	for _, list := range evs {
		for _, ev := range list {
			d := Descriptor(ev.Topic)
			key := ev.EventUuid
			if StorageObject(ev.Topic) != "" {
				key = ev.EventIdentifier
			}
			want[convert.RecordUID(org, uidStream(d), key)] = ev.Topic + " " + key
		}
	}
	return want
}

func (e *env) waitCount(n int) {
	e.t.Helper()
	require.Eventually(e.t, func() bool { return e.sink.Count() >= n }, 15*time.Second, 5*time.Millisecond,
		"want %d records, have %d", n, e.sink.Count())
}

// pos is the simulator's bus position of a replay id: tests may look
// inside them, the receiver never does.
func pos(id []byte) uint64 {
	if len(id) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(id) & (1<<48 - 1)
}

func TestFlowControl(t *testing.T) {
	for _, batch := range []int{1, 7, 100} {
		t.Run(map[int]string{1: "batch1", 7: "batch7", 100: "batch100"}[batch], func(t *testing.T) {
			e := newEnv(t, nil)
			evs := e.sim.Publish(loginTopic, 260)
			e.start(Topic{Name: loginTopic, Replay: ReplayEarliest}, Options{BatchSize: batch})
			e.waitCount(len(evs))
			more := e.sim.Publish(loginTopic, 40)
			e.waitCount(len(evs) + len(more))
			e.sink.ExactlyOnce(t, sftest.UID, e.truth(evs, more))
			st := e.sim.PubSubStats()
			t.Logf("batch_size %d: max outstanding %d, events %d, pages %d, subscribes %d", batch, st.MaxOutstanding, e.sink.Count(), e.sink.Pages(), st.Subscribes)
			assert.LessOrEqual(t, st.MaxOutstanding, batch)
			assert.Zero(t, st.IdleCloses)
			assert.Equal(t, 1, st.Subscribes)
			assert.Less(t, e.sink.Pages(), len(evs), "events are paged, not one call each")
		})
	}
}

func TestCheckpointAfterAccept(t *testing.T) {
	e := newEnv(t, nil)
	first := e.sim.Publish(loginTopic, 30)
	// The consumer takes the first page, then refuses everything.
	e.sink.SetRefuse(func(d sftest.Delivery) error {
		if d.Pages >= 1 {
			return errors.New("refused")
		}
		return nil
	})
	stop := e.start(Topic{Name: loginTopic, Replay: ReplayEarliest}, Options{BatchSize: 10, MaxPage: 10})
	require.Eventually(t, func() bool { return e.sink.Refused() >= 3 }, 10*time.Second, time.Millisecond)
	more := e.sim.Publish(loginTopic, 200) // must not be pulled in while refused
	time.Sleep(300 * time.Millisecond)
	st := e.sim.PubSubStats()
	assert.LessOrEqual(t, st.MaxOutstanding, 10)
	assert.LessOrEqual(t, st.EventsSent, 10+10+10, "no more asked for while the consumer refuses")
	stop()
	accepted := e.sink.Count()
	c, ok := e.kv.last()
	require.True(t, ok)
	assert.Equal(t, pos(first[accepted-1].ReplayID), pos(c.ReplayID), "the cursor is the last accepted event")

	// A restart from the stored cursor, the consumer accepting again.
	e.sink.SetRefuse(nil)
	e.start(Topic{Name: loginTopic, Replay: ReplayEarliest}, Options{BatchSize: 10})
	e.waitCount(len(first) + len(more))
	e.sink.ExactlyOnce(t, sftest.UID, e.truth(first, more))
	t.Logf("accepted before restart %d, total %d, max outstanding %d", accepted, e.sink.Count(), e.sim.PubSubStats().MaxOutstanding)
}

func TestSchemaChangeMidStream(t *testing.T) {
	e := newEnv(t, nil)
	e.start(Topic{Name: loginTopic}, Options{})
	e.subscribed(loginTopic)
	before := e.sim.Publish(loginTopic, 5)
	e.waitCount(5)
	_, js, err := e.sim.PubSubSchema(loginTopic)
	require.NoError(t, err)
	var sch map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &sch))
	sch["fields"] = append(sch["fields"].([]any), map[string]any{"name": "Extra__c", "type": []any{"null", "string"}, "default": nil, "doc": "Data:Text"})
	nb, _ := json.Marshal(sch)
	newID, err := e.sim.SetTopicSchema(loginTopic, string(nb))
	require.NoError(t, err)
	ev, err := e.sim.PublishEvent(loginTopic, map[string]any{"Extra__c": "hello"})
	require.NoError(t, err)
	require.Equal(t, newID, ev.SchemaID)
	after := append(e.sim.Publish(loginTopic, 4), ev)
	e.waitCount(10)
	e.sink.ExactlyOnce(t, sftest.UID, e.truth(before, after))
	got := e.sink.By(sftest.UID)[convert.RecordUID(e.sim.Options().OrgID, "object/LoginEvent", ev.EventIdentifier)]
	v, ok := got.Body().Map().Get("Extra__c")
	require.True(t, ok, "decoded with the new schema")
	assert.Equal(t, "hello", v.Str())
	assert.Equal(t, 2, e.sim.PubSubStats().GetSchema, "each schema fetched once")
}

func TestKeepaliveMovesCursorOnlyWhenNothingPending(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.PubSubKeepalive = 50 * time.Millisecond })
	refusing := true
	var mu sync.Mutex
	e.sink.SetRefuse(func(d sftest.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		if refusing && d.Logs.LogRecordCount() > 0 {
			return errors.New("refused")
		}
		return nil
	})
	e.start(Topic{Name: loginTopic}, Options{})
	e.subscribed(loginTopic)
	time.Sleep(200 * time.Millisecond) // keepalives on an empty topic move the cursor
	c0, ok := e.kv.last()
	require.True(t, ok, "a keepalive saved a cursor")
	evs := e.sim.Publish(loginTopic, 3)
	e.sim.Publish(anomalyTopic, 2) // the bus moves on beyond the topic's events
	require.Eventually(t, func() bool { return e.sink.Refused() >= 2 }, 5*time.Second, time.Millisecond)
	time.Sleep(300 * time.Millisecond) // several keepalives while the page is refused
	c1, _ := e.kv.last()
	assert.Equal(t, pos(c0.ReplayID), pos(c1.ReplayID), "no keepalive moved the cursor past the refused events")
	mu.Lock()
	refusing = false
	mu.Unlock()
	e.waitCount(3)
	tip := e.sim.PubSubLatestReplayID()
	require.Eventually(t, func() bool { c, _ := e.kv.last(); return pos(c.ReplayID) == pos(tip) }, 5*time.Second, 5*time.Millisecond,
		"after acceptance a keepalive moves the cursor to the bus's tip")
	// Every saved cursor had every event at or before it accepted.
	want := e.truth(evs)
	e.kv.mu.Lock()
	defer e.kv.mu.Unlock()
	for _, s := range e.kv.log {
		for i, ev := range evs {
			if pos(ev.ReplayID) <= pos(s.cursor.ReplayID) {
				uid := convert.RecordUID(e.sim.Options().OrgID, "object/LoginEvent", ev.EventIdentifier)
				require.Contains(t, s.accepted, uid, "cursor %x saved before event %d (%s) was accepted", s.cursor.ReplayID, i, want[uid])
			}
		}
	}
}

func TestIdleTopicIsNotClosed(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) {
		o.PubSubIdleTimeout = 300 * time.Millisecond
		o.PubSubKeepalive = 100 * time.Millisecond
	})
	e.start(Topic{Name: anomalyTopic}, Options{BatchSize: 3})
	e.subscribed(anomalyTopic)
	time.Sleep(1500 * time.Millisecond)
	evs := e.sim.Publish(anomalyTopic, 7)
	e.waitCount(7)
	e.sink.ExactlyOnce(t, sftest.UID, e.truth(evs))
	st := e.sim.PubSubStats()
	assert.Zero(t, st.IdleCloses)
	assert.Equal(t, 1, st.Subscribes)
	assert.LessOrEqual(t, st.MaxOutstanding, 3)
	for _, lr := range e.sink.Records() {
		assert.Equal(t, "WARN", lr.SeverityText(), "anomaly events are WARN")
		et, _ := lr.Attributes().Get(semconv.AttrEventType)
		assert.Equal(t, "ApiAnomalyEventStore", et.Str())
		tp, _ := lr.Attributes().Get(semconv.AttrPubSubTopic)
		assert.Equal(t, anomalyTopic, tp.Str())
	}
}

func TestFaultsLoseNothingAndRepeatNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(*simulator.Server)
		subs  int // Subscribe streams at least
	}{
		{"unavailable", func(s *simulator.Server) {
			s.InjectPubSubFault(simulator.PubSubFault{Code: codes.Unavailable, AfterEvents: 13})
		}, 2},
		{"rst_stream", func(s *simulator.Server) {
			s.InjectPubSubFault(simulator.PubSubFault{Code: codes.Internal, ErrorCode: "-", Message: "RST_STREAM closed stream. HTTP/2 error code: INTERNAL_ERROR", AfterEvents: 9})
		}, 2},
		{"dropped_connection", func(s *simulator.Server) {
			s.InjectPubSubFault(simulator.PubSubFault{Drop: true, AfterEvents: 17})
		}, 2},
		{"auth_expiry", func(s *simulator.Server) { s.ExpireSessions() }, 2},
		{"auth_error_trailer", func(s *simulator.Server) {
			s.InjectPubSubFault(simulator.PubSubFault{Code: codes.Unauthenticated, AfterEvents: 5})
		}, 2},
		{"concurrent_limit", func(s *simulator.Server) {
			s.InjectPubSubFault(simulator.PubSubFault{Code: codes.ResourceExhausted, AfterEvents: 3, Times: 2})
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.start(Topic{Name: loginTopic}, Options{BatchSize: 10})
			e.subscribed(loginTopic)
			a := e.sim.Publish(loginTopic, 25)
			e.waitCount(1)
			tc.fault(e.sim)
			b := e.sim.Publish(loginTopic, 25)
			e.waitCount(50)
			time.Sleep(100 * time.Millisecond)
			e.sink.ExactlyOnce(t, sftest.UID, e.truth(a, b))
			st := e.sim.PubSubStats()
			t.Logf("%s: delivered %d, subscribes %d, auth failures %d, max outstanding %d", tc.name, e.sink.Count(), st.Subscribes, st.AuthFailures, st.MaxOutstanding)
			assert.GreaterOrEqual(t, st.Subscribes, tc.subs, "the fault ended a stream")
			assert.LessOrEqual(t, st.MaxOutstanding, 10)
			assert.Zero(t, e.sim.PendingPubSubFaults())
		})
	}
}

func TestReplayPresets(t *testing.T) {
	for _, replay := range []string{ReplayEarliest, ReplayLatest} {
		t.Run(replay, func(t *testing.T) {
			e := newEnv(t, nil)
			retained := e.sim.Publish(loginTopic, 12)
			e.start(Topic{Name: loginTopic, Replay: replay}, Options{})
			e.subscribed(loginTopic)
			later := e.sim.Publish(loginTopic, 5)
			want := e.truth(later)
			if replay == ReplayEarliest {
				want = e.truth(retained, later)
			}
			e.waitCount(len(want))
			time.Sleep(100 * time.Millisecond)
			e.sink.ExactlyOnce(t, sftest.UID, want)
		})
	}
}

// A replay id Salesforce no longer holds: the WARN names the gap, and
// the events in it are read from the topic's storage object (a big
// object for LoginEventStream, a standard one for UniversalAnomalyEvent),
// or are lost without one, as the WARN says.
func TestExpiredReplayID(t *testing.T) {
	for _, topic := range []string{loginTopic, universalTopic} {
		for _, fill := range []bool{true, false} {
			name := map[bool]string{true: "gap_read_from_storage", false: "no_storage_read"}[fill]
			t.Run(topic+"/"+name, func(t *testing.T) {
				e := newEnv(t, func(o *simulator.Options) { o.PubSubRetention = 1500 * time.Millisecond })
				opts := Options{PeekTimeout: time.Second}
				if fill {
					opts.Gap = &BigObjectGaps{Client: e.client, APIVersion: simulator.DefaultAPIVersion, Logger: e.logger}
				}
				stop := e.start(Topic{Name: topic}, opts)
				e.subscribed(topic)
				a := e.sim.Publish(topic, 4)
				e.waitCount(4)
				stop()
				b := e.sim.Publish(topic, 5) // published while down, gone before the restart
				time.Sleep(1700 * time.Millisecond)
				c := e.sim.Publish(topic, 3)
				require.Len(t, e.sim.PubSubEvents(topic), 3, "a and b are past retention")

				e.start(Topic{Name: topic}, opts)
				want := e.truth(a, c)
				if fill {
					want = e.truth(a, b, c)
				}
				e.waitCount(len(want))
				time.Sleep(200 * time.Millisecond)
				e.sink.ExactlyOnce(t, sftest.UID, want)
				warns := e.logs.FilterMessageSnippet("no longer holds the stored replay id").All()
				require.Len(t, warns, 1)
				assert.Equal(t, zapcore.WarnLevel, warns[0].Level)
				fields := warns[0].ContextMap()
				assert.Equal(t, a[len(a)-1].Fields["EventDate"].(time.Time).UTC(), fields["last_delivered"].(time.Time).UTC())
				assert.Equal(t, c[0].Fields["EventDate"].(time.Time).UTC(), fields["first_retained"].(time.Time).UTC())
				if fill {
					for _, lr := range e.sink.Records() {
						typ, _ := lr.Attributes().Get(semconv.AttrEventType)
						assert.Equal(t, StorageObject(topic), typ.Str(), "gap reads and events alike carry the storage object")
					}
				}
				t.Logf("%s: delivered %d (a %d, b %d, c %d), warn %v", name, e.sink.Count(), len(a), len(b), len(c), fields["gap"])
			})
		}
	}
}

// An event read from its topic and from its storage object is one record
// twice: the same uid, event type and severity (a threat event WARN on
// both), the same body but for the row's own fields.
func TestUIDSameAsStorageRow(t *testing.T) {
	for _, tc := range []struct {
		topic, storage string
		warn           bool
	}{{loginTopic, "LoginEvent", false}, {universalTopic, "UniversalAnomalyEventStore", true}} {
		t.Run(tc.topic, func(t *testing.T) {
			e := newEnv(t, nil)
			// Event times before the objects stream's lag, so it reads them now.
			var evs []simulator.PublishedEvent
			for i := range 3 {
				ev, err := e.sim.PublishEvent(tc.topic, map[string]any{"EventDate": time.Now().Add(-time.Duration(10+i) * time.Minute)})
				require.NoError(t, err)
				require.Equal(t, tc.storage, ev.StorageObject)
				evs = append(evs, ev)
			}
			ps := e.runner(e.source(Topic{Name: tc.topic, Replay: ReplayEarliest}, Options{}))
			od := objects.Descriptor(tc.storage, "")
			obj := &stream.Runner[objects.Cursor]{
				Stream: od, Interval: 50 * time.Millisecond, Consumer: e.sink, Store: e.store, Org: e.client.Org, Logger: e.logger,
				Source: objects.New(e.client, objects.Config{Name: tc.storage},
					objects.Options{Backfill: time.Hour, APIVersion: simulator.DefaultAPIVersion, Logger: e.logger}),
			}
			org := e.sim.Options().OrgID
			sftest.RunUntil(t, 15*time.Second, func() bool {
				for _, ev := range evs {
					if e.sink.Times(convert.RecordUID(org, od.Name, ev.EventIdentifier)) < 2 {
						return false
					}
				}
				return true
			}, ps, obj)
			byUID := map[string][]string{}
			for _, lr := range e.sink.Records() {
				byUID[sftest.UID(lr)] = append(byUID[sftest.UID(lr)], lr.EventName())
				typ, _ := lr.Attributes().Get(semconv.AttrEventType)
				assert.Equal(t, tc.storage, typ.Str())
				if tc.warn {
					assert.Equal(t, "WARN", lr.SeverityText(), "a threat event is WARN on either path")
				}
			}
			for _, ev := range evs {
				uid := convert.RecordUID(org, od.Name, ev.EventIdentifier)
				assert.ElementsMatch(t, []string{semconv.EventPubSub, semconv.EventObject}, byUID[uid], "one record per path, one uid")
			}
			// The same body either way, but for the row's own fields.
			for _, ev := range evs[:1] {
				uid := convert.RecordUID(org, od.Name, ev.EventIdentifier)
				var bodies []map[string]any
				for _, lr := range e.sink.Records() {
					if sftest.UID(lr) == uid {
						b := lr.Body().Map().AsRaw()
						for _, own := range []string{"Id", "CreatedDate", "UniversalAnomalyEventNumber", "EventUuid"} {
							delete(b, own)
						}
						bodies = append(bodies, b)
					}
				}
				require.Len(t, bodies, 2)
				for k, v := range bodies[1] {
					if _, ok := bodies[0][k]; ok {
						assert.Equal(t, number(v), number(bodies[0][k]), k)
					}
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.DeniedTopics = []string{anomalyTopic} })
	_, err := e.source(Topic{Name: loginTopic}, Options{}).Check(context.Background())
	require.NoError(t, err)
	_, err = e.source(Topic{Name: anomalyTopic}, Options{}).Check(context.Background())
	require.Error(t, err)
	assert.Equal(t, sfapi.ClassQuery, sfapi.Classify(err), "the connection test names the fix: %v", err)
	_, err = e.source(Topic{Name: "/event/Nope__e"}, Options{}).Check(context.Background())
	assert.Equal(t, sfapi.ClassQuery, sfapi.Classify(err), "%v", err)
}

func TestConfigChecks(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		ok, loop bool
	}{
		{"api.pubsub.salesforce.com:7443", true, false},
		{"127.0.0.1:7443", true, true},
		{"localhost:1", true, true},
		{"[::1]:7443", true, true},
		{"api.pubsub.salesforce.com", false, false},
		{"https://api.pubsub.salesforce.com:7443", false, false},
		{":7443", false, false},
		{"host:port", false, false},
	} {
		assert.Equal(t, tc.ok, CheckEndpoint(tc.endpoint) == nil, tc.endpoint)
		assert.Equal(t, tc.loop, IsLoopback(tc.endpoint), tc.endpoint)
	}
	assert.Equal(t, "pubsub/event/LoginEventStream", Descriptor(loginTopic).Name)
	assert.Equal(t, "LoginEvent", Descriptor(loginTopic).Map.EventType)
	assert.Equal(t, "ApiAnomalyEventStore", Descriptor(anomalyTopic).Map.EventType)
	assert.Equal(t, "Security_Alert__e", Descriptor("/event/Security_Alert__e").Map.EventType)
	assert.Equal(t, "AccountChangeEvent", Descriptor("/data/AccountChangeEvent").Map.EventType)
}

// number makes 15 and 15.0 alike: the simulator's REST renders some
// doubles without a decimal point, which convert reads as int64.
func number(v any) any {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v
}
