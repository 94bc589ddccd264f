// Package inventory is the stream that answers "who can read our org?": on
// every poll it reads in full who holds OAuth tokens (OauthToken), which
// connected apps and External Client Apps the org has
// (ConnectedApplication, ExternalClientApplication) and which users hold
// powerful permissions (PermissionSetAssignment joined to the permission
// set's Permissions* fields), compares each with the last reading, and
// delivers one record per item added, removed or changed (with its fields
// before and after), and every item as a snapshot at the first reading and
// then every SnapshotEvery, so a backend always holds the current picture.
//
// The last reading is the stream's cursor, saved by the runner only after
// the pipeline accepted the page that reports it: a restart compares with
// what was delivered, so it reports no change that did not happen, and a
// record's log.record.uid derives from (object, item, reading, change,
// content), so a page sent again after a crash carries the same uids.
//
// Secrets: OauthToken's AccessToken, RequestToken and DeleteToken are never
// selected (the catalog marks them; sfapi refuses any query naming them).
package inventory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// The parts of the inventory, by their configuration names.
const (
	PartOAuthTokens     = "oauth_tokens"     //nolint:gosec // G101: a part's name, not a credential
	PartConnectedApps   = "connected_apps"   // ConnectedApplication, and ExternalClientApplication where the org exposes it
	PartPrivilegedUsers = "privileged_users" // PermissionSetAssignment of a permission set granting a powerful permission
)

// Parts lists every part, in the order a poll reads them.
var Parts = []string{PartOAuthTokens, PartConnectedApps, PartPrivilegedUsers}

// DefaultPermissions make a permission set assignment privileged: the
// PermissionSet fields of Modify All Data, View All Data, Customize
// Application, Author Apex, Manage Users, Modify Metadata and Assign
// Permission Sets.
var DefaultPermissions = []string{"PermissionsModifyAllData", "PermissionsViewAllData", "PermissionsCustomizeApplication",
	"PermissionsAuthorApex", "PermissionsManageUsers", "PermissionsModifyMetadata", "PermissionsAssignPermissionSets"}

// DefaultSnapshotEvery is how often every item is delivered again.
const DefaultSnapshotEvery = 24 * time.Hour

// StreamName is the stream's id: its checkpoint key and log.record.uid input.
const StreamName = "inventory"

// Descriptor is the inventory stream's; each part's object has its own
// descriptor for the connection test (Source.Checks).
var Descriptor = stream.Descriptor{
	Name:     StreamName,
	Priority: sfapi.PrioritySecurity,
	Object:   "OauthToken, ConnectedApplication, PermissionSetAssignment",
	Access:   catalog.Lookup("OauthToken").Access,
	Map:      convert.Mapping{EventName: semconv.EventInventory},
}

// Options configure a Source. Zero values take the defaults.
type Options struct {
	// Parts to read (Parts' names); empty: all.
	Parts []string
	// SnapshotEvery is how often every item is delivered as a snapshot.
	SnapshotEvery time.Duration
	// Permissions are the PermissionSet fields that make an assignment
	// privileged; empty: DefaultPermissions.
	Permissions []string
	// APIVersion is named when a field is not visible.
	APIVersion string
	// UserID is the integration user's id: OauthToken shows a user
	// without Customize Application only their own tokens, with no error,
	// and the stream tells that apart by whose tokens it sees. nil skips
	// it.
	UserID func(context.Context) (string, error)
	// PageSize is the most records one page to the pipeline holds.
	PageSize int
	// TokenPageRows is the LIMIT of each OauthToken query (at most 2,500:
	// Salesforce returns no more to one query).
	TokenPageRows int
	Now           func() time.Time
	Logger        *zap.Logger
}

// Cursor is the last reading of each part, by object, as delivered.
type Cursor struct {
	Parts map[string]*PartState `json:"parts,omitempty"`
}

// PartState is one object's last delivered reading.
type PartState struct {
	// Seq counts the readings that delivered records; it is part of every
	// record's uid, so one change is one uid, however often it is sent.
	Seq int64 `json:"seq"`
	// Snapshot is when the last snapshot was delivered.
	Snapshot time.Time `json:"snapshot"`
	// Scope (OauthToken): whose tokens the reading showed: "own" (only the
	// integration user's) or "all" ("" when none).
	Scope string `json:"scope,omitempty"`
	// Items are the objects' items by key.
	Items map[string]Item `json:"items,omitempty"`
}

// Source is the inventory stream: a stream.Source over every part.
type Source struct {
	opts   Options
	client sfapi.Querier
	parts  []*part

	mu     sync.Mutex
	absent map[string]time.Time // optional objects the org did not show, and when
	warned map[string]bool      // one-time lines already logged
}

var _ stream.Source[Cursor] = (*Source)(nil)

// New returns the inventory's Source.
func New(client sfapi.Querier, opts Options) *Source {
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	stream.Default(&opts.SnapshotEvery, DefaultSnapshotEvery)
	stream.Default(&opts.PageSize, 2000)
	stream.Default(&opts.TokenPageRows, 2000)
	if len(opts.Parts) == 0 {
		opts.Parts = Parts
	}
	if len(opts.Permissions) == 0 {
		opts.Permissions = DefaultPermissions
	}
	s := &Source{opts: opts, client: client, absent: map[string]time.Time{}, warned: map[string]bool{}}
	for _, name := range Parts { // in the order polls read them
		if !slices.Contains(opts.Parts, name) {
			continue
		}
		switch name {
		case PartOAuthTokens:
			s.parts = append(s.parts, s.tokenPart())
		case PartConnectedApps:
			s.parts = append(s.parts, s.plainPart("ConnectedApplication"), s.plainPart("ExternalClientApplication"))
		case PartPrivilegedUsers:
			s.parts = append(s.parts, s.privilegedPart())
		}
	}
	return s
}

// Initial is a first start: nothing read yet, so the first reading is a
// snapshot.
func (s *Source) Initial() Cursor { return Cursor{} }

// Poll reads every part and delivers what changed since the cursor's
// reading, and snapshots where due. A part that fails is reported in the
// error and keeps its last reading; the others are delivered.
func (s *Source) Poll(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) error {
	now := s.opts.Now().UTC()
	next := Cursor{Parts: maps.Clone(c.Parts)}
	if next.Parts == nil {
		next.Parts = map[string]*PartState{}
	}
	var errs []error
	for _, p := range s.parts {
		if s.skipAbsent(p, now) {
			continue
		}
		if err := s.pollPart(ctx, res, p, now, &next, emit); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if p.entry.Optional && notExposed(err) {
				s.markAbsent(p, now, err)
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %w", p.entry.Name, err))
		}
	}
	return errors.Join(errs...)
}

// absentFor is how long an optional object the org did not show is not
// asked for again.
const absentFor = 24 * time.Hour

func (s *Source) skipAbsent(p *part, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.absent[p.entry.Name]
	return ok && now.Sub(at) < absentFor
}

func (s *Source) markAbsent(p *part, now time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.absent[p.entry.Name]; !seen {
		s.opts.Logger.Info("The org does not show this object to the integration user; the inventory goes without it and asks again daily",
			zap.String("stream", StreamName), zap.String("object", p.entry.Name), zap.Error(err))
	}
	s.absent[p.entry.Name] = now
}

// notExposed reports whether err says the object is not there for this
// user: a describe answering NOT_FOUND, a query INVALID_TYPE.
func notExposed(err error) bool {
	return sfapi.IsCode(err, sfapi.CodeNotFound) || sfapi.IsCode(err, sfapi.CodeInvalidType)
}

// warnOnce logs msg at WARN the first time key is seen.
func (s *Source) warnOnce(key, msg string, fields ...zap.Field) {
	s.mu.Lock()
	first := !s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if first {
		s.opts.Logger.Warn(msg, append([]zap.Field{zap.String("stream", StreamName)}, fields...)...)
	}
}

// pollPart reads one part and delivers its records, moving next.
func (s *Source) pollPart(ctx context.Context, res convert.Resource, p *part, now time.Time, next *Cursor, emit stream.Emit[Cursor]) error {
	r, err := p.read(ctx)
	if err != nil {
		return err
	}
	old := next.Parts[p.entry.Name]
	if old == nil {
		old = &PartState{}
	}
	cur := keyed(r.items, p.keyOf)
	if r.carry != nil {
		r.carry(old.Items, cur)
	}
	scope := s.scope(ctx, p, r, old)
	snapshot := old.Seq == 0 || now.Sub(old.Snapshot) >= s.opts.SnapshotEvery
	var changes []change
	switch {
	case old.Seq == 0:
		// The first reading: nothing to compare with.
	case old.Scope != "" && scope != "" && scope != old.Scope:
		// Salesforce now shows more (or fewer) users' tokens than at the
		// last reading: a permission changed, not the tokens. Reported as
		// a snapshot, not as every other user's tokens added or removed.
		s.opts.Logger.Warn("OauthToken now shows "+scopeText(scope)+" (it showed "+scopeText(old.Scope)+"): the integration user's Customize Application changed; delivering a snapshot instead of changes",
			zap.String("stream", StreamName), zap.String("object", p.entry.Name))
		snapshot = true
	default:
		changes = diff(old.Items, cur, p.volatile)
	}
	seq := old.Seq
	if len(changes) > 0 || snapshot || len(r.unreadable) > 0 {
		seq++
	}
	state := &PartState{Seq: seq, Snapshot: old.Snapshot, Scope: scope, Items: cur}
	if snapshot {
		state.Snapshot = now
	}
	if state.Scope == "" {
		state.Scope = old.Scope
	}
	if seq == old.Seq && sameItems(old.Items, cur) && state.Scope == old.Scope {
		return nil // nothing to deliver or to remember
	}
	out := &pager{size: s.opts.PageSize, res: res, emit: emit, next: next}
	for _, raw := range r.unreadable {
		if err := out.add(ctx, func(b *convert.Batch) {
			p.mapping.AppendRaw(b, raw.Raw, raw.Err.Error(), convert.Origin{Key: raw.Raw, Observed: now})
		}); err != nil {
			return err
		}
	}
	for _, ch := range changes {
		if err := out.add(ctx, func(b *convert.Batch) { p.appendChange(b, ch, seq, now) }); err != nil {
			return err
		}
	}
	if snapshot {
		for _, k := range sortedKeys(cur) {
			ch := change{kind: Snapshot, key: k, after: cur[k]}
			if err := out.add(ctx, func(b *convert.Batch) { p.appendChange(b, ch, seq, now) }); err != nil {
				return err
			}
		}
	}
	final := Cursor{Parts: maps.Clone(next.Parts)}
	final.Parts[p.entry.Name] = state
	if err := out.flush(ctx, final); err != nil {
		return err
	}
	*next = final
	return nil
}

// scope is whose tokens an OauthToken reading showed ("" for other parts,
// or when it cannot tell).
func (s *Source) scope(ctx context.Context, p *part, r reading, old *PartState) string {
	if p.entry.OwnRows == "" || s.opts.UserID == nil || len(r.items) == 0 {
		return ""
	}
	self, err := s.opts.UserID(ctx)
	if err != nil || len(self) < 15 {
		return old.Scope
	}
	for _, it := range r.items {
		if u := it.Str(p.entry.OwnRows); len(u) < 15 || u[:15] != self[:15] {
			return "all"
		}
	}
	return "own"
}

func scopeText(scope string) string {
	if scope == "own" {
		return "only the integration user's own tokens"
	}
	return "every user's tokens"
}

// pager gathers records into pages of at most size and hands each full
// one to the runner with the cursor as it stood before the part (a crash
// sends the part again, under the same uids); the last carries the part's
// new reading.
type pager struct {
	size  int
	res   convert.Resource
	emit  stream.Emit[Cursor]
	next  *Cursor
	batch *convert.Batch
}

func (p *pager) add(ctx context.Context, appendTo func(*convert.Batch)) error {
	if p.batch == nil {
		p.batch = convert.NewBatch(p.res, min(p.size, 256))
	}
	appendTo(p.batch)
	if p.batch.Len() < p.size {
		return nil
	}
	b := p.batch
	p.batch = nil
	return p.emit(ctx, b.Logs(), *p.next)
}

func (p *pager) flush(ctx context.Context, final Cursor) error {
	if p.batch == nil {
		p.batch = convert.NewBatch(p.res, 0)
	}
	return p.emit(ctx, p.batch.Logs(), final)
}

func sameItems(a, b map[string]Item) bool {
	return maps.EqualFunc(a, b, maps.Equal)
}
