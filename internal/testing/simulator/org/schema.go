package org

import (
	"cmp"
	"maps"
	"strconv"
	"strings"
	"time"
)

// FieldType is the Salesforce data type of a field; it decides which SOQL
// literals the field may be compared with and how values render in JSON.
type FieldType int

const (
	TypeID        FieldType = iota // record Id: string, compared case-sensitively
	TypeString                     // text, picklist, url...: compared case-insensitively
	TypeDateTime                   // time.Time, rendered 2024-05-01T12:34:56.000+0000
	TypeInt                        // int64
	TypeDouble                     // float64
	TypeBoolean                    // bool
	TypeReference                  // an Id pointing at another object (e.g. CreatedById)
)

func (t FieldType) String() string {
	switch t {
	case TypeID:
		return "id"
	case TypeString:
		return "string"
	case TypeDateTime:
		return "dateTime"
	case TypeInt:
		return "int"
	case TypeDouble:
		return "double"
	case TypeBoolean:
		return "boolean"
	case TypeReference:
		return "reference"
	}
	return "unknown"
}

// Field describes one column of an object.
type Field struct {
	Name string
	Type FieldType
	// For TypeReference fields that have a relationship (CreatedById →
	// CreatedBy), the relationship name and the object it points at; SOQL
	// can then select RelName.Field.
	RelName   string
	RefObject string
	// Since is the API version the field appeared in ("58.0"; "" = always):
	// requests under an older /services/data/vNN.N/ do not see it.
	Since string
	// Undescribed fields answer SOQL but describe leaves them out: the Id
	// of Event Log Object rows, which no Salesforce page lists.
	Undescribed bool
}

// Schema is one queryable sObject. New objects (EventLogFile, big
// objects such as LoginEvent) are added by registering another schema in
// NewRegistry; the store and the SOQL engine need nothing else.
type Schema struct {
	Name      string
	KeyPrefix string // 3-char Id prefix, e.g. "0Ya"
	// Doc is the Salesforce page the object and its fields come from.
	Doc string
	// Since is the API version the object appeared in ("" = always).
	Since string
	// Big: a big object, which SOQL queries only on its index fields
	// (simulator/soql); catalog.yaml's big: true.
	Big bool
	// ELO: an Event Log Object (eventlogobjects.go), with SOQL rules of its
	// own (simulator/soql).
	ELO bool
	// NullID: every row's Id reads null and the object has no retrieve()
	// (OauthToken, inventory.go); the row keeps its own id (Row.ID).
	NullID bool
	// QueryCap, when set, is a per-object cap on query results: Page rows
	// per query() or queryMore() page, Total rows in all (OauthToken).
	QueryCap struct{ Page, Total int }
	Fields   []Field
	// TimestampField is the field Arrive stamps and history spreads over.
	TimestampField string
	// generate makes a realistic record at ts (nil: the object has no
	// generated data, e.g. User which is seeded explicitly).
	generate func(g *Generator, ts time.Time) map[string]any

	byName map[string]*Field // lower-case name → field
	byRel  map[string]*Field // lower-case relationship name → reference field
}

func (o *Schema) index() {
	o.byName = make(map[string]*Field, len(o.Fields))
	o.byRel = map[string]*Field{}
	for i := range o.Fields {
		f := &o.Fields[i]
		o.byName[strings.ToLower(f.Name)] = f
		if f.RelName != "" {
			o.byRel[strings.ToLower(f.RelName)] = f
		}
	}
}

// Field is the field called name, in any casing (nil when there is none).
func (o *Schema) Field(name string) *Field { return o.byName[strings.ToLower(name)] }

// Rel is the reference field of the relationship called name, in any
// casing (nil when there is none).
func (o *Schema) Rel(name string) *Field { return o.byRel[strings.ToLower(name)] }

// PlaceholderID reports whether the object shows the empty Id
// (catalog.PlaceholderID) for every row, in Id and in attributes.url, as
// big objects and Event Log Objects do; the simulator still keeps its own
// unique id per row (Row.ID, Record.ID).
func (o *Schema) PlaceholderID() bool { return o.Big || o.ELO }

// Registry maps lower-case object names to schemas.
type Registry map[string]*Schema

func (r Registry) add(o *Schema) {
	o.index()
	r[strings.ToLower(o.Name)] = o
}

func (r Registry) Lookup(name string) *Schema { return r[strings.ToLower(name)] }

// ---- API versions and what a request may see ----

// APIVersion is a parsed REST API version such as 66.0.
type APIVersion struct{ Major, Minor int }

// ParseAPIVersion reads "NN.N" (the minor part may have more digits).
func ParseAPIVersion(s string) (APIVersion, bool) {
	maj, minor, ok := strings.Cut(s, ".")
	if !ok || maj == "" || minor == "" {
		return APIVersion{}, false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || strings.ContainsAny(s, "+-") {
		return APIVersion{}, false
	}
	return APIVersion{a, b}, true
}

func (v APIVersion) Compare(w APIVersion) int {
	return cmp.Or(cmp.Compare(v.Major, w.Major), cmp.Compare(v.Minor, w.Minor))
}

func (v APIVersion) String() string { return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) }

// VersionAtMost reports whether version a is at most b, numerically (9.0 <
// 10.0); false when either does not parse.
func VersionAtMost(a, b string) bool {
	va, ok1 := ParseAPIVersion(a)
	vb, ok2 := ParseAPIVersion(b)
	return ok1 && ok2 && va.Compare(vb) <= 0
}

// hiddenFields is lower-case object → lower-case field → hidden; a value
// is never modified once published (HideField swaps in a new one).
type hiddenFields map[string]map[string]bool

// View is what one request may see of the schema: fields of its API
// version, minus those field-level security hides from the integration
// user. A nil view sees everything.
type View struct {
	ver    string // the request's API version; "" = every version
	hidden hiddenFields
}

func (v *View) ObjectVisible(o *Schema) bool {
	return v == nil || o.Since == "" || v.ver == "" || VersionAtMost(o.Since, v.ver)
}

func (v *View) FieldVisible(o *Schema, f *Field) bool {
	if v == nil {
		return true
	}
	if f.Since != "" && v.ver != "" && !VersionAtMost(f.Since, v.ver) {
		return false
	}
	return !v.hidden[strings.ToLower(o.Name)][strings.ToLower(f.Name)]
}

// fields lists the fields of o the view sees, in schema order.
func (v *View) Fields(o *Schema) []*Field {
	out := make([]*Field, 0, len(o.Fields))
	for i := range o.Fields {
		if f := &o.Fields[i]; v.FieldVisible(o, f) {
			out = append(out, f)
		}
	}
	return out
}

// View is what a request under API version ver may see of the schema.
func (o *Org) View(ver string) *View {
	o.hiddenMu.RLock()
	defer o.hiddenMu.RUnlock()
	return &View{ver: ver, hidden: o.hidden}
}

// HideField hides a field from the integration user, as field-level
// security does: from then on describe omits it and SOQL naming it (in
// SELECT, WHERE, ORDER BY or a relationship path) answers INVALID_FIELD
// "No such column". Hiding a reference field hides its relationship too.
// It affects this org only, is safe to call while serving (requests
// already being answered are not affected), and panics on an unknown
// object or field, or on Id, which field-level security cannot hide.
func (o *Org) HideField(object, name string) {
	sch := o.reg.Lookup(object)
	if sch == nil {
		panic("simulator: unknown object " + object)
	}
	f := sch.Field(name)
	if f == nil {
		panic("simulator: no field " + name + " on " + sch.Name)
	}
	if f.Name == "Id" {
		panic("simulator: field-level security cannot hide Id")
	}
	obj, n := strings.ToLower(sch.Name), strings.ToLower(f.Name)
	o.hiddenMu.Lock()
	defer o.hiddenMu.Unlock()
	// Copy on write: views handed out keep the map they were given.
	next := make(hiddenFields, len(o.hidden)+1)
	for k, v := range o.hidden {
		next[k] = v
	}
	next[obj] = maps.Clone(next[obj])
	if next[obj] == nil {
		next[obj] = map[string]bool{}
	}
	next[obj][n] = true
	o.hidden = next
}
