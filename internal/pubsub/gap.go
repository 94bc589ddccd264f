package pubsub

import (
	"context"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/bigobject"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	pb "github.com/sfevents/salesforcereceiver/internal/pubsub/eventbusv1"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// GapCursor is a read of the events Salesforce no longer retains on the
// topic from its storage object: those after From (the last delivered
// event; AtFrom the uids delivered at that time) and before To (the first
// retained one).
type GapCursor struct {
	From   time.Time         `json:"from"`
	AtFrom []string          `json:"at_from,omitempty"`
	To     time.Time         `json:"to"`
	Read   *bigobject.Cursor `json:"read,omitempty"` // the read's progress
}

// GapReader reads a gap from a storage object, resuming at c.Read, and
// hands each page to emit with the progress made.
type GapReader interface {
	Read(ctx context.Context, org convert.Resource, storage string, c GapCursor, emit func(context.Context, plog.Logs, GapCursor) error) error
}

// BigObjectGaps reads gaps with the big-object reader, as the objects
// stream would read the storage object: records carry its mapping and
// log.record.uid, so a backend keeps one record per event either way.
type BigObjectGaps struct {
	Client     sfapi.Querier
	APIVersion string
	Logger     *zap.Logger
}

// Read implements GapReader.
func (g *BigObjectGaps) Read(ctx context.Context, org convert.Resource, storage string, c GapCursor, emit func(context.Context, plog.Logs, GapCursor) error) error {
	const lag = time.Second
	// Windows are whole seconds, (From, end]: end covers To's second; what
	// lies outside (From, To) is dropped below.
	end := c.To.UTC().Truncate(time.Second).Add(time.Second)
	src := bigobject.New(g.Client, bigobject.Spec{Spec: soqlstream.Spec{Stream: objects.Descriptor(storage, "")}}, bigobject.Options{
		Now: func() time.Time { return end.Add(lag) }, Lag: lag, APIVersion: g.APIVersion, Logger: g.Logger,
	})
	bc := bigobject.Cursor{From: c.From.UTC().Truncate(time.Second)}
	if c.Read != nil {
		bc = *c.Read
	}
	return src.Poll(ctx, org, bc, func(ctx context.Context, logs plog.Logs, next bigobject.Cursor) error {
		keepGap(logs, c)
		nc := c
		nc.Read = &next
		return emit(ctx, logs, nc)
	})
}

// keepGap drops the records the topic delivered or will deliver.
func keepGap(logs plog.Logs, c GapCursor) {
	rls := logs.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			sls.At(j).LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				ts := lr.Timestamp().AsTime()
				uid, _ := lr.Attributes().Get(semconv.AttrLogRecordUID)
				after := ts.After(c.From) || (ts.Equal(c.From) && !slices.Contains(c.AtFrom, uid.Str()))
				return !after || !ts.Before(c.To)
			})
		}
	}
}

// expired handles a replay id Salesforce no longer holds: it finds the
// first retained event, says what was lost at WARN and returns the cursor
// to go on from: the earliest retained event, after a gap read where the
// topic has a storage object and a GapReader.
func (s *Source) expired(ctx context.Context, org convert.Resource, sess sfapi.Session, cur Cursor, cause error) (Cursor, error) {
	from := cur.EventTime()
	first, found, err := s.peek(ctx, org, sess)
	if err != nil {
		return cur, err
	}
	if !found {
		first = s.opts.Now().UTC()
	}
	fields := []zap.Field{zap.String("stream", s.desc.Name), zap.Time("last_delivered", from),
		zap.Time("first_retained", first), zap.Bool("topic_has_retained_events", found), zap.Error(cause)}
	if !from.IsZero() && first.After(from) {
		fields = append(fields, zap.Duration("gap", first.Sub(from).Round(time.Second)))
	}
	next := Cursor{Topic: s.topic.Name, Preset: ReplayEarliest, Event: cur.Event, AtEvent: cur.AtEvent, Current: cur.Current}
	if s.opts.Gap != nil && s.storage != "" && !from.IsZero() {
		s.opts.Logger.Warn("Salesforce no longer holds the stored replay id (retention is about 72 h); reading the gap from the storage object, then resuming from the earliest retained event",
			append(fields, zap.String("storage_object", s.storage))...)
		next.Gap = &GapCursor{From: from, To: first}
		if from.Equal(cur.Event) {
			next.Gap.AtFrom = cur.AtEvent
		}
		return next, nil
	}
	s.opts.Logger.Warn("Salesforce no longer holds the stored replay id (retention is about 72 h); resuming from the earliest retained event: events in the gap are lost",
		fields...)
	return next, nil
}

// peek returns the time of the topic's earliest retained event.
func (s *Source) peek(ctx context.Context, org convert.Resource, sess sfapi.Session) (time.Time, bool, error) {
	pctx, cancel := context.WithTimeout(withSession(ctx, sess), s.opts.PeekTimeout)
	defer cancel()
	st, err := s.conn.client.Subscribe(pctx)
	if err != nil {
		return time.Time{}, false, wrapRPC(err)
	}
	if err := st.Send(&pb.FetchRequest{TopicName: s.topic.Name, ReplayPreset: pb.ReplayPreset_EARLIEST, NumRequested: 1}); err != nil {
		_, err = st.Recv()
		return time.Time{}, false, s.streamErr(err, st.Trailer())
	}
	for {
		r, err := st.Recv()
		switch {
		case ctx.Err() != nil:
			return time.Time{}, false, ctx.Err()
		case pctx.Err() != nil, err == nil && len(r.GetEvents()) == 0:
			// Out of time, or a keepalive: the topic has nothing retained.
			return time.Time{}, false, nil
		case err != nil:
			return time.Time{}, false, s.streamErr(err, st.Trailer())
		case len(r.GetEvents()) > 0:
			p := s.newPage(org, Cursor{})
			if err := s.add(ctx, p, &pb.FetchResponse{Events: r.GetEvents()[:1]}); err != nil {
				return time.Time{}, false, err
			}
			return p.next.Event, true, nil
		}
	}
}

// fillGap runs cur's gap read to its end, then clears it.
func (s *Source) fillGap(ctx context.Context, org convert.Resource, cur Cursor, emit stream.Emit[Cursor]) error {
	g := *cur.Gap
	next := cur
	next.Gap = nil
	if s.opts.Gap == nil || s.storage == "" {
		return emit(ctx, plog.NewLogs(), next)
	}
	n := 0
	err := s.opts.Gap.Read(ctx, org, s.storage, g, func(ctx context.Context, logs plog.Logs, ng GapCursor) error {
		c := cur
		c.Gap = &ng
		k := logs.LogRecordCount() // before emit: the pipeline may release logs
		if err := emit(ctx, logs, c); err != nil {
			return err
		}
		n += k
		return nil
	})
	switch {
	case err == nil:
		s.opts.Logger.Info("Gap read from the storage object", zap.String("stream", s.desc.Name),
			zap.String("storage_object", s.storage), zap.Time("from", g.From), zap.Time("to", g.To), zap.Int("records", n))
	case ctx.Err() != nil || !sfapi.Classify(err).Permanent():
		return err
	default:
		s.opts.Logger.Warn("Cannot read the gap from the storage object; events in the gap are lost",
			zap.String("stream", s.desc.Name), zap.String("storage_object", s.storage),
			zap.String("fix", objects.Descriptor(s.storage, "").Access.Fix),
			zap.Time("from", g.From), zap.Time("to", g.To), zap.Error(err))
	}
	return emit(ctx, plog.NewLogs(), next)
}
