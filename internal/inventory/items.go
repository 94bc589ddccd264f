package inventory

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// Item is one thing the inventory holds (a token, an app, an assignment):
// its fields, each value tagged with its type ('s' string, 'i' int64, 'f'
// float64, 'b' bool) so that it compares, and decodes back, exactly after
// a trip through the checkpoint's JSON. Null fields are absent, as in a
// SOQL record.
type Item map[string]string

// itemOf is rec's fields as an Item.
func itemOf(rec *sobject.Record) Item {
	it := make(Item, len(rec.Fields))
	for _, f := range rec.Fields {
		switch v := f.Value.(type) {
		case string:
			it[f.Name] = "s" + v
		case int64:
			it[f.Name] = "i" + strconv.FormatInt(v, 10)
		case float64:
			it[f.Name] = "f" + strconv.FormatFloat(v, 'g', -1, 64)
		case bool:
			it[f.Name] = "b" + strconv.FormatBool(v)
		case nil:
		default:
			it[f.Name] = "s" + fmt.Sprint(v)
		}
	}
	return it
}

// value is the typed value of a tagged one.
func value(tagged string) any {
	if tagged == "" {
		return nil
	}
	v := tagged[1:]
	switch tagged[0] {
	case 'i':
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case 'f':
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case 'b':
		return v == "true"
	}
	return v
}

// Str is the field's value as text ("" when null).
func (it Item) Str(field string) string {
	if v, ok := it[field]; ok && v != "" {
		return v[1:]
	}
	return ""
}

// record is the item as a SOQL record, its fields in order's order, then
// any others by name.
func (it Item) record(order []string) *sobject.Record {
	rec := &sobject.Record{Fields: make([]sobject.Field, 0, len(it))}
	done := make(map[string]bool, len(it))
	add := func(name string) {
		if v, ok := it[name]; ok && !done[name] {
			done[name] = true
			rec.Fields = append(rec.Fields, sobject.Field{Name: name, Value: value(v)})
		}
	}
	for _, name := range order {
		add(name)
	}
	for _, name := range slices.Sorted(maps.Keys(it)) {
		add(name)
	}
	return rec
}

// digest identifies the item's content, for log.record.uid.
func (it Item) digest() uint64 { return xxhash.Sum64String(it.canonical()) }

// canonical is the item's content as one string, for ordering items that
// share a key and for its digest.
func (it Item) canonical() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(it)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(it[k])
		b.WriteByte(0)
	}
	return b.String()
}

// keyed gives each item its key: keyOf's, and for items sharing one (two
// rows Salesforce tells apart by nothing the inventory reads) "#2", "#3",
// ... in the order of their content, so that a re-read keys them alike.
// Never is a key repeating across different rows taken for one item.
func keyed(items []Item, keyOf func(Item) string) map[string]Item {
	groups := map[string][]Item{}
	for _, it := range items {
		k := keyOf(it)
		groups[k] = append(groups[k], it)
	}
	out := make(map[string]Item, len(items))
	for k, g := range groups {
		slices.SortStableFunc(g, func(a, b Item) int { return cmp.Compare(a.canonical(), b.canonical()) })
		for i, it := range g {
			if i == 0 {
				out[k] = it
				continue
			}
			out[k+"#"+strconv.Itoa(i+1)] = it
		}
	}
	return out
}

// Kinds of change.
const (
	Added    = "added"
	Removed  = "removed"
	Changed  = "changed"
	Snapshot = "snapshot"
)

// change is one item's change between two readings.
type change struct {
	kind          string
	key           string
	before, after Item // before nil when added, after nil when removed
}

// diff lists what changed from old to cur, by key. A change only in the
// volatile fields (a token's LastUsedDate and UseCount, which move with
// every use) is no change.
func diff(old, cur map[string]Item, volatile []string) []change {
	var out []change
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		was, ok := old[k]
		switch {
		case !ok:
			out = append(out, change{kind: Added, key: k, after: cur[k]})
		case len(changedFields(was, cur[k], volatile)) > 0:
			out = append(out, change{kind: Changed, key: k, before: was, after: cur[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if _, ok := cur[k]; !ok {
			out = append(out, change{kind: Removed, key: k, before: old[k]})
		}
	}
	return out
}

// changedFields are the fields whose values differ between a and b, but
// those in skip, by name.
func changedFields(a, b Item, skip []string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] && !slices.Contains(skip, k) {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok && !slices.Contains(skip, k) {
			out = append(out, k)
		}
	}
	return out
}
