package pubsub_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/pubsub"
)

const loginStream = "/event/LoginEventStream"

type psClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *psClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *psClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type psEnv struct {
	s   *simulator.Server
	clk *psClock
	c   pb.PubSubClient
	tok string
}

// newPSEnv serves an org with Pub/Sub on loopback and dials it with a real
// gRPC client; keepalives come every 50ms unless mod says otherwise.
func newPSEnv(t *testing.T, mod func(*simulator.Options)) *psEnv {
	t.Helper()
	clk := &psClock{now: simtest.Now}
	o := simtest.Options()
	o.Now = clk.Now
	o.PubSub = true
	o.PubSubKeepalive = 50 * time.Millisecond
	o.PubSubIdleTimeout = 5 * time.Second
	if mod != nil {
		mod(&o)
	}
	s := simulator.NewTestServer(t, o)
	require.NotEmpty(t, s.PubSubAddr())
	conn, err := grpc.NewClient(s.PubSubAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &psEnv{s: s, clk: clk, c: pb.NewPubSubClient(conn), tok: simtest.Login(t, s)}
}

// ctx carries the auth metadata; canceled at the end of the test.
func (e *psEnv) ctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", e.tok, "instanceurl", e.s.URL(), "tenantid", e.s.Options().OrgID)
}

// sub is a Subscribe stream whose responses a goroutine collects.
type sub struct {
	t      *testing.T
	stream pb.PubSub_SubscribeClient
	resps  chan *pb.FetchResponse
	done   chan error
}

func (e *psEnv) subscribe(t *testing.T, first *pb.FetchRequest) *sub {
	t.Helper()
	return e.subscribeCtx(e.ctx(t), t, first)
}

func (e *psEnv) subscribeCtx(ctx context.Context, t *testing.T, first *pb.FetchRequest) *sub {
	t.Helper()
	stream, err := e.c.Subscribe(ctx)
	require.NoError(t, err)
	if first != nil {
		// io.EOF: the server has already ended the stream (say, refused
		// the credentials); the status comes with Recv.
		if err := stream.Send(first); !errors.Is(err, io.EOF) {
			require.NoError(t, err)
		}
	}
	sb := &sub{t: t, stream: stream, resps: make(chan *pb.FetchResponse, 1000), done: make(chan error, 1)}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				sb.done <- err
				return
			}
			sb.resps <- r
		}
	}()
	return sb
}

func (sb *sub) request(n int32) {
	sb.t.Helper()
	require.NoError(sb.t, sb.stream.Send(&pb.FetchRequest{NumRequested: n}))
}

// next returns the next response; it fails the test on a stream end.
func (sb *sub) next(timeout time.Duration) *pb.FetchResponse {
	sb.t.Helper()
	select {
	case r := <-sb.resps: // responses received before the end come first
		return r
	default:
	}
	select {
	case r := <-sb.resps:
		return r
	case err := <-sb.done:
		select {
		case r := <-sb.resps:
			sb.done <- err
			return r
		default:
		}
		sb.t.Fatalf("stream ended: %v", err)
	case <-time.After(timeout):
		sb.t.Fatalf("no response within %v", timeout)
	}
	return nil
}

// events collects n events, skipping keepalives.
func (sb *sub) events(n int) []*pb.ConsumerEvent {
	sb.t.Helper()
	var out []*pb.ConsumerEvent
	for len(out) < n {
		out = append(out, sb.next(5*time.Second).Events...)
	}
	require.Len(sb.t, out, n)
	return out
}

// end waits up to 5s for the stream to end and returns its error (nil:
// status OK).
func (sb *sub) end() error {
	sb.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case <-sb.resps:
		case err := <-sb.done:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-deadline:
			sb.t.Fatal("stream still open after 5s")
			return nil
		}
	}
}

// noEvents checks that no event arrives for d (keepalives may).
func (sb *sub) noEvents(d time.Duration) {
	sb.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case r := <-sb.resps:
			require.Empty(sb.t, r.Events, "no event expected")
		case err := <-sb.done:
			sb.t.Fatalf("stream ended: %v", err)
		case <-deadline:
			return
		}
	}
}

func trailerCode(md metadata.MD) string {
	if v := md.Get("error-code"); len(v) > 0 {
		return v[0]
	}
	return ""
}

// requireStatus checks a stream's end: status code and error-code trailer.
func (sb *sub) requireStatus(err error, code codes.Code, errorCode string) {
	sb.t.Helper()
	require.Equal(sb.t, code, status.Code(err), "%v", err)
	require.Equal(sb.t, errorCode, trailerCode(sb.stream.Trailer()))
	if errorCode != "" {
		require.Contains(sb.t, status.Convert(err).Message(), "rpcId: ")
		require.NotEmpty(sb.t, sb.stream.Trailer().Get("rpc-id"))
	}
}

func replayIDs(evs []*pb.ConsumerEvent) [][]byte {
	out := make([][]byte, len(evs))
	for i, e := range evs {
		out[i] = e.ReplayId
	}
	return out
}

func truthIDs(evs []simulator.PublishedEvent) [][]byte {
	out := make([][]byte, len(evs))
	for i, e := range evs {
		out[i] = e.ReplayID
	}
	return out
}

func TestPubSubAuth(t *testing.T) {
	e := newPSEnv(t, nil)
	o := e.s.Options()
	tests := []struct {
		name string
		md   []string
		code codes.Code
	}{
		{"valid", []string{"accesstoken", e.tok, "instanceurl", e.s.URL(), "tenantid", o.OrgID}, codes.OK},
		{"instance url with a slash", []string{"accesstoken", e.tok, "instanceurl", e.s.URL() + "/", "tenantid", o.OrgID}, codes.OK},
		{"no metadata", nil, codes.Unauthenticated},
		{"unknown token", []string{"accesstoken", "00D!bogus", "instanceurl", e.s.URL(), "tenantid", o.OrgID}, codes.Unauthenticated},
		{"no instance url", []string{"accesstoken", e.tok, "tenantid", o.OrgID}, codes.Unauthenticated},
		{"no tenant", []string{"accesstoken", e.tok, "instanceurl", e.s.URL()}, codes.Unauthenticated},
		{"15-char org id", []string{"accesstoken", e.tok, "instanceurl", e.s.URL(), "tenantid", o.OrgID[:15]}, codes.Unauthenticated},
		{"other instance", []string{"accesstoken", e.tok, "instanceurl", "https://other.my.salesforce.com", "tenantid", o.OrgID}, codes.Unauthenticated},
	}
	schemaID, _, err := e.s.PubSubSchema(loginStream)
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tc.md != nil {
				ctx = metadata.AppendToOutgoingContext(ctx, tc.md...)
			}
			want := ""
			if tc.code != codes.OK {
				want = simulator.PubSubErrAuth
			}
			var tr metadata.MD
			_, err := e.c.GetTopic(ctx, &pb.TopicRequest{TopicName: loginStream}, grpc.Trailer(&tr))
			require.Equal(t, tc.code, status.Code(err), "GetTopic: %v", err)
			require.Equal(t, want, trailerCode(tr))
			tr = nil
			_, err = e.c.GetSchema(ctx, &pb.SchemaRequest{SchemaId: schemaID}, grpc.Trailer(&tr))
			require.Equal(t, tc.code, status.Code(err), "GetSchema: %v", err)
			require.Equal(t, want, trailerCode(tr))

			sb := e.subscribeCtx(ctx, t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 1})
			if tc.code == codes.OK {
				r := sb.next(5 * time.Second) // a keepalive
				require.Empty(t, r.Events)
				return
			}
			sb.requireStatus(sb.end(), tc.code, want)
		})
	}
	require.NotZero(t, e.s.PubSubStats().AuthFailures)
}

func TestPubSubGetTopicAndSchema(t *testing.T) {
	e := newPSEnv(t, func(o *simulator.Options) { o.DeniedTopics = []string{"/event/ApiAnomalyEvent"} })
	ctx := e.ctx(t)
	for _, topic := range e.s.PubSubTopics() {
		t.Run(topic, func(t *testing.T) {
			ti, err := e.c.GetTopic(ctx, &pb.TopicRequest{TopicName: topic})
			require.NoError(t, err)
			require.Equal(t, topic, ti.TopicName)
			require.Equal(t, e.s.Options().OrgID, ti.TenantGuid)
			require.NotEmpty(t, ti.RpcId)
			require.Equal(t, topic != "/event/ApiAnomalyEvent", ti.CanSubscribe)
			require.Equal(t, topic == "/event/Security_Alert__e", ti.CanPublish)
			id, js, err := e.s.PubSubSchema(topic)
			require.NoError(t, err)
			require.Equal(t, id, ti.SchemaId)
			si, err := e.c.GetSchema(ctx, &pb.SchemaRequest{SchemaId: ti.SchemaId})
			require.NoError(t, err)
			require.Equal(t, id, si.SchemaId)
			require.JSONEq(t, js, si.SchemaJson)
			_, err = avro.Parse(si.SchemaJson)
			require.NoError(t, err)
		})
	}
	for _, tc := range []struct {
		name, topic, errorCode string
		code                   codes.Code
	}{
		{"unknown topic", "/event/NoSuchEvent__e", simulator.PubSubErrTopicNotFound, codes.NotFound},
		{"storage object name", "/event/LoginEvent", simulator.PubSubErrTopicNotFound, codes.NotFound},
		{"denied topic", "/event/ApiAnomalyEvent", simulator.PubSubErrTopicPermission, codes.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr metadata.MD
			_, err := e.c.GetTopic(ctx, &pb.TopicRequest{TopicName: tc.topic}, grpc.Trailer(&tr))
			if tc.code == codes.PermissionDenied {
				require.NoError(t, err, "GetTopic says can_subscribe false instead")
			} else {
				require.Equal(t, tc.code, status.Code(err))
				require.Equal(t, tc.errorCode, trailerCode(tr))
			}
			sb := e.subscribe(t, &pb.FetchRequest{TopicName: tc.topic, NumRequested: 1})
			sb.requireStatus(sb.end(), tc.code, tc.errorCode)
		})
	}
	var tr metadata.MD
	_, err := e.c.GetSchema(ctx, &pb.SchemaRequest{SchemaId: "AAAAAAAAAAAAAAAAAAAAAA"}, grpc.Trailer(&tr))
	require.Equal(t, codes.NotFound, status.Code(err))
	require.Equal(t, simulator.PubSubErrSchemaNotFound, trailerCode(tr))
	st := e.s.PubSubStats()
	require.Equal(t, len(e.s.PubSubTopics())+3, st.GetTopic)
	require.Equal(t, len(e.s.PubSubTopics())+1, st.GetSchema)
}

// waitSubscribed waits until n Subscribe streams have had their first
// FetchRequest handled (so "events after subscribing" is well defined).
func (e *psEnv) waitSubscribed(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		k := 0
		for _, st := range e.s.PubSubStats().Streams {
			if st.Topic != "" {
				k++
			}
		}
		return k >= n
	}, 5*time.Second, time.Millisecond)
}

func TestPubSubReplayPresets(t *testing.T) {
	tests := []struct {
		name   string
		req    func(old []simulator.PublishedEvent) *pb.FetchRequest
		before func(old []simulator.PublishedEvent) []simulator.PublishedEvent // old events expected first
	}{
		{"latest by default",
			func([]simulator.PublishedEvent) *pb.FetchRequest { return &pb.FetchRequest{TopicName: loginStream} },
			func([]simulator.PublishedEvent) []simulator.PublishedEvent { return nil }},
		{"earliest",
			func([]simulator.PublishedEvent) *pb.FetchRequest {
				return &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST}
			},
			func(old []simulator.PublishedEvent) []simulator.PublishedEvent { return old }},
		{"custom after the first",
			func(old []simulator.PublishedEvent) *pb.FetchRequest {
				return &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_CUSTOM, ReplayId: old[0].ReplayID}
			},
			func(old []simulator.PublishedEvent) []simulator.PublishedEvent { return old[1:] }},
		{"custom after the last",
			func(old []simulator.PublishedEvent) *pb.FetchRequest {
				return &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_CUSTOM, ReplayId: old[2].ReplayID}
			},
			func([]simulator.PublishedEvent) []simulator.PublishedEvent { return nil }},
	}
	var all []simulator.PublishedEvent
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newPSEnv(t, nil)
			old := e.s.Publish(loginStream, 3)
			e.s.Publish("/event/ApiAnomalyEvent", 2) // the bus is shared
			req := tc.req(old)
			req.NumRequested = 10
			sb := e.subscribe(t, req)
			e.waitSubscribed(t, 1)
			var got []*pb.ConsumerEvent
			before := tc.before(old)
			for len(got) < len(before) {
				got = append(got, sb.next(5*time.Second).Events...)
			}
			fresh := e.s.Publish(loginStream, 2)
			got = append(got, sb.events(2)...)
			want := append(append([]simulator.PublishedEvent{}, before...), fresh...)
			require.Equal(t, truthIDs(want), replayIDs(got))
			for i, ce := range got {
				require.Equal(t, want[i].Payload, ce.Event.Payload)
				require.Equal(t, want[i].SchemaID, ce.Event.SchemaId)
				require.Equal(t, want[i].ID, ce.Event.Id)
			}
			sb.noEvents(150 * time.Millisecond)
			all = append(e.s.PubSubEvents(loginStream), e.s.PubSubEvents("/event/ApiAnomalyEvent")...)
		})
	}
	// Replay ids: 8 opaque bytes, one prefix, increasing on the bus but
	// not contiguous.
	gaps := 0
	for i, ev := range all {
		require.Len(t, ev.ReplayID, 8)
		require.Equal(t, all[0].ReplayID[:2], ev.ReplayID[:2])
		if i > 0 && binary.BigEndian.Uint64(ev.ReplayID) != binary.BigEndian.Uint64(all[i-1].ReplayID)+1 {
			gaps++
		}
	}
	require.NotZero(t, gaps)
}

func TestPubSubFlowControl(t *testing.T) {
	e := newPSEnv(t, nil)
	truth := e.s.Publish(loginStream, 250)
	sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: 150})
	var got []*pb.ConsumerEvent
	for len(got) < 100 {
		r := sb.next(5 * time.Second)
		require.LessOrEqual(t, len(r.Events), pubsub.MaxBatch)
		got = append(got, r.Events...)
		require.Equal(t, int32(100-len(got)), r.PendingNumRequested, "150 requested counts as 100")
		if len(r.Events) > 0 {
			require.Equal(t, r.Events[len(r.Events)-1].ReplayId, r.LatestReplayId)
		}
	}
	sb.noEvents(200 * time.Millisecond) // nothing pending: no events, no keepalives
	sb.request(30)
	sb.request(30) // requests add up
	more := sb.events(60)
	got = append(got, more...)
	require.Equal(t, truthIDs(truth[:160]), replayIDs(got))
	sb.request(5)
	r := sb.next(5 * time.Second)
	require.Len(t, r.Events, 5)
	require.Equal(t, int32(0), r.PendingNumRequested)

	st := e.s.PubSubStats()
	require.Len(t, st.Streams, 1)
	require.Equal(t, 150, st.Streams[0].MaxOutstanding, "counted before the cap")
	require.Equal(t, 165, st.Streams[0].EventsSent)
	require.Equal(t, 4, st.Streams[0].Requests)
	require.Equal(t, loginStream, st.Streams[0].Topic)
	require.Equal(t, 165, st.EventsSent)
	require.Equal(t, 150, st.MaxOutstanding)
}

func TestPubSubKeepalive(t *testing.T) {
	e := newPSEnv(t, nil)
	e.s.Publish(loginStream, 1)
	sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 5})
	k := sb.next(time.Second)
	require.Empty(t, k.Events)
	require.Equal(t, int32(5), k.PendingNumRequested)
	require.Equal(t, e.s.PubSubLatestReplayID(), k.LatestReplayId)
	// Another topic's traffic moves the bus on: the keepalive's id is then
	// ahead of this topic's last event.
	other := e.s.Publish("/event/SessionHijackingEvent", 3)
	var k2 *pb.FetchResponse
	for k2 == nil || string(k2.LatestReplayId) != string(other[2].ReplayID) {
		k2 = sb.next(time.Second)
		require.Empty(t, k2.Events)
	}
	require.Greater(t, e.s.PubSubStats().Keepalives, 1)
	// Resuming from a keepalive's id loses nothing.
	require.NoError(t, sb.stream.CloseSend())
	sb2 := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_CUSTOM, ReplayId: k2.LatestReplayId, NumRequested: 5})
	require.Empty(t, sb2.next(time.Second).Events)
	fresh := e.s.Publish(loginStream, 1)
	require.Equal(t, truthIDs(fresh), replayIDs(sb2.events(1)))
}

func TestPubSubIdleClose(t *testing.T) {
	e := newPSEnv(t, func(o *simulator.Options) { o.PubSubIdleTimeout = 500 * time.Millisecond })
	t.Run("closes when nothing is requested", func(t *testing.T) {
		e.s.Publish(loginStream, 1)
		sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: 1})
		sb.events(1)
		start := time.Now()
		require.NoError(t, sb.end(), "status OK, as Salesforce")
		require.GreaterOrEqual(t, time.Since(start), 350*time.Millisecond)
	})
	t.Run("a new request keeps it open", func(t *testing.T) {
		sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 1})
		require.Empty(t, sb.next(time.Second).Events)
		fresh := e.s.Publish(loginStream, 1)
		require.Equal(t, truthIDs(fresh), replayIDs(sb.events(1)))
		for range 4 {
			time.Sleep(150 * time.Millisecond)
			sb.request(0)
		}
		sb.request(1)
		sb.noEvents(700 * time.Millisecond) // pending again: keepalives, no close
		fresh = e.s.Publish(loginStream, 1)
		require.Equal(t, truthIDs(fresh), replayIDs(sb.events(1)))
		require.NoError(t, sb.end())
	})
	st := e.s.PubSubStats()
	require.Equal(t, 2, st.IdleCloses)
	for _, ss := range st.Streams {
		require.True(t, ss.IdleClosed)
		require.False(t, ss.Open)
		require.Equal(t, codes.OK, ss.EndCode)
	}
}

func TestPubSubRetentionAndReplayIDErrors(t *testing.T) {
	e := newPSEnv(t, nil)
	dropped := e.s.Publish(loginStream, 2)
	e.clk.Advance(71 * time.Hour)
	kept := e.s.Publish(loginStream, 1)
	e.clk.Advance(2 * time.Hour) // the first two are now 73h old
	require.Equal(t, truthIDs(kept), truthIDs(e.s.PubSubEvents(loginStream)))

	// 1000 positions past the bus's tip: a replay id's low 48 bits are its
	// position (the package doc).
	beyond := binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(e.s.PubSubLatestReplayID())+1000)
	otherPrefix := append([]byte{}, kept[0].ReplayID...)
	otherPrefix[0] ^= 0x55
	tests := []struct {
		name      string
		id        []byte
		errorCode string
	}{
		{"dropped event", dropped[0].ReplayID, simulator.PubSubErrReplayIDCorrupted},
		{"newest dropped event", dropped[1].ReplayID, simulator.PubSubErrReplayIDCorrupted},
		{"never issued", beyond, simulator.PubSubErrReplayIDCorrupted},
		{"too short", []byte{1, 2, 3}, simulator.PubSubErrReplayIDValidation},
		{"empty", nil, simulator.PubSubErrReplayIDValidation},
		{"another org's", otherPrefix, simulator.PubSubErrReplayIDValidation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_CUSTOM, ReplayId: tc.id, NumRequested: 10})
			sb.requireStatus(sb.end(), codes.InvalidArgument, tc.errorCode)
		})
	}
	t.Run("earliest starts at the oldest retained", func(t *testing.T) {
		sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: 10})
		require.Equal(t, truthIDs(kept), replayIDs(sb.events(1)))
	})
	t.Run("a retained id resumes after it", func(t *testing.T) {
		sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_CUSTOM, ReplayId: kept[0].ReplayID, NumRequested: 10})
		require.Empty(t, sb.next(time.Second).Events)
	})
}

func TestPubSubBadRequests(t *testing.T) {
	e := newPSEnv(t, nil)
	t.Run("another topic later", func(t *testing.T) {
		sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 1})
		sb.next(time.Second)
		require.NoError(t, sb.stream.Send(&pb.FetchRequest{TopicName: "/event/ApiAnomalyEvent", NumRequested: 1}))
		sb.requireStatus(sb.end(), codes.InvalidArgument, simulator.PubSubErrTopicMismatch)
	})
	t.Run("same topic later is fine", func(t *testing.T) {
		sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 1})
		sb.next(time.Second)
		require.NoError(t, sb.stream.Send(&pb.FetchRequest{TopicName: loginStream, NumRequested: 1}))
		fresh := e.s.Publish(loginStream, 2)
		require.Equal(t, truthIDs(fresh), replayIDs(sb.events(2)))
	})
	for _, tc := range []struct {
		name string
		req  *pb.FetchRequest
	}{
		{"no topic first", &pb.FetchRequest{NumRequested: 1}},
		{"negative count", &pb.FetchRequest{TopicName: loginStream, NumRequested: -1}},
		{"unknown preset", &pb.FetchRequest{TopicName: loginStream, ReplayPreset: 7, NumRequested: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := e.subscribe(t, tc.req)
			sb.requireStatus(sb.end(), codes.InvalidArgument, simulator.PubSubErrInvalidRequest)
		})
	}
}

func TestPubSubSchemaChangeMidStream(t *testing.T) {
	e := newPSEnv(t, nil)
	ctx := e.ctx(t)
	sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 10})
	sb.next(time.Second)
	before := e.s.Publish(loginStream, 1)

	oldID, oldJSON, err := e.s.PubSubSchema(loginStream)
	require.NoError(t, err)
	var sch map[string]any
	require.NoError(t, json.Unmarshal([]byte(oldJSON), &sch))
	delete(sch, "uuid")
	sch["fields"] = append(sch["fields"].([]any), map[string]any{"name": "ThreatLevel__c", "type": []any{"null", "string"}, "doc": "Data:Text", "default": nil})
	newJSON, _ := json.Marshal(sch)
	newID, err := e.s.SetTopicSchema(loginStream, string(newJSON))
	require.NoError(t, err)
	require.NotEqual(t, oldID, newID)
	after, err := e.s.PublishEvent(loginStream, map[string]any{"ThreatLevel__c": "high"})
	require.NoError(t, err)

	got := sb.events(2)
	require.Equal(t, oldID, got[0].Event.SchemaId)
	require.Equal(t, newID, got[1].Event.SchemaId)
	require.Equal(t, before[0].ReplayID, got[0].ReplayId)
	for i, ce := range got {
		si, err := e.c.GetSchema(ctx, &pb.SchemaRequest{SchemaId: ce.Event.SchemaId})
		require.NoError(t, err, "old and new schemas are both served")
		codec, err := goavro.NewCodec(si.SchemaJson)
		require.NoError(t, err)
		nat, _, err := codec.NativeFromBinary(ce.Event.Payload)
		require.NoError(t, err)
		_, has := nat.(map[string]any)["ThreatLevel__c"]
		require.Equal(t, i == 1, has)
	}
	require.Equal(t, "high", after.Fields["ThreatLevel__c"])
	ti, err := e.c.GetTopic(ctx, &pb.TopicRequest{TopicName: loginStream})
	require.NoError(t, err)
	require.Equal(t, newID, ti.SchemaId)

	_, err = e.s.SetTopicSchema(loginStream, `{"type":"string"}`)
	require.Error(t, err)
	_, err = e.s.SetTopicSchema(loginStream, `{nope`)
	require.Error(t, err)
}

func TestPubSubFaults(t *testing.T) {
	tests := []struct {
		name      string
		fault     simulator.PubSubFault
		onOpen    bool // inject after the stream got its first events
		wantCount int  // events received before the end
		code      codes.Code
		errorCode string
	}{
		{"unavailable after 3 events", simulator.PubSubFault{AfterEvents: 3}, false, 3, codes.Unavailable, simulator.PubSubErrUnavailable},
		{"on an open stream", simulator.PubSubFault{Code: codes.Unavailable, ErrorCode: simulator.PubSubErrUnavailable}, true, 2, codes.Unavailable, simulator.PubSubErrUnavailable},
		{"auth error", simulator.PubSubFault{Code: codes.Unauthenticated, AfterEvents: 1}, false, 1, codes.Unauthenticated, simulator.PubSubErrAuth},
		{"concurrent client limit", simulator.PubSubFault{Code: codes.ResourceExhausted}, false, 0, codes.ResourceExhausted, simulator.PubSubErrConcurrentLimit},
		{"dropped connection", simulator.PubSubFault{Drop: true, AfterEvents: 2}, false, 2, codes.Unavailable, ""},
		{"other topic's fault", simulator.PubSubFault{Topic: "/event/ApiAnomalyEvent"}, false, 5, codes.OK, ""}, // ends idle
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newPSEnv(t, func(o *simulator.Options) { o.PubSubIdleTimeout = 300 * time.Millisecond })
			truth := e.s.Publish(loginStream, 5)
			if !tc.onOpen {
				e.s.InjectPubSubFault(tc.fault)
			}
			// All five are requested up front: a FetchRequest sent after the
			// server ended the stream would fail (io.EOF) at random.
			n := int32(5)
			if tc.onOpen {
				n = 2
			}
			sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: n})
			if tc.onOpen {
				sb.events(2)
				e.s.InjectPubSubFault(tc.fault)
			}
			err := sb.end()
			st := e.s.PubSubStats()
			require.Equal(t, tc.wantCount, st.EventsSent)
			if tc.code == codes.OK {
				require.NoError(t, err)
				require.Equal(t, 1, e.s.PendingPubSubFaults())
				return
			}
			sb.requireStatus(err, tc.code, tc.errorCode)
			require.Zero(t, e.s.PendingPubSubFaults())
			// The next stream is healthy and resumes where the last ended.
			last := truth[tc.wantCount-1+boolInt(tc.wantCount == 0)]
			req := &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_CUSTOM, ReplayId: last.ReplayID, NumRequested: 10}
			if tc.wantCount == 0 {
				req = &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: 10}
			}
			sb2 := e.subscribe(t, req)
			rest := truth[tc.wantCount:]
			require.Equal(t, truthIDs(rest), replayIDs(sb2.events(len(rest))))
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPubSubLoginEventStreamMatchesStorage(t *testing.T) {
	e := newPSEnv(t, nil)
	before := len(e.s.Records("LoginEvent"))
	truth := e.s.Publish(loginStream, 20)
	rows := map[string]simulator.Record{}
	for _, r := range e.s.Records("LoginEvent") {
		rows[r.ID] = r
	}
	require.Len(t, rows, before+20)
	_, js, err := e.s.PubSubSchema(loginStream)
	require.NoError(t, err)
	sch := avro.MustParse(js).(*avro.RecordSchema)
	inStream := map[string]bool{}
	for _, f := range sch.Fields() {
		inStream[f.Name()] = true
	}
	storage := org.NewRegistry().Lookup("LoginEvent") // the org's schema of LoginEvent
	for _, f := range storage.Fields {
		require.True(t, f.Name == "Id" || inStream[f.Name], "LoginEvent.%s is on the stream too", f.Name)
	}
	sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: 20})
	got := sb.events(20)
	for i, ev := range truth {
		require.Equal(t, "LoginEvent", ev.StorageObject)
		row, ok := rows[ev.StorageID]
		require.True(t, ok)
		var decoded map[string]any
		require.NoError(t, avro.Unmarshal(sch, got[i].Event.Payload, &decoded))
		typedVals := hambaValue(t, sch, "", decoded).(map[string]any)
		for _, f := range storage.Fields {
			if f.Name == "Id" {
				continue
			}
			require.Equal(t, row.Fields[f.Name], typedVals[f.Name], "LoginEvent.%s", f.Name)
		}
		require.Equal(t, ev.EventIdentifier, row.Fields["EventIdentifier"])
		require.Equal(t, row.Fields["EventDate"], ev.Fields["EventDate"])
	}
	// The REST API finds the same row by EventDate and EventIdentifier
	// (a big object filters on both together, not on EventIdentifier
	// alone), with the empty Id of big objects.
	at := simulator.FormatDateTime(truth[0].Fields["EventDate"].(time.Time))
	qr := simtest.QueryPage(t, e.s, e.tok, simtest.QueryPath("SELECT Id, EventDate, Username FROM LoginEvent WHERE EventDate = "+at+" AND EventIdentifier = '"+truth[0].EventIdentifier+"'"), 0)
	require.Len(t, qr.Records, 1)
	require.Equal(t, "000000000000000AAA", qr.Records[0]["Id"])
	require.Equal(t, at, qr.Records[0]["EventDate"])
	// Every event whose catalog entry is a storage object is stored too.
	require.Equal(t, "ApiAnomalyEventStore", e.s.Publish("/event/ApiAnomalyEvent", 1)[0].StorageObject)
	require.Empty(t, e.s.Publish("/event/MobileEmailEvent", 1)[0].StorageObject, "a streaming event without a storage object")
}

func TestPubSubExpiredSessionEndsStream(t *testing.T) {
	for _, how := range []string{"ExpireSessions", "REST fault"} {
		t.Run(how, func(t *testing.T) {
			e := newPSEnv(t, func(o *simulator.Options) { o.PubSubKeepalive = time.Hour })
			sb := e.subscribe(t, &pb.FetchRequest{TopicName: loginStream, NumRequested: 5})
			e.waitSubscribed(t, 1)
			fresh := e.s.Publish(loginStream, 1)
			require.Equal(t, truthIDs(fresh), replayIDs(sb.events(1)))
			if how == "ExpireSessions" {
				e.s.ExpireSessions()
			} else {
				e.s.InjectFault(simulator.Fault{ExpireSession: true})
				r := simtest.Get(t, e.s, e.tok, "/services/data/v66.0/limits", nil)
				require.Equal(t, 401, r.Status)
			}
			start := time.Now()
			sb.requireStatus(sb.end(), codes.Unauthenticated, simulator.PubSubErrAuth)
			require.Less(t, time.Since(start), 2*time.Second, "promptly, not at the next keepalive")
			var tr metadata.MD
			_, err := e.c.GetTopic(e.ctx(t), &pb.TopicRequest{TopicName: loginStream}, grpc.Trailer(&tr))
			require.Equal(t, codes.Unauthenticated, status.Code(err))
			// A new token works again.
			e.tok = simtest.Login(t, e.s)
			_, err = e.c.GetTopic(e.ctx(t), &pb.TopicRequest{TopicName: loginStream})
			require.NoError(t, err)
		})
	}
}

func TestPubSubPublishRPC(t *testing.T) {
	e := newPSEnv(t, nil)
	ctx := e.ctx(t)
	const topic = "/event/Security_Alert__e"
	ti, err := e.c.GetTopic(ctx, &pb.TopicRequest{TopicName: topic})
	require.NoError(t, err)
	si, err := e.c.GetSchema(ctx, &pb.SchemaRequest{SchemaId: ti.SchemaId})
	require.NoError(t, err)
	codec, err := goavro.NewCodec(si.SchemaJson)
	require.NoError(t, err)
	payload, err := codec.BinaryFromNative(nil, map[string]any{
		"CreatedDate": simtest.Now.UnixMilli(), "CreatedById": simulator.DefaultUserID,
		"Message__c": goavro.Union("string", "hello"), "Risk_Score__c": goavro.Union("double", 42.5),
	})
	require.NoError(t, err)
	resp, err := e.c.Publish(ctx, &pb.PublishRequest{TopicName: topic, Events: []*pb.ProducerEvent{
		{Id: "corr-1", SchemaId: ti.SchemaId, Payload: payload},
		{Id: "corr-2", SchemaId: "bogus", Payload: payload},
	}})
	require.NoError(t, err)
	require.Len(t, resp.Results, 2)
	require.Equal(t, "corr-1", resp.Results[0].CorrelationKey)
	require.Nil(t, resp.Results[0].Error)
	require.NotNil(t, resp.Results[1].Error)
	evs := e.s.PubSubEvents(topic)
	require.Len(t, evs, 1)
	require.Equal(t, resp.Results[0].ReplayId, evs[0].ReplayID)
	require.Equal(t, "hello", evs[0].Fields["Message__c"])
	require.Equal(t, 42.5, evs[0].Fields["Risk_Score__c"])
	require.Equal(t, simtest.Now, evs[0].Fields["CreatedDate"])

	ps, err := e.c.PublishStream(ctx)
	require.NoError(t, err)
	require.NoError(t, ps.Send(&pb.PublishRequest{TopicName: topic, Events: []*pb.ProducerEvent{{Id: "s1", SchemaId: ti.SchemaId, Payload: payload}}}))
	r, err := ps.Recv()
	require.NoError(t, err)
	require.Nil(t, r.Results[0].Error)
	require.NoError(t, ps.CloseSend())

	var tr metadata.MD
	_, err = e.c.Publish(ctx, &pb.PublishRequest{TopicName: loginStream}, grpc.Trailer(&tr))
	require.Equal(t, codes.PermissionDenied, status.Code(err), "Salesforce publishes RTEM events, clients cannot")
	require.Equal(t, simulator.PubSubErrPublishNotPermit, trailerCode(tr))
}

func TestPubSubPublishEvery(t *testing.T) {
	e := newPSEnv(t, func(o *simulator.Options) { o.PublishEvery = 10 * time.Millisecond; o.Now = time.Now })
	before := len(e.s.Records("LoginEvent"))
	require.Eventually(t, func() bool { return len(e.s.PubSubEvents(loginStream)) >= 5 }, 5*time.Second, 10*time.Millisecond)
	e.s.Close() // stops the ticker and the server
	n := len(e.s.PubSubEvents(loginStream))
	require.Len(t, e.s.Records("LoginEvent"), before+n)
	time.Sleep(50 * time.Millisecond)
	require.Len(t, e.s.PubSubEvents(loginStream), n, "Close stopped publishing")
}
