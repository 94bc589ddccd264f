package org

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

// goType is the Go type the store keeps a catalog field as.
func goType(e *catalog.Entry, f catalog.Field) string {
	if f.Name == e.Timestamp {
		return "time.Time" // FlowNavMetricEventLog's is listed as text: eventlogobjects.go
	}
	switch f.Type {
	case "datetime":
		return "time.Time"
	case "int":
		return "int64"
	case "double":
		return "float64"
	case "boolean":
		return "bool"
	}
	return "string"
}

// The generic generator values every catalog field, with its type; every
// generator (the realistic ones too) only fields of the entry, typed.
func TestGeneratorsFollowTheCatalog(t *testing.T) {
	s := New(testConfig())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range catalog.All() {
		t.Run(e.Name, func(t *testing.T) {
			rec := s.gen.catalogRecord(e, testNow)
			for _, f := range e.Fields {
				if f.Name == "Id" || strings.Contains(f.Name, ".") {
					continue
				}
				v, ok := rec[f.Name]
				require.True(t, ok, f.Name)
				require.NotNil(t, v, f.Name)
				require.Equal(t, goType(e, f), fmt.Sprintf("%T", v), f.Name)
			}
			if sch := s.reg.Lookup(e.Name); sch != nil && sch.generate != nil {
				for range 20 {
					for k, v := range sch.generate(s.gen, testNow) {
						f := e.Field(k)
						require.NotNil(t, f, "%s is not a field of %s", k, e.Name)
						if v != nil {
							require.Equal(t, goType(e, *f), fmt.Sprintf("%T", v), k)
						}
					}
				}
			}
		})
	}
}

// Every catalog entry is served: storage objects and Event Log Objects as
// REST objects with the catalog's fields (the topics with the same fields:
// TestServesTheCatalogTopics).
func TestServesTheCatalog(t *testing.T) {
	s := New(testConfig())
	for _, e := range catalog.All() {
		t.Run(e.Name, func(t *testing.T) {
			switch e.Kind {
			case catalog.KindStorage, catalog.KindEventLogObject, catalog.KindObject:
				sch := s.reg.Lookup(e.Name)
				require.NotNil(t, sch)
				require.Equal(t, e.Since, sch.Since)
				for _, f := range e.Fields {
					if strings.Contains(f.Name, ".") {
						continue
					}
					sf := sch.Field(f.Name)
					require.NotNil(t, sf, f.Name)
					if e.Kind != catalog.KindObject && f.Name != e.Timestamp { // objects: see TestObjectSchemasAgainstTheCatalog
						require.Equal(t, CatalogType(f.Type), sf.Type, f.Name)
						require.Equal(t, f.Since, sf.Since, f.Name)
					}
				}
				require.Equal(t, e.Big || e.Kind == catalog.KindEventLogObject, sch.PlaceholderID())
			}
		})
	}
}

// LoginHistory, SetupAuditTrail and EventLogFile keep their field lists in
// the simulator (data.go, elf.go) with their version notes; they agree
// with the catalog's entries.
func TestObjectSchemasAgainstTheCatalog(t *testing.T) {
	// Object.Field → simulator's Since, catalog's Since, where they differ
	// and why (none now).
	differ := map[string][2]string{}
	reg := NewRegistry()
	for _, e := range catalog.OfKind(catalog.KindObject) {
		t.Run(e.Name, func(t *testing.T) {
			sch := reg.Lookup(e.Name)
			require.Equal(t, e.Since, sch.Since)
			require.Equal(t, e.Doc, sch.Doc)
			var want []string
			for _, f := range e.Fields {
				if strings.Contains(f.Name, ".") {
					continue // a path through a relationship
				}
				want = append(want, f.Name)
				sf := sch.Field(f.Name)
				require.NotNil(t, sf, f.Name)
				require.Equal(t, CatalogType(f.Type), sf.Type, f.Name)
				require.Equal(t, f.RefObject, sf.RefObject, f.Name)
				require.Equal(t, f.RelName, sf.RelName, f.Name)
				since := sf.Since
				if since == sch.Since {
					since = "" // as old as the object
				}
				if d, ok := differ[e.Name+"."+f.Name]; ok {
					require.Equal(t, [2]string{sf.Since, f.Since}, d, f.Name)
					continue
				}
				require.Equal(t, f.Since, since, f.Name)
			}
			var got []string
			for _, f := range sch.Fields {
				got = append(got, f.Name)
			}
			require.ElementsMatch(t, want, got, "the same fields")
		})
	}
}
