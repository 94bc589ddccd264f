// Package fieldset chooses the fields a stream queries from what the org
// itself shows. An object's describe lists only the fields this user may
// read at this API version, so a field hidden by field-level security, or
// newer than api_version, is left out of the query (and named once)
// instead of failing every poll with INVALID_FIELD.
package fieldset

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// Want is what a stream would like to read.
type Want struct {
	Caller sfapi.Caller // the stream that reads
	Object string
	// Required are the cursor and tie-breaker fields: without any of
	// them the stream cannot keep its place, and says so.
	Required []string
	// Fields are the others. Relationship paths (CreatedBy.Username) are
	// checked by their relationship.
	Fields []string
	// Listed says the user listed Fields: one the org does not show is an
	// error naming it, not a field to do without.
	Listed bool
	// Standard, with no Fields, takes every standard field the describe
	// lists that a query can return (not compound, not base64).
	Standard bool
	// Quiet are wanted fields whose absence the stream explains itself;
	// the others are named in a generic warning.
	Quiet []string
	// APIVersion is named in messages.
	APIVersion string
}

// Set is the outcome: the fields to select and what the org did not show.
type Set struct {
	Fields  []string // Required first, then the visible Fields, in order
	Missing []string // wanted fields the org does not show to this user
}

// Has reports whether name is selected (case-insensitively).
func (s Set) Has(name string) bool { return containsFold(s.Fields, name) }

// NotVisibleError is a field the stream cannot do without that the org
// does not show: a cursor field, or a field the user listed.
type NotVisibleError struct {
	Object, APIVersion string
	Fields             []string
	Listed             bool
}

func (e *NotVisibleError) Error() string {
	what := "the stream needs it to keep its place"
	if e.Listed {
		what = "it is listed in fields"
	}
	verb := "is"
	if len(e.Fields) > 1 {
		verb = "are"
		what = strings.Replace(strings.Replace(what, " it ", " them ", 1), "it is", "they are", 1)
	}
	return fmt.Sprintf("%s: %s %s not a field the integration user can see at API version %s (it does not exist, field-level security hides it, or it is newer than api_version); %s",
		e.Object, strings.Join(e.Fields, ", "), verb, e.APIVersion, what)
}

// Is makes errors.Is(err, sfapi.ErrNotReadable) hold, so it classifies as a
// refusal only the org's admin or the configuration can fix.
func (e *NotVisibleError) Is(target error) bool { return target == sfapi.ErrNotReadable }

// Choose picks the fields of w that d shows.
func Choose(d *sfapi.Describe, w Want) (Set, error) { return choose(d, w, nil) }

// choose is Choose with the non-required fields in refused treated as
// not shown.
func choose(d *sfapi.Describe, w Want, refused []string) (Set, error) {
	byName := make(map[string]*sfapi.DescribeField, len(d.Fields))
	byRel := map[string]bool{}
	for i := range d.Fields {
		f := &d.Fields[i]
		byName[strings.ToLower(f.Name)] = f
		if f.RelationshipName != "" {
			byRel[strings.ToLower(f.RelationshipName)] = true
		}
	}
	shown := func(path string) bool {
		if rel, _, ok := strings.Cut(path, "."); ok {
			return byRel[strings.ToLower(rel)]
		}
		return byName[strings.ToLower(path)] != nil
	}
	visible := func(path string) bool {
		return shown(path) && (containsFold(w.Required, path) || !containsFold(refused, path))
	}
	var set Set
	var fatal []string
	for _, f := range w.Required {
		if secret := sfapi.SecretFieldIn(f); secret != "" {
			return Set{}, &sfapi.SecretError{Field: secret}
		}
		if !visible(f) {
			fatal = append(fatal, f)
		} else if !containsFold(set.Fields, f) {
			set.Fields = append(set.Fields, f)
		}
	}
	if len(fatal) > 0 {
		return Set{}, &NotVisibleError{Object: w.Object, APIVersion: w.APIVersion, Fields: fatal}
	}
	fields := w.Fields
	if len(fields) == 0 && w.Standard {
		fields = standard(d)
	}
	for _, f := range fields {
		secret := sfapi.SecretFieldIn(f)
		switch {
		case secret != "" && w.Listed:
			return Set{}, &sfapi.SecretError{Field: secret}
		case secret != "":
			// Never selected: OauthToken's refresh tokens and revocation
			// handles are among its standard fields.
		case containsFold(set.Fields, f):
		case visible(f):
			set.Fields = append(set.Fields, f)
		default:
			set.Missing = append(set.Missing, f)
		}
	}
	if w.Listed && len(set.Missing) > 0 {
		return Set{}, &NotVisibleError{Object: w.Object, APIVersion: w.APIVersion, Fields: set.Missing, Listed: true}
	}
	return set, nil
}

// standard lists the fields a query of every standard field selects:
// compound fields (their parts are fields of their own) and base64 fields
// (readable one record at a time only) are left out.
func standard(d *sfapi.Describe) []string {
	var out []string
	for _, f := range d.Fields {
		switch {
		case f.Custom, f.DeprecatedAndHidden, f.Type == "address", f.Type == "location", f.Type == "base64":
			continue
		}
		out = append(out, f.Name)
	}
	return out
}

// Resolver keeps a stream's Set: it describes the object on first use
// (once per start) and again after Invalidate. It is safe for concurrent
// use, so the connection test and the stream's first poll share one
// describe.
type Resolver struct {
	client sfapi.Describer
	want   Want
	log    *zap.Logger

	mu      sync.Mutex
	set     *Set
	refused []string        // fields Salesforce refused although the describe showed them
	warned  map[string]bool // missing fields named already
}

// NewResolver returns a Resolver for w.
func NewResolver(client sfapi.Describer, w Want, logger *zap.Logger) *Resolver {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Resolver{client: client, want: w, log: logger, warned: map[string]bool{}}
}

// Get returns the fields to query, describing the object if need be.
func (r *Resolver) Get(ctx context.Context) (Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set != nil {
		return *r.set, nil
	}
	d, err := r.client.Describe(ctx, r.want.Caller, r.want.Object)
	if err != nil {
		return Set{}, fmt.Errorf("describing %s: %w", r.want.Object, err)
	}
	set, err := choose(d, r.want, r.refused)
	if err != nil {
		return Set{}, err
	}
	for _, f := range set.Missing {
		if !r.warned[strings.ToLower(f)] && !containsFold(r.want.Quiet, f) {
			r.warned[strings.ToLower(f)] = true
			r.log.Warn(fmt.Sprintf("%s: %s is not visible to the integration user; records will lack it; grant field access to add it", r.want.Object, f),
				zap.String("stream", r.want.Caller.Stream), zap.String("object", r.want.Object), zap.String("field", f),
				zap.String("api_version", r.want.APIVersion),
				zap.String("note", "a field newer than api_version is not visible either"))
		}
	}
	r.set = &set
	return set, nil
}

// With runs query with the fields to select; after an INVALID_FIELD it
// describes again and runs it once more (a field hidden since the
// describe). It returns the Set the last run used.
func (r *Resolver) With(ctx context.Context, query func(Set) error) (Set, error) {
	for refused := false; ; refused = true {
		set, err := r.Get(ctx)
		if err != nil {
			return Set{}, err
		}
		err = query(set)
		if err == nil || refused || !r.Invalidate(err) {
			return set, err
		}
	}
}

// Current is the last Set Get returned, or before one every wanted field.
func (r *Resolver) Current() Set {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set != nil {
		return *r.set
	}
	var set Set
	for _, f := range append(append([]string(nil), r.want.Required...), r.want.Fields...) {
		if !containsFold(set.Fields, f) {
			set.Fields = append(set.Fields, f)
		}
	}
	return set
}

var refusedField = regexp.MustCompile(`(?:No such column|Didn't understand relationship) '([^']+)'`)

// Invalidate handles a query error: after INVALID_FIELD the next Get
// describes again (a field may have been hidden since) and leaves out a
// field Salesforce named although the describe showed it. It reports
// whether err was INVALID_FIELD, i.e. whether querying again may help.
func (r *Resolver) Invalidate(err error) bool {
	var apiErr *sfapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != sfapi.CodeInvalidField {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	candidates := r.want.Fields
	if r.set != nil {
		candidates = r.set.Fields
	}
	r.set = nil
	if m := refusedField.FindStringSubmatch(apiErr.Message); m != nil {
		for _, f := range candidates {
			if name, _, _ := strings.Cut(f, "."); strings.EqualFold(f, m[1]) || strings.EqualFold(name, m[1]) {
				if !containsFold(r.refused, f) {
					r.refused = append(r.refused, f)
				}
			}
		}
	}
	return true
}

func containsFold(list []string, s string) bool { return indexFold(list, s) >= 0 }

func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}
