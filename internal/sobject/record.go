package sobject

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds object/array nesting so hostile input cannot blow the stack.
// Real SOQL relationship chains are at most 5 levels deep.
const maxDepth = 32

// maxInterned bounds the field-name intern table of a reused Record; a stream
// with unbounded distinct names would otherwise grow it forever.
const maxInterned = 4096

// Record is one decoded SOQL record: its fields flattened in source order
// (relationship objects joined with a dot, e.g. CreatedBy.Username), the
// "attributes" metadata dropped and nulls left out. Values are string, int64
// (JSON integers that fit), float64 (other numbers) or bool; arrays are kept
// as their raw JSON text.
type Record struct {
	Fields []Field
	// Err and Raw: a record of a Page that did not decode, and its JSON text.
	Err error
	Raw string

	// Scratch reused across DecodeRecord calls on the same Record.
	names   map[string]string // interned field names: one string per distinct name, not per record
	path    []byte            // current flattened-name prefix
	strs    []byte            // unescaped string values of the record being decoded
	pending []pendingStr      // fields whose string value lives in strs
}

// Field is one flattened field of a Record.
type Field struct {
	Name  string
	Value any
}

type pendingStr struct {
	field      int
	start, end int
}

// Get returns the value of the first field called name.
func (r *Record) Get(name string) (any, bool) {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return r.Fields[i].Value, true
		}
	}
	return nil, false
}

// String returns the field as a string: strings as-is, numbers and booleans
// formatted, "" when absent.
func (r *Record) String(name string) string {
	v, ok := r.Get(name)
	if !ok {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return ""
	default:
		return fmt.Sprint(t)
	}
}

// DecodeRecord decodes one JSON object (a SOQL record) into dst, reusing
// dst's slices. It is a hand-rolled walk rather than encoding/json because a
// generic decode allocates a map, every key and every value per record.
// On error dst.Fields is left empty.
func DecodeRecord(raw []byte, dst *Record) error {
	d := decoder{data: raw, rec: dst}
	dst.Fields = dst.Fields[:0]
	dst.path = dst.path[:0]
	dst.strs = dst.strs[:0]
	dst.pending = dst.pending[:0]
	if dst.names == nil || len(dst.names) > maxInterned {
		dst.names = make(map[string]string, 64)
	}

	d.skipWS()
	if d.pos >= len(d.data) {
		return errors.New("decode record: empty input")
	}
	if d.data[d.pos] != '{' {
		dst.Fields = dst.Fields[:0]
		return fmt.Errorf("decode record: expected a JSON object, found %q at offset %d", d.data[d.pos], d.pos)
	}
	if err := d.object(1); err != nil {
		clear(dst.Fields)
		dst.Fields = dst.Fields[:0]
		return fmt.Errorf("decode record: %w", err)
	}
	d.skipWS()
	if d.pos != len(d.data) {
		clear(dst.Fields)
		dst.Fields = dst.Fields[:0]
		return fmt.Errorf("decode record: unexpected data after the object at offset %d", d.pos)
	}
	// One allocation for all of the record's string values.
	dst.finish()
	return nil
}

type decoder struct {
	data []byte
	pos  int
	rec  *Record
}

func (d *decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{d.pos}, args...)...)
}

func (d *decoder) unexpected() error {
	if d.pos >= len(d.data) {
		return d.errorf("unexpected end of input")
	}
	return d.errorf("unexpected character %q", d.data[d.pos])
}

// object decodes the object at d.pos, emitting its leaves under the current
// path prefix.
func (d *decoder) object(depth int) error {
	if depth > maxDepth {
		return d.errorf("nesting deeper than %d levels", maxDepth)
	}
	d.pos++ // '{'
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return nil
	}
	r := d.rec
	base := len(r.path)
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return d.unexpected()
		}
		var err error
		// Keys are unescaped straight onto the path prefix.
		r.path, err = d.str(r.path)
		if err != nil {
			return err
		}
		if err := d.colon(); err != nil {
			return err
		}
		if d.pos >= len(d.data) {
			return d.unexpected()
		}
		if string(r.path[base:]) == "attributes" {
			// Salesforce's type/url metadata, not record data.
			if err := d.skip(depth); err != nil {
				return err
			}
		} else if err := d.value(depth); err != nil {
			return err
		}
		r.path = r.path[:base]
		if more, err := d.more('}'); err != nil || !more {
			return err
		}
	}
}

// colon steps over the ':' after a key and the blanks around it.
func (d *decoder) colon() error {
	d.skipWS()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return d.unexpected()
	}
	d.pos++
	d.skipWS()
	return nil
}

// more steps over what follows a member or element: a ',' (more is
// true) or the closing end byte.
func (d *decoder) more(end byte) (bool, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return false, d.unexpected()
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		d.skipWS()
		return true, nil
	case end:
		d.pos++
		return false, nil
	}
	return false, d.unexpected()
}

// name interns the current path as a field name.
func (d *decoder) name() string {
	r := d.rec
	if s, ok := r.names[string(r.path)]; ok { // no allocation for the lookup
		return s
	}
	s := string(r.path)
	r.names[s] = s
	return s
}

func (d *decoder) value(depth int) error {
	r := d.rec
	switch c := d.data[d.pos]; {
	case c == '{':
		r.path = append(r.path, '.')
		return d.object(depth + 1)
	case c == '"':
		start := len(r.strs)
		var err error
		if r.strs, err = d.str(r.strs); err != nil {
			return err
		}
		r.pending = append(r.pending, pendingStr{field: len(r.Fields), start: start, end: len(r.strs)})
		r.Fields = append(r.Fields, Field{Name: d.name()})
	case c == 't':
		if err := d.literal("true"); err != nil {
			return err
		}
		r.Fields = append(r.Fields, Field{Name: d.name(), Value: true})
	case c == 'f':
		if err := d.literal("false"); err != nil {
			return err
		}
		r.Fields = append(r.Fields, Field{Name: d.name(), Value: false})
	case c == 'n':
		return d.literal("null") // nulls are left out
	case c == '-' || (c >= '0' && c <= '9'):
		v, err := d.number()
		if err != nil {
			return err
		}
		r.Fields = append(r.Fields, Field{Name: d.name(), Value: v})
	case c == '[':
		// Arrays have no flat form; keep their JSON text so nothing is lost.
		start := d.pos
		if err := d.skip(depth); err != nil {
			return err
		}
		s := len(r.strs)
		r.strs = append(r.strs, d.data[start:d.pos]...)
		if !utf8.Valid(r.strs[s:]) {
			r.strs = appendValidUTF8(r.strs[:s], d.data[start:d.pos])
		}
		r.pending = append(r.pending, pendingStr{field: len(r.Fields), start: s, end: len(r.strs)})
		r.Fields = append(r.Fields, Field{Name: d.name()})
	default:
		return d.unexpected()
	}
	return nil
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.errorf("invalid literal, expected %s", lit)
	}
	d.pos += len(lit)
	return nil
}

// skipDigits returns the index of the first non-digit of b at or after p.
func skipDigits(b []byte, p int) int {
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		p++
	}
	return p
}

// number scans a JSON number: int64 when it is an integer that fits, else
// float64; a number beyond float64 range is kept as its text.
func (d *decoder) number() (any, error) {
	start := d.pos
	p := d.pos
	if p < len(d.data) && d.data[p] == '-' {
		p++
	}
	intStart := p
	p = skipDigits(d.data, p)
	if p == intStart || (d.data[intStart] == '0' && p-intStart > 1) {
		d.pos = start
		return nil, d.errorf("invalid number")
	}
	isInt := true
	if p < len(d.data) && d.data[p] == '.' {
		isInt = false
		fs := p + 1
		if p = skipDigits(d.data, fs); p == fs {
			d.pos = p
			return nil, d.errorf("invalid number: no digits after the decimal point")
		}
	}
	if p < len(d.data) && (d.data[p] == 'e' || d.data[p] == 'E') {
		isInt = false
		p++
		if p < len(d.data) && (d.data[p] == '+' || d.data[p] == '-') {
			p++
		}
		es := p
		if p = skipDigits(d.data, es); p == es {
			d.pos = p
			return nil, d.errorf("invalid number: no digits in the exponent")
		}
	}
	d.pos = p
	text := d.data[start:p]
	if isInt {
		if v, ok := ParseInt(text); ok {
			return v, nil
		}
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsInf(f, 0) {
		return string(text), nil
	}
	return f, nil
}

// ParseInt parses an optionally signed decimal integer without allocating;
// ok is false on syntax errors and overflow.
func ParseInt[T string | []byte](s T) (int64, bool) {
	neg := false
	i := 0
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		i = 1
	}
	if i == len(s) || len(s)-i > 19 {
		return 0, false
	}
	var u uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // at most 19 digits: cannot wrap uint64
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// str unescapes the JSON string at d.pos onto dst; invalid UTF-8 becomes
// U+FFFD like encoding/json does, so pdata never carries invalid strings.
func (d *decoder) str(dst []byte) ([]byte, error) {
	d.pos++ // opening quote
	for {
		// Fast path: copy a run of plain bytes in one go.
		start := d.pos
		ascii := true
		for d.pos < len(d.data) {
			c := d.data[d.pos]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= utf8.RuneSelf {
				ascii = false
			}
			d.pos++
		}
		run := d.data[start:d.pos]
		if ascii || utf8.Valid(run) {
			dst = append(dst, run...)
		} else {
			dst = appendValidUTF8(dst, run)
		}
		if d.pos >= len(d.data) {
			return dst, d.errorf("unterminated string")
		}
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return dst, nil
		case c < 0x20:
			return dst, d.errorf("control character in string")
		}
		// Escape sequence.
		if d.pos+1 >= len(d.data) {
			return dst, d.errorf("unterminated string")
		}
		e := d.data[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return dst, d.errorf(`invalid \u escape`)
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					lo, ok := d.hex4()
					if !ok {
						return dst, d.errorf(`invalid \u escape`)
					}
					if r2 = utf16.DecodeRune(r, lo); r2 == utf8.RuneError {
						d.pos = save // lone high surrogate: re-read the next escape on its own
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, d.errorf("invalid escape \\%c", e)
		}
	}
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

func appendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		dst = utf8.AppendRune(dst, r) // RuneError for invalid bytes
		b = b[n:]
	}
	return dst
}

// skip validates and steps over one value without emitting fields.
func (d *decoder) skip(depth int) error {
	if d.pos >= len(d.data) {
		return d.unexpected()
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		if depth+1 > maxDepth {
			return d.errorf("nesting deeper than %d levels", maxDepth)
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.pos++
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == end {
			d.pos++
			return nil
		}
		for {
			if c == '{' {
				if d.pos >= len(d.data) || d.data[d.pos] != '"' {
					return d.unexpected()
				}
				if err := d.skip(depth + 1); err != nil {
					return err
				}
				if err := d.colon(); err != nil {
					return err
				}
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if more, err := d.more(end); err != nil || !more {
				return err
			}
		}
	case c == '"':
		return d.skipStr()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := d.number()
		return err
	default:
		return d.unexpected()
	}
}

// skipStr steps over a string, checking its escapes, without copying it.
func (d *decoder) skipStr() error {
	d.pos++ // opening quote
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return nil
		case c < 0x20:
			return d.errorf("control character in string")
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return d.errorf("unterminated string")
			}
			switch d.data[d.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.pos += 2
			case 'u':
				d.pos += 2
				if _, ok := d.hex4(); !ok {
					return d.errorf(`invalid \u escape`)
				}
			default:
				return d.errorf("invalid escape \\%c", d.data[d.pos+1])
			}
		default:
			d.pos++
		}
	}
	return d.errorf("unterminated string")
}
