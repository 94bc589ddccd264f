package inventory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/fieldset"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// part is one object of the inventory: how it is read and keyed.
type part struct {
	entry   *catalog.Entry
	desc    stream.Descriptor
	fields  *fieldset.Resolver
	mapping convert.Mapping
	// volatile fields change without the item changing (a token's use).
	volatile []string
	keyOf    func(Item) string
	read     func(ctx context.Context) (reading, error)
	check    func(ctx context.Context) (stream.Readiness, error)
}

// reading is what one read of a part found.
type reading struct {
	items []Item
	// carry adds to cur the items of old that this reading could not see
	// (they are not gone: Salesforce returned only part of them).
	carry func(old, cur map[string]Item)
	// unreadable are rows Salesforce sent that did not decode: delivered
	// as their text (on each reading that meets them, under one uid),
	// left out of the comparison.
	unreadable []sobject.Record
}

func (s *Source) newPart(object string, required []string) *part {
	e := catalog.Lookup(object)
	p := &part{entry: e, keyOf: func(it Item) string { return it.Str("Id") }}
	p.desc = stream.Descriptor{Name: StreamName, Priority: sfapi.PrioritySecurity, Object: e.Name, Access: e.Access}
	p.mapping = convert.Mapping{EventName: semconv.EventInventory, Stream: StreamName, EventType: e.Name}.ForObject(e.Name)
	// The catalog's fields, secrets included: fieldset never selects a
	// secret (and sfapi never sends a query naming one).
	p.fields = fieldset.NewResolver(s.client, fieldset.Want{
		Caller: p.desc.Caller(), Object: e.Name, Required: required, Fields: e.FieldNames(), APIVersion: s.opts.APIVersion,
	}, s.opts.Logger)
	return p
}

// plainPart reads an object whole, keyed by Id (ConnectedApplication,
// ExternalClientApplication).
func (s *Source) plainPart(object string) *part {
	p := s.newPart(object, []string{"Id"})
	query := func(set fieldset.Set) string {
		return "SELECT " + strings.Join(set.Fields, ", ") + " FROM " + p.entry.Name + " ORDER BY Id"
	}
	p.read = func(ctx context.Context) (reading, error) {
		var r reading
		_, err := p.fields.With(ctx, func(set fieldset.Set) error {
			var err error
			r, err = s.readAll(ctx, p, query(set))
			return err
		})
		return r, err
	}
	p.check = func(ctx context.Context) (stream.Readiness, error) {
		set, err := p.fields.With(ctx, func(set fieldset.Set) error {
			_, err := s.client.Query(ctx, p.desc.Caller(), query(set)+" LIMIT 1", 0)
			return err
		})
		ready := stream.Readiness{Object: p.entry.Name, Missing: set.Missing}
		if err != nil && p.entry.Optional && notExposed(err) {
			ready.Note = p.entry.Name + " is not shown to the integration user (not every org exposes it to SOQL): the inventory goes without it"
			return ready, nil
		}
		return ready, err
	}
	return p
}

// readAll runs soql and follows its pages to the end.
func (s *Source) readAll(ctx context.Context, p *part, soql string) (reading, error) {
	var r reading
	page, err := s.client.Query(ctx, p.desc.Caller(), soql, 2000)
	for {
		if err != nil {
			return reading{}, err
		}
		for i := range page.Records {
			rec := &page.Records[i]
			if rec.Err != nil {
				r.unreadable = append(r.unreadable, *rec)
				continue
			}
			r.items = append(r.items, itemOf(rec))
		}
		if page.Done || page.NextRecordsURL == "" {
			return r, nil
		}
		page, err = s.client.QueryMore(ctx, p.desc.Caller(), page.NextRecordsURL, 2000)
	}
}

// tokenPart reads OauthToken. Its Id "is always null", so a token is
// identified by (UserId, AppMenuItemId or else AppName, CreatedDate);
// LastUsedDate and UseCount move with every use and are no change. One
// query returns at most 2,500 rows (500, then queryMore 500 more) and SOQL
// caps OFFSET at 2,000, so the tokens are read in pages by UserId (Filter,
// Sort) of TokenPageRows each: a page that ends inside one user's tokens
// is read again from that user, and a user whose tokens fill a page is
// read by AppName the same way. A user holds at most five tokens of one
// app ("Every connected application permits five distinctive approvals
// per user. Once a sixth approval is created, the oldest approval is
// revoked", Salesforce Help, "Manage OAuth Access for Your Connected
// Apps", as quoted in
// https://docs.oracle.com/en/cloud/paas/integration-cloud/sforce-adapter/error-when-connected-app-attempts-access-your-salesforce-data.html),
// so two levels read every token of any real org.
func (s *Source) tokenPart() *part {
	p := s.newPart("OauthToken", []string{"UserId"})
	p.volatile = []string{"LastUsedDate", "UseCount"}
	p.keyOf = func(it Item) string {
		app := it.Str("AppMenuItemId")
		if app == "" {
			app = "name:" + it.Str("AppName")
		}
		return it.Str("UserId") + "/" + app + "/" + it.Str("CreatedDate")
	}
	query := func(set fieldset.Set, conds []string, order string, limit int) string {
		q := "SELECT " + strings.Join(set.Fields, ", ") + " FROM OauthToken"
		if len(conds) > 0 {
			q += " WHERE " + strings.Join(conds, " AND ")
		}
		return q + " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit)
	}
	p.read = func(ctx context.Context) (reading, error) {
		var r reading
		_, err := p.fields.With(ctx, func(set fieldset.Set) error {
			r = reading{}
			k := keyset{s: s, p: p, out: &r, query: func(conds []string, order string) string {
				return query(set, conds, order, s.opts.TokenPageRows)
			}}
			if err := k.read(ctx, nil, nil, "UserId", []string{"AppName"}); err != nil {
				return err
			}
			k.carry()
			return nil
		})
		return r, err
	}
	p.check = func(ctx context.Context) (stream.Readiness, error) {
		set, err := p.fields.With(ctx, func(set fieldset.Set) error {
			_, err := s.client.Query(ctx, p.desc.Caller(), query(set, nil, "UserId", 1), 0)
			return err
		})
		ready := stream.Readiness{Object: p.entry.Name, Missing: set.Missing}
		if err == nil && s.opts.UserID != nil {
			ready.Partial, err = s.onlyOwnTokens(ctx, p)
		}
		return ready, err
	}
	return p
}

// keyset reads an object in pages ordered by a list of fields, without
// OFFSET: each page continues at the last value of its field that it
// holds whole; a page holding one value only is read by the next field
// within that value; at the last field such a page is all there is to
// read of it, and the items of the last reading in that group are kept.
type keyset struct {
	s       *Source
	p       *part
	out     *reading
	query   func(conds []string, order string) string
	partial []map[string]string // groups read in part: field → value
}

// read reads the rows meeting conds (the fields and values of group),
// ordered by field, then by the deeper fields where one value fills a
// page.
func (k *keyset) read(ctx context.Context, conds []string, group map[string]string, field string, deeper []string) error {
	var bound string
	for {
		c := slices.Clone(conds)
		if bound != "" {
			c = append(c, bound)
		}
		r, err := k.s.readAll(ctx, k.p, k.query(c, field))
		if err != nil {
			return err
		}
		k.out.unreadable = append(k.out.unreadable, r.unreadable...)
		if len(r.items)+len(r.unreadable) < k.s.opts.TokenPageRows || len(r.items) == 0 {
			k.out.items = append(k.out.items, r.items...)
			return nil
		}
		last := r.items[len(r.items)-1].Str(field)
		if r.items[0].Str(field) == last {
			sub := maps.Clone(group)
			if sub == nil {
				sub = map[string]string{}
			}
			sub[field] = last
			if len(deeper) > 0 {
				if err := k.read(ctx, append(slices.Clone(conds), eq(field, last)), sub, deeper[0], deeper[1:]); err != nil {
					return err
				}
			} else {
				k.out.items = append(k.out.items, r.items...)
				k.partial = append(k.partial, sub)
				k.s.warnOnce(fmt.Sprint(sub), "OauthToken: more tokens share one user and app than one query returns; the inventory reads the first of them and keeps the others it knew",
					zap.Any("tokens_of", sub), zap.Int("read", len(r.items)))
			}
			bound = field + " > " + sfapi.QuoteString(last)
			if last == "" {
				bound = field + " != null"
			}
			continue
		}
		for _, it := range r.items {
			if it.Str(field) != last {
				k.out.items = append(k.out.items, it)
			}
		}
		bound = field + " >= " + sfapi.QuoteString(last)
	}
}

// carry sets the reading to keep the last reading's items of the groups
// read in part.
func (k *keyset) carry() {
	if len(k.partial) == 0 {
		return
	}
	groups := k.partial
	k.out.carry = func(old, cur map[string]Item) {
		for key, it := range old {
			if _, ok := cur[key]; ok {
				continue
			}
			for _, g := range groups {
				if matches(it, g) {
					cur[key] = it
					break
				}
			}
		}
	}
}

func matches(it Item, group map[string]string) bool {
	for f, v := range group {
		if it.Str(f) != v {
			return false
		}
	}
	return true
}

// eq is the condition field = value (null when "").
func eq(field, value string) string {
	if value == "" {
		return field + " = null"
	}
	return field + " = " + sfapi.QuoteString(value)
}

// onlyOwnTokens says why the inventory sees nobody's tokens but the
// integration user's, or "" when it sees another user's (or none at all):
// OauthToken's special access rule hides them without an error.
func (s *Source) onlyOwnTokens(ctx context.Context, p *part) (string, error) {
	self, err := s.opts.UserID(ctx)
	if err != nil || len(self) < 15 {
		return "", err
	}
	count := func(cond string) (int, error) {
		page, err := s.client.Query(ctx, p.desc.Caller(), "SELECT UserId FROM OauthToken WHERE "+cond+" LIMIT 1", 0)
		if err != nil {
			return 0, err
		}
		return len(page.Records), nil
	}
	others, err := count("UserId != " + sfapi.QuoteString(convert.ID18(self[:15])) + " AND UserId != " + sfapi.QuoteString(self[:15]))
	if err != nil || others > 0 {
		return "", err
	}
	if own, err := count("UserId != null"); err != nil || own == 0 {
		return "", err
	}
	return "OauthToken shows only the integration user's own tokens: Salesforce hides other users' tokens from a user without " +
		p.entry.Access.Needs + " (or no other user holds one)", nil
}

// privilegedPart reads the permission set assignments whose permission
// set grants one of Options.Permissions, with every such permission the
// org has, keyed by the assignment's Id. Which Permissions* fields exist
// depends on the org and its licenses: they are chosen from
// PermissionSet's describe, and those it does not show are named once.
func (s *Source) privilegedPart() *part {
	p := s.newPart("PermissionSetAssignment", []string{"Id", "AssigneeId", "PermissionSetId"})
	ps := catalog.Lookup("PermissionSet")
	wanted := slices.Clone(s.opts.Permissions)
	for _, f := range ps.Fields {
		if strings.HasPrefix(f.Name, "Permissions") && !slices.Contains(wanted, f.Name) {
			wanted = append(wanted, f.Name)
		}
	}
	perms := fieldset.NewResolver(s.client, fieldset.Want{
		Caller: p.desc.Caller(), Object: ps.Name, Fields: wanted, APIVersion: s.opts.APIVersion,
	}, s.opts.Logger)
	query := func(ctx context.Context, set fieldset.Set) (string, error) {
		shown, err := perms.Get(ctx)
		if err != nil {
			return "", err
		}
		fields := slices.Clone(set.Fields)
		var criteria []string
		for _, f := range shown.Fields {
			fields = append(fields, "PermissionSet."+f)
			if slices.Contains(s.opts.Permissions, f) {
				criteria = append(criteria, "PermissionSet."+f+" = true")
			}
		}
		if len(criteria) == 0 {
			return "", &fieldset.NotVisibleError{Object: ps.Name, APIVersion: s.opts.APIVersion, Fields: s.opts.Permissions}
		}
		return "SELECT " + strings.Join(fields, ", ") + " FROM PermissionSetAssignment WHERE (" +
			strings.Join(criteria, " OR ") + ") ORDER BY Id", nil
	}
	p.read = func(ctx context.Context) (reading, error) {
		var r reading
		_, err := p.fields.With(ctx, func(set fieldset.Set) error {
			q, err := query(ctx, set)
			if err != nil {
				return err
			}
			r, err = s.readAll(ctx, p, q)
			perms.Invalidate(err) // a permission field gone: describe PermissionSet again too
			return err
		})
		return r, err
	}
	p.check = func(ctx context.Context) (stream.Readiness, error) {
		set, err := p.fields.With(ctx, func(set fieldset.Set) error {
			q, err := query(ctx, set)
			if err == nil {
				_, err = s.client.Query(ctx, p.desc.Caller(), q+" LIMIT 1", 0)
			}
			return err
		})
		ready := stream.Readiness{Object: p.entry.Name, Missing: set.Missing}
		for _, f := range perms.Current().Missing {
			ready.Missing = append(ready.Missing, "PermissionSet."+f)
		}
		return ready, err
	}
	return p
}

// appendChange adds the record of one change (or snapshot item) to b:
// the item's fields (after the change; before it, when removed) as the
// body, timed at the reading, with salesforce.inventory.change and .key;
// a changed item's body also holds "before" and "after", the old and new
// values of the fields that changed.
func (p *part) appendChange(b *convert.Batch, ch change, seq int64, now time.Time) {
	it := ch.after
	if it == nil {
		it = ch.before
	}
	order := p.fields.Current().Fields
	p.mapping.AppendTimed(b, it.record(order), convert.Origin{Key: uidKey(p.entry.Name, ch, seq), Observed: now}, now, "")
	// The log record just written; the inventory's own attributes go
	// through pdata's public API.
	lr := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(b.Len() - 1)
	lr.Attributes().PutStr(semconv.AttrInventoryChange, ch.kind)
	lr.Attributes().PutStr(semconv.AttrInventoryKey, ch.key)
	if ch.kind != Changed {
		return
	}
	body := lr.Body().Map()
	before, after := body.PutEmptyMap("before"), body.PutEmptyMap("after")
	for _, f := range changedFields(ch.before, ch.after, nil) {
		putValue(before, f, ch.before[f])
		putValue(after, f, ch.after[f])
	}
}

// uidKey is the log.record.uid key of a change of an object's item at
// reading seq: the same change, sent again after a crash, has the same;
// the same item changing the same way at another reading has another.
func uidKey(object string, ch change, seq int64) string {
	key := fmt.Sprintf("%s/%s/%d/%s", object, ch.key, seq, ch.kind)
	for _, it := range []Item{ch.before, ch.after} {
		if it != nil {
			key += fmt.Sprintf("/%016x", it.digest())
		}
	}
	return key
}

// putValue puts a tagged value, typed (null when absent).
func putValue(m pcommon.Map, k, tagged string) {
	switch v := value(tagged).(type) {
	case string:
		m.PutStr(k, v)
	case int64:
		m.PutInt(k, v)
	case float64:
		m.PutDouble(k, v)
	case bool:
		m.PutBool(k, v)
	default:
		m.PutEmpty(k)
	}
}

// Checks are the parts' connection tests, one line each.
func (s *Source) Checks() []Check {
	out := make([]Check, len(s.parts))
	for i, p := range s.parts {
		out[i] = Check{Stream: p.desc, checker: p}
	}
	return out
}

// Check is one part's connection test: a stream.Checker with the part's
// descriptor (its object and access).
type Check struct {
	Stream  stream.Descriptor
	checker *part
}

// Check runs the part's query for one row.
func (c Check) Check(ctx context.Context) (stream.Readiness, error) { return c.checker.check(ctx) }

func sortedKeys(m map[string]Item) []string { return slices.Sorted(maps.Keys(m)) }
