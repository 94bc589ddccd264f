// Package objects reads one configured object (an `objects:` entry): a
// Real-Time Event Monitoring storage object, an Event Log Object or any SOQL
// object. The catalog says which it is and how its records are identified;
// an object the catalog does not know is told apart by what Salesforce
// answers: the ordinary ascending query is tried first, and a big object
// refuses it with BIG_OBJECT_UNSUPPORTED_OPERATION, after which it is read
// in windows. The kind is then kept in the cursor.
package objects

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/bigobject"
	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/fieldset"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Config is one `objects:` entry.
type Config struct {
	Name           string
	TimestampField string
	Fields         []string // empty: every standard field the org shows, from the object's describe
	Where          string   // extra SOQL condition, ANDed
}

// Options tune a Source. Zero values take the defaults.
type Options struct {
	Backfill   time.Duration
	APIVersion string // named when a field is not visible
	BatchSize  int
	// Overlap is the ordinary objects' re-read window; default soqlstream.DefaultOverlap.
	Overlap time.Duration
	// Big tunes the big-object windows; its Backfill, BatchSize, Now and
	// Logger are taken from these Options.
	Big    bigobject.Options
	Now    func() time.Time
	Logger *zap.Logger
}

// Kinds of object, as kept in the cursor.
const (
	KindSOQL = "soql"
	KindBig  = "big"
)

// Cursor is the checkpoint of an object stream: its kind and that kind's cursor.
type Cursor struct {
	Kind string             `json:"kind"`
	SOQL *soqlstream.Cursor `json:"soql,omitempty"`
	Big  *bigobject.Cursor  `json:"big,omitempty"`
}

// EventTime is how far the cursor has come, whichever kind it is.
func (c Cursor) EventTime() time.Time {
	switch {
	case c.SOQL != nil:
		return c.SOQL.EventTime()
	case c.Big != nil:
		return c.Big.From
	}
	return time.Time{}
}

// Descriptor is the stream of one configured object; timestampField ""
// takes the catalog's.
func Descriptor(object, timestampField string) stream.Descriptor {
	e := catalog.Lookup(object)
	if timestampField == "" {
		timestampField = DefaultTimestamp(object)
	}
	return stream.Descriptor{
		Name:     "object/" + object,
		Priority: sfapi.PriorityNormal,
		Object:   object,
		Access:   access(object, e),
		Map:      convert.Mapping{EventName: semconv.EventObject, EventType: object, TimestampField: timestampField}.ForObject(object),
	}
}

// DefaultTimestamp is the event-time field of an object the catalog knows,
// or of an Event Log Object it does not know yet ("" otherwise).
func DefaultTimestamp(object string) string {
	if e := catalog.Lookup(object); e != nil {
		return e.Timestamp
	}
	if catalog.IsEventLogObject(object) {
		return "Timestamp"
	}
	return ""
}

// access is what reading object takes: the catalog's, or read access to
// an object it does not know.
func access(object string, e *catalog.Entry) stream.Access {
	switch {
	case e != nil:
		return e.Access
	case catalog.IsEventLogObject(object):
		return catalog.Lookup("AuraRequestEventLog").Access // every Event Log Object's
	}
	return stream.Access{Needs: "Read on " + object, Fix: "give the integration user Read on " + object + " and access to the fields to collect"}
}

// Event Log Objects: Salesforce's rows become queryable 25 to 45 minutes
// after the event, and a query may span at most 15 days of Timestamp
// ("Best Practices and Considerations for Leveraging Event Log Object
// Data":
// https://developer.salesforce.com/docs/atlas.en-us.securityImplGuide.meta/securityImplGuide/elo_best_practices.htm).
const (
	EventLogObjectLag       = time.Hour
	EventLogObjectMaxWindow = 24 * time.Hour // well under the 15 days one query may span
)

// Source is a stream.Source over one configured object. Its Poll is called
// by one runner at a time.
type Source struct {
	cfg    Config
	opts   Options
	client sfapi.Querier
	desc   stream.Descriptor

	kind    string // the catalog's, or learnt from Salesforce; "" until known
	entry   *catalog.Entry
	soql    *soqlstream.Source
	big     *bigobject.Source
	mu      sync.Mutex // Check runs beside Poll
	lastErr string     // the last configuration error logged, to log each once
}

var (
	_ stream.Source[Cursor] = (*Source)(nil)
	_ stream.Checker        = (*Source)(nil)
)

// New returns the Source for one `objects:` entry.
func New(client sfapi.Querier, cfg Config, opts Options) *Source {
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	stream.Default(&opts.Overlap, soqlstream.DefaultOverlap)
	if cfg.TimestampField == "" {
		cfg.TimestampField = DefaultTimestamp(cfg.Name)
	}
	s := &Source{cfg: cfg, opts: opts, client: client, desc: Descriptor(cfg.Name, cfg.TimestampField)}
	s.entry = catalog.Lookup(cfg.Name)
	switch {
	case catalog.IsEventLogObject(cfg.Name), s.entry != nil && s.entry.Big:
		s.kind = KindBig // known to be read in windows: no ordinary query first
	case s.entry != nil:
		s.kind = KindSOQL
	}
	s.readers()
	return s
}

// Initial is a first start: where either reader would begin now, fixed
// at this call, since a poll with nothing to read emits no cursor and the
// next poll must not begin later (with a backfill within a big object's
// lag, it never would read anything). Kind is the catalog's, if it knows
// the object.
func (s *Source) Initial() Cursor {
	soql, big := s.soql.Initial(), s.big.Initial()
	return Cursor{Kind: s.kind, SOQL: &soql, Big: &big}
}

// Poll reads what is new, as the cursor's kind says or, before the kind is
// known, by trying the ordinary query first.
func (s *Source) Poll(ctx context.Context, res convert.Resource, cursor Cursor, emit stream.Emit[Cursor]) error {
	kind := s.kind
	switch {
	case cursor.Kind == KindSOQL && kind == KindBig && cursor.SOQL != nil:
		// Read before the catalog knew the object for a big object or an
		// Event Log Object: the windows start where the ordinary cursor
		// stood.
		cursor = Cursor{Kind: KindBig, Big: &bigobject.Cursor{From: cursor.SOQL.Time.UTC().Truncate(time.Second)}}
	case cursor.Kind != "":
		kind = cursor.Kind
	}
	switch kind {
	case KindBig:
		return s.explain(s.pollBig(ctx, res, cursor, emit))
	case KindSOQL:
		return s.explain(s.pollSOQL(ctx, res, cursor, emit))
	}
	err := s.pollSOQL(ctx, res, cursor, emit)
	if !sfapi.IsCode(err, bigobject.CodeUnsupported) {
		return s.explain(err)
	}
	s.kind = KindBig
	s.opts.Logger.Info("Salesforce answered that this is a big object; reading it in time windows, newest first within each",
		zap.String("stream", s.desc.Name), zap.String("object", s.cfg.Name))
	return s.explain(s.pollBig(ctx, res, cursor, emit))
}

func (s *Source) pollSOQL(ctx context.Context, res convert.Resource, cursor Cursor, emit stream.Emit[Cursor]) error {
	c := s.soql.Initial()
	if cursor.SOQL != nil && cursor.Kind != KindBig {
		c = *cursor.SOQL
	}
	err := s.soql.Poll(ctx, res, c, func(ctx context.Context, logs plog.Logs, next soqlstream.Cursor) error {
		s.kind = KindSOQL
		return emit(ctx, logs, Cursor{Kind: KindSOQL, SOQL: &next})
	})
	if err == nil {
		s.kind = KindSOQL
	}
	return err
}

func (s *Source) pollBig(ctx context.Context, res convert.Resource, cursor Cursor, emit stream.Emit[Cursor]) error {
	c := s.big.Initial()
	if cursor.Big != nil && cursor.Kind != KindSOQL {
		c = *cursor.Big
	}
	return s.big.Poll(ctx, res, c, func(ctx context.Context, logs plog.Logs, next bigobject.Cursor) error {
		return emit(ctx, logs, Cursor{Kind: KindBig, Big: &next})
	})
}

// readers builds both readers; each chooses its fields from the object's
// describe when it first reads. The catalog's key and cursor fields apply
// to both: a storage object's events are keyed by EventIdentifier, an
// Event Log Object's by their digest, never by a placeholder Id.
func (s *Source) readers() {
	listed := len(s.cfg.Fields) > 0
	spec := soqlstream.Spec{Stream: s.desc, Fields: s.cfg.Fields, Listed: listed, Where: s.cfg.Where}
	key := ""
	if e := s.entry; e != nil {
		key, spec.Cursor = e.Key, e.Cursor
	}
	if catalog.IsEventLogObject(s.cfg.Name) {
		key = catalog.KeyDigest
	}
	soqlSpec := spec
	soqlSpec.Key = key
	s.soql = soqlstream.New(s.client, soqlSpec, soqlstream.Options{
		Backfill: s.opts.Backfill, Overlap: s.opts.Overlap, BatchSize: s.opts.BatchSize, APIVersion: s.opts.APIVersion,
		Now: s.opts.Now, Logger: s.opts.Logger,
	})
	bo := s.opts.Big
	bo.Backfill, bo.BatchSize, bo.Now, bo.Logger, bo.APIVersion = s.opts.Backfill, s.opts.BatchSize, s.opts.Now, s.opts.Logger, s.opts.APIVersion
	if catalog.IsEventLogObject(s.cfg.Name) {
		bo.Lag = max(bo.Lag, EventLogObjectLag)
		if bo.MaxWindow <= 0 || bo.MaxWindow > EventLogObjectMaxWindow {
			bo.MaxWindow = EventLogObjectMaxWindow
		}
	}
	spec.Cursor = ""
	s.big = bigobject.New(s.client, bigobject.Spec{Spec: spec, KeyField: key}, bo)
}

// Check tries the object's query for one row, as the kind Salesforce
// says it is.
func (s *Source) Check(ctx context.Context) (stream.Readiness, error) {
	if s.kind == KindBig {
		r, err := s.big.Check(ctx)
		if catalog.IsEventLogObject(s.cfg.Name) {
			r.Note = "Event Log Object: read in windows an hour behind now (Salesforce's rows arrive 25-45 minutes late)"
		}
		return r, s.explain(err)
	}
	r, err := s.soql.Check(ctx)
	if sfapi.IsCode(err, bigobject.CodeUnsupported) {
		r, err = s.big.Check(ctx)
	}
	return r, s.explain(err)
}

var fieldInMessage = regexp.MustCompile(`(?:No such column|Didn't understand relationship|Filtering on field) '([^']+)'`)

// explain logs a refusal that only a configuration change can fix (a
// field, object or condition Salesforce does not accept) once, with
// Salesforce's own message and the object and field it names; the runner
// retries on its interval, as the operator may fix the org instead.
func (s *Source) explain(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.lastErr = ""
		return nil
	}
	var notVisible *fieldset.NotVisibleError
	if errors.As(err, &notVisible) {
		if msg := notVisible.Error(); msg != s.lastErr {
			s.lastErr = msg
			s.opts.Logger.Error("A configured object cannot be read as configured; check its fields and timestamp_field, or grant the integration user field access. Retrying on the poll interval",
				zap.String("stream", s.desc.Name), zap.String("object", s.cfg.Name),
				zap.String("field", strings.Join(notVisible.Fields, ", ")), zap.Error(err))
		}
		return fmt.Errorf("object %s: %w", s.cfg.Name, err)
	}
	var apiErr *sfapi.APIError
	if !errors.As(err, &apiErr) || sfapi.Classify(err) != sfapi.ClassQuery {
		return err
	}
	if msg := apiErr.Code + apiErr.Message; msg != s.lastErr {
		s.lastErr = msg
		fields := []zap.Field{
			zap.String("stream", s.desc.Name), zap.String("object", s.cfg.Name),
			zap.String("error_code", apiErr.Code), zap.String("salesforce_message", apiErr.Message),
		}
		if m := fieldInMessage.FindStringSubmatch(apiErr.Message); m != nil {
			fields = append(fields, zap.String("field", m[1]))
		}
		if s.cfg.Where != "" {
			fields = append(fields, zap.String("where", s.cfg.Where))
		}
		s.opts.Logger.Error("Salesforce rejected the query of a configured object; check its name, timestamp_field, fields and where. Retrying on the poll interval", fields...)
	}
	return fmt.Errorf("object %s: %w", s.cfg.Name, err)
}
