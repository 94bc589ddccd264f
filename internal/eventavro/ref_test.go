package eventavro

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/anynum"
)

// The library candidates: the same mapping as Schema.Decode, implemented on
// top of a library's generic decode (payload → map[string]any → Record).
// They are the benchmark's comparison and the differential fuzz test's
// reference. They share the compiled field list and the value formatting
// with Schema.Decode, so what is compared is the binary decoding.

type lib int

const (
	libHamba lib = iota
	libGoavro
)

type refDecoder struct {
	s   *Schema
	lib lib
	hs  avro.Schema
	gc  *goavro.Codec
}

func newRef(t testing.TB, schemaJSON string, l lib) *refDecoder {
	t.Helper()
	r := &refDecoder{s: compile(t, schemaJSON), lib: l}
	var err error
	switch l {
	case libHamba:
		r.hs, err = avro.ParseWithCache(schemaJSON, "", &avro.SchemaCache{})
	case libGoavro:
		r.gc, err = goavro.NewCodec(schemaJSON)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// plain is the library's own decode into a generic map, nothing else.
func (r *refDecoder) plain(payload []byte) (map[string]any, error) {
	switch r.lib {
	case libHamba:
		var m map[string]any
		err := avro.Unmarshal(r.hs, payload, &m)
		return m, err
	default:
		n, rest, err := r.gc.NativeFromBinary(payload)
		if err != nil {
			return nil, err
		}
		if len(rest) != 0 {
			return nil, ErrTrailingData
		}
		m, _ := n.(map[string]any)
		return m, nil
	}
}

func (r *refDecoder) Decode(payload []byte, dst *sobject.Record) error {
	dst.Fields = dst.Fields[:0]
	m, err := r.plain(payload)
	if err != nil {
		return err
	}
	var bmErr error
	if err := r.record(r.s.fields, m, dst, &bmErr); err != nil {
		dst.Fields = dst.Fields[:0]
		return err
	}
	return bmErr
}

func (r *refDecoder) record(fs []flatField, m map[string]any, dst *sobject.Record, bmErr *error) error {
	for i := range fs {
		f := &fs[i]
		v, ok := m[f.key]
		if !ok {
			return fmt.Errorf("ref: field %s missing", f.name)
		}
		if f.sub != nil {
			sm, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("ref: field %s: %T, not a record", f.name, v)
			}
			if err := r.record(f.sub, sm, dst, bmErr); err != nil {
				return err
			}
			continue
		}
		t := f.typ
		if t.kind == kUnion {
			idx, bv, err := r.union(t, v)
			if err != nil {
				return fmt.Errorf("ref: field %s: %w", f.name, err)
			}
			if f.alts != nil && f.alts[idx] != nil {
				sm, ok := bv.(map[string]any)
				if !ok {
					return fmt.Errorf("ref: field %s: %T, not a record", f.name, bv)
				}
				if err := r.record(f.alts[idx], sm, dst, bmErr); err != nil {
					return err
				}
				continue
			}
			t, v = t.branches[idx], bv
		}
		if err := r.leaf(f.name, t, v, dst, bmErr); err != nil {
			return fmt.Errorf("ref: field %s: %w", f.name, err)
		}
	}
	return nil
}

// hambaRegistered are the branch types hamba's default type resolver knows;
// a union of only these decodes to the bare value, any other union to
// map[string]any{typeName: value}.
var hambaRegistered = map[string]bool{
	"null": true, "int": true, "long": true, "float": true, "double": true, "string": true,
	"bytes": true, "boolean": true, "int.date": true, "int.time-millis": true,
	"long.timestamp-millis": true, "long.timestamp-micros": true, "long.time-micros": true,
	"bytes.decimal": true, "string.uuid": true,
}

func typeName(n *node) string {
	if n.name != "" {
		return n.name
	}
	k := [...]string{"null", "boolean", "int", "long", "float", "double", "string", "bytes",
		"fixed", "enum", "record", "array", "map", "union"}[n.kind]
	if n.logical != "" {
		k += "." + n.logical
	}
	return k
}

func (r *refDecoder) union(t *node, v any) (int, any, error) {
	if v == nil {
		for i, b := range t.branches {
			if b.kind == kNull {
				return i, nil, nil
			}
		}
		return 0, nil, errors.New("null for a union without null")
	}
	direct := r.lib == libHamba
	if direct {
		for _, b := range t.branches {
			if !hambaRegistered[typeName(b)] {
				direct = false
			}
		}
	}
	if direct {
		for i, b := range t.branches {
			if goTypeFits(b, v) {
				return i, v, nil
			}
		}
		return 0, nil, fmt.Errorf("no union branch for %T", v)
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return 0, nil, fmt.Errorf("union value %T is not a one-entry map", v)
	}
	base := func(s string) string { b, _, _ := strings.Cut(s, "."); return b }
	for k, bv := range m {
		for i, b := range t.branches {
			// Named types go by full name; others by type, whatever logical
			// type suffix the library adds ("long.timestamp-millis").
			if b.name != "" && k == b.name || b.name == "" && base(k) == base(typeName(b)) {
				return i, bv, nil
			}
		}
		return 0, nil, fmt.Errorf("no union branch named %s", k)
	}
	panic("unreachable")
}

func goTypeFits(b *node, v any) bool {
	switch v.(type) {
	case bool:
		return b.kind == kBool
	case int, int32:
		return b.kind == kInt
	case int64:
		return b.kind == kLong
	case float32:
		return b.kind == kFloat
	case float64:
		return b.kind == kDouble
	case string:
		return b.kind == kString
	case []byte:
		return b.kind == kBytes
	case time.Time, time.Duration:
		return (b.kind == kInt || b.kind == kLong) && b.logical != ""
	case *big.Rat:
		return b.conv == cDecimal
	}
	return false
}

// raw turns a library's native number (possibly a time) back into the
// Avro int or long it was decoded from.
func raw(t *node, v any) (int64, error) {
	if n, ok := anynum.Int64(v); ok {
		return n, nil
	}
	switch x := v.(type) {
	case time.Time:
		switch t.conv {
		case cDateTimeMicros:
			return x.UnixMicro(), nil
		case cDateDays:
			return x.Unix() / 86400, nil
		}
		return x.UnixMilli(), nil
	case time.Duration:
		if t.conv == cTimeMicros {
			return x.Microseconds(), nil
		}
		return x.Milliseconds(), nil
	}
	return 0, fmt.Errorf("%T is not a number", v)
}

func fixedBytes(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Array || rv.Type().Elem().Kind() != reflect.Uint8 {
		return nil, fmt.Errorf("%T is not bytes", v)
	}
	b := make([]byte, rv.Len())
	reflect.Copy(reflect.ValueOf(b), rv)
	return b, nil
}

func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(appendValidUTF8(nil, []byte(s)))
}

func (r *refDecoder) leaf(name string, t *node, v any, dst *sobject.Record, bmErr *error) error {
	put := func(v any) { dst.Fields = append(dst.Fields, sobject.Field{Name: name, Value: v}) }
	switch t.kind {
	case kNull:
	case kBool:
		return putAs(put, v, "a bool", func(b bool) any { return b })
	case kInt, kLong:
		n, err := raw(t, v)
		if err != nil {
			return err
		}
		if txt, ok := appendConv(nil, t.conv, n); ok && t.conv != cNone {
			put(string(txt))
		} else {
			put(n)
		}
	case kFloat:
		return putAs(put, v, "a float", func(f float32) any { return widen(f) })
	case kDouble:
		return putAs(put, v, "a double", func(f float64) any { return f })
	case kString:
		return putAs(put, v, "a string", func(s string) any { return validString(s) })
	case kEnum:
		return putAs(put, v, "an enum symbol", func(s string) any { return s })
	case kBytes, kFixed:
		if rat, ok := v.(*big.Rat); ok {
			f, _ := rat.Float64()
			put(f)
			return nil
		}
		b, err := fixedBytes(v)
		if err != nil {
			return err
		}
		put(base64.StdEncoding.EncodeToString(b))
	default:
		if t.bitmap {
			items, _ := v.([]any)
			strs := make([]string, len(items))
			for i, it := range items {
				strs[i], _ = it.(string)
			}
			names, err := expand(r.s.top, r.s.topNames, strs, nil)
			if err != nil {
				if *bmErr == nil {
					*bmErr = &BitmapError{Field: name, Err: err}
				}
				names = strs
			}
			txt, _ := json.Marshal(names)
			if len(names) == 0 {
				txt = []byte("[]")
			}
			put(string(txt))
			return nil
		}
		txt, err := r.json(nil, t, v)
		if err != nil {
			return err
		}
		put(string(txt))
	}
	return nil
}

// putAs puts v, which must be a T, as conv makes it; what names a T in the
// error when it is not.
func putAs[T any](put func(any), v any, what string, conv func(T) any) error {
	x, ok := v.(T)
	if !ok {
		return fmt.Errorf("%T is not %s", v, what)
	}
	put(conv(x))
	return nil
}

func (r *refDecoder) json(dst []byte, t *node, v any) ([]byte, error) {
	switch t.kind {
	case kNull:
		return append(dst, "null"...), nil
	case kBool:
		b, _ := v.(bool)
		return fmt.Appendf(dst, "%t", b), nil
	case kInt, kLong:
		n, err := raw(t, v)
		if err != nil {
			return nil, err
		}
		return appendJSONNumberOrConv(dst, t.conv, n), nil
	case kFloat:
		f, _ := v.(float32)
		return appendJSONFloat(dst, widen(f)), nil
	case kDouble:
		f, _ := v.(float64)
		return appendJSONFloat(dst, f), nil
	case kString, kEnum:
		s, _ := v.(string)
		b, _ := json.Marshal(validString(s))
		return append(dst, b...), nil
	case kBytes, kFixed:
		if rat, ok := v.(*big.Rat); ok {
			f, _ := rat.Float64()
			return appendJSONFloat(dst, f), nil
		}
		b, err := fixedBytes(v)
		if err != nil {
			return nil, err
		}
		return fmt.Appendf(dst, "%q", base64.StdEncoding.EncodeToString(b)), nil
	case kRecord:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%T is not a record", v)
		}
		dst = append(dst, '{')
		for i, f := range t.fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, _ := json.Marshal(f.name)
			dst = append(append(dst, k...), ':')
			var err error
			if dst, err = r.json(dst, f.typ, m[f.name]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case kArray:
		items, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%T is not an array", v)
		}
		dst = append(dst, '[')
		for i, it := range items {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = r.json(dst, t.items, it); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case kMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%T is not a map", v)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			kb, _ := json.Marshal(validString(k))
			dst = append(append(dst, kb...), ':')
			var err error
			if dst, err = r.json(dst, t.items, m[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case kUnion:
		idx, bv, err := r.union(t, v)
		if err != nil {
			return nil, err
		}
		return r.json(dst, t.branches[idx], bv)
	}
	return nil, fmt.Errorf("kind %d", t.kind)
}

// sameFields compares decoded records: values by type and value (NaN equal
// to NaN), JSON texts (arrays, maps) as JSON values, so that the order of a
// Go map does not matter.
func sameFields(a, b []sobject.Field) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d fields vs %d:\n%s---\n%s", len(a), len(b), dump(a), dump(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return fmt.Errorf("field %d: name %s vs %s", i, a[i].Name, b[i].Name)
		}
		if !sameValue(a[i].Value, b[i].Value) {
			return fmt.Errorf("field %s: %T %#v vs %T %#v", a[i].Name, a[i].Value, a[i].Value, b[i].Value, b[i].Value)
		}
	}
	return nil
}

func sameValue(x, y any) bool {
	if fx, ok := x.(float64); ok {
		fy, ok := y.(float64)
		return ok && (fx == fy && math.Signbit(fx) == math.Signbit(fy) || math.IsNaN(fx) && math.IsNaN(fy))
	}
	sx, okx := x.(string)
	sy, oky := y.(string)
	if okx && oky && sx != sy && len(sx) > 0 && (sx[0] == '[' || sx[0] == '{') {
		return canonJSON(sx) != "" && canonJSON(sx) == canonJSON(sy)
	}
	return x == y
}

func canonJSON(s string) string {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return ""
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(normNumbers(v)); err != nil {
		return ""
	}
	return buf.String()
}

// normNumbers makes 1e+06 and 1000000 the same number.
func normNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			if i, err := x.Int64(); err == nil {
				return i
			}
			return f
		}
		return x.String()
	case []any:
		for i := range x {
			x[i] = normNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normNumbers(x[k])
		}
	}
	return v
}
