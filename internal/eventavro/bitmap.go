package eventavro

import (
	"errors"
	"fmt"
)

// DecodeBitmap expands a Change Data Capture bitmap field
// (ChangeEventHeader.changedFields, diffFields or nulledFields) into field
// names of s, the schema of the change event.
//
// Salesforce's format ("Event Deserialization Considerations" in the Pub/Sub
// API guide, and its ChangeEventHeaderUtility.py / EventParser.java
// samples): each element is a hex bitmap. "0x650004E0" is over the top-level
// fields of the schema: bit i, counted from the least significant bit of the
// whole number, stands for the field at position i (position 0 is
// ChangeEventHeader itself). "<pos>-0x…" is over the sub-fields of the
// compound field at top-level position pos (BillingAddress → Street, City,
// ...), giving "BillingAddress.City"; when it covers every sub-field, the
// compound's own name is given instead, as Salesforce's Java sample does.
// Names come in bitmap order, each once.
//
// A bit beyond the schema's fields, a position that is not a compound field
// or a malformed element is an error: the bitmap belongs to another schema.
func DecodeBitmap(s *Schema, bitmaps []string) ([]string, error) {
	if s == nil {
		return nil, errors.New("eventavro: nil schema")
	}
	names, err := expand(s.top, s.topNames, bitmaps, nil)
	if err != nil {
		return nil, fmt.Errorf("eventavro: %w", err)
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// expand appends the names bitmaps stand for to out.
func expand[T string | []byte](top []topField, topNames []string, bitmaps []T, out []string) ([]string, error) {
	for _, bm := range bitmaps {
		dedupe := len(out) > 0 // one bitmap names each field once
		if isHexPrefix(bm) {
			var err error
			if out, err = appendBits(out, bm, topNames, dedupe); err != nil {
				return out, err
			}
			continue
		}
		dash := -1
		for i := 0; i < len(bm); i++ {
			if bm[i] == '-' {
				dash = i
				break
			}
		}
		if dash <= 0 || !isHexPrefix(bm[dash+1:]) {
			return out, fmt.Errorf("bitmap %q is neither 0x… nor <position>-0x…", bm)
		}
		pos, ok := atoi(bm[:dash])
		if !ok || pos >= len(top) {
			return out, fmt.Errorf("bitmap %q: no top-level field at position %q (the schema has %d)", bm, bm[:dash], len(top))
		}
		f := &top[pos]
		if f.children == nil {
			return out, fmt.Errorf("bitmap %q: field %s at position %d is not a compound field", bm, f.name, pos)
		}
		before := len(out)
		var err error
		if out, err = appendBits(out, bm[dash+1:], f.children, dedupe); err != nil {
			return out, err
		}
		if n := len(out) - before; n > 0 && n == len(f.children) && !has(out[:before], f.name) {
			// Every sub-field: name the compound field itself.
			clear(out[before+1:])
			out = append(out[:before], f.name)
		}
	}
	return out, nil
}

func isHexPrefix[T string | []byte](s T) bool {
	return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

// appendBits appends names[i] for every set bit i of the hex number hex
// ("0x…"), lowest bit first; a set bit beyond names is an error.
func appendBits[T string | []byte](out []string, hex T, names []string, dedupe bool) ([]string, error) {
	n := len(names)
	digits := hex[2:]
	for k := 0; k < len(digits); k++ {
		c := digits[len(digits)-1-k] // least significant digit first
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return out, fmt.Errorf("bitmap %q: %q is not a hex digit", hex, c)
		}
		for bit := 0; bit < 4; bit++ {
			if v&(1<<bit) == 0 {
				continue
			}
			i := 4*k + bit
			if i >= n {
				return out, fmt.Errorf("bitmap %q: bit %d set, but there are only %d fields", hex, i, n)
			}
			if nm := names[i]; !dedupe || !has(out, nm) {
				out = append(out, nm)
			}
		}
	}
	return out, nil
}

func has(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func atoi[T string | []byte](s T) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
