package simulator

import (
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
}

// objectSchema is one queryable sObject. New objects (EventLogFile, big
// objects such as LoginEvent) are added by registering another schema in
// builtinSchemas; the store and the SOQL engine need nothing else.
type objectSchema struct {
	Name      string
	KeyPrefix string // 3-char Id prefix, e.g. "0Ya"
	Fields    []field
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
