// Package soqlstream reads an ordinary Salesforce object in ascending
// (timestamp, Id) order: LoginHistory, SetupAuditTrail and any object whose
// rows carry a timestamp. It is a stream.Source.
package soqlstream

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/fieldset"
	"github.com/sfevents/salesforcereceiver/internal/identity"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Spec is a stream's descriptor and what it reads: the object is
// Stream.Object, paged on Cursor (default Stream.Map.TimestampField).
type Spec struct {
	Stream stream.Descriptor
	// Key identifies a record (default Id); a row without it, or with
	// Salesforce's placeholder Id, is identified by its digest
	// (package identity).
	Key string
	// Cursor is the field the stream pages on when it is not the event
	// time (a Threat Detection store: CreatedDate, as detection is late).
	Cursor string
	// Fields are read where the org shows them to the integration user
	// (its describe says); Id and TimestampField are added and must be
	// shown. Empty: every standard field.
	Fields []string
	// Listed: Fields come from the user, and one the org does not show is
	// an error naming it rather than a field to do without.
	Listed bool
	Where  string // extra SOQL condition, ANDed
	// OwnRows names the field holding the user a row is about, on an
	// object whose other users' rows Salesforce silently hides from a user
	// without a permission (LoginHistory: UserId, without Manage Users).
	// Check then looks for one row of another user.
	OwnRows string
}

// Resolver chooses the spec's fields from what the org shows, with the
// required ones (cursor and key fields) added.
func (spec Spec) Resolver(client sfapi.Describer, apiVersion string, logger *zap.Logger, required ...string) *fieldset.Resolver {
	required = append(required, spec.Stream.Map.TimestampField)
	if spec.Cursor != "" {
		required = append(required, spec.Cursor)
	}
	return fieldset.NewResolver(client, fieldset.Want{
		Caller: spec.Stream.Caller(), Object: spec.Stream.Object,
		Required: required, Fields: spec.Fields,
		Listed: spec.Listed, Standard: len(spec.Fields) == 0, APIVersion: apiVersion,
	}, logger)
}

// Options tune a Source beyond its Spec.
type Options struct {
	Backfill time.Duration // first start reads this far back
	// Overlap is re-read on every poll so rows that became visible after a
	// later row was read (commit order differs from timestamp order) are
	// still delivered; rows already delivered are dropped by Id.
	Overlap   time.Duration
	BatchSize int
	// APIVersion is named when a field is not visible.
	APIVersion string
	// UserID is the integration user's id, for Spec.OwnRows; nil skips
	// that check.
	UserID func(context.Context) (string, error)
	Now    func() time.Time
	Logger *zap.Logger
}

// DefaultOverlap covers the commit lag seen on busy orgs.
const DefaultOverlap = 5 * time.Minute

// Cursor is the checkpoint of a SOQL stream.
type Cursor struct {
	// Time is the newest cursor-field time delivered, ID the key of the
	// record that had it.
	Time time.Time `json:"time"`
	ID   string    `json:"id,omitempty"`
	// Seen holds the keys delivered with a time within Overlap of Time
	// (unix milliseconds), the ones a re-read can return again.
	Seen map[string]int64 `json:"seen,omitempty"`
}

// EventTime is how far the cursor has come.
func (c Cursor) EventTime() time.Time { return c.Time }

// Source is a stream.Source over one object.
type Source struct {
	spec    Spec
	opts    Options
	client  sfapi.Querier
	fields  *fieldset.Resolver
	mapping convert.Mapping
	cursor  convert.Mapping // the cursor field's times, when it is not the event time
	keys    identity.Keyer
}

var (
	_ stream.Source[Cursor] = (*Source)(nil)
	_ stream.Checker        = (*Source)(nil)
)

// New returns a Source for spec.
func New(client sfapi.Querier, spec Spec, opts Options) *Source {
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	stream.Default(&opts.BatchSize, 2000)
	stream.Default(&spec.Key, "Id")
	required := []string{"Id"}
	if spec.Key != catalog.KeyDigest { // a digest is of the row, not a field (OauthToken: its Id is always null)
		required = append(required, spec.Key)
	}
	fields := spec.Resolver(client, opts.APIVersion, opts.Logger, required...)
	s := &Source{spec: spec, opts: opts, client: client, fields: fields, mapping: spec.Stream.Mapping()}
	s.cursor = convert.Mapping{TimestampField: s.cursorField()}
	s.keys = identity.Keyer{Field: spec.Key, Fallback: "Id", OnCollision: identity.WarnOnce(opts.Logger, spec.Stream.Name)}
	return s
}

// cursorField is the field the stream pages on.
func (s *Source) cursorField() string {
	if s.spec.Cursor != "" {
		return s.spec.Cursor
	}
	return s.spec.Stream.Map.TimestampField
}

// Initial starts the backfill.
func (s *Source) Initial() Cursor { return Cursor{Time: s.opts.Now().Add(-s.opts.Backfill).UTC()} }

// Query is the SOQL a poll from cursor c sends, selecting set's fields.
func (s *Source) Query(set fieldset.Set, c Cursor) string {
	from := c.Time.Add(-s.opts.Overlap)
	var b strings.Builder
	ts := s.cursorField()
	fmt.Fprintf(&b, "SELECT %s FROM %s WHERE %s >= %s", strings.Join(set.Fields, ", "), s.spec.Stream.Object, ts, sfapi.FormatDateTime(from))
	if s.spec.Where != "" {
		fmt.Fprintf(&b, " AND (%s)", s.spec.Where)
	}
	fmt.Fprintf(&b, " ORDER BY %s ASC, Id ASC", ts)
	return b.String()
}

// Poll reads everything at or after the cursor's overlap window, drops
// what was delivered already and emits the rest page by page.
func (s *Source) Poll(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) error {
	name := s.spec.Stream.Name

	// A query locator expires when delivery stalls for long; query again
	// from the last accepted cursor rather than fail the poll. A field
	// refused although the describe showed it (hidden since) is left out
	// and the query sent again, once.
	refused := false
	for restarts := 0; ; restarts++ {
		next, err := s.pages(ctx, res, c, emit)
		if err == nil {
			return nil
		}
		switch {
		case !refused && s.fields.Invalidate(err):
			refused = true
		case sfapi.IsCode(err, sfapi.CodeInvalidQueryLocator) && restarts < 3:
			s.opts.Logger.Info("Query locator expired; querying again from the cursor", zap.String("stream", name))
		default:
			return err
		}
		c = next
	}
}

// Check runs the stream's real query for one row, so the connection test
// says what a poll will meet.
func (s *Source) Check(ctx context.Context) (stream.Readiness, error) {
	c := s.Initial()
	set, err := s.fields.With(ctx, func(set fieldset.Set) error {
		_, err := s.client.Query(ctx, s.spec.Stream.Caller(), s.Query(set, c)+" LIMIT 1", 0)
		return err
	})
	ready := stream.Readiness{Object: s.spec.Stream.Object, Missing: set.Missing}
	if err == nil && s.spec.OwnRows != "" && s.opts.UserID != nil {
		ready.Partial, err = s.onlyOwnRows(ctx)
	}
	return ready, err
}

// onlyOwnRows says why the stream sees nobody's rows but the integration
// user's, or "" when it sees another user's row (or no row at all).
func (s *Source) onlyOwnRows(ctx context.Context) (string, error) {
	self, err := s.opts.UserID(ctx)
	if err != nil || len(self) < 15 {
		return "", err
	}
	obj, field := s.spec.Stream.Object, s.spec.OwnRows
	count := func(cond string) (int, error) {
		page, err := s.client.Query(ctx, s.spec.Stream.Caller(), "SELECT Id FROM "+obj+" WHERE "+cond+" LIMIT 1", 0)
		if err != nil {
			return 0, err
		}
		return len(page.Records), nil
	}
	// Ids compare on their 15-character form, whichever form a row holds.
	others, err := count(field + " != '" + convert.ID18(self[:15]) + "' AND " + field + " != '" + self[:15] + "'")
	if err != nil || others > 0 {
		return "", err
	}
	if own, err := count(field + " != null"); err != nil || own == 0 {
		return "", err
	}
	return obj + " shows only the integration user's own rows: Salesforce hides other users' rows from a user without " +
		s.spec.Stream.Access.Needs + " (or no other user has any)", nil
}

// pages runs one query from c and returns the last accepted cursor.
func (s *Source) pages(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) (Cursor, error) {
	caller := s.spec.Stream.Caller()
	set, err := s.fields.Get(ctx)
	if err != nil {
		return c, err
	}
	page, err := s.client.Query(ctx, caller, s.Query(set, c), s.opts.BatchSize)
	if err != nil {
		return c, err
	}
	s.keys.Reset()
	for {
		observed := s.opts.Now()
		batch := convert.NewBatch(res, len(page.Records))
		next := c
		next.Seen = maps.Clone(c.Seen)
		if next.Seen == nil {
			next.Seen = map[string]int64{}
		}
		for i := range page.Records {
			s.add(batch, &next, &page.Records[i], observed)
		}
		prune(&next, s.opts.Overlap)
		if page.Done || page.NextRecordsURL == "" {
			if batch.Len() > 0 {
				if err := emit(ctx, batch.Logs(), next); err != nil {
					return c, err
				}
				c = next
			}
			return c, nil
		}
		// The next page is fetched and decoded while this one is delivered.
		more := s.prefetch(ctx, caller, page.NextRecordsURL)
		if batch.Len() > 0 {
			if err := emit(ctx, batch.Logs(), next); err != nil {
				more.cancel()
				return c, err
			}
			c = next
		}
		if page, err = more.wait(); err != nil {
			return c, err
		}
	}
}

// pending is a page being fetched on its own goroutine.
type pending struct {
	done chan struct{}
	page *sfapi.QueryResult
	err  error
	stop context.CancelFunc
}

func (s *Source) prefetch(ctx context.Context, caller sfapi.Caller, url string) *pending {
	fctx, stop := context.WithCancel(ctx)
	p := &pending{done: make(chan struct{}), stop: stop}
	go func() {
		defer close(p.done)
		p.page, p.err = s.client.QueryMore(fctx, caller, url, s.opts.BatchSize)
	}()
	return p
}

// wait returns the fetched page.
func (p *pending) wait() (*sfapi.QueryResult, error) {
	<-p.done
	p.stop()
	return p.page, p.err
}

// cancel abandons the fetch and waits for its goroutine.
func (p *pending) cancel() {
	p.stop()
	<-p.done
}

// add appends one record unless it was delivered already, moving next.
func (s *Source) add(batch *convert.Batch, next *Cursor, rec *sobject.Record, observed time.Time) {
	m := &s.mapping
	if m.AppendUndecodable(batch, rec, observed) {
		return
	}
	key := s.keys.Key(rec)
	ts, tsErr := m.EventTime(rec)
	at, atErr := ts, tsErr // where the record stands on the cursor
	if s.spec.Cursor != "" {
		at, atErr = s.cursor.EventTime(rec)
	}
	if atErr == "" && at.Before(next.Time.Add(-s.opts.Overlap)) {
		return // older than the overlap window: delivered before it was pruned
	}
	if _, dup := next.Seen[key]; dup {
		return
	}
	m.AppendTimed(batch, rec, convert.Origin{Key: key, Observed: observed}, ts, tsErr)
	if atErr != "" {
		at = next.Time // keep it in the window so a re-read drops it
	}
	next.Seen[key] = at.UnixMilli()
	if at.After(next.Time) || (at.Equal(next.Time) && key > next.ID) {
		next.Time, next.ID = at, key
	}
}

// prune forgets ids that fell out of the overlap window.
func prune(c *Cursor, overlap time.Duration) {
	oldest := c.Time.Add(-overlap).UnixMilli()
	for id, ms := range c.Seen {
		if ms < oldest {
			delete(c.Seen, id)
		}
	}
}
