package pubsub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// psError is a Pub/Sub API failure: a gRPC status whose message ends in
// "rpcId: <id>", with the trailers error-code and rpc-id (set by the
// interceptors), as Pub/Sub API "Handle Errors" describes
// (https://developer.salesforce.com/docs/platform/pub-sub-api/guide/handling-errors.html).
// The messages are the simulator's own.
type psError struct {
	code      codes.Code
	errorCode string
	msg       string
	rpcID     string
}

func newPSError(code codes.Code, errorCode, format string, args ...any) *psError {
	return &psError{code: code, errorCode: errorCode, msg: fmt.Sprintf(format, args...), rpcID: newRPCID()}
}

func (e *psError) Error() string { return e.GRPCStatus().Err().Error() }

func (e *psError) GRPCStatus() *status.Status {
	return status.New(e.code, e.msg+" rpcId: "+e.rpcID)
}

func (e *psError) trailer() metadata.MD {
	md := metadata.Pairs("rpc-id", e.rpcID)
	if e.errorCode != "" {
		md.Set("error-code", e.errorCode)
	}
	return md
}

func (s *Server) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := s.checkAuth(ctx); err != nil {
		_ = grpc.SetTrailer(ctx, err.trailer())
		return nil, err
	}
	resp, err := handler(ctx, req)
	var pe *psError
	if errors.As(err, &pe) {
		_ = grpc.SetTrailer(ctx, pe.trailer())
	}
	return resp, err
}

func (s *Server) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := s.checkAuth(ss.Context()); err != nil {
		ss.SetTrailer(err.trailer())
		return err
	}
	err := handler(srv, ss)
	var pe *psError
	if errors.As(err, &pe) {
		ss.SetTrailer(pe.trailer())
	}
	return err
}

func mdValue(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// checkAuth checks the metadata every RPC must carry: accesstoken (a
// token the org issued and still honors), instanceurl (the org's URL
// where it has one) and tenantid (the 18-character org id) (Pub/Sub API,
// "Supported Authentication Methods":
// https://developer.salesforce.com/docs/platform/pub-sub-api/guide/supported-auth.html).
func (s *Server) checkAuth(ctx context.Context) *psError {
	md, _ := metadata.FromIncomingContext(ctx)
	tok, inst, tenant := mdValue(md, "accesstoken"), mdValue(md, "instanceurl"), mdValue(md, "tenantid")
	var why string
	switch {
	case tok == "" || inst == "" || tenant == "":
		why = "the metadata accesstoken, instanceurl and tenantid are required"
	case !s.cfg.ValidToken(tok):
		why = "the access token is invalid or has expired"
	case tenant != s.cfg.OrgID:
		why = "tenantid does not match the org of the access token"
	case s.cfg.InstanceURL() != "" && strings.TrimRight(inst, "/") != strings.TrimRight(s.cfg.InstanceURL(), "/"):
		why = "instanceurl does not match the org of the access token"
	}
	if why == "" {
		return nil
	}
	s.lock(func(st *Stats) { st.AuthFailures++ }).mu.Unlock()
	return newPSError(codes.Unauthenticated, ErrAuth, "An authentication exception occurred: %s.", why)
}

type service struct {
	pb.UnimplementedPubSubServer
	s *Server
}

// topicLocked finds a topic for subscribing (publish: for publishing).
func (p *service) topicLocked(name string, publish bool) (*pubsubTopic, *psError) {
	ps := p.s.state()
	t := ps.topics[name]
	if t == nil {
		return nil, newPSError(codes.NotFound, ErrTopicNotFound,
			"Topic %s was not found for org %s. Check the topic name and that the event is enabled.", name, p.s.cfg.OrgID)
	}
	if deniedTopic(p.s.cfg, name) {
		return nil, newPSError(codes.PermissionDenied, ErrTopicPermission,
			"The user is not allowed to access topic %s.", name)
	}
	if publish && t.def.kind != kindPlatformEvent {
		return nil, newPSError(codes.PermissionDenied, ErrPublishNotPermit,
			"Publishing to topic %s is not allowed.", name)
	}
	return t, nil
}

// lockPubSub locks the Pub/Sub state and counts a call in its stats; the
// caller unlocks.
func (s *Server) lock(count func(*Stats)) *state {
	ps := s.state()
	ps.mu.Lock()
	count(&ps.stats)
	return ps
}

func (p *service) GetTopic(ctx context.Context, req *pb.TopicRequest) (*pb.TopicInfo, error) {
	ps := p.s.lock(func(st *Stats) { st.GetTopic++ })
	defer ps.mu.Unlock()
	t := ps.topics[req.GetTopicName()]
	if t == nil {
		_, err := p.topicLocked(req.GetTopicName(), false)
		return nil, err
	}
	denied := deniedTopic(p.s.cfg, t.def.name)
	return &pb.TopicInfo{
		TopicName:    t.def.name,
		TenantGuid:   p.s.cfg.OrgID,
		CanPublish:   !denied && t.def.kind == kindPlatformEvent,
		CanSubscribe: !denied,
		SchemaId:     t.schema.id,
		RpcId:        newRPCID(),
	}, nil
}

func (p *service) GetSchema(ctx context.Context, req *pb.SchemaRequest) (*pb.SchemaInfo, error) {
	ps := p.s.lock(func(st *Stats) { st.GetSchema++ })
	defer ps.mu.Unlock()
	sch := ps.schemas[req.GetSchemaId()]
	if sch == nil {
		return nil, newPSError(codes.NotFound, ErrSchemaNotFound, "Schema %q was not found.", req.GetSchemaId())
	}
	return &pb.SchemaInfo{SchemaJson: sch.json, SchemaId: sch.id, RpcId: newRPCID()}, nil
}

func (p *service) Publish(ctx context.Context, req *pb.PublishRequest) (*pb.PublishResponse, error) {
	return p.publish(req)
}

func (p *service) PublishStream(stream pb.PubSub_PublishStreamServer) error {
	topic := ""
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if topic == "" {
			topic = req.GetTopicName()
		} else if req.GetTopicName() != "" && req.GetTopicName() != topic {
			return newPSError(codes.InvalidArgument, ErrTopicMismatch,
				"The topic %s differs from the stream's topic %s.", req.GetTopicName(), topic)
		}
		if req.TopicName == "" {
			req.TopicName = topic
		}
		resp, err := p.publish(req)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// publish puts the events of a PublishRequest on the bus: each payload is
// decoded with the schema its schema_id names.
func (p *service) publish(req *pb.PublishRequest) (*pb.PublishResponse, error) {
	s := p.s
	ps := s.lock(func(st *Stats) { st.Publish++ })
	t, perr := p.topicLocked(req.GetTopicName(), true)
	ps.mu.Unlock()
	if perr != nil {
		return nil, perr
	}
	resp := &pb.PublishResponse{RpcId: newRPCID()}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	for _, ev := range req.GetEvents() {
		res := &pb.PublishResult{CorrelationKey: ev.GetId()}
		resp.Results = append(resp.Results, res)
		if resp.SchemaId == "" {
			resp.SchemaId = ev.GetSchemaId()
		}
		ps.mu.Lock()
		sch := ps.schemas[ev.GetSchemaId()]
		ps.mu.Unlock()
		if sch == nil {
			res.Error = &pb.Error{Code: pb.ErrorCode_PUBLISH, Msg: "unknown schema id " + ev.GetSchemaId()}
			continue
		}
		rec, err := decodeTyped(sch, ev.GetPayload())
		if err != nil {
			res.Error = &pb.Error{Code: pb.ErrorCode_PUBLISH, Msg: err.Error()}
			continue
		}
		id := ev.GetId()
		var pub PublishedEvent
		s.org.Locked(func(tx org.Tx) {
			if id == "" {
				id = tx.Gen().UUID()
			}
			pub, err = s.appendEvent(tx, t, rec, id, now)
		})
		if err != nil {
			res.Error = &pb.Error{Code: pb.ErrorCode_PUBLISH, Msg: err.Error()}
			continue
		}
		res.ReplayId = pub.ReplayID
	}
	return resp, nil
}

// ---- Subscribe ----

type subscription struct {
	p      *service
	stream pb.PubSub_SubscribeServer
	token  string
	st     *StreamStats

	topic   *pubsubTopic
	cursor  uint64 // position of the last event delivered (or the start)
	pending int
	fault   *Fault
	left    int // events to send before the fault fires
}

func (p *service) Subscribe(stream pb.PubSub_SubscribeServer) (err error) {
	s := p.s
	ps := s.state()
	ctx := stream.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	sub := &subscription{p: p, stream: stream, token: mdValue(md, "accesstoken"), st: &StreamStats{Open: true}}
	ps.mu.Lock()
	ps.stats.Subscribes++
	ps.streams = append(ps.streams, sub.st)
	ps.mu.Unlock()
	defer func() {
		ps.mu.Lock()
		sub.st.Open = false
		sub.st.EndCode = status.Code(err)
		if sub.topic != nil {
			sub.st.Topic = sub.topic.def.name
		}
		ps.mu.Unlock()
	}()

	reqs := make(chan *pb.FetchRequest)
	recvErr := make(chan error, 1)
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case reqs <- r:
			case <-ctx.Done():
				return
			}
		}
	}()

	o := s.cfg
	keep := time.NewTimer(o.Keepalive)
	defer keep.Stop()
	idle := time.NewTimer(o.IdleTimeout)
	defer idle.Stop()
	for {
		if !s.cfg.ValidToken(sub.token) {
			return newPSError(codes.Unauthenticated, ErrAuth, "An authentication exception occurred: the access token is invalid or has expired.")
		}
		sent, wake, err := sub.step(ctx)
		if err != nil {
			return err
		}
		if sent {
			keep.Reset(o.Keepalive)
			if sub.pending == 0 {
				idle.Reset(o.IdleTimeout)
			}
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case err := <-recvErr:
			if !errors.Is(err, io.EOF) {
				return err
			}
			reqs, recvErr = nil, nil // half-closed: go on sending what is owed
		case r := <-reqs:
			if err := sub.request(r); err != nil {
				return err
			}
			if sub.pending == 0 {
				idle.Reset(o.IdleTimeout)
			}
		case <-keep.C:
			keep.Reset(o.Keepalive)
			if sub.topic != nil && sub.pending > 0 {
				if err := sub.keepalive(); err != nil {
					return err
				}
			}
		case <-idle.C:
			if sub.pending == 0 {
				ps.mu.Lock()
				ps.stats.IdleCloses++
				sub.st.IdleClosed = true
				ps.mu.Unlock()
				return nil // Salesforce ends an idle stream with status OK
			}
		}
	}
}

// request handles one FetchRequest.
func (sub *subscription) request(r *pb.FetchRequest) error {
	s := sub.p.s
	ps := s.state()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	sub.st.Requests++
	if r.GetNumRequested() < 0 {
		return newPSError(codes.InvalidArgument, ErrInvalidRequest, "num_requested must not be negative.")
	}
	if sub.topic == nil {
		if r.GetTopicName() == "" {
			return newPSError(codes.InvalidArgument, ErrInvalidRequest, "The first FetchRequest must name a topic.")
		}
		t, perr := sub.p.topicLocked(r.GetTopicName(), false)
		if perr != nil {
			return perr
		}
		ps.pruneLocked(t, s.cfg.Now(), s.cfg.Retention)
		switch r.GetReplayPreset() {
		case pb.ReplayPreset_LATEST:
			sub.cursor = ps.tip
		case pb.ReplayPreset_EARLIEST:
			sub.cursor = 0
		case pb.ReplayPreset_CUSTOM:
			pos, ok := ps.parseReplayID(r.GetReplayId())
			if !ok {
				return newPSError(codes.InvalidArgument, ErrReplayIDValidation,
					"The Replay ID validation failed: %x is not a replay id of this org.", r.GetReplayId())
			}
			if pos > ps.tip || (t.droppedMax != 0 && pos <= t.droppedMax) {
				return newPSError(codes.InvalidArgument, ErrReplayIDCorrupted,
					"The Replay ID %x is invalid or outside the retention window of topic %s.", r.GetReplayId(), t.def.name)
			}
			sub.cursor = pos
		default:
			return newPSError(codes.InvalidArgument, ErrInvalidRequest, "Unknown replay preset %d.", r.GetReplayPreset())
		}
		sub.topic = t
		sub.st.Topic = t.def.name
	} else if r.GetTopicName() != "" && r.GetTopicName() != sub.topic.def.name {
		return newPSError(codes.InvalidArgument, ErrTopicMismatch,
			"The topic %s differs from the stream's topic %s.", r.GetTopicName(), sub.topic.def.name)
	}
	n := int(r.GetNumRequested())
	if raw := sub.pending + n; raw > sub.st.MaxOutstanding {
		sub.st.MaxOutstanding = raw
		ps.stats.MaxOutstanding = max(ps.stats.MaxOutstanding, raw)
	}
	sub.pending = min(sub.pending+n, MaxOutstanding)
	return nil
}

// step sends the events owed, or fires the stream's fault. It returns
// whether it sent something, and the channel that signals the next change.
func (sub *subscription) step(ctx context.Context) (bool, <-chan struct{}, error) {
	s := sub.p.s
	ps := s.state()
	ps.mu.Lock()
	wake := ps.wake
	if sub.topic == nil {
		ps.mu.Unlock()
		return false, wake, nil
	}
	if sub.fault == nil {
		if sub.fault = ps.takeFaultLocked(sub.topic.def.name); sub.fault != nil {
			sub.left = sub.fault.AfterEvents
		}
	}
	if sub.fault != nil && sub.left <= 0 {
		f := sub.fault
		ps.mu.Unlock()
		return false, nil, sub.fire(ctx, f)
	}
	if sub.pending == 0 {
		ps.mu.Unlock()
		return false, wake, nil
	}
	t := sub.topic
	ps.pruneLocked(t, s.cfg.Now(), s.cfg.Retention)
	limit := min(sub.pending, maxBatch)
	if sub.fault != nil {
		limit = min(limit, sub.left)
	}
	var batch []*pb.ConsumerEvent
	last := sub.cursor
	for _, e := range t.events {
		if len(batch) == limit {
			break
		}
		if e.pos <= sub.cursor {
			continue
		}
		batch = append(batch, &pb.ConsumerEvent{
			Event:    &pb.ProducerEvent{Id: e.ev.ID, SchemaId: e.ev.SchemaID, Payload: e.ev.Payload},
			ReplayId: ps.replayID(e.pos),
		})
		last = e.pos
	}
	if len(batch) == 0 {
		ps.mu.Unlock()
		return false, wake, nil
	}
	sub.cursor = last
	sub.pending -= len(batch)
	sub.left -= len(batch)
	sub.st.EventsSent += len(batch)
	ps.stats.EventsSent += len(batch)
	resp := &pb.FetchResponse{Events: batch, LatestReplayId: ps.replayID(last), RpcId: newRPCID(), PendingNumRequested: int32(sub.pending)}
	ps.mu.Unlock()
	return true, wake, sub.stream.Send(resp)
}

// keepalive sends an empty FetchResponse with the bus's latest replay id
// (which may be ahead of the topic's last event), when nothing is owed.
func (sub *subscription) keepalive() error {
	ps := sub.p.s.state()
	ps.mu.Lock()
	for _, e := range sub.topic.events {
		if e.pos > sub.cursor {
			ps.mu.Unlock()
			return nil // events to send: step will
		}
	}
	// Everything of the topic up to the tip has been sent: resuming after
	// the tip loses nothing.
	sub.cursor = max(sub.cursor, ps.tip)
	resp := &pb.FetchResponse{LatestReplayId: ps.replayID(ps.tip), RpcId: newRPCID(), PendingNumRequested: int32(sub.pending)}
	sub.st.Keepalives++
	ps.stats.Keepalives++
	ps.mu.Unlock()
	return sub.stream.Send(resp)
}

// fire ends the stream as fault f says.
func (sub *subscription) fire(ctx context.Context, f *Fault) error {
	if f.Drop {
		ps := sub.p.s.state()
		if pr, ok := peer.FromContext(ctx); ok && ps.ln != nil {
			ps.ln.drop(pr.Addr.String())
		}
		return status.Error(codes.Unavailable, "connection dropped")
	}
	return &psError{code: f.Code, errorCode: f.ErrorCode, msg: f.Message, rpcID: newRPCID()}
}
