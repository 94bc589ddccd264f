package pubsub

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/anynum"
)

// avroNode is a parsed Avro schema, enough to turn the simulator's typed
// values (as the REST API types them) into goavro's native form for any
// schema a test sets with SetTopicSchema.
type avroNode struct {
	kind     string // a primitive name, or record, enum, array, map, fixed, union
	name     string // full name of a named type
	fields   []avroFieldNode
	items    *avroNode // array
	values   *avroNode // map
	branches []*avroNode
	symbols  []string
}

type avroFieldNode struct {
	name, doc string
	node      *avroNode
}

type pubsubSchema struct {
	id, json string
	root     *avroNode
	codec    *goavro.Codec
}

// compileSchema parses schemaJSON for encoding. The id is the Salesforce-like
// fingerprint of the JSON unless given.
func compileSchema(schemaJSON, id string) (*pubsubSchema, error) {
	codec, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("simulator: invalid Avro schema: %w", err)
	}
	var raw any
	if err := json.Unmarshal([]byte(schemaJSON), &raw); err != nil {
		return nil, fmt.Errorf("simulator: invalid Avro schema: %w", err)
	}
	p := &avroParser{named: map[string]*avroNode{}}
	root, err := p.parse(raw, "")
	if err != nil {
		return nil, err
	}
	if root.kind != "record" {
		return nil, fmt.Errorf("simulator: an event schema must be a record, not %s", root.kind)
	}
	if id == "" {
		id = schemaID(schemaJSON)
	}
	return &pubsubSchema{id: id, json: schemaJSON, root: root, codec: codec}, nil
}

type avroParser struct{ named map[string]*avroNode }

var avroPrimitives = map[string]bool{"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true}

func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

func (p *avroParser) parse(v any, ns string) (*avroNode, error) {
	switch t := v.(type) {
	case string:
		if avroPrimitives[t] {
			return &avroNode{kind: t}, nil
		}
		if n := p.named[fullName(t, ns)]; n != nil {
			return n, nil
		}
		if n := p.named[t]; n != nil {
			return n, nil
		}
		return nil, fmt.Errorf("simulator: unknown Avro type %q", t)
	case []any:
		u := &avroNode{kind: "union"}
		for _, b := range t {
			n, err := p.parse(b, ns)
			if err != nil {
				return nil, err
			}
			u.branches = append(u.branches, n)
		}
		return u, nil
	case map[string]any:
		typ, _ := t["type"].(string)
		switch typ {
		case "record", "error", "enum", "fixed":
			name, _ := t["name"].(string)
			if s, ok := t["namespace"].(string); ok {
				ns = s
			}
			n := &avroNode{kind: typ, name: fullName(name, ns)}
			if typ == "error" {
				n.kind = "record"
			}
			if i := strings.LastIndexByte(n.name, '.'); i >= 0 {
				ns = n.name[:i]
			}
			p.named[n.name] = n
			switch n.kind {
			case "record":
				fields, _ := t["fields"].([]any)
				for _, f := range fields {
					fm, _ := f.(map[string]any)
					fn, _ := fm["name"].(string)
					doc, _ := fm["doc"].(string)
					ft, err := p.parse(fm["type"], ns)
					if err != nil {
						return nil, err
					}
					n.fields = append(n.fields, avroFieldNode{name: fn, doc: doc, node: ft})
				}
			case "enum":
				syms, _ := t["symbols"].([]any)
				for _, s := range syms {
					str, _ := s.(string)
					n.symbols = append(n.symbols, str)
				}
			}
			return n, nil
		case "array":
			items, err := p.parse(t["items"], ns)
			return &avroNode{kind: "array", items: items}, err
		case "map":
			values, err := p.parse(t["values"], ns)
			return &avroNode{kind: "map", values: values}, err
		default:
			return p.parse(t["type"], ns) // a primitive with attributes (logicalType...)
		}
	}
	return nil, fmt.Errorf("simulator: cannot read Avro type %v", v)
}

// isDateTimeField reports whether a field holds a Salesforce date-time: a
// long whose doc's type part is DateTime ("Data:DateTime",
// "CreatedDate:DateTime", "Data:DateTime:00N...").
func isDateTimeField(doc string) bool {
	parts := strings.Split(doc, ":")
	return len(parts) >= 2 && parts[1] == "DateTime"
}

// native converts a typed value to goavro's native form for node n.
func native(n *avroNode, v any) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("cannot encode %T %v as Avro %s", v, v, n.kind) }
	switch n.kind {
	case "null":
		if v == nil {
			return nil, nil
		}
		return bad()
	case "boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "int":
		if x, ok := anynum.Int64(v); ok {
			return int32(x), nil
		}
	case "long":
		if t, ok := v.(time.Time); ok {
			return t.UnixMilli(), nil
		}
		if x, ok := anynum.Int64(v); ok {
			return x, nil
		}
	case "float":
		switch x := v.(type) {
		case float64:
			return float32(x), nil
		case float32:
			return x, nil
		}
	case "double":
		if f, ok := anynum.Float64(v); ok {
			return f, nil
		}
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "bytes", "fixed":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "enum":
		if s, ok := v.(string); ok {
			for _, sym := range n.symbols {
				if sym == s {
					return s, nil
				}
			}
		}
	case "array":
		var out []any
		switch x := v.(type) {
		case []string:
			for _, e := range x {
				out = append(out, e)
			}
		case []any:
			out = x
		case nil:
		default:
			return bad()
		}
		res := make([]any, 0, len(out))
		for _, e := range out {
			c, err := native(n.items, e)
			if err != nil {
				return nil, err
			}
			res = append(res, c)
		}
		return res, nil
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		res := make(map[string]any, len(m))
		for k, e := range m {
			c, err := native(n.values, e)
			if err != nil {
				return nil, err
			}
			res[k] = c
		}
		return res, nil
	case "record":
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		res := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			c, err := native(f.node, m[f.name])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.name, err)
			}
			res[f.name] = c
		}
		return res, nil
	case "union":
		if v == nil {
			for _, b := range n.branches {
				if b.kind == "null" {
					return nil, nil
				}
			}
			return bad()
		}
		for _, b := range n.branches {
			if b.kind == "null" {
				continue
			}
			if c, err := native(b, v); err == nil {
				name := b.kind
				if b.name != "" {
					name = b.name
				}
				return goavro.Union(name, c), nil
			}
		}
	}
	return bad()
}

// encodeEvent writes the Avro binary (no container header) of fields with
// schema sch: fields the schema does not have are left out, missing ones
// are null.
func encodeEvent(sch *pubsubSchema, fields map[string]any) ([]byte, error) {
	nat, err := native(sch.root, fields)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	buf, err := sch.codec.BinaryFromNative(nil, nat)
	if err != nil {
		return nil, fmt.Errorf("simulator: avro: %w", err)
	}
	return buf, nil
}

// decodeTyped reads an Avro binary payload back into typed values (the
// inverse of encodeEvent): date-time longs become time.Time, ints int64,
// unions their value.
func decodeTyped(sch *pubsubSchema, payload []byte) (map[string]any, error) {
	nat, rest, err := sch.codec.NativeFromBinary(payload)
	if err != nil {
		return nil, fmt.Errorf("simulator: avro: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("simulator: avro: %d bytes after the record", len(rest))
	}
	v, err := typed(sch.root, "", nat)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func typed(n *avroNode, doc string, v any) (any, error) {
	switch n.kind {
	case "union":
		if v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, fmt.Errorf("simulator: union value %v", v)
		}
		for name, inner := range m {
			for _, b := range n.branches {
				if b.kind == name || b.name == name {
					return typed(b, doc, inner)
				}
			}
			return nil, fmt.Errorf("simulator: union branch %s", name)
		}
	case "record":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("simulator: record value %v", v)
		}
		out := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			fv, err := typed(f.node, f.doc, m[f.name])
			if err != nil {
				return nil, err
			}
			out[f.name] = fv
		}
		return out, nil
	case "array":
		xs, _ := v.([]any)
		if n.items.kind == "string" {
			out := make([]string, 0, len(xs))
			for _, x := range xs {
				s, _ := x.(string)
				out = append(out, s)
			}
			return out, nil
		}
		out := make([]any, 0, len(xs))
		for _, x := range xs {
			tv, err := typed(n.items, "", x)
			if err != nil {
				return nil, err
			}
			out = append(out, tv)
		}
		return out, nil
	case "long":
		x, _ := v.(int64)
		if isDateTimeField(doc) {
			return time.UnixMilli(x).UTC(), nil
		}
		return x, nil
	case "int":
		x, _ := v.(int32)
		return int64(x), nil
	case "float":
		x, _ := v.(float32)
		return float64(x), nil
	}
	return v, nil
}
