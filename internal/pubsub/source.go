package pubsub

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/eventavro"
	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/retry"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Topic is one configured topic.
type Topic struct {
	Name   string
	Replay string // latest (default) | earliest: the first start
}

// Options tune a Source. Zero values take the defaults.
type Options struct {
	// BatchSize is the most events requested and not yet received
	// (1..100, default 100).
	BatchSize int
	// MaxPage and Flush bound a page: it goes to the consumer once it
	// holds MaxPage events (default 500) or Flush after its first event
	// (default 200ms).
	MaxPage int
	Flush   time.Duration
	// RetryInitial and RetryMax pace reconnects after failures, on top of
	// the runner's own wait: the first failure after a healthy stream
	// reconnects at once, further ones back off by retry.Policy (defaults
	// 1s and 1m). HoldOff is the wait after a refusal only an admin can lift
	// (default 5m).
	RetryInitial, RetryMax, HoldOff time.Duration
	// PeekTimeout bounds the wait for the first retained event when a
	// replay id has expired (default 30s).
	PeekTimeout time.Duration
	// Gap, when set, reads what Salesforce no longer retains from the
	// topic's storage object.
	Gap GapReader
	// Observer, when set, hears what the stream received and why it
	// reconnected, for telemetry.
	Observer Observer
	Now      func() time.Time
	Logger   *zap.Logger
}

// Observer is told what a topic's stream did.
type Observer interface {
	// EventsReceived: events that arrived from Salesforce (delivered ones
	// are counted by the runner).
	EventsReceived(stream string, n int)
	// Reconnected: the stream subscribed again, and why: "closed" (by
	// Salesforce), "auth", "replay_expired", "unavailable" or "error".
	Reconnected(stream, cause string)
	// Gap: a stored replay id Salesforce no longer holds.
	Gap(stream string)
}

// cause names why a session ended, for Observer.Reconnected.
func cause(err error) string {
	var e *RPCError
	switch {
	case err == nil:
		return "closed"
	case isAuth(err):
		return "auth"
	case isReplayGone(err):
		return "replay_expired"
	case errors.As(err, &e) && e.Code == codes.Unavailable:
		return "unavailable"
	}
	return "error"
}

func (s *Source) reconnected(err error) {
	if s.opts.Observer != nil {
		s.opts.Observer.Reconnected(s.desc.Name, cause(err))
	}
}

// Cursor is a topic's checkpoint.
type Cursor struct {
	Topic string `json:"topic"`
	// ReplayID is the raw replay id of the last accepted event (or of a
	// keepalive, when nothing was pending behind it); empty: subscribe
	// with Preset.
	ReplayID []byte `json:"replay_id,omitempty"`
	Preset   string `json:"preset,omitempty"`
	// Event is the event time of the last accepted event, AtEvent the
	// log.record.uid of the accepted events of that same time (to drop
	// them from a gap read); Current when a keepalive last said the
	// stream had sent everything.
	Event   time.Time `json:"event_time,omitzero"`
	AtEvent []string  `json:"at_event,omitempty"`
	Current time.Time `json:"current,omitzero"`
	// Gap is a storage-object read in progress (an expired replay id).
	Gap *GapCursor `json:"gap,omitempty"`
}

// EventTime is how far the stream has come.
func (c Cursor) EventTime() time.Time {
	if c.Current.After(c.Event) {
		return c.Current
	}
	return c.Event
}

// Source is the stream.Source of one topic. Its Poll is one Subscribe
// session: it runs until ctx ends or the stream fails.
type Source struct {
	conn    *Conn
	topic   Topic
	desc    stream.Descriptor
	opts    Options
	mapping convert.Mapping // EventDate, else CreatedDate; the storage row's uid stream
	storage string
	key     string // the field that identifies an event ("": EventUuid, then the replay id)

	mu       sync.Mutex
	failures int
	waits    *backoff.ExponentialBackOff // since the second of them
	until    time.Time
}

var (
	_ stream.Source[Cursor] = (*Source)(nil)
	_ stream.Checker        = (*Source)(nil)
)

// New returns the Source of one topic on conn.
func New(conn *Conn, topic Topic, opts Options) *Source {
	if opts.BatchSize <= 0 || opts.BatchSize > 100 {
		opts.BatchSize = 100
	}
	if opts.MaxPage <= 0 {
		opts.MaxPage = 500
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.Flush, 200*time.Millisecond)
	def(&opts.RetryInitial, time.Second)
	def(&opts.RetryMax, time.Minute)
	def(&opts.HoldOff, 5*time.Minute)
	def(&opts.PeekTimeout, 30*time.Second)
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	stream.Default(&topic.Replay, ReplayLatest)
	d := Descriptor(topic.Name)
	s := &Source{conn: conn, topic: topic, desc: d, opts: opts, storage: StorageObject(topic.Name), key: key(topic.Name)}
	s.mapping = d.Map
	s.mapping.Stream = uidStream(d)
	return s
}

// Descriptor is the stream this source reads.
func (s *Source) Descriptor() stream.Descriptor { return s.desc }

// Initial subscribes with the topic's replay preset.
func (s *Source) Initial() Cursor { return Cursor{Topic: s.topic.Name, Preset: s.topic.Replay} }

// Check asks Salesforce whether the user may subscribe, and for the
// topic's schema.
func (s *Source) Check(ctx context.Context) (stream.Readiness, error) {
	ready := stream.Readiness{Object: s.topic.Name, Note: "real-time (Pub/Sub API)"}
	info, err := s.conn.Topic(ctx, s.topic.Name)
	if err != nil {
		return ready, err
	}
	if !info.GetCanSubscribe() {
		return ready, fmt.Errorf("%w: Salesforce says the integration user cannot subscribe to %s", sfapi.ErrNotReadable, s.topic.Name)
	}
	if id := info.GetSchemaId(); id != "" {
		if _, err := s.conn.Schema(ctx, id); err != nil {
			return ready, err
		}
	}
	return ready, nil
}

// Poll runs one Subscribe session from cursor, and the resubscribes it
// needs itself: once with a refreshed token after UNAUTHENTICATED, and
// from the earliest retained event after an expired replay id.
func (s *Source) Poll(ctx context.Context, org convert.Resource, cursor Cursor, emit stream.Emit[Cursor]) error {
	if err := s.holdOff(ctx); err != nil {
		return err
	}
	healthy, err := s.poll(ctx, org, cursor, emit)
	s.note(healthy, err)
	if ctx.Err() == nil {
		s.reconnected(err) // the runner subscribes again
	}
	return err
}

func (s *Source) poll(ctx context.Context, org convert.Resource, cur Cursor, emit stream.Emit[Cursor]) (bool, error) {
	sess, err := s.conn.sessions.Session(ctx)
	if err != nil {
		return false, err
	}
	refreshed, everHealthy := false, false
	// Track what is accepted, so a resubscribe in this Poll resumes there.
	track := func(ctx context.Context, logs plog.Logs, next Cursor) error {
		if err := emit(ctx, logs, next); err != nil {
			return err
		}
		cur = next
		return nil
	}
	for {
		if cur.Gap != nil {
			// A gap read (an expired replay id) comes before the topic.
			if err := s.fillGap(ctx, org, cur, track); err != nil {
				return everHealthy, err
			}
			continue
		}
		healthy, err := s.session(ctx, org, sess, cur, track)
		everHealthy = everHealthy || healthy
		if healthy {
			refreshed = false
		}
		switch {
		case err == nil, ctx.Err() != nil:
			return everHealthy, err
		case isAuth(err) && !refreshed:
			s.reconnected(err)
			s.opts.Logger.Info("Pub/Sub API refused the session; refreshing the token and resubscribing",
				zap.String("stream", s.desc.Name), zap.Error(err))
			if sess, err = s.conn.sessions.RefreshSession(ctx, sess); err != nil {
				return everHealthy, err
			}
			refreshed = true
		case isReplayGone(err) && len(cur.ReplayID) > 0:
			if s.opts.Observer != nil {
				s.opts.Observer.Gap(s.desc.Name)
			}
			s.reconnected(err)
			next, err := s.expired(ctx, org, sess, cur, err)
			if err != nil {
				return everHealthy, err
			}
			if err := track(ctx, plog.NewLogs(), next); err != nil {
				return everHealthy, err
			}
		default:
			return everHealthy, err
		}
	}
}

// holdOff waits out the pacing of earlier failures.
func (s *Source) holdOff(ctx context.Context) error {
	s.mu.Lock()
	wait := time.Until(s.until)
	s.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// note paces the next Poll after this one's outcome.
func (s *Source) note(healthy bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil || healthy {
		s.failures = 0
	}
	if err == nil {
		return
	}
	s.failures++
	var wait time.Duration
	switch {
	case sfapi.Classify(err).Permanent():
		wait = s.opts.HoldOff
	case s.failures > 1:
		if s.failures == 2 {
			s.waits = retry.Policy{Initial: s.opts.RetryInitial, Max: s.opts.RetryMax}.New(0)
		}
		wait = s.waits.NextBackOff()
	}
	s.until = time.Now().Add(wait)
}

// response is what the receiving goroutine hands over.
type response struct {
	r   *pb.FetchResponse
	err error
}

// session is one Subscribe stream from cur. It returns when the stream
// ends (nil for Salesforce closing it cleanly) or ctx does; healthy says
// the stream got as far as a response.
func (s *Source) session(ctx context.Context, org convert.Resource, sess sfapi.Session, cur Cursor, emit stream.Emit[Cursor]) (healthy bool, err error) {
	sctx, cancel := context.WithCancel(withSession(ctx, sess))
	defer cancel()
	st, err := s.conn.client.Subscribe(sctx)
	if err != nil {
		return false, wrapRPC(err)
	}
	batch := int32(s.opts.BatchSize)
	first := &pb.FetchRequest{TopicName: s.topic.Name, NumRequested: batch}
	switch {
	case len(cur.ReplayID) > 0:
		first.ReplayPreset, first.ReplayId = pb.ReplayPreset_CUSTOM, cur.ReplayID
	case cur.Preset == ReplayEarliest:
		first.ReplayPreset = pb.ReplayPreset_EARLIEST
	default:
		first.ReplayPreset = pb.ReplayPreset_LATEST
	}
	resps := make(chan response)
	go func() {
		for {
			r, err := st.Recv()
			select {
			case resps <- response{r, err}:
			case <-sctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// sendFailed finds why a Send failed: Send only says io.EOF, the
	// status comes from receiving. Events still arriving are dropped: they
	// are not in a page, so the cursor stays before them.
	sendFailed := func(err error) error {
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case resp := <-resps:
				if resp.err != nil {
					return s.streamErr(resp.err, st.Trailer())
				}
			case <-t.C:
				return s.streamErr(err, nil)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if err := st.Send(first); err != nil {
		return false, sendFailed(err)
	}
	outstanding := batch // requested and not yet received: ours, not Salesforce's count

	p := s.newPage(org, cur)
	var flushC <-chan time.Time
	var flushT *time.Timer
	defer func() {
		if flushT != nil {
			flushT.Stop()
		}
	}()
	flush := func() error {
		if flushT != nil {
			flushT.Stop()
			flushT, flushC = nil, nil
		}
		if !p.dirty {
			return nil
		}
		if err := emit(ctx, p.batch.Logs(), p.next); err != nil {
			return err
		}
		p = s.newPage(org, p.next)
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return healthy, ctx.Err()
		case <-flushC:
			if err := flush(); err != nil {
				return healthy, err
			}
		case resp := <-resps:
			if resp.err != nil {
				// What arrived before the end is good: deliver it.
				if err := flush(); err != nil {
					return healthy, err
				}
				if errors.Is(resp.err, io.EOF) {
					s.opts.Logger.Info("Pub/Sub API closed the stream; resubscribing", zap.String("stream", s.desc.Name))
					return true, nil
				}
				return healthy, s.streamErr(resp.err, st.Trailer())
			}
			healthy = true
			r := resp.r
			outstanding -= int32(len(r.GetEvents()))
			if n := len(r.GetEvents()); n > 0 && s.opts.Observer != nil {
				s.opts.Observer.EventsReceived(s.desc.Name, n)
			}
			if err := s.add(ctx, p, r); err != nil {
				return healthy, err
			}
			switch {
			case len(r.GetEvents()) == 0 && len(r.GetLatestReplayId()) > 0:
				// A keepalive: the stream has sent everything up to its
				// id, so once what the page holds is accepted the cursor
				// may move there.
				p.next.ReplayID = bytes.Clone(r.GetLatestReplayId())
				p.next.Current = s.opts.Now().UTC()
				p.dirty = true
				if err := flush(); err != nil {
					return healthy, err
				}
			case p.batch.Len() >= s.opts.MaxPage:
				if err := flush(); err != nil {
					return healthy, err
				}
			case p.dirty && flushT == nil:
				flushT = time.NewTimer(s.opts.Flush)
				flushC = flushT.C
			}
			// Ask for more well before nothing is pending, so Salesforce
			// never closes the stream as idle; never while a page waits
			// for the consumer (emit blocks), so memory stays bounded.
			if outstanding <= batch/2 {
				if err := st.Send(&pb.FetchRequest{NumRequested: batch - outstanding}); err != nil {
					if err := flush(); err != nil {
						return healthy, err
					}
					return healthy, sendFailed(err)
				}
				outstanding = batch
			}
		}
	}
}

// streamErr is the error a stream ended with.
func (s *Source) streamErr(err error, trailer metadata.MD) error {
	if errors.Is(err, io.EOF) {
		return &RPCError{Code: codes.Unavailable, err: errors.New("stream ended")}
	}
	return wrapRPCTrailer(err, trailer)
}

// page is the batch being filled and the cursor true once it is accepted.
type page struct {
	batch *convert.Batch
	next  Cursor
	dirty bool // next differs from the last emitted cursor
	rec   sobject.Record
}

func (s *Source) newPage(org convert.Resource, from Cursor) *page {
	from.Topic = s.topic.Name
	return &page{batch: convert.NewBatch(org, 0), next: from}
}

// add decodes a response's events into the page.
func (s *Source) add(ctx context.Context, p *page, r *pb.FetchResponse) error {
	observed := s.opts.Now()
	for _, ce := range r.GetEvents() {
		rid := ce.GetReplayId()
		if len(rid) > 0 && bytes.Equal(rid, p.next.ReplayID) {
			continue // delivered already (the cursor's own event)
		}
		ev := ce.GetEvent()
		sch, err := s.conn.Schema(ctx, ev.GetSchemaId())
		if err != nil {
			return err
		}
		o := convert.Origin{Key: hex.EncodeToString(rid), Observed: observed, Topic: s.topic.Name}
		var done convert.Appended
		if err := sch.Decode(ev.GetPayload(), &p.rec); err != nil && !errors.As(err, new(*eventavro.BitmapError)) {
			done = s.mapping.AppendRaw(p.batch, base64.StdEncoding.EncodeToString(ev.GetPayload()), "avro: "+err.Error(), o)
		} else {
			if k := p.rec.String(s.key); k != "" && s.key != "" {
				o.Key = k // the catalog's: EventIdentifier, shared with the storage row
			} else if k := p.rec.String("EventUuid"); k != "" {
				o.Key = k
			}
			done = s.mapping.Append(p.batch, &p.rec, o)
		}
		ts, uid := done.Time, done.UID
		p.next.ReplayID = bytes.Clone(rid)
		if ts = ts.UTC(); !ts.Equal(p.next.Event) || len(p.next.AtEvent) >= maxAtEvent {
			p.next.Event, p.next.AtEvent = ts, nil
		}
		p.next.AtEvent = append(slices.Clip(p.next.AtEvent), uid) // never the caller's array
		p.next.Preset = ""
		p.dirty = true
	}
	return nil
}

// maxAtEvent bounds Cursor.AtEvent.
const maxAtEvent = 1000
