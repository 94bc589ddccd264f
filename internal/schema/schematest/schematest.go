// Package schematest holds the schema mapping's test events
// (internal/schema/testdata/events) and what the unit and end-to-end tests
// do with them: turn them into the receiver's records, and compare the ECS
// they map to with what Elastic's Salesforce integration makes of them.
package schematest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.yaml.in/yaml/v3"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// Base is the time the test events are written relative to.
var Base = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// File is one events file: the events of one Elastic data stream (or of
// the sources Elastic does not read).
type File struct {
	Name string
	// LogFiles are the documented columns ("NAME Type") of each
	// EventLogFile type its events use.
	LogFiles map[string][]string `yaml:"log_files"`
	Events   []*Event            `yaml:"events"`
}

// Event is one Salesforce record and what Elastic makes of it.
type Event struct {
	Name string `yaml:"name"`
	// Source is elf:<EventType> or an object name.
	Source string         `yaml:"source"`
	Fields map[string]any `yaml:"fields"`
	// Elastic is the ECS fields Elastic's pipeline sets, flattened, without
	// its GeoIP and user_agent enrichment.
	Elastic map[string]any `yaml:"elastic"`
	// Differs is where ours differs on purpose: our value (nil: not set)
	// and why.
	Differs map[string]Differ `yaml:"differs"`
	File    *File             `yaml:"-"`
}

// Differ is one deliberate difference from Elastic.
type Differ struct {
	Ours any    `yaml:"ours"`
	Why  string `yaml:"why"`
}

// Dir is the events' directory, from a package directory under internal/.
func Dir(fromRepoRoot string) string {
	return filepath.Join(fromRepoRoot, "internal", "schema", "testdata", "events")
}

// Load reads every events file of dir, in name order.
func Load(dir string) ([]*File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var files []*File
	keys := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p) //nolint:gosec // G304: the test events under the given directory
		if err != nil {
			return nil, err
		}
		f := &File{Name: strings.TrimSuffix(filepath.Base(p), ".yaml")}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, e := range f.Events {
			e.File = f
			if typ, ok := e.ELFType(); ok && f.LogFiles[typ] == nil {
				return nil, fmt.Errorf("%s: %s: no log_files columns for %s", p, e.Name, typ)
			}
			k := e.Key()
			if k == "" {
				return nil, fmt.Errorf("%s: %s has no REQUEST_ID, EventIdentifier, Id or RequestIdentifier", p, e.Name)
			}
			if prev, dup := keys[k]; dup {
				return nil, fmt.Errorf("%s: %s and %s share the key %s", p, e.Name, prev, k)
			}
			keys[k] = e.Name
		}
		files = append(files, f)
	}
	return files, nil
}

// All is every event of files, in order.
func All(files []*File) []*Event {
	var out []*Event
	for _, f := range files {
		out = append(out, f.Events...)
	}
	return out
}

// ELFType is the EventLogFile type of an elf: source.
func (e *Event) ELFType() (string, bool) { return strings.CutPrefix(e.Source, "elf:") }

// keyFields identify an event: every test event has one, unique.
var keyFields = []string{"REQUEST_ID", "EventIdentifier", "Id", "RequestIdentifier"}

// Key is the event's identifying value.
func (e *Event) Key() string {
	for _, f := range keyFields {
		if v, ok := e.Fields[f]; ok {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// RecordKey is the key of a delivered record's Salesforce fields (the
// body; OCSF: its unmapped).
func RecordKey(fields pcommon.Map) string {
	for _, f := range keyFields {
		if v, ok := fields.Get(f); ok && !catalog.IsPlaceholderID(v.AsString()) {
			return v.AsString()
		}
	}
	return ""
}

// Columns are an EventLogFile type's header and LogFileFieldTypes.
func (f *File) Columns(typ string) (names, types []string) {
	for _, c := range f.LogFiles[typ] {
		name, t, _ := strings.Cut(c, " ")
		names, types = append(names, name), append(types, t)
	}
	return names, types
}

// Row is an ELF event's cells under its type's header ("" where absent).
func (e *Event) Row() []string {
	typ, _ := e.ELFType()
	names, _ := e.File.Columns(typ)
	row := make([]string, len(names))
	for i, n := range names {
		if v, ok := e.Fields[n]; ok {
			row[i] = fmt.Sprint(v)
		}
	}
	return row
}

// Shifted returns a copy of the events with every time moved by d: ELF
// TIMESTAMP and TIMESTAMP_DERIVED, an object's datetime fields (by the
// catalog), and Elastic's @timestamp and event.created.
func Shifted(events []*Event, d time.Duration) []*Event {
	out := make([]*Event, len(events))
	for i, e := range events {
		c := *e
		c.Fields = shiftFields(e, d)
		c.Elastic = map[string]any{}
		for k, v := range e.Elastic {
			if k == "@timestamp" || k == "event.created" {
				v = shiftISO(fmt.Sprint(v), d, "2006-01-02T15:04:05.000Z")
			}
			c.Elastic[k] = v
		}
		out[i] = &c
	}
	return out
}

func shiftFields(e *Event, d time.Duration) map[string]any {
	fields := map[string]any{}
	_, elf := e.ELFType()
	entry := catalog.Lookup(e.Source)
	for k, v := range e.Fields {
		s, isStr := v.(string)
		switch {
		case elf && k == "TIMESTAMP_DERIVED":
			v = shiftISO(s, d, "2006-01-02T15:04:05.000Z")
		case elf && k == "TIMESTAMP":
			if t, err := convert.ParseELFTimestamp(s); err == nil {
				v = t.Add(d).UTC().Format("20060102150405.000")
			}
		case !elf && isStr && entry != nil && entry.Field(k) != nil && entry.Field(k).Type == "datetime":
			v = shiftISO(s, d, "2006-01-02T15:04:05.000-0700")
		}
		fields[k] = v
	}
	return fields
}

func shiftISO(s string, d time.Duration, layout string) string {
	t, err := convert.ParseDateTime(s)
	if err != nil {
		return s
	}
	return t.Add(d).UTC().Format(layout)
}

// Records makes the events into the receiver's records, as its streams
// would: EventLogFile rows through the CSV path of a log file, objects
// through the SOQL JSON decoder, each with its stream's mapping.
func Records(events []*Event, org convert.Resource, observed time.Time) (plog.Logs, error) {
	b := convert.NewBatch(org, len(events))
	for _, e := range events {
		if typ, ok := e.ELFType(); ok {
			names, types := e.File.Columns(typ)
			m := convert.Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file", EventType: typ,
				TimeFallbacks: convert.ELFTimeFields}
			h := m.CSVHeader(names, types)
			fileID := "0AT5g00000Elf" + fmt.Sprintf("%02d", len(typ))
			if _, err := m.AppendCSV(b, h, e.Row(), convert.Origin{Key: fileID + "/" + e.Key(), Observed: observed, LogFileID: fileID}); err != nil {
				return plog.Logs{}, fmt.Errorf("%s: %w", e.Name, err)
			}
			continue
		}
		m, key := objectMapping(e.Source)
		raw, err := json.Marshal(nested(e.Fields))
		if err != nil {
			return plog.Logs{}, err
		}
		var rec sobject.Record
		if err := sobject.DecodeRecord(raw, &rec); err != nil {
			return plog.Logs{}, fmt.Errorf("%s: %w", e.Name, err)
		}
		m.Append(b, &rec, convert.Origin{Key: rec.String(key), Observed: observed})
	}
	return b.Logs(), nil
}

// objectMapping is the mapping of the stream that reads an object, and
// the field that keys its records.
func objectMapping(object string) (convert.Mapping, string) {
	switch object {
	case "LoginHistory":
		return convert.Mapping{EventName: semconv.EventLoginHistory, Stream: "login_history", TimestampField: "LoginTime"}.ForObject(object), "Id"
	case "SetupAuditTrail":
		return convert.Mapping{EventName: semconv.EventSetupAuditTrail, Stream: "setup_audit_trail", TimestampField: "CreatedDate"}.ForObject(object), "Id"
	}
	e := catalog.Lookup(object)
	ts, key := "CreatedDate", "Id"
	if e != nil {
		ts, key = e.Timestamp, e.Key
	}
	if key == catalog.KeyDigest {
		key = "RequestIdentifier"
	}
	return convert.Mapping{EventName: semconv.EventObject, Stream: "object/" + object, EventType: object, TimestampField: ts}.ForObject(object), key
}

// nested turns relationship paths (CreatedBy.Username) into the nested
// objects a SOQL answer has.
func nested(fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		if rel, f, ok := strings.Cut(k, "."); ok {
			m, _ := out[rel].(map[string]any)
			if m == nil {
				m = map[string]any{}
				out[rel] = m
			}
			m[f] = v
			continue
		}
		out[k] = v
	}
	return out
}

// ---- comparison with Elastic ----

// Got is what one delivered record carried: its ECS attributes (AsRaw)
// and @timestamp (the record's Timestamp).
type Got map[string]any

// GotFrom reads a delivered record.
func GotFrom(lr plog.LogRecord) Got {
	g := Got(lr.Attributes().AsRaw())
	g["@timestamp"] = lr.Timestamp().AsTime().UTC().Format("2006-01-02T15:04:05.000Z")
	return g
}

// Stream is one Elastic data stream's agreement.
type Stream struct {
	Dataset          string
	Events, Fields   int
	Same, Deliberate int // equal to Elastic's; different as listed
}

// Agreement is the share of Elastic's fields with Elastic's value.
func (s *Stream) Agreement() float64 { return float64(s.Same) / float64(s.Fields) }

// Compare checks every event's ECS against Elastic's: each field Elastic
// sets must have Elastic's value, or the value and reason its Differs
// entry lists. It returns the agreement per data stream, in dataset order,
// and every mismatch.
func Compare(events []*Event, got map[string]Got) ([]*Stream, []string) {
	byDataset := map[string]*Stream{}
	var problems []string
	for _, e := range events {
		if len(e.Elastic) == 0 {
			continue
		}
		ds := fmt.Sprint(e.Elastic["event.dataset"])
		st := byDataset[ds]
		if st == nil {
			st = &Stream{Dataset: ds}
			byDataset[ds] = st
		}
		st.Events++
		g, ok := got[e.Key()]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no record delivered", e.Name))
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(e.Elastic)) {
			want := e.Elastic[k]
			st.Fields++
			have, present := g[k]
			if d, listed := e.Differs[k]; listed {
				switch {
				case d.Why == "":
					problems = append(problems, fmt.Sprintf("%s: %s: a difference needs its why", e.Name, k))
				case Equal(have, want) && present:
					problems = append(problems, fmt.Sprintf("%s: %s is listed as different but equals Elastic's %v", e.Name, k, want))
				case (d.Ours == nil) == present || (present && !Equal(have, d.Ours)):
					problems = append(problems, fmt.Sprintf("%s: %s = %#v, the listed difference says %#v", e.Name, k, have, d.Ours))
				default:
					st.Deliberate++
				}
				continue
			}
			if !present || !Equal(have, want) {
				problems = append(problems, fmt.Sprintf("%s: %s = %#v, Elastic %#v", e.Name, k, have, want))
				continue
			}
			st.Same++
		}
		for k := range e.Differs {
			if _, ok := e.Elastic[k]; !ok {
				problems = append(problems, fmt.Sprintf("%s: differs lists %s, which Elastic does not set", e.Name, k))
			}
		}
	}
	var out []*Stream
	for _, ds := range slices.Sorted(maps.Keys(byDataset)) {
		out = append(out, byDataset[ds])
	}
	return out, problems
}

// Equal compares an attribute's raw value with an expected YAML value:
// numbers by value, lists element by element, times by instant.
func Equal(have, want any) bool {
	have, want = norm(have), norm(want)
	if hs, ok := have.(string); ok {
		if ws, ok := want.(string); ok && hs != ws {
			ht, err1 := convert.ParseDateTime(hs)
			wt, err2 := convert.ParseDateTime(ws)
			return err1 == nil && err2 == nil && ht.Equal(wt) && len(hs) > 10
		}
	}
	return reflect.DeepEqual(have, want)
}

func norm(v any) any {
	switch t := v.(type) {
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case float64:
		if math.IsNaN(t) {
			return nil
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = norm(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out
	}
	return v
}
