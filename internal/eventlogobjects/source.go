// Package eventlogobjects reads the org's Event Log Objects (the
// event_log_objects: stream): the *EventLog objects Salesforce fills with
// Event Monitoring data, queryable with SOQL 25 to 45 minutes after the
// event and kept 30 days ("Store and Query Log Data with Event Log
// Objects", Security Implementation Guide). Each object is read as an
// objects: entry of it would be (package objects: windows by Timestamp,
// rows identified by their digest), one after another, under one cursor.
package eventlogobjects

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Descriptor is the stream of the org's Event Log Objects; each object's
// records carry its own mapping and uid stream (object/<Name>), the same
// as under objects:.
var Descriptor = stream.Descriptor{
	Name:     "event_log_objects",
	Priority: sfapi.PriorityBulk,
	Object:   "Event Log Objects",
	Access:   catalog.Lookup("AuraRequestEventLog").Access,
}

// Options tune a Source. Zero values take the defaults.
type Options struct {
	// Objects to read; empty: every Event Log Object the org's global
	// describe shows the integration user, looked up again every
	// Rediscover (default 24h).
	Objects    []string
	Rediscover time.Duration
	// Backfill, BatchSize, APIVersion, Now and Logger are each object's
	// (objects.Options).
	Backfill   time.Duration
	BatchSize  int
	APIVersion string
	Now        func() time.Time
	Logger     *zap.Logger
}

// Cursor is every object's cursor, by object name.
type Cursor struct {
	Objects map[string]objects.Cursor `json:"objects,omitempty"`
}

// EventTime is how far the slowest object has come.
func (c Cursor) EventTime() time.Time {
	var t time.Time
	for _, oc := range c.Objects {
		if et := oc.EventTime(); !et.IsZero() && (t.IsZero() || et.Before(t)) {
			t = et
		}
	}
	return t
}

// Source is the stream.Source of the org's Event Log Objects.
type Source struct {
	client sfapi.Discoverer
	opts   Options

	mu      sync.Mutex
	readers map[string]*objects.Source
	// starts is each object's cursor from before its first emit: fixed
	// when its reader is made, not recomputed each poll, or an object
	// whose first windows were empty would start from a later now each
	// time and never read anything (a backfill within the lag).
	starts   map[string]objects.Cursor
	list     []string
	listedAt time.Time
	refused  map[string]string // object → the refusal logged for it
}

var (
	_ stream.Source[Cursor] = (*Source)(nil)
	_ stream.Checker        = (*Source)(nil)
)

// New returns the Source.
func New(client sfapi.Discoverer, opts Options) *Source {
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	stream.Default(&opts.Rediscover, 24*time.Hour)
	return &Source{client: client, opts: opts, readers: map[string]*objects.Source{}, starts: map[string]objects.Cursor{},
		refused: map[string]string{}}
}

// Initial starts every object at the backfill, as each is first read.
func (s *Source) Initial() Cursor { return Cursor{} }

// Poll reads what is new in each object, in name order. An object
// Salesforce refuses (one the org lacks, a field hidden) is named once and
// passed over while the others are read; the poll fails with it only when
// every object was refused, or with a transient error after the others.
func (s *Source) Poll(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) error {
	names, err := s.objects(ctx)
	if err != nil {
		return err
	}
	cur := Cursor{Objects: maps.Clone(c.Objects)}
	var transient, refused []error
	for _, name := range names {
		r, start := s.reader(name)
		oc, ok := cur.Objects[name]
		if !ok {
			oc = start
		}
		err := r.Poll(ctx, res, oc, func(ctx context.Context, logs plog.Logs, next objects.Cursor) error {
			nc := Cursor{Objects: maps.Clone(cur.Objects)}
			if nc.Objects == nil {
				nc.Objects = map[string]objects.Cursor{}
			}
			nc.Objects[name] = next
			if err := emit(ctx, logs, nc); err != nil {
				return err
			}
			cur = nc
			return nil
		})
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			s.forgive(name)
		case sfapi.Classify(err).Permanent():
			s.refuse(name, err)
			refused = append(refused, err)
		default:
			transient = append(transient, fmt.Errorf("%s: %w", name, err))
		}
	}
	if len(transient) > 0 {
		return errors.Join(transient...)
	}
	if len(refused) == len(names) && len(names) > 0 {
		return errors.Join(refused...)
	}
	return nil
}

// Check reads the object list (discovering it when none is configured)
// and runs the first object's query for one row.
func (s *Source) Check(ctx context.Context) (stream.Readiness, error) {
	ready := stream.Readiness{Object: Descriptor.Object}
	names, err := s.objects(ctx)
	if err != nil {
		return ready, err
	}
	ready.Object = fmt.Sprintf("%d Event Log Objects", len(names))
	ready.Note = strings.Join(names, ", ")
	first, _ := s.reader(names[0])
	r, err := first.Check(ctx)
	ready.Missing = r.Missing
	return ready, err
}

// objects is the list to read: the configured one, or the org's Event Log
// Objects from its global describe (again every Rediscover).
func (s *Source) objects(ctx context.Context) ([]string, error) {
	if len(s.opts.Objects) > 0 {
		return s.opts.Objects, nil
	}
	s.mu.Lock()
	if s.list != nil && s.opts.Now().Sub(s.listedAt) < s.opts.Rediscover {
		defer s.mu.Unlock()
		return s.list, nil
	}
	s.mu.Unlock()
	g, err := s.client.DescribeGlobal(ctx, Descriptor.Caller())
	if err != nil {
		return nil, fmt.Errorf("listing the org's objects: %w", err)
	}
	var names []string
	for _, o := range g.SObjects {
		if o.Queryable && catalog.IsEventLogObject(o.Name) {
			names = append(names, o.Name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: the org shows the integration user no Event Log Object: they need %s, Shield or the Event Monitoring add-on, and a Hyperforce org",
			sfapi.ErrNotReadable, Descriptor.Access.Needs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Equal(names, s.list) {
		s.opts.Logger.Info("Event Log Objects found", zap.String("stream", Descriptor.Name), zap.Int("objects", len(names)),
			zap.Strings("names", names))
	}
	s.list, s.listedAt = names, s.opts.Now()
	return names, nil
}

// reader is an object's reader, made on first use, and its starting cursor.
func (s *Source) reader(name string) (*objects.Source, objects.Cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.readers[name]
	if !ok {
		r = objects.New(s.client, objects.Config{Name: name}, objects.Options{
			Backfill: s.opts.Backfill, BatchSize: s.opts.BatchSize, APIVersion: s.opts.APIVersion,
			Now: s.opts.Now, Logger: s.opts.Logger,
		})
		s.readers[name], s.starts[name] = r, r.Initial()
	}
	return r, s.starts[name]
}

// refuse names an object's refusal once; the others are read on.
func (s *Source) refuse(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused[name] == err.Error() {
		return
	}
	s.refused[name] = err.Error()
	s.opts.Logger.Warn("An Event Log Object cannot be read; reading the others, and this one again each poll",
		zap.String("stream", Descriptor.Name), zap.String("object", name), zap.Error(err))
}

func (s *Source) forgive(name string) {
	s.mu.Lock()
	delete(s.refused, name)
	s.mu.Unlock()
}
