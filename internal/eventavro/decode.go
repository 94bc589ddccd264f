package eventavro

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// Scratch buffers larger than this are not kept for the next event.
const maxKeptScratch = 1 << 20

// state is the scratch of one Decode; pooled per Schema.
type state struct {
	data    []byte
	pos     int
	budget  int    // array/map items that take no payload bytes still allowed
	strs    []byte // text of the record's string values, converted once
	pending []pendingStr

	bms   [][]byte // CDC bitmap strings (views into data)
	names []string // expanded CDC field names

	bitmapErr error
}

type pendingStr struct {
	field      int
	start, end int
}

// BitmapError reports a Change Data Capture bitmap (changedFields, diffFields
// or nulledFields) that does not match the schema. Decode returns it only
// after filling dst completely: the field then holds Salesforce's raw hex
// strings (as JSON text) instead of field names, so the event can still be
// delivered, e.g. with a parse-error attribute.
type BitmapError struct {
	Field string
	Err   error
}

func (e *BitmapError) Error() string {
	return fmt.Sprintf("eventavro: %s: %v", e.Field, e.Err)
}

func (e *BitmapError) Unwrap() error { return e.Err }

var errNilRecord = errors.New("eventavro: nil record")

// Decode decodes one event payload (Avro binary, no container header) into
// dst, reusing dst's storage: dst.Fields is reset to length 0 first. A
// payload that does not match the schema returns an error (errors.Is
// ErrTruncated, ErrTrailingData or ErrInvalid) and leaves dst.Fields empty;
// a *BitmapError leaves dst complete (see BitmapError).
//
// The values of the previous Decode into the same dst stay valid: every call
// allocates its own string storage (one block for all of a record's text).
func (s *Schema) Decode(payload []byte, dst *sobject.Record) error {
	if dst == nil {
		return errNilRecord
	}
	st := s.pool.Get().(*state)
	st.data, st.pos = payload, 0
	st.budget = 4*len(payload) + 1024
	st.strs = st.strs[:0]
	st.pending = st.pending[:0]
	st.bitmapErr = nil
	dst.Fields = dst.Fields[:0]
	if cap(dst.Fields) < s.nflat {
		dst.Fields = make([]sobject.Field, 0, s.nflat)
	}

	err := st.record(s, s.fields, dst)
	if err == nil && st.pos != len(payload) {
		err = st.fail("", ErrTrailingData)
	}
	if err != nil {
		clear(dst.Fields)
		dst.Fields = dst.Fields[:0]
	} else {
		if len(st.pending) > 0 {
			all := string(st.strs) // one allocation for all of the record's text
			for _, p := range st.pending {
				dst.Fields[p.field].Value = all[p.start:p.end]
			}
		}
		if st.bitmapErr != nil {
			err = st.bitmapErr
		}
	}
	st.release()
	s.pool.Put(st)
	return err
}

func (st *state) release() {
	st.data = nil
	st.bitmapErr = nil
	if cap(st.strs) > maxKeptScratch {
		st.strs = nil
	}
	if cap(st.pending) > maxKeptScratch/32 {
		st.pending = nil
	}
	clear(st.bms[:cap(st.bms)])
	st.bms = st.bms[:0]
	if cap(st.bms) > maxKeptScratch/32 {
		st.bms = nil
	}
	clear(st.names[:cap(st.names)])
	st.names = st.names[:0]
}

func (st *state) fail(field string, kind error) error {
	if field == "" {
		return fmt.Errorf("eventavro: offset %d: %w", st.pos, kind)
	}
	return fmt.Errorf("eventavro: field %s, offset %d: %w", field, st.pos, kind)
}

func (st *state) failf(field string, kind error, format string, args ...any) error {
	return fmt.Errorf("eventavro: field %s, offset %d: %w: %s", field, st.pos, kind, fmt.Sprintf(format, args...))
}

// ---- the flattened record ----

func (st *state) record(s *Schema, fs []flatField, dst *sobject.Record) error {
	for i := range fs {
		f := &fs[i]
		if f.sub != nil {
			if err := st.record(s, f.sub, dst); err != nil {
				return err
			}
			continue
		}
		t := f.typ
		if t.kind == kUnion {
			idx, err := st.long(f.name)
			if err != nil {
				return err
			}
			if idx < 0 || idx >= int64(len(t.branches)) {
				return st.failf(f.name, ErrInvalid, "union index %d of %d branches", idx, len(t.branches))
			}
			if f.alts != nil && f.alts[idx] != nil {
				if err := st.record(s, f.alts[idx], dst); err != nil {
					return err
				}
				continue
			}
			t = t.branches[idx]
		}
		if err := st.leaf(s, f.name, t, dst); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) put(dst *sobject.Record, name string, v any) {
	dst.Fields = append(dst.Fields, sobject.Field{Name: name, Value: v})
}

// putText emits a string field whose text is strs[start:].
func (st *state) putText(dst *sobject.Record, name string, start int) {
	st.pending = append(st.pending, pendingStr{field: len(dst.Fields), start: start, end: len(st.strs)})
	dst.Fields = append(dst.Fields, sobject.Field{Name: name})
}

// leaf decodes one non-flattened value and emits it under name.
func (st *state) leaf(s *Schema, name string, t *node, dst *sobject.Record) error {
	switch t.kind {
	case kNull:
		return nil // left out
	case kBool:
		b, err := st.bool(name)
		if err != nil {
			return err
		}
		st.put(dst, name, b)
	case kInt, kLong:
		v, err := st.integer(t.kind, name)
		if err != nil {
			return err
		}
		if t.conv != cNone {
			start := len(st.strs)
			var ok bool
			if st.strs, ok = appendConv(st.strs, t.conv, v); ok {
				st.putText(dst, name, start)
				return nil
			}
		}
		st.put(dst, name, v)
	case kFloat, kDouble:
		f, err := st.floating(t.kind, name)
		if err != nil {
			return err
		}
		st.put(dst, name, f)
	case kString:
		b, err := st.bytes(name)
		if err != nil {
			return err
		}
		start := len(st.strs)
		st.strs = appendValidUTF8(st.strs, b)
		st.putText(dst, name, start)
	case kBytes, kFixed:
		b, err := st.binary(t, name)
		if err != nil {
			return err
		}
		if t.conv == cDecimal {
			st.put(dst, name, decimalFloat(b, t.scale))
			return nil
		}
		start := len(st.strs)
		st.strs = base64.StdEncoding.AppendEncode(st.strs, b)
		st.putText(dst, name, start)
	case kEnum:
		sym, err := st.enum(name, t)
		if err != nil {
			return err
		}
		st.put(dst, name, sym) // a schema string: no allocation
	case kArray:
		if t.bitmap {
			return st.bitmap(s, name, dst)
		}
		fallthrough
	default: // maps, arrays, records nested too deep to flatten
		start := len(st.strs)
		if err := st.json(name, t, 0); err != nil {
			return err
		}
		st.putText(dst, name, start)
	}
	return nil
}

// bitmap decodes a CDC bitmap array and emits the field names it stands for
// as JSON text; on a mismatch the raw strings, and a BitmapError.
func (st *state) bitmap(s *Schema, name string, dst *sobject.Record) error {
	st.bms = st.bms[:0]
	for {
		n, err := st.blockCount(name, 1)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		for range n {
			b, err := st.bytes(name)
			if err != nil {
				return err
			}
			st.bms = append(st.bms, b)
		}
	}
	start := len(st.strs)
	var err error
	st.names, err = expand(s.top, s.topNames, st.bms, st.names[:0])
	if err != nil {
		if st.bitmapErr == nil {
			st.bitmapErr = &BitmapError{Field: name, Err: err}
		}
		st.strs = append(st.strs, '[')
		for i, b := range st.bms {
			if i > 0 {
				st.strs = append(st.strs, ',')
			}
			st.strs = appendJSONString(st.strs, b)
		}
	} else {
		st.strs = append(st.strs, '[')
		for i, n := range st.names {
			if i > 0 {
				st.strs = append(st.strs, ',')
			}
			st.strs = appendJSONString(st.strs, n)
		}
	}
	st.strs = append(st.strs, ']')
	st.putText(dst, name, start)
	return nil
}

// ---- JSON text of arrays, maps and deep records ----

func (st *state) json(name string, t *node, depth int) error {
	if depth > maxDepth {
		return st.failf(name, ErrInvalid, "values nested deeper than %d levels", maxDepth)
	}
	switch t.kind {
	case kNull:
		st.strs = append(st.strs, "null"...)
	case kBool:
		b, err := st.bool(name)
		if err != nil {
			return err
		}
		st.strs = strconv.AppendBool(st.strs, b)
	case kInt, kLong:
		v, err := st.integer(t.kind, name)
		if err != nil {
			return err
		}
		st.strs = appendJSONNumberOrConv(st.strs, t.conv, v)
	case kFloat, kDouble:
		f, err := st.floating(t.kind, name)
		if err != nil {
			return err
		}
		st.strs = appendJSONFloat(st.strs, f)
	case kString:
		b, err := st.bytes(name)
		if err != nil {
			return err
		}
		st.strs = appendJSONString(st.strs, b)
	case kBytes, kFixed:
		b, err := st.binary(t, name)
		if err != nil {
			return err
		}
		if t.conv == cDecimal {
			st.strs = appendJSONFloat(st.strs, decimalFloat(b, t.scale))
		} else {
			st.strs = append(st.strs, '"')
			st.strs = base64.StdEncoding.AppendEncode(st.strs, b)
			st.strs = append(st.strs, '"')
		}
	case kEnum:
		sym, err := st.enum(name, t)
		if err != nil {
			return err
		}
		st.strs = appendJSONString(st.strs, sym)
	case kRecord:
		st.strs = append(st.strs, '{')
		for i, f := range t.fields {
			if i > 0 {
				st.strs = append(st.strs, ',')
			}
			st.strs = appendJSONString(st.strs, f.name)
			st.strs = append(st.strs, ':')
			if err := st.json(name, f.typ, depth+1); err != nil {
				return err
			}
		}
		st.strs = append(st.strs, '}')
	case kArray, kMap:
		open, end := byte('['), byte(']')
		least := t.items.min
		if t.kind == kMap {
			open, end = '{', '}'
			least++ // the key takes at least its length byte
		}
		st.strs = append(st.strs, open)
		first := true
		for {
			n, err := st.blockCount(name, least)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			for range n {
				if !first {
					st.strs = append(st.strs, ',')
				}
				first = false
				if t.kind == kMap {
					k, err := st.bytes(name)
					if err != nil {
						return err
					}
					st.strs = appendJSONString(st.strs, k)
					st.strs = append(st.strs, ':')
				}
				if err := st.json(name, t.items, depth+1); err != nil {
					return err
				}
			}
		}
		st.strs = append(st.strs, end)
	case kUnion:
		idx, err := st.long(name)
		if err != nil {
			return err
		}
		if idx < 0 || idx >= int64(len(t.branches)) {
			return st.failf(name, ErrInvalid, "union index %d of %d branches", idx, len(t.branches))
		}
		return st.json(name, t.branches[idx], depth+1)
	}
	return nil
}

// ---- primitives ----

func (st *state) long(field string) (int64, error) {
	d, p := st.data, st.pos
	if p < len(d) && d[p] < 0x80 { // one byte: the common case
		st.pos++
		v := uint64(d[p])
		return int64(v>>1) ^ -int64(v&1), nil
	}
	v, err := st.varint(field, "long", 10, 1)
	return int64(v>>1) ^ -int64(v&1), err
}

func (st *state) int(field string) (int32, error) {
	d, p := st.data, st.pos
	if p < len(d) && d[p] < 0x80 {
		st.pos++
		v := uint32(d[p])
		return int32(v>>1) ^ -int32(v&1), nil
	}
	v, err := st.varint(field, "int", 5, 0x0f)
	u := uint32(v)
	return int32(u>>1) ^ -int32(u&1), err
}

// varint reads a zig-zag varint of at most n bytes (10 for a long, 5 for an
// int), the last of which may hold at most lastMax: more would overflow.
// The value is returned still zig-zag encoded; on error it is 0.
func (st *state) varint(field, kind string, n int, lastMax byte) (uint64, error) {
	d, p := st.data, st.pos
	var v uint64
	var shift uint
	for i := range n {
		if p >= len(d) {
			st.pos = p
			return 0, st.fail(field, ErrTruncated)
		}
		b := d[p]
		p++
		if i == n-1 && b > lastMax {
			st.pos = p
			return 0, st.failf(field, ErrInvalid, "%s overflows %d bits", kind, 7*(n-1)+bits.Len8(lastMax))
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			st.pos = p
			return v, nil
		}
		shift += 7
	}
	st.pos = p
	return 0, st.failf(field, ErrInvalid, "%s longer than %d bytes", kind, n)
}

// integer reads an int or a long as the schema's kind says.
func (st *state) integer(k kind, field string) (int64, error) {
	if k == kInt {
		i, err := st.int(field)
		return int64(i), err
	}
	return st.long(field)
}

// binary reads a bytes or fixed value as the schema's type says.
func (st *state) binary(t *node, field string) ([]byte, error) {
	if t.kind == kBytes {
		return st.bytes(field)
	}
	return st.fixed(field, t.size)
}

func (st *state) bool(field string) (bool, error) {
	if st.pos >= len(st.data) {
		return false, st.fail(field, ErrTruncated)
	}
	b := st.data[st.pos]
	if b > 1 {
		return false, st.failf(field, ErrInvalid, "boolean byte %#x", b)
	}
	st.pos++
	return b == 1, nil
}

// floating reads a float (widened) or a double as the schema's kind says.
func (st *state) floating(k kind, field string) (float64, error) {
	if k == kFloat {
		f, err := st.float32(field)
		return widen(f), err
	}
	return st.float64(field)
}

func (st *state) float32(field string) (float32, error) {
	if len(st.data)-st.pos < 4 {
		return 0, st.fail(field, ErrTruncated)
	}
	d := st.data[st.pos : st.pos+4]
	st.pos += 4
	return math.Float32frombits(uint32(d[0]) | uint32(d[1])<<8 | uint32(d[2])<<16 | uint32(d[3])<<24), nil
}

func (st *state) float64(field string) (float64, error) {
	if len(st.data)-st.pos < 8 {
		return 0, st.fail(field, ErrTruncated)
	}
	d := st.data[st.pos : st.pos+8]
	st.pos += 8
	return math.Float64frombits(uint64(d[0]) | uint64(d[1])<<8 | uint64(d[2])<<16 | uint64(d[3])<<24 |
		uint64(d[4])<<32 | uint64(d[5])<<40 | uint64(d[6])<<48 | uint64(d[7])<<56), nil
}

// bytes reads a length-prefixed string or bytes value as a view into the
// payload; the length is checked against what is left, so nothing is
// allocated for a bogus length.
func (st *state) bytes(field string) ([]byte, error) {
	n, err := st.long(field)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, st.failf(field, ErrInvalid, "negative length %d", n)
	}
	if n > int64(len(st.data)-st.pos) {
		return nil, st.failf(field, ErrTruncated, "length %d, %d bytes left", n, len(st.data)-st.pos)
	}
	b := st.data[st.pos : st.pos+int(n)]
	st.pos += int(n)
	return b, nil
}

func (st *state) fixed(field string, size int) ([]byte, error) {
	if len(st.data)-st.pos < size {
		return nil, st.fail(field, ErrTruncated)
	}
	b := st.data[st.pos : st.pos+size]
	st.pos += size
	return b, nil
}

func (st *state) enum(field string, t *node) (string, error) {
	i, err := st.int(field)
	if err != nil {
		return "", err
	}
	if i < 0 || int(i) >= len(t.symbols) {
		return "", st.failf(field, ErrInvalid, "enum index %d of %d symbols", i, len(t.symbols))
	}
	return t.symbols[i], nil
}

// blockCount reads an array or map block header. Each item takes at least
// least payload bytes, so a count is checked against what is left; items that
// take none (nulls, empty records) draw on a budget proportional to the
// payload size instead.
func (st *state) blockCount(field string, least int) (int, error) {
	n, err := st.long(field)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, st.failf(field, ErrInvalid, "block count %d", n)
		}
		n = -n
		size, err := st.long(field) // the block's byte size; not needed
		if err != nil {
			return 0, err
		}
		if size < 0 {
			return 0, st.failf(field, ErrInvalid, "negative block size %d", size)
		}
	}
	if n == 0 {
		return 0, nil
	}
	left := int64(len(st.data) - st.pos)
	if least > 0 {
		if n > left/int64(least) {
			return 0, st.failf(field, ErrTruncated, "%d items, %d bytes left", n, left)
		}
	} else {
		if n > int64(st.budget) {
			return 0, st.failf(field, ErrInvalid, "%d items of no size exceed the payload's budget", n)
		}
		st.budget -= int(n)
	}
	return int(n), nil
}

// ---- values ----

// widen converts a float to the float64 with the same shortest decimal
// text (0.1f → 0.1, not 0.10000000149011612), like a JSON source would.
func widen(f float32) float64 {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return float64(f)
	}
	var buf [24]byte
	b := strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return float64(f)
	}
	return v
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalFloat converts an Avro decimal (big-endian two's complement
// unscaled value) to the nearest float64.
func decimalFloat(b []byte, scale int) float64 {
	if len(b) == 0 {
		return 0
	}
	if len(b) <= 8 && scale >= 0 && scale < len(pow10) {
		u := int64(int8(b[0])) // sign extension
		for _, c := range b[1:] {
			u = u<<8 | int64(c)
		}
		if u >= -(1<<53) && u <= 1<<53 {
			return float64(u) / pow10[scale] // both exact: correctly rounded
		}
	}
	return ratFloat(b, scale)
}

func ratFloat(b []byte, scale int) float64 {
	i := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		i.Sub(i, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	f, _ := new(big.Rat).SetFrac(i, den).Float64()
	return f
}

// REST renderings.
const (
	layoutDateTime = "2006-01-02T15:04:05.000-0700" // UTC renders as +0000
	layoutDate     = "2006-01-02"
	layoutTime     = "15:04:05.000Z"

	msPerDay = 24 * 60 * 60 * 1000
	// Days from the epoch to 9999-12-31 (and back to 0001-01-01): a value
	// inside is a plausible day count, anything larger epoch milliseconds.
	maxDays = 2932896
	minDays = -719162
	// Epoch milliseconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z:
	// the range REST can render.
	minMillis = -62135596800000
	maxMillis = 253402300799999
)

// appendConv renders v as conv says; ok is false when v is outside the
// renderable range (the caller then keeps the number).
func appendConv(dst []byte, c conv, v int64) ([]byte, bool) {
	switch c {
	case cDateTimeMillis:
		if v < minMillis || v > maxMillis {
			return dst, false
		}
		return time.UnixMilli(v).UTC().AppendFormat(dst, layoutDateTime), true
	case cDateTimeMicros:
		if v < minMillis*1000 || v > maxMillis*1000+999 {
			return dst, false
		}
		return time.UnixMicro(v).UTC().AppendFormat(dst, layoutDateTime), true
	case cDateDays:
		if v < minDays || v > maxDays {
			return dst, false
		}
		return time.Unix(v*86400, 0).UTC().AppendFormat(dst, layoutDate), true
	case cDateDoc:
		if v >= minDays && v <= maxDays {
			return time.Unix(v*86400, 0).UTC().AppendFormat(dst, layoutDate), true
		}
		if v < minMillis || v > maxMillis {
			return dst, false
		}
		return time.UnixMilli(v).UTC().AppendFormat(dst, layoutDate), true
	case cTimeMillis:
		if v < 0 || v >= msPerDay {
			return dst, false
		}
		return time.UnixMilli(v).UTC().AppendFormat(dst, layoutTime), true
	case cTimeMicros:
		if v < 0 || v >= msPerDay*1000 {
			return dst, false
		}
		return time.UnixMicro(v).UTC().AppendFormat(dst, layoutTime), true
	}
	return dst, false
}

func appendJSONNumberOrConv(dst []byte, c conv, v int64) []byte {
	if c != cNone {
		start := len(dst)
		dst = append(dst, '"')
		var ok bool
		if dst, ok = appendConv(dst, c, v); ok {
			return append(dst, '"')
		}
		dst = dst[:start]
	}
	return strconv.AppendInt(dst, v, 10)
}

// appendJSONFloat writes a JSON number; JSON has no NaN or infinities, so
// those become the strings "NaN", "+Inf", "-Inf".
func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendValidUTF8 copies b, each invalid byte becoming U+FFFD (as
// encoding/json and sobject.DecodeRecord do).
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		dst = utf8.AppendRune(dst, r)
		b = b[n:]
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 as U+FFFD, no HTML escaping.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
