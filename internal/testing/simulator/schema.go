package simulator

import (
	"cmp"
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

// field describes one column of an object.
type field struct {
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

// objectSchema is one queryable sObject. New objects (EventLogFile, big
// objects such as LoginEvent) are added by registering another schema in
// builtinSchemas; the store and the SOQL engine need nothing else.
type objectSchema struct {
	Name      string
	KeyPrefix string // 3-char Id prefix, e.g. "0Ya"
	// Doc is the Salesforce page the object and its fields come from.
	Doc string
	// Since is the API version the object appeared in ("" = always).
	Since string
	// Big objects and Event Log Objects show the empty Id
	// (catalog.PlaceholderID) for every row, in Id and in attributes.url;
	// the simulator still keeps its own unique id per row (Record.ID).
	PlaceholderID bool
	// ELO: an Event Log Object (eventlogobjects.go).
	ELO    bool
	Fields []field
	// TimestampField is the field Arrive stamps and history spreads over.
	TimestampField string
	// generate makes a realistic record at ts (nil: the object has no
	// generated data, e.g. User which is seeded explicitly).
	generate func(g *generator, ts time.Time) map[string]any
	// checkQuery lets an object restrict SOQL beyond the generic engine,
	// as big objects do (filter only on their index fields, sort DESC).
	checkQuery func(q *query) error

	byName map[string]*field // lower-case name → field
	byRel  map[string]*field // lower-case relationship name → reference field
}

func (o *objectSchema) index() {
	o.byName = make(map[string]*field, len(o.Fields))
	o.byRel = map[string]*field{}
	for i := range o.Fields {
		f := &o.Fields[i]
		o.byName[strings.ToLower(f.Name)] = f
		if f.RelName != "" {
			o.byRel[strings.ToLower(f.RelName)] = f
		}
	}
}

func (o *objectSchema) field(name string) *field { return o.byName[strings.ToLower(name)] }

// registry maps lower-case object names to schemas.
type registry map[string]*objectSchema

func (r registry) add(o *objectSchema) {
	o.index()
	r[strings.ToLower(o.Name)] = o
}

func (r registry) lookup(name string) *objectSchema { return r[strings.ToLower(name)] }

// ---- API versions and what a request may see ----

// apiVersion is a parsed REST API version such as 66.0.
type apiVersion struct{ major, minor int }

// parseAPIVersion reads "NN.N" (the minor part may have more digits).
func parseAPIVersion(s string) (apiVersion, bool) {
	maj, min, ok := strings.Cut(s, ".")
	if !ok || maj == "" || min == "" {
		return apiVersion{}, false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || strings.ContainsAny(s, "+-") {
		return apiVersion{}, false
	}
	return apiVersion{a, b}, true
}

func (v apiVersion) compare(w apiVersion) int {
	return cmp.Or(cmp.Compare(v.major, w.major), cmp.Compare(v.minor, w.minor))
}

func (v apiVersion) String() string { return strconv.Itoa(v.major) + "." + strconv.Itoa(v.minor) }

// versionAtMost reports whether version a is at most b, numerically (9.0 <
// 10.0); false when either does not parse.
func versionAtMost(a, b string) bool {
	va, ok1 := parseAPIVersion(a)
	vb, ok2 := parseAPIVersion(b)
	return ok1 && ok2 && va.compare(vb) <= 0
}

// hiddenFields is lower-case object → lower-case field → hidden; a value
// is never modified once published (HideField swaps in a new one).
type hiddenFields map[string]map[string]bool

// schemaView is what one request may see of the schema: fields of its API
// version, minus those field-level security hides from the integration
// user. A nil view sees everything.
type schemaView struct {
	ver    string // the request's API version; "" = every version
	hidden hiddenFields
}

func (v *schemaView) objectVisible(o *objectSchema) bool {
	return v == nil || o.Since == "" || v.ver == "" || versionAtMost(o.Since, v.ver)
}

func (v *schemaView) fieldVisible(o *objectSchema, f *field) bool {
	if v == nil {
		return true
	}
	if f.Since != "" && v.ver != "" && !versionAtMost(f.Since, v.ver) {
		return false
	}
	return !v.hidden[strings.ToLower(o.Name)][strings.ToLower(f.Name)]
}

// fields lists the fields of o the view sees, in schema order.
func (v *schemaView) fields(o *objectSchema) []*field {
	out := make([]*field, 0, len(o.Fields))
	for i := range o.Fields {
		if f := &o.Fields[i]; v.fieldVisible(o, f) {
			out = append(out, f)
		}
	}
	return out
}
