// Package catalog is what the receiver knows about Salesforce's objects and
// events, in one place: for each object, event or Event Log Object its kind,
// the field that identifies a record, its event-time field, the API version
// it appeared in, the access it needs, the storage object paired with a
// streaming event, its severity rule, which fields become which attributes,
// and the Salesforce page each fact comes from. Streams, the converter, the
// connection test, the simulator and the README's tables all read it, so
// adding an event is one entry in catalog.yaml (or eventlogobjects.yaml; the
// objects the inventory reads in full are in inventory.yaml).
package catalog

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Kind is what sort of thing an entry is, which decides how it is read.
type Kind string

const (
	// KindObject is an ordinary SOQL object, read in ascending (time, Id)
	// order (LoginHistory, SetupAuditTrail, EventLogFile).
	KindObject Kind = "object"
	// KindStorage is a Real-Time Event Monitoring storage object: a big
	// object (Big) read in time windows, or a standard object (the Threat
	// Detection stores). Its records are its streaming event's, keyed by
	// EventIdentifier on both paths.
	KindStorage Kind = "storage"
	// KindEvent is a streaming event without a storage object.
	KindEvent Kind = "event"
	// KindEventLogObject is an Event Log Object (*EventLog): queried with
	// SOQL by Timestamp, no documented unique key.
	KindEventLogObject Kind = "event_log_object"
	// KindEventLogFile is an EventLogFile event type (EventLogFile.EventType):
	// rows of a CSV log file, whose columns are its fields. Event types are
	// not objects: Lookup and All leave them out (EventType, EventTypes).
	KindEventLogFile Kind = "event_log_file"
	// KindInventory is an object the inventory reads in full on every poll
	// (inventory.yaml): its rows are a picture of the org, not events.
	KindInventory Kind = "inventory"
)

// KeyFileRow is the Key of EventLogFile event types: no column identifies
// a row (REQUEST_ID is shared by every event of a request), so a row is
// identified by its file's Id and its position in the file.
const KeyFileRow = "file_row"

// KeyDigest is the Key of objects with no field that identifies a row:
// a record is identified by a digest of its fields, with a count for rows
// that are identical in every field.
const KeyDigest = "digest"

// PlaceholderID is the Id Salesforce returns for every row of a big
// object ("Including Id in a query returns only results that have an empty
// ID (000000000000000 or 000000000000000AAA)", Big Objects Implementation
// Guide, "SOQL with Big Objects":
// https://developer.salesforce.com/docs/atlas.en-us.212.0.bigobjects.meta/bigobjects/big_object_querying.htm),
// and, in peers' published samples, of Event Log Object rows. It never
// identifies a record.
const PlaceholderID = "000000000000000AAA"

// IsPlaceholderID reports whether id is the empty Id in either length.
func IsPlaceholderID(id string) bool {
	return id == PlaceholderID || id == PlaceholderID[:15]
}

// Entry is one object or event.
type Entry struct {
	Name string `yaml:"name"`
	Kind Kind   `yaml:"kind"`
	// Doc is the Salesforce page the entry comes from.
	Doc string `yaml:"doc"`
	// Since is the API version it appeared in ("" = older than any
	// version the receiver supports).
	Since string `yaml:"since"`
	// Key identifies a record (KeyDigest: no field does).
	Key string `yaml:"key"`
	// Timestamp is the event-time field.
	Timestamp string `yaml:"timestamp"`
	// Cursor is the field a stream pages on when it is not Timestamp.
	Cursor string `yaml:"cursor"`
	// Big: a big object, filtered on its index fields only.
	Big bool `yaml:"big"`
	// Topic is a storage object's streaming event (/event/<Topic>).
	Topic      string  `yaml:"topic"`
	TopicDoc   string  `yaml:"topic_doc"`
	TopicSince string  `yaml:"topic_since"`
	TopicAcc   *Access `yaml:"topic_access"`
	// Severity "threat": every record is WARN.
	Severity string `yaml:"severity"`
	// Status is "Field=VALUE": a record whose Field holds another value
	// is a failed login, WARN.
	Status string `yaml:"status"`
	// Roles adds fields to the roles every source shares (Roles()).
	Roles map[string][]string `yaml:"roles"`
	// Access is what the integration user needs to read it.
	Access Access `yaml:"access"`
	// OwnRows names the field of the user a row is about, on an object
	// whose other users' rows Salesforce silently hides without Access.
	OwnRows string `yaml:"own_rows"`
	// EventLogFile is the EventLogFile event type with the same data.
	EventLogFile string `yaml:"event_log_file"`
	// Free: an EventLogFile event type every edition gets without Event
	// Monitoring (the EventLogFile page names them).
	Free bool `yaml:"free"`
	// Fields as the doc lists them.
	Fields []Field `yaml:"fields"`
	// Values are the values the doc lists for a field (an event type's
	// codes and picklists), beyond the ones every event type shares
	// (ValuesOf).
	Values map[string][]string `yaml:"values"`
	// Secret are fields that hold a secret (OauthToken's refresh tokens):
	// never selected, filtered on or delivered.
	Secret []string `yaml:"secret"`
	// Optional: an object not every org exposes to SOQL; a reader skips it,
	// saying so, where the org's describe does not show it.
	Optional bool `yaml:"optional"`
}

// IsSecret reports whether field is one of e's secret fields.
func (e *Entry) IsSecret(field string) bool {
	return slices.ContainsFunc(e.Secret, func(s string) bool { return strings.EqualFold(s, field) })
}

// Access is a permission and what to grant when Salesforce says no.
type Access struct {
	Needs string `yaml:"needs"`
	Fix   string `yaml:"fix"`
}

// Field is one field of an object: "Name type [since]".
type Field struct {
	Name string
	// Type is id, string, datetime, int, double, boolean or reference; an
	// event type's column has its LogFileFieldTypes type as its page
	// spells it (String, Number, Id, ...: elfFieldTypes).
	Type string
	// RefObject and RelName: a reference's object and relationship name.
	RefObject, RelName string
	Since              string
}

// UnmarshalYAML reads "Name type[:Object[:Relationship]] [since]".
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	parts := strings.Fields(n.Value)
	if len(parts) < 2 || len(parts) > 3 {
		return fmt.Errorf("line %d: field %q: want \"Name type [since]\"", n.Line, n.Value)
	}
	f.Name = parts[0]
	typ := strings.Split(parts[1], ":")
	f.Type = typ[0]
	if len(typ) > 1 {
		f.RefObject = typ[1]
	}
	if len(typ) > 2 {
		f.RelName = typ[2]
	}
	if len(parts) == 3 {
		f.Since = parts[2]
	}
	if !slices.Contains(fieldTypes, f.Type) && !slices.Contains(elfFieldTypes, f.Type) || (f.Type == "reference") != (f.RefObject != "") {
		return fmt.Errorf("line %d: field %q: type %q is not one of %v (reference:Object) or %v", n.Line, f.Name, parts[1], fieldTypes, elfFieldTypes)
	}
	return nil
}

var fieldTypes = []string{"id", "string", "datetime", "int", "double", "boolean", "reference"}

// elfFieldTypes are the column types the "EventLogFile Supported Event
// Types" pages give (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile_supportedeventtypes.htm),
// which a file's LogFileFieldTypes lists: that it uses the pages'
// spelling is not documented, so the receiver types only Number and
// Boolean cells and reads any other type as text.
var elfFieldTypes = []string{"String", "EscapedString", "Number", "Boolean", "Id", "IP", "DateTime", "Set", "Reference"}

// Field returns the named field (nil if the entry does not list it).
func (e *Entry) Field(name string) *Field {
	for i := range e.Fields {
		if strings.EqualFold(e.Fields[i].Name, name) {
			return &e.Fields[i]
		}
	}
	return nil
}

// FieldNames lists the entry's fields in order.
func (e *Entry) FieldNames() []string {
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Name
	}
	return out
}

// Threat reports whether every record of the entry is WARN.
func (e *Entry) Threat() bool { return e.Severity == "threat" }

// CursorField is the field a stream pages on.
func (e *Entry) CursorField() string {
	if e.Cursor != "" {
		return e.Cursor
	}
	return e.Timestamp
}

// TopicAccess is what subscribing to the entry's streaming event needs.
func (e *Entry) TopicAccess() Access {
	if e.TopicAcc != nil {
		return *e.TopicAcc
	}
	a := e.Access
	if e.Kind == KindStorage && e.Access == storageAccess(e.Name) {
		a.Fix = "turn on streaming for " + e.Topic + " in Event Manager, and give the integration user View Real-Time Event Monitoring Data (Shield or the Event Monitoring add-on)"
	}
	return a
}

// RoleField is one field that feeds a role, in priority order.
type RoleField struct {
	Field string
	// OK is a status role's success value ("" for request_status).
	OK string
}

// Role names the catalog uses beyond attribute names.
const (
	RoleLoginStatus   = "login_status"
	RoleRequestStatus = "request_status"
)

// RolesOf is every role of e's records: the roles every source shares,
// with e's own fields put first, and its Status rule (the shared ones
// alone for a nil e). An own field written "-FIELD" takes FIELD out of the
// role instead: e's FIELD holds something else under the shared name
// (RestApi's USER_AGENT is a numeric client code, not a user agent).
func RolesOf(e *Entry) map[string][]RoleField {
	c := load()
	out := make(map[string][]RoleField, len(c.roles))
	for role, fields := range c.roles {
		out[role] = slices.Clone(fields)
	}
	if e == nil {
		return out
	}
	for role, fields := range e.Roles {
		var own []RoleField
		shared := out[role]
		for _, f := range fields {
			if name, ok := strings.CutPrefix(f, "-"); ok {
				shared = slices.DeleteFunc(shared, func(r RoleField) bool { return r.Field == name })
				continue
			}
			own = append(own, parseRoleField(f))
		}
		out[role] = append(own, shared...)
	}
	if e.Status != "" {
		out[RoleLoginStatus] = append([]RoleField{parseRoleField(e.Status)}, out[RoleLoginStatus]...)
	}
	return out
}

func parseRoleField(s string) RoleField {
	f, ok, _ := strings.Cut(s, "=")
	return RoleField{Field: f, OK: ok}
}

// The default access of storage objects and events.
func storageAccess(name string) Access {
	return Access{
		Needs: "View Real-Time Event Monitoring Data",
		Fix:   "give the integration user View Real-Time Event Monitoring Data and turn on storage for " + name + " in Event Manager (Shield or the Event Monitoring add-on)",
	}
}

var eventLogObjectAccess = Access{
	Needs: "View Event Log Object Data",
	Fix:   "give the integration user View Event Log Object Data (or the Event Monitoring User permission set); Event Log Objects need Shield or the Event Monitoring add-on on a Hyperforce org",
}

// ---- loading ----

//go:embed catalog.yaml
var catalogYAML []byte

//go:embed eventlogobjects.yaml
var eventLogObjectsYAML []byte

//go:embed eventlogfiles.yaml
var eventLogFilesYAML []byte

//go:embed inventory.yaml
var inventoryYAML []byte

type catalog struct {
	entries     []*Entry
	byName      map[string]*Entry // lower-case name
	byTopic     map[string]*Entry // lower-case event name → storage object or event
	eventTypes  []*Entry          // EventLogFile event types
	byEventType map[string]*Entry // lower-case EventType
	roles       map[string][]RoleField
	values      map[string][]string // column → the values every event type shares
	secrets     []string            // every secret field, once (SecretFields)
	err         error
}

var (
	loadOnce sync.Once
	loaded   *catalog
)

// load parses the embedded catalog once; a broken catalog is a build
// defect that TestCatalog reports, so load panics on it.
func load() *catalog {
	loadOnce.Do(func() {
		loaded = parse(catalogYAML, eventLogObjectsYAML, eventLogFilesYAML, inventoryYAML)
		if loaded.err != nil {
			panic("catalog: " + loaded.err.Error())
		}
	})
	return loaded
}

// parse reads catalog.yaml (main), eventlogobjects.yaml (elos),
// eventlogfiles.yaml (elfs) and more files of objects in catalog.yaml's
// form (inventory.yaml).
func parse(main, elos, elfs []byte, more ...[]byte) *catalog {
	var doc struct {
		Roles   map[string][]string `yaml:"roles"`
		Objects []*Entry            `yaml:"objects"`
	}
	var eloDoc struct {
		Objects []*Entry `yaml:"event_log_objects"`
	}
	var elfDoc struct {
		Values     map[string][]string `yaml:"values"`
		EventTypes []*Entry            `yaml:"event_log_files"`
	}
	c := &catalog{byName: map[string]*Entry{}, byTopic: map[string]*Entry{}, byEventType: map[string]*Entry{},
		roles: map[string][]RoleField{}}
	if err := yaml.Unmarshal(main, &doc); err != nil {
		c.err = fmt.Errorf("catalog.yaml: %w", err)
		return c
	}
	if err := yaml.Unmarshal(elos, &eloDoc); err != nil {
		c.err = fmt.Errorf("eventlogobjects.yaml: %w", err)
		return c
	}
	if err := yaml.Unmarshal(elfs, &elfDoc); err != nil {
		c.err = fmt.Errorf("eventlogfiles.yaml: %w", err)
		return c
	}
	c.values = elfDoc.Values
	for i, m := range more {
		var extra struct {
			Objects []*Entry `yaml:"objects"`
		}
		if err := yaml.Unmarshal(m, &extra); err != nil {
			c.err = fmt.Errorf("catalog file %d: %w", i+4, err)
			return c
		}
		doc.Objects = append(doc.Objects, extra.Objects...)
	}
	for role, fields := range doc.Roles {
		for _, f := range fields {
			c.roles[role] = append(c.roles[role], parseRoleField(f))
		}
	}
	for _, e := range eloDoc.Objects {
		e.Kind = KindEventLogObject
	}
	var errs []error
	// admit checks e and files it in index by its lower-case name; false
	// when it is broken or listed twice (said in errs).
	admit := func(e *Entry, index map[string]*Entry, what string) bool {
		e.defaults()
		if err := e.check(); err != nil {
			errs = append(errs, err)
			return false
		}
		k := strings.ToLower(e.Name)
		if index[k] != nil {
			errs = append(errs, fmt.Errorf("%s%s: listed twice", what, e.Name))
			return false
		}
		index[k] = e
		return true
	}
	for _, e := range append(doc.Objects, eloDoc.Objects...) {
		if !admit(e, c.byName, "") {
			continue
		}
		c.entries = append(c.entries, e)
		for _, f := range e.Secret {
			if !slices.Contains(c.secrets, f) {
				c.secrets = append(c.secrets, f)
			}
		}
		switch {
		case e.Kind == KindEvent:
			c.byTopic[strings.ToLower(e.Name)] = e
		case e.Topic != "":
			c.byTopic[strings.ToLower(e.Topic)] = e
		}
	}
	// Event types are read through EventLogFile: its access is theirs.
	var elfAccess Access
	if e := c.byName["eventlogfile"]; e != nil {
		elfAccess = e.Access
	}
	for _, e := range elfDoc.EventTypes {
		e.Kind = KindEventLogFile
		if e.Access == (Access{}) {
			e.Access = elfAccess
		}
		if admit(e, c.byEventType, "event type ") {
			c.eventTypes = append(c.eventTypes, e)
		}
	}
	c.err = errors.Join(errs...)
	return c
}

// defaults fills what a kind implies.
func (e *Entry) defaults() {
	switch e.Kind {
	case KindStorage, KindEvent:
		if e.Key == "" {
			e.Key = "EventIdentifier"
		}
		if e.Timestamp == "" {
			e.Timestamp = "EventDate"
		}
		if e.Access == (Access{}) {
			e.Access = storageAccess(e.Name)
		}
	case KindEventLogObject:
		e.Key, e.Timestamp = KeyDigest, "Timestamp"
		if e.Access == (Access{}) {
			e.Access = eventLogObjectAccess
		}
	case KindEventLogFile:
		// TIMESTAMP_DERIVED is the event time as ISO 8601; the stream falls
		// back to TIMESTAMP (yyyyMMddHHmmss.SSS) where it is missing.
		e.Key, e.Timestamp = KeyFileRow, "TIMESTAMP_DERIVED"
	}
}

func (e *Entry) check() error {
	var missing []string
	for k, v := range map[string]string{"name": e.Name, "doc": e.Doc, "key": e.Key, "timestamp": e.Timestamp,
		"access.needs": e.Access.Needs, "access.fix": e.Access.Fix} {
		if v == "" {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("%s: missing %s", e.Name, strings.Join(missing, ", "))
	case !slices.Contains([]Kind{KindObject, KindStorage, KindEvent, KindEventLogObject, KindEventLogFile, KindInventory}, e.Kind):
		return fmt.Errorf("%s: kind %q", e.Name, e.Kind)
	case !strings.HasPrefix(e.Doc, "https://developer.salesforce.com/") && !strings.HasPrefix(e.Doc, "https://help.salesforce.com/"):
		return fmt.Errorf("%s: doc %q is not a Salesforce page", e.Name, e.Doc)
	case e.Topic != "" && e.TopicDoc == "":
		return fmt.Errorf("%s: topic %s has no topic_doc", e.Name, e.Topic)
	case e.Severity != "" && e.Severity != "threat":
		return fmt.Errorf("%s: severity %q", e.Name, e.Severity)
	}
	for _, f := range append([]string{e.Timestamp, e.Cursor, e.Key}, e.Secret...) {
		if f != "" && f != KeyDigest && f != KeyFileRow && len(e.Fields) > 0 && e.Field(f) == nil {
			return fmt.Errorf("%s: %s is not among its fields", e.Name, f)
		}
	}
	if e.Kind == KindEventLogFile {
		return e.checkEventType()
	}
	for _, f := range e.Fields {
		if !slices.Contains(fieldTypes, f.Type) {
			return fmt.Errorf("%s: field %s: type %q is an event type column's", e.Name, f.Name, f.Type)
		}
	}
	if len(e.Values) > 0 {
		return fmt.Errorf("%s: values are for event types' columns", e.Name)
	}
	return nil
}

// checkEventType holds an event type to what every log file has: its
// columns with their LogFileFieldTypes types, EVENT_TYPE, the time columns,
// and values and roles only for columns it has.
func (e *Entry) checkEventType() error {
	for _, col := range []string{"EVENT_TYPE", "TIMESTAMP", "TIMESTAMP_DERIVED"} {
		if e.Field(col) == nil {
			return fmt.Errorf("event type %s: no %s column", e.Name, col)
		}
	}
	seen := map[string]bool{}
	for _, f := range e.Fields {
		switch {
		case !slices.Contains(elfFieldTypes, f.Type):
			return fmt.Errorf("event type %s: column %s: type %q is not one of %v", e.Name, f.Name, f.Type, elfFieldTypes)
		case seen[f.Name]:
			return fmt.Errorf("event type %s: column %s listed twice", e.Name, f.Name)
		}
		seen[f.Name] = true
	}
	for col := range e.Values {
		if e.Field(col) == nil {
			return fmt.Errorf("event type %s: values for %s, which is not among its columns", e.Name, col)
		}
	}
	for role, fields := range e.Roles {
		for _, f := range fields {
			if name, _, _ := strings.Cut(strings.TrimPrefix(f, "-"), "="); e.Field(name) == nil {
				return fmt.Errorf("event type %s: role %s names %s, which is not among its columns", e.Name, role, name)
			}
		}
	}
	return nil
}

// ---- lookups ----

// Lookup returns the entry of an object or event, by name (nil: unknown;
// EventLogFile event types: EventType).
func Lookup(name string) *Entry { return load().byName[strings.ToLower(name)] }

// ByEvent returns the entry of a streaming event by its name: the storage
// object it is stored in, or the event itself (nil: unknown).
func ByEvent(event string) *Entry { return load().byTopic[strings.ToLower(event)] }

// All lists every object and event, in the catalog's order (EventLogFile
// event types: EventTypes).
func All() []*Entry { return slices.Clone(load().entries) }

// OfKind lists the entries of one kind, in the catalog's order.
func OfKind(k Kind) []*Entry {
	if k == KindEventLogFile {
		return EventTypes()
	}
	var out []*Entry
	for _, e := range load().entries {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// EventType returns the entry of an EventLogFile event type by its
// EventType value (nil: unknown).
func EventType(name string) *Entry { return load().byEventType[strings.ToLower(name)] }

// EventTypes lists the EventLogFile event types, in the catalog's order.
func EventTypes() []*Entry { return slices.Clone(load().eventTypes) }

// ValuesOf is the values the docs list for an event type's column, the
// usual one first: the type's own, else the ones every event type shares
// (nil: none listed). EVENT_TYPE's is the type ("The value is always
// <type>").
func (e *Entry) ValuesOf(column string) []string {
	if e.Kind == KindEventLogFile && column == "EVENT_TYPE" {
		return []string{e.Name}
	}
	if v, ok := e.Values[column]; ok {
		return v
	}
	if e.Kind == KindEventLogFile && e.Field(column) != nil {
		return load().values[column]
	}
	return nil
}

// SecretFields lists every field any entry marks secret, each once, in
// the catalog's order. The client checks every query against it, so it is
// gathered once, when the catalog loads; callers must not modify it.
func SecretFields() []string { return load().secrets }

// IsEventLogObject reports whether object is an Event Log Object: listed,
// or named as Salesforce names them (*EventLog), for the ones added after
// this catalog.
func IsEventLogObject(object string) bool {
	if e := Lookup(object); e != nil {
		return e.Kind == KindEventLogObject
	}
	return strings.HasSuffix(object, "EventLog") && len(object) > len("EventLog") &&
		!strings.EqualFold(object, "IdpEventLog")
}

// IdpEventLog (API 39.0, "Identity Provider Event Log") is an older object
// of another kind that only shares the suffix: it supports retrieve() and
// has no "View Event Log Object Data" rule
// (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_idpeventlog.htm).
