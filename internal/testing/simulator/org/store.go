package org

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/anynum"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// Record is a stored record as ground truth for tests. Fields holds every
// field of the object (absent values as nil) including "Id"; relationship
// values are nested maps, e.g. Fields["CreatedBy"] = map[string]any{"Username": "..."}.
type Record struct {
	ID     string
	Fields map[string]any
}

// Row is a stored record. Rows are never modified after insertion, which is
// what lets a query locator keep plain pointers as its snapshot.
type Row struct {
	ID     string
	Fields map[string]any // canonical field name → value
	// VisibleAt is when the row becomes queryable (zero: at once): Event
	// Log Object rows arrive 25 to 45 minutes after their Timestamp.
	VisibleAt time.Time
}

type table struct {
	schema *Schema
	rows   []*Row // sorted by id
	byID   map[string]*Row
	next   uint64 // id counter
}

// store holds every table. It is not locked itself: Org.mu guards it.
type store struct {
	reg    Registry
	tables map[string]*table // lower-case object name
}

// newStore makes empty tables; startCounter gives each object's first id
// counter so ids do not all look alike (and stay deterministic per seed).
func newStore(reg Registry, startCounter func(object string) uint64) *store {
	st := &store{reg: reg, tables: map[string]*table{}}
	for key, sch := range reg {
		st.tables[key] = &table{schema: sch, byID: map[string]*Row{}, next: startCounter(sch.Name)}
	}
	return st
}

func (st *store) table(object string) *table { return st.tables[strings.ToLower(object)] }

// insert stores a record and returns its id. fields use any casing of the
// field names; values are normalised to the field types.
func (st *store) insert(object string, in map[string]any) (string, error) {
	t := st.table(object)
	if t == nil {
		return "", fmt.Errorf("simulator: unknown object %q", object)
	}
	sch := t.schema
	fields := make(map[string]any, len(sch.Fields)+1)
	for _, f := range sch.Fields {
		fields[f.Name] = nil
	}
	for k, v := range in {
		f := sch.Field(k)
		if f == nil {
			if sch.Rel(k) != nil {
				continue // relationship values are derived from the reference below
			}
			return "", fmt.Errorf("simulator: no field %q on %s", k, sch.Name)
		}
		nv, err := normalise(f, v)
		if err != nil {
			return "", err
		}
		fields[f.Name] = nv
	}
	id, _ := fields["Id"].(string)
	if id == "" {
		for {
			id = sfid.New(sch.KeyPrefix, t.next)
			t.next++
			if t.byID[id] == nil {
				break
			}
		}
	} else if t.byID[id] != nil {
		return "", fmt.Errorf("simulator: duplicate id %s on %s", id, sch.Name)
	}
	fields["Id"] = id
	switch {
	case sch.PlaceholderID():
		// What the API shows; the row keeps its own id (Row.ID, Record.ID).
		fields["Id"] = catalog.PlaceholderID
	case sch.NullID:
		fields["Id"] = nil
	}
	for _, f := range sch.Fields {
		if f.RelName == "" {
			continue
		}
		fields[f.RelName] = st.related(f, fields[f.Name])
	}
	r := &Row{ID: id, Fields: fields}
	i, _ := slices.BinarySearchFunc(t.rows, id, func(r *Row, id string) int { return strings.Compare(r.ID, id) })
	t.rows = slices.Insert(t.rows, i, r)
	t.byID[id] = r
	return id, nil
}

// remove deletes the row of object with id and reports whether there was
// one. The table gets a new slice: one handed out before keeps its rows.
func (st *store) remove(object, id string) bool {
	t := st.table(object)
	if t == nil || t.byID[id] == nil {
		return false
	}
	i, _ := slices.BinarySearchFunc(t.rows, id, func(r *Row, id string) int { return strings.Compare(r.ID, id) })
	t.rows = slices.Delete(slices.Clone(t.rows), i, i+1)
	delete(t.byID, id)
	return true
}

// update replaces the row of object with id by a copy with set's fields
// changed (rows are never modified once stored), in a new slice.
func (st *store) update(object, id string, set map[string]any) error {
	t := st.table(object)
	if t == nil || t.byID[id] == nil {
		return fmt.Errorf("simulator: no %s %s", object, id)
	}
	old := t.byID[id]
	fields := maps.Clone(old.Fields)
	for k, v := range set {
		f := t.schema.Field(k)
		if f == nil || f.Name == "Id" {
			return fmt.Errorf("simulator: cannot set %q on %s", k, t.schema.Name)
		}
		nv, err := normalise(f, v)
		if err != nil {
			return err
		}
		fields[f.Name] = nv
		if f.RelName != "" {
			fields[f.RelName] = st.related(*f, nv)
		}
	}
	r := &Row{ID: id, Fields: fields, VisibleAt: old.VisibleAt}
	i, _ := slices.BinarySearchFunc(t.rows, id, func(r *Row, id string) int { return strings.Compare(r.ID, id) })
	t.rows = slices.Clone(t.rows)
	t.rows[i] = r
	t.byID[id] = r
	return nil
}

// related denormalises the referenced record into a nested map, so queries
// and Records see CreatedBy.Username without a join. Referenced objects
// (User) are seeded before the records pointing at them.
func (st *store) related(f Field, ref any) any {
	id, _ := ref.(string)
	rt := st.table(f.RefObject)
	if id == "" || rt == nil || rt.byID[id] == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range rt.byID[id].Fields {
		if _, nested := v.(map[string]any); !nested {
			out[k] = v
		}
	}
	return out
}

func normalise(f *Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("simulator: field %s (%s) cannot hold %T", f.Name, f.Type, v)
	}
	switch f.Type {
	case TypeID, TypeString, TypeReference:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return bad()
	case TypeDateTime:
		switch t := v.(type) {
		case time.Time:
			// Salesforce keeps milliseconds; finer precision would make a
			// record compare greater than its own rendered timestamp.
			return t.UTC().Truncate(time.Millisecond), nil
		case string:
			p, err := time.Parse(time.RFC3339Nano, t)
			if err != nil {
				return nil, fmt.Errorf("simulator: field %s: %w", f.Name, err)
			}
			return p.UTC().Truncate(time.Millisecond), nil
		}
		return bad()
	case TypeInt:
		if n, ok := anynum.Int64(v); ok {
			return n, nil
		}
		return bad()
	case TypeDouble:
		if f, ok := anynum.Float64(v); ok {
			return f, nil
		}
		return bad()
	case TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return bad()
	}
	return bad()
}

// records copies a table out for callers outside the lock.
func (t *table) records() []Record {
	out := make([]Record, 0, len(t.rows))
	for _, r := range t.rows {
		f := maps.Clone(r.Fields)
		for k, v := range f {
			if m, ok := v.(map[string]any); ok {
				f[k] = maps.Clone(m)
			}
		}
		out = append(out, Record{ID: r.ID, Fields: f})
	}
	return out
}
