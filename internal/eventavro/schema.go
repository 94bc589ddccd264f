// Package eventavro decodes the Avro payload of one Salesforce Pub/Sub API
// event into a sobject.Record, so that the converter maps it exactly like the
// same event read through REST from its storage object (LoginEventStream →
// LoginEvent).
//
// Salesforce sends Avro binary without a container header; each event is
// decoded with the schema of its own schema id (GetSchema). Compile turns that
// schema's JSON into a *Schema once; Decode then walks the payload against the
// compiled schema and writes the record's fields straight into the caller's
// reused Record, without building a generic map first.
//
// Mapping (see README.md in this directory for the reasons):
//   - fields in schema order; nested records (also behind ["null", record])
//     flatten with a dot: ChangeEventHeader.entityName, BillingAddress.City;
//   - nulls are left out; a union's value is the value of its branch;
//   - boolean → bool; int, long → int64; float, double → float64;
//     string → string (invalid UTF-8 becomes U+FFFD); enum → its symbol;
//     bytes, fixed → standard base64 text; decimal → float64;
//   - date-times are the REST API's text, 2024-05-01T12:34:56.000+0000, dates
//     2024-05-01 and times 12:34:56.000Z: a long or int field is one when its
//     Avro logicalType says so (timestamp-millis/-micros, date, time-millis/
//     -micros) or when Salesforce's field doc says so ("CreatedDate:DateTime",
//     "Data:DateTime", "Data:Date", "Data:Time");
//   - arrays and maps are their JSON text, like arrays in SOQL records
//     (sobject.DecodeRecord keeps those as raw JSON text);
//   - Change Data Capture: ChangeEventHeader.changedFields, diffFields and
//     nulledFields are expanded from Salesforce's hex bitmaps into the JSON
//     text of the field names (see DecodeBitmap).
package eventavro

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hamba/avro/v2"
)

// Limits that keep a hostile or broken schema from costing unbounded time or
// memory at Compile.
const (
	// maxFlatDepth is how deep records flatten into dotted names; a record
	// nested deeper (only a recursive schema gets there) is kept as JSON text.
	maxFlatDepth = 16
	// maxFlatFields bounds the number of flattened names of one schema.
	maxFlatFields = 1 << 16
	// maxDepth bounds the nesting of values at decode time (stack safety).
	maxDepth = 64
)

// Schema is a compiled event schema. It is safe for concurrent use.
type Schema struct {
	name     string // the record's full name, e.g. com.sforce.eventbus.LoginEventStream
	fields   []flatField
	top      []topField // top-level fields by position, for CDC bitmaps
	topNames []string   // their names
	nflat    int        // number of flattened leaf fields (capacity hint)

	pool sync.Pool // *state
}

// Name is the full name of the schema's record, e.g.
// com.sforce.eventbus.LoginEventStream.
func (s *Schema) Name() string { return s.name }

type kind uint8

const (
	kNull kind = iota
	kBool
	kInt
	kLong
	kFloat
	kDouble
	kString
	kBytes
	kFixed
	kEnum
	kRecord
	kArray
	kMap
	kUnion
)

// conv says how a value is rendered beyond its Avro type.
type conv uint8

const (
	cNone           conv = iota
	cDateTimeMillis      // epoch milliseconds → REST date-time text
	cDateTimeMicros      // epoch microseconds → REST date-time text
	cDateDays            // days since the epoch → yyyy-MM-dd
	cDateDoc             // a Salesforce "Date" by doc: days, or epoch milliseconds
	cTimeMillis          // milliseconds of the day → HH:mm:ss.SSSZ
	cTimeMicros          // microseconds of the day → HH:mm:ss.SSSZ
	cDecimal             // bytes/fixed decimal → float64
)

// node is one compiled Avro type.
type node struct {
	kind     kind
	conv     conv
	scale    int      // decimal
	size     int      // fixed
	min      int      // fewest bytes one value of this type takes in a payload
	name     string   // full name of a named type
	logical  string   // the Avro logicalType, as given
	symbols  []string // enum
	fields   []recField
	items    *node   // array items, map values
	branches []*node // union
	bitmap   bool    // array of CDC bitmap strings, expanded into field names
}

type recField struct {
	name string
	typ  *node
}

// flatField is one field of a flattened record: a leaf, a nested record
// (sub) or a union (alts, per branch: the flattened record, or nil).
type flatField struct {
	name string // flattened, e.g. BillingAddress.City
	key  string // the record field's own name, e.g. City
	typ  *node
	sub  []flatField
	alts [][]flatField
}

// topField describes a top-level field for CDC bitmaps.
type topField struct {
	name     string
	children []string // "Parent.Child" names of a compound field's sub-fields
}

// Compile parses and compiles an event schema (the schema_json of GetSchema).
// The top-level type must be a record.
func Compile(schemaJSON string) (*Schema, error) {
	// A private cache: hamba's default cache is process-wide and keyed by
	// name, so a changed schema of the same event would otherwise resolve
	// named references against another schema's definitions.
	as, err := avro.ParseWithCache(schemaJSON, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("eventavro: parse schema: %w", err)
	}
	c := compiler{named: map[string]*node{}}
	root, err := c.node(as, "")
	if err != nil {
		return nil, fmt.Errorf("eventavro: %w", err)
	}
	if root.kind != kRecord {
		return nil, fmt.Errorf("eventavro: the schema's top-level type is %s, not a record", as.Type())
	}
	markBitmaps(root)
	setMin(root, map[*node]bool{})
	s := &Schema{name: root.name}
	if s.fields, err = c.flatten(root, "", 0); err != nil {
		return nil, fmt.Errorf("eventavro: %w", err)
	}
	s.nflat = c.nflat
	s.top = make([]topField, len(root.fields))
	s.topNames = make([]string, len(root.fields))
	for i, f := range root.fields {
		s.top[i].name = f.name
		s.topNames[i] = f.name
		if rec := compound(f.typ); rec != nil {
			ch := make([]string, len(rec.fields))
			for j, sf := range rec.fields {
				ch[j] = f.name + "." + sf.name
			}
			s.top[i].children = ch
		}
	}
	s.pool.New = func() any { return new(state) }
	return s, nil
}

// compound returns the record of a compound field: the field's type itself,
// or the record branch of a union such as ["null", Address] or Salesforce's
// ["null", "string", Switchable_PersonName].
func compound(n *node) *node {
	switch n.kind {
	case kRecord:
		return n
	case kUnion:
		for _, b := range n.branches {
			if b.kind == kRecord {
				return b
			}
		}
	}
	return nil
}

// setMin computes the fewest payload bytes of records (the sum over their
// fields); a record met again while being computed (recursion) counts 0, an
// underestimate, which is the safe side.
func setMin(n *node, seen map[*node]bool) int {
	if seen[n] {
		return n.min
	}
	seen[n] = true
	switch n.kind {
	case kRecord:
		total := 0
		for _, f := range n.fields {
			total += setMin(f.typ, seen)
		}
		n.min = total
	case kArray, kMap:
		setMin(n.items, seen)
	case kUnion:
		for _, b := range n.branches {
			setMin(b, seen)
		}
	}
	return n.min
}

// markBitmaps flags ChangeEventHeader.changedFields, diffFields and
// nulledFields (arrays of strings, possibly nullable) for expansion.
func markBitmaps(root *node) {
	for _, f := range root.fields {
		if f.name != "ChangeEventHeader" {
			continue
		}
		h := compound(f.typ)
		if h == nil {
			return
		}
		for i, hf := range h.fields {
			switch hf.name {
			case "changedFields", "diffFields", "nulledFields":
			default:
				continue
			}
			arr := hf.typ
			if arr.kind == kUnion {
				arr = nil
				for _, b := range hf.typ.branches {
					if b.kind == kArray {
						arr = b
					}
				}
			}
			if arr == nil || arr.kind != kArray || arr.items.kind != kString || arr.items.conv != cNone {
				continue
			}
			// A private copy: the array type might be shared with other fields.
			cp := *arr
			cp.bitmap = true
			if hf.typ.kind == kUnion {
				u := *hf.typ
				u.branches = append([]*node(nil), u.branches...)
				for j, b := range u.branches {
					if b == arr {
						u.branches[j] = &cp
					}
				}
				h.fields[i].typ = &u
			} else {
				h.fields[i].typ = &cp
			}
		}
		return
	}
}

type compiler struct {
	named map[string]*node // named types by full name (records may recurse)
	nflat int
}

var errTooManyFields = fmt.Errorf("schema flattens into more than %d fields", maxFlatFields)

func (c *compiler) node(s avro.Schema, doc string) (*node, error) {
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	switch t := s.(type) {
	case *avro.NullSchema:
		return &node{kind: kNull}, nil
	case *avro.PrimitiveSchema:
		return c.primitive(t, doc)
	case *avro.RecordSchema:
		if n, ok := c.named[t.FullName()]; ok {
			return n, nil
		}
		n := &node{kind: kRecord, name: t.FullName()}
		c.named[n.name] = n
		for _, f := range t.Fields() {
			ft, err := c.node(f.Type(), f.Doc())
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name(), err)
			}
			n.fields = append(n.fields, recField{name: f.Name(), typ: ft})
		}
		return n, nil
	case *avro.EnumSchema:
		if n, ok := c.named[t.FullName()]; ok {
			return n, nil
		}
		n := &node{kind: kEnum, name: t.FullName(), symbols: t.Symbols(), min: 1}
		c.named[n.name] = n
		return n, nil
	case *avro.FixedSchema:
		n := &node{kind: kFixed, name: t.FullName(), size: t.Size(), min: t.Size()}
		if ls := t.Logical(); ls != nil {
			n.logical = string(ls.Type())
		}
		if d, ok := t.Logical().(*avro.DecimalLogicalSchema); ok {
			n.conv, n.scale = cDecimal, d.Scale()
		}
		return n, nil
	case *avro.ArraySchema:
		it, err := c.node(t.Items(), "")
		if err != nil {
			return nil, err
		}
		return &node{kind: kArray, items: it, min: 1}, nil
	case *avro.MapSchema:
		v, err := c.node(t.Values(), "")
		if err != nil {
			return nil, err
		}
		return &node{kind: kMap, items: v, min: 1}, nil
	case *avro.UnionSchema:
		n := &node{kind: kUnion, min: 1}
		for _, b := range t.Types() {
			bn, err := c.node(b, doc) // the doc applies to the value branch
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, bn)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported schema type %s", s.Type())
}

// primitives gives each Avro primitive type its kind and the fewest bytes
// its encoding takes.
var primitives = map[avro.Type]struct {
	kind kind
	min  int
}{
	avro.Null:    {kNull, 0},
	avro.Boolean: {kBool, 1},
	avro.Int:     {kInt, 1},
	avro.Long:    {kLong, 1},
	avro.Float:   {kFloat, 4},
	avro.Double:  {kDouble, 8},
	avro.String:  {kString, 1},
	avro.Bytes:   {kBytes, 1},
}

// logicalConvs gives the logical types of ints and longs the conversion
// of their values, for the one kind each applies to.
var logicalConvs = map[avro.LogicalType]struct {
	kind kind
	conv conv
}{
	avro.TimestampMillis:      {kLong, cDateTimeMillis},
	avro.LocalTimestampMillis: {kLong, cDateTimeMillis},
	avro.TimestampMicros:      {kLong, cDateTimeMicros},
	avro.LocalTimestampMicros: {kLong, cDateTimeMicros},
	avro.Date:                 {kInt, cDateDays},
	avro.TimeMillis:           {kInt, cTimeMillis},
	avro.TimeMicros:           {kLong, cTimeMicros},
}

func (c *compiler) primitive(t *avro.PrimitiveSchema, doc string) (*node, error) {
	n := &node{}
	if ls := t.Logical(); ls != nil {
		n.logical = string(ls.Type())
	}
	p, ok := primitives[t.Type()]
	if !ok {
		return nil, fmt.Errorf("unsupported primitive type %s", t.Type())
	}
	n.kind, n.min = p.kind, p.min
	if ls := t.Logical(); ls != nil {
		if lc, ok := logicalConvs[ls.Type()]; ok && n.kind == lc.kind {
			n.conv = lc.conv
		}
		if d, ok := ls.(*avro.DecimalLogicalSchema); ok && ls.Type() == avro.Decimal && n.kind == kBytes {
			n.conv, n.scale = cDecimal, d.Scale()
		}
	}
	if n.conv == cNone && (n.kind == kLong || n.kind == kInt) {
		switch docType(doc) {
		case "datetime":
			n.conv = cDateTimeMillis
		case "date":
			n.conv = cDateDoc
		case "time":
			n.conv = cTimeMillis
		}
	}
	return n, nil
}

// docType returns the Salesforce data type a field's doc names, lower-cased:
// docs look like "CreatedDate:DateTime", "Data:DateTime", "Data:Text:00N…"
// (role, type, optional custom field id).
func docType(doc string) string {
	if doc == "" {
		return ""
	}
	parts := strings.SplitN(doc, ":", 3)
	t := parts[0]
	if len(parts) > 1 {
		t = parts[1]
	}
	return strings.ToLower(strings.TrimSpace(t))
}

// flatten compiles a record's fields into flattened names under prefix.
func (c *compiler) flatten(rec *node, prefix string, depth int) ([]flatField, error) {
	out := make([]flatField, 0, len(rec.fields))
	for _, f := range rec.fields {
		name := prefix + f.name
		ff := flatField{name: name, key: f.name, typ: f.typ}
		switch f.typ.kind {
		case kRecord:
			if depth+1 < maxFlatDepth {
				sub, err := c.flatten(f.typ, name+".", depth+1)
				if err != nil {
					return nil, err
				}
				ff.sub = sub
			} else if err := c.count(); err != nil {
				return nil, err
			}
		case kUnion:
			// A record branch flattens under the field's name; other
			// branches (alts[i] == nil) are leaves.
			for i, b := range f.typ.branches {
				if b.kind != kRecord || depth+1 >= maxFlatDepth {
					continue
				}
				sub, err := c.flatten(b, name+".", depth+1)
				if err != nil {
					return nil, err
				}
				if sub == nil {
					sub = []flatField{} // a record without fields, not a leaf
				}
				if ff.alts == nil {
					ff.alts = make([][]flatField, len(f.typ.branches))
				}
				ff.alts[i] = sub
			}
			if err := c.count(); err != nil {
				return nil, err
			}
		default:
			if err := c.count(); err != nil {
				return nil, err
			}
		}
		out = append(out, ff)
	}
	return out, nil
}

func (c *compiler) count() error {
	c.nflat++
	if c.nflat > maxFlatFields {
		return errTooManyFields
	}
	return nil
}

// errors.Is targets for the decode errors callers may want to tell apart.
var (
	// ErrTruncated: the payload ended inside a value.
	ErrTruncated = errors.New("payload truncated")
	// ErrTrailingData: the payload has bytes after the record.
	ErrTrailingData = errors.New("unexpected data after the record")
	// ErrInvalid: the payload does not match the schema (bad union or enum
	// index, negative length, overlong number, too deep, ...).
	ErrInvalid = errors.New("payload does not match the schema")
)
