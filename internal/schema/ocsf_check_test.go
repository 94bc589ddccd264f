package schema

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/schema/schematest"
)

func loadOCSF(t testing.TB) *schematest.OCSF {
	t.Helper()
	s, err := schematest.LoadOCSF(filepath.Join("testdata", "ocsf", "1.8.0.json"))
	require.NoError(t, err)
	return s
}

// ocsfEvents is every test event mapped to OCSF, with its name.
func ocsfEvents(t testing.TB) (names []string, events []map[string]any) {
	t.Helper()
	for _, f := range loadEvents(t) {
		logs := mapped(t, OCSF, f.Events)
		lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		require.Equal(t, len(f.Events), lrs.Len())
		for i := range lrs.Len() {
			names = append(names, f.Name+"/"+f.Events[i].Name)
			events = append(events, lrs.At(i).Body().Map().AsRaw())
		}
	}
	return names, events
}

// Every mapped test event is a valid event of its OCSF 1.8.0 class, and the
// events cover every class the mapping emits.
func TestOCSFClassCheck(t *testing.T) {
	schema := loadOCSF(t)
	names, events := ocsfEvents(t)
	seen := map[int64]int{}
	for i, ev := range events {
		require.Empty(t, schema.Check(ev), "%s: %v", names[i], ev)
		seen[ev["class_uid"].(int64)]++
	}
	for _, class := range []int64{classDetectionFinding, classAccountChange, classAuthentication, classEntityManagement,
		classWebResources, classAPIActivity, classBase} {
		require.Positive(t, seen[class], "no test event maps to class %d", class)
	}
	t.Logf("%d events pass the OCSF %s class check: %v per class", len(events), schema.Version, seen)
}

// The check is not one that cannot fail: every kind of break it looks for,
// made in a mapped record, fails it.
func TestOCSFClassCheckFailsOnBreaks(t *testing.T) {
	schema := loadOCSF(t)
	names, events := ocsfEvents(t)
	byClass := map[int64]map[string]any{}
	for i, ev := range events {
		require.Empty(t, schema.Check(ev), names[i])
		byClass[ev["class_uid"].(int64)] = ev
	}
	tests := []struct {
		name  string
		class int64
		brk   func(ev map[string]any)
		want  string
	}{
		{"required attribute missing", classAPIActivity, func(ev map[string]any) { delete(ev, "src_endpoint") }, "src_endpoint: required, missing"},
		{"time as text", classAuthentication, func(ev map[string]any) { ev["time"] = "2026-11-30T10:00:00Z" }, "time: string"},
		{"type_uid not from the class", classWebResources, func(ev map[string]any) { ev["type_uid"] = int64(600199) }, "type_uid"},
		{"activity the class lacks", classAccountChange, func(ev map[string]any) { ev["activity_id"] = int64(42) }, "activity_id: 42 is not one of"},
		{"sibling misnamed", classAuthentication, func(ev map[string]any) { ev["severity"] = "High" }, "severity"},
		{"attribute the class lacks", classDetectionFinding, func(ev map[string]any) { ev["src_endpoint"] = map[string]any{"ip": "192.0.2.1"} }, "src_endpoint: not an attribute"},
		{"profile attribute without the profile", classWebResources, func(ev map[string]any) {
			delete(ev["metadata"].(map[string]any), "profiles")
		}, "actor: not an attribute"},
		{"object constraint", classEntityManagement, func(ev map[string]any) { ev["entity"] = map[string]any{"type": "x"} }, "entity: needs at least one of"},
		{"required in an object", classDetectionFinding, func(ev map[string]any) {
			delete(ev["finding_info"].(map[string]any), "uid")
		}, "finding_info.uid: required, missing"},
		{"string type's format", classAuthentication, func(ev map[string]any) {
			ev["src_endpoint"] = map[string]any{"ip": "Salesforce.com IP"}
		}, "does not match ip_t"},
		{"wrong version", classBase, func(ev map[string]any) { ev["metadata"].(map[string]any)["version"] = "1.3.0" }, "metadata.version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := deepCopy(byClass[tt.class])
			require.NotNil(t, ev, "no event of class %d", tt.class)
			tt.brk(ev)
			problems := schema.Check(ev)
			require.NotEmpty(t, problems)
			require.True(t, slices.ContainsFunc(problems, func(p string) bool { return regexp.MustCompile(regexp.QuoteMeta(tt.want)).MatchString(p) }),
				"want a problem with %q, got %v", tt.want, problems)
		})
	}
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	var fix func(v any) any
	fix = func(v any) any {
		switch t := v.(type) {
		case float64:
			if t == float64(int64(t)) {
				return int64(t)
			}
		case map[string]any:
			for k, e := range t {
				t[k] = fix(e)
			}
		case []any:
			for i, e := range t {
				t[i] = fix(e)
			}
		}
		return v
	}
	fix(out)
	return out
}

// Breaks of the mapping table itself, not of a mapped record: each makes
// some test event fail the class check. The check is of structure: a
// valid event of the wrong class (logins as Account Change) passes it, and
// TestGolden fails on it instead.
func TestOCSFClassCheckFailsOnMappingBreaks(t *testing.T) {
	schema := loadOCSF(t)
	for _, b := range []struct{ name, old, new string }{
		{"logouts with an activity Authentication lacks", "ocsf: {class: 3002, activity: 2}", "ocsf: {class: 3002, activity: 42}"},
		{"logins as a class OCSF does not have", "ocsf: {class: 3002, activity: 1}", "ocsf: {class: 3099, activity: 1}"},
		{"another OCSF version", `ocsf_version: "1.8.0"`, `ocsf_version: "1.1.0"`},
	} {
		t.Run(b.name, func(t *testing.T) {
			require.Contains(t, string(tableYAML), b.old, "the break no longer applies")
			broken, err := parseTable([]byte(strings.Replace(string(tableYAML), b.old, b.new, 1)))
			if err != nil {
				t.Logf("the table refuses it: %v", err)
				return
			}
			m := &Mapper{name: OCSF, t: broken}
			m.pool.New = func() any { return new(scratch) }
			failed := 0
			for _, f := range loadEvents(t) {
				logs := mappedBy(t, m, f.Events)
				lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
				for i := range lrs.Len() {
					if len(schema.Check(lrs.At(i).Body().Map().AsRaw())) > 0 {
						failed++
					}
				}
			}
			t.Logf("%d events fail the check", failed)
			require.Positive(t, failed, "the broken mapping passed the class check")
		})
	}
}
