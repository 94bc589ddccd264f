// Package bigobject reads a Salesforce big object, such as the Real-Time
// Event Monitoring storage objects (LoginEvent, ApiEvent, ...), which can
// be filtered only on their date field and sorted only descending. It walks
// time windows (From, To] oldest window first, each window newest-first,
// and is a stream.Source.
package bigobject

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/fieldset"
	"github.com/sfevents/salesforcereceiver/internal/identity"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Spec is a stream's descriptor and what it reads: the big object is
// Stream.Object, its date index field Stream.Map.TimestampField (e.g.
// EventDate).
type Spec struct {
	// Spec is what an ordinary object's stream reads. KeyField is added
	// to its fields and must be shown. Its Where is ANDed into every
	// query: big objects accept conditions on their index fields only;
	// Salesforce rejects anything else, and the stream then fails with
	// that message rather than filter locally.
	soqlstream.Spec
	// KeyField identifies an event across queries (log.record.uid and
	// de-duplication); default EventIdentifier. catalog.KeyDigest: no
	// field does (Event Log Objects), and a row is identified by its
	// digest; so is a row without KeyField whose Id is Salesforce's
	// placeholder (package identity).
	KeyField string
}

// Options tune a Source beyond its Spec. Zero values take the defaults.
type Options struct {
	Backfill time.Duration // first start reads this far back
	// Window is the first window's length; later windows adapt so each
	// holds about TargetRows events, within [MinWindow, MaxWindow].
	Window, MinWindow, MaxWindow time.Duration
	TargetRows                   int
	// Lag keeps each window's end this far behind now, so events still
	// being written to storage are read by a later window, not skipped.
	Lag       time.Duration
	BatchSize int
	// APIVersion is named when a field is not visible.
	APIVersion string
	Now        func() time.Time
	Logger     *zap.Logger
}

// Defaults for Options.
const (
	DefaultWindow     = time.Hour
	DefaultMinWindow  = time.Minute
	DefaultMaxWindow  = 24 * time.Hour
	DefaultTargetRows = 10_000
	DefaultLag        = 2 * time.Minute
)

// CodeUnsupported is Salesforce's answer to a query a big object cannot run.
const CodeUnsupported = sfapi.CodeBigObjectUnsupported

// Cursor is the checkpoint of a big-object stream.
type Cursor struct {
	// From: every event at or before From has been delivered; the next
	// window starts after it. Always a whole second (SOQL literals are).
	From time.Time `json:"from"`
	// Span is the next window's length in seconds, adapted to the event rate.
	Span int64 `json:"span_s,omitempty"`
	// Window is the window being delivered, when a poll stopped inside it.
	Window *Window `json:"window,omitempty"`
}

// Window is the progress through one window (From, To]. Events are read
// newest first, so what was delivered is exactly (Low, To] plus the events
// at Low listed in AtLow: a crash or refusal resumes there without loss or
// repeats, however many events the window holds.
type Window struct {
	To    time.Time `json:"to"`
	Low   time.Time `json:"low"`
	AtLow []string  `json:"at_low,omitempty"` // keys delivered with event time == Low
	Rows  int       `json:"rows,omitempty"`   // delivered so far, to size the next window
}

// Source is a stream.Source over one big object.
type Source struct {
	spec    Spec
	opts    Options
	client  sfapi.Querier
	fields  *fieldset.Resolver
	mapping convert.Mapping
	keys    identity.Keyer
}

var (
	_ stream.Source[Cursor] = (*Source)(nil)
	_ stream.Checker        = (*Source)(nil)
)

// New returns a Source for spec.
func New(client sfapi.Querier, spec Spec, opts Options) *Source {
	stream.Default(&spec.KeyField, "EventIdentifier")
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	stream.Default(&opts.BatchSize, 2000)
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.MinWindow, DefaultMinWindow)
	def(&opts.MaxWindow, DefaultMaxWindow)
	def(&opts.Window, DefaultWindow)
	def(&opts.Lag, DefaultLag)
	opts.MinWindow = max(opts.MinWindow.Truncate(time.Second), time.Second)
	opts.MaxWindow = max(opts.MaxWindow, opts.MinWindow)
	opts.Window = min(max(opts.Window, opts.MinWindow), opts.MaxWindow)
	if opts.TargetRows <= 0 {
		opts.TargetRows = DefaultTargetRows
	}
	var required []string
	if spec.KeyField != catalog.KeyDigest {
		required = append(required, spec.KeyField)
	}
	fields := spec.Resolver(client, opts.APIVersion, opts.Logger, required...)
	return &Source{spec: spec, opts: opts, client: client, fields: fields, mapping: spec.Stream.Mapping(),
		keys: identity.Keyer{Field: spec.KeyField, Fallback: "Id", OnCollision: identity.WarnOnce(opts.Logger, spec.Stream.Name)}}
}

// Initial starts the backfill, at a whole second.
func (s *Source) Initial() Cursor {
	return Cursor{From: s.opts.Now().Add(-s.opts.Backfill).UTC().Truncate(time.Second)}
}

// Query is the SOQL for the events of (from, upper], newest first,
// selecting set's fields. upper is rounded up to a whole second; the
// caller drops what lies above it.
func (s *Source) Query(set fieldset.Set, from, upper time.Time) string {
	if u := upper.Truncate(time.Second); !u.Equal(upper) {
		upper = u.Add(time.Second)
	}
	ts := s.mapping.TimestampField
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s WHERE %s > %s AND %s <= %s", strings.Join(set.Fields, ", "), s.spec.Stream.Object,
		ts, sfapi.FormatDateTime(from), ts, sfapi.FormatDateTime(upper))
	if s.spec.Where != "" {
		fmt.Fprintf(&b, " AND (%s)", s.spec.Where)
	}
	fmt.Fprintf(&b, " ORDER BY %s DESC", ts)
	return b.String()
}

// Poll delivers every complete window up to now minus Lag, finishing a
// window a previous poll stopped in first.
func (s *Source) Poll(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) error {
	c.Window = c.Window.clone()
	end := s.opts.Now().Add(-s.opts.Lag).UTC().Truncate(time.Second)
	refused := false
	for {
		if c.Window == nil {
			to := c.From.Add(s.span(c))
			if to.After(end) {
				to = end
			}
			if !to.After(c.From) {
				return nil // caught up
			}
			c.Window = &Window{To: to, Low: to}
		}
		next, err := s.window(ctx, res, c, emit)
		if err != nil {
			// next holds what was accepted before the error.
			if shrunk, ok := s.shrink(next, err); ok {
				c = shrunk
				continue
			}
			if !refused && s.fields.Invalidate(err) {
				// A field hidden since the describe: describe again, once.
				refused, c = true, next
				continue
			}
			if sfapi.IsCode(err, CodeUnsupported) && s.spec.Where != "" {
				return fmt.Errorf("%s is a big object and filters only on its index fields; Salesforce rejected the query with where %q: %w", s.spec.Stream.Object, s.spec.Where, err)
			}
			return err
		}
		c = next
	}
}

// Check runs the stream's query over the last minute before its lag for
// one row, so the connection test says what a poll will meet.
func (s *Source) Check(ctx context.Context) (stream.Readiness, error) {
	to := s.opts.Now().Add(-s.opts.Lag).UTC().Truncate(time.Second)
	set, err := s.fields.With(ctx, func(set fieldset.Set) error {
		_, err := s.client.Query(ctx, s.spec.Stream.Caller(), s.Query(set, to.Add(-time.Minute), to)+" LIMIT 1", 0)
		return err
	})
	return stream.Readiness{Object: s.spec.Stream.Object, Missing: set.Missing, Note: "big object"}, err
}

// span is the length of the next window.
func (s *Source) span(c Cursor) time.Duration {
	if c.Span > 0 {
		return min(max(time.Duration(c.Span)*time.Second, s.opts.MinWindow), s.opts.MaxWindow)
	}
	return s.opts.Window
}

// shrink halves a window that timed out before delivering anything, so a
// dense stretch of events is read in smaller pieces.
func (s *Source) shrink(c Cursor, err error) (Cursor, bool) {
	w := c.Window
	length := w.To.Sub(c.From)
	if !sfapi.IsCode(err, sfapi.CodeQueryTimeout) || w.Rows > 0 || !w.Low.Equal(w.To) || length <= time.Second {
		return c, false
	}
	half := max((length / 2).Truncate(time.Second), time.Second)
	s.opts.Logger.Info("Big object window timed out; halving it", zap.String("stream", s.spec.Stream.Name),
		zap.Duration("window", length), zap.Duration("new_window", half))
	c.Window = &Window{To: c.From.Add(half), Low: c.From.Add(half)}
	c.Span = int64(half / time.Second)
	return c, true
}

// window delivers the rest of c.Window and returns the cursor after it:
// the window closed, From moved to its end.
func (s *Source) window(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) (Cursor, error) {
	name, caller := s.spec.Stream.Name, s.spec.Stream.Caller()
	set, err := s.fields.Get(ctx)
	if err != nil {
		return c, err
	}
	page, err := s.client.Query(ctx, caller, s.Query(set, c.From, c.Window.Low), s.opts.BatchSize)
	if err != nil {
		return c, err
	}
	s.keys.Reset()
	fresh := 0 // records added since the last query, to detect a stuck walk
	for {
		observed := s.opts.Now()
		batch := convert.NewBatch(res, len(page.Records))
		next := c
		next.Window = c.Window.clone()
		for i := range page.Records {
			s.add(batch, next.From, next.Window, &page.Records[i], observed)
		}
		fresh += batch.Len()
		last := page.Done
		if last {
			next = s.close(next)
		}
		if batch.Len() > 0 || last {
			if err := emit(ctx, batch.Logs(), next); err != nil {
				return c, err
			}
			c = next
		}
		if last {
			return c, nil
		}
		if page.NextRecordsURL != "" {
			page, err = s.client.QueryMore(ctx, caller, page.NextRecordsURL, s.opts.BatchSize)
			if err == nil {
				continue
			}
			if !sfapi.IsCode(err, sfapi.CodeInvalidQueryLocator) {
				return c, err
			}
			// The locator expired (a long stall in delivery): the cursor
			// knows where the walk stands, so query from there.
			s.opts.Logger.Info("Query locator expired; querying the window again from the cursor", zap.String("stream", name))
		}
		if fresh == 0 {
			// Only when more events share one second than a page holds.
			return c, fmt.Errorf("%s: cannot page below %s: a query from there brought nothing new and could not be continued",
				s.spec.Stream.Object, c.Window.Low.Format(time.RFC3339Nano))
		}
		// No locator to follow: move the window's top down to where the
		// walk stands and query the rest.
		fresh = 0
		if page, err = s.client.Query(ctx, caller, s.Query(set, c.From, c.Window.Low), s.opts.BatchSize); err != nil {
			return c, err
		}
		s.keys.Reset()
	}
}

// add appends one record unless it lies outside the window or was
// delivered already, and moves w's position down to it.
func (s *Source) add(batch *convert.Batch, from time.Time, w *Window, rec *sobject.Record, observed time.Time) {
	m := &s.mapping
	if m.AppendUndecodable(batch, rec, observed) {
		return // it cannot be placed in time, so a re-read may send it again
	}
	key := s.keys.Key(rec)
	ts, tsErr := m.EventTime(rec)
	at := ts
	if tsErr != "" {
		at = w.Low // keep the walk where it is; AtLow drops it on a re-read
	}
	switch {
	case !at.After(from) || at.After(w.Low):
		return // outside (from, Low]: another window's, or delivered already
	case at.Equal(w.Low) && slices.Contains(w.AtLow, key):
		return // same event time as the last delivered one, and delivered
	}
	m.AppendTimed(batch, rec, convert.Origin{Key: key, Observed: observed}, ts, tsErr)
	w.Rows++
	if at.Before(w.Low) {
		w.Low, w.AtLow = at, w.AtLow[:0]
	}
	w.AtLow = append(w.AtLow, key)
}

// close ends the window: From moves to its end and the next window is
// sized to hold about TargetRows at the rate this one saw.
func (s *Source) close(c Cursor) Cursor {
	w := c.Window
	length := w.To.Sub(c.From)
	cur := s.span(c)
	next := min(cur*2, s.opts.MaxWindow)
	if w.Rows > 0 {
		ideal := time.Duration(float64(length) * float64(s.opts.TargetRows) / float64(w.Rows))
		next = min(ideal, next)
	}
	next = min(max(next.Truncate(time.Second), s.opts.MinWindow), s.opts.MaxWindow)
	if length < cur && w.Rows < s.opts.TargetRows {
		next = max(next, cur) // a window cut short by now says little about the rate
	}
	return Cursor{From: w.To, Span: int64(next / time.Second)}
}

func (w *Window) clone() *Window {
	if w == nil {
		return nil
	}
	c := *w
	c.AtLow = slices.Clone(w.AtLow)
	return &c
}
