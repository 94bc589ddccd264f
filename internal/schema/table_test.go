package schema

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

// The table compiles, and every activity it maps to has a class the OCSF
// renderer knows.
func TestTable(t *testing.T) {
	tb, err := load()
	require.NoError(t, err)
	for name, a := range tb.activities {
		_, ok := ocsfClasses[a.OCSF.Class]
		assert.True(t, ok, "activity %s: OCSF class %d", name, a.OCSF.Class)
		if a.OCSF.Activity != 0 {
			_, ok := ocsfClasses[a.OCSF.Class].activities[a.OCSF.Activity]
			assert.True(t, ok, "activity %s: OCSF activity %d of class %d", name, a.OCSF.Activity, a.OCSF.Class)
		}
		assert.NotEmpty(t, a.ECS.Dataset, "activity %s: ECS dataset", name)
		assert.True(t, strings.HasPrefix(a.CIM.Sourcetype, "salesforce:"), "activity %s: CIM sourcetype", name)
	}
	for _, r := range tb.rules {
		assert.True(t, strings.HasPrefix(r.doc, "https://developer.salesforce.com/") || strings.HasPrefix(r.doc, "https://help.salesforce.com/"),
			"rule %v: doc %q is not a Salesforce page", r.from, r.doc)
	}
}

// A broken table fails at load, naming the line and what is wrong.
func TestTableErrors(t *testing.T) {
	base := "activities:\n  a: {ecs: {dataset: salesforce.a}, ocsf: {class: 6003, activity: 2}, cim: {sourcetype: \"salesforce:a\"}}\n"
	for _, tt := range []struct{ name, yaml, want string }{
		{"unknown fact", base + "rules:\n  - {from: [elf:X], doc: d, activity: a, fields: {shade: [X]}}\n", `"shade" is not a fact`},
		{"unknown activity", base + "rules:\n  - {from: [elf:X], doc: d, activity: b}\n", `activity "b" is not in activities`},
		{"source twice", base + "rules:\n  - {from: [elf:X], doc: d, activity: a}\n  - {from: [elf:X], doc: d, activity: a}\n", "elf:X is mapped twice"},
		{"bad unit", base + "rules:\n  - {from: [elf:X], doc: d, activity: a, fields: {duration: {field: T, unit: h}}}\n", `duration unit "h"`},
		{"outcome without values", base + "rules:\n  - {from: [elf:X], doc: d, activity: a, fields: {outcome: {field: S}}}\n", "outcome needs success values"},
		{"unknown key", base + "rules:\n  - {from: [elf:X], doc: d, activity: a, shade: red}\n", "field shade not found"},
		{"placement of nothing", base + "rules:\n  - {from: [elf:X], doc: d, activity: a, ecs: {event.url: {list: true}}}\n", "needs fact, field or value"},
		{"bad activity_from", "activities:\n  a: {ecs: {dataset: x}, ocsf: {class: 6003, activity_from: verb}}\nrules: []\n", `activity_from "verb"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTable([]byte(tt.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

// Every field the table names for a source is one the source has: for
// objects, among the catalog's fields of the object; for an EventLogFile
// type, among the columns the catalog or the test events document for it
// (with its reference page), so a misspelled field cannot silently map
// nothing.
func TestTableAgainstCatalog(t *testing.T) {
	tb, err := load()
	require.NoError(t, err)
	columns := map[string][]string{}
	for _, f := range loadEvents(t) {
		for typ := range f.LogFiles {
			names, _ := f.Columns(typ)
			columns[typ] = append(columns[typ], names...)
		}
	}
	for _, r := range tb.rules {
		for _, src := range r.from {
			if typ, ok := strings.CutPrefix(src, "elf:"); ok {
				cols := columns[typ]
				if e := catalog.EventType(typ); e != nil {
					cols = append(cols, e.FieldNames()...)
				}
				require.NotEmpty(t, cols, "%s: neither the catalog nor the test events document its columns", src)
				for _, f := range r.own {
					assert.Contains(t, cols, f, "%s: %s is not among its documented columns", src, f)
				}
				continue
			}
			e := catalog.Lookup(src)
			require.NotNil(t, e, "%s is not in the catalog", src)
			names := e.FieldNames()
			for _, f := range r.own {
				assert.True(t, slices.Contains(names, f), "%s: %s is not among the catalog's fields %v", src, f, names)
			}
		}
	}
}

// docs/schemas.md's table of sources is the table's: run
// `go test ./internal/schema -update` after changing table.yaml.
func TestDocsFollowTheTable(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "schemas.md")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	got, found, err := Splice(string(b))
	require.NoError(t, err)
	require.True(t, found, "%s has no <!-- schema:sources --> section", path)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	assert.Equal(t, string(b), got, "%s is out of step with table.yaml: run go test ./internal/schema -update", path)
}
