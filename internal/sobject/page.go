package sobject

import (
	"errors"
	"fmt"
)

// Page is one SOQL query result page, as Salesforce returns it.
type Page struct {
	TotalSize      int
	Done           bool
	NextRecordsURL string
	// Records in the order Salesforce sent them. A record that does not
	// decode has Err set, no Fields, and its JSON text in Raw, so it can
	// still be delivered.
	Records []Record
}

// fieldChunk is how many fields the page's records share an allocation for.
const fieldChunk = 4096

// DecodePage decodes a query response body in one pass: the paging fields,
// and every record straight into its Record (no intermediate raw JSON per
// record). Only a body that is not a JSON object is an error.
func DecodePage(body []byte, p *Page) error {
	*p = Page{}
	d := decoder{data: body}
	var (
		work  = Record{names: make(map[string]string, 64)} // scratch of the record being decoded
		key   []byte
		arena []Field
	)
	d.skipWS()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return fmt.Errorf("decode page: expected a JSON object")
	}
	d.pos++
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.end()
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return fmt.Errorf("decode page: %w", d.unexpected())
		}
		var err error
		if key, err = d.str(key[:0]); err != nil {
			return fmt.Errorf("decode page: %w", err)
		}
		if err := d.colon(); err != nil {
			return fmt.Errorf("decode page: %w", err)
		}
		switch string(key) {
		case "totalSize":
			v, err := d.number()
			if err != nil {
				return fmt.Errorf("decode page: totalSize: %w", err)
			}
			if n, ok := v.(int64); ok {
				p.TotalSize = int(n)
			}
		case "done":
			switch {
			case d.literal("true") == nil:
				p.Done = true
			case d.literal("false") == nil:
			default:
				return fmt.Errorf("decode page: done: %w", d.unexpected())
			}
		case "nextRecordsUrl":
			if d.pos < len(d.data) && d.data[d.pos] == 'n' {
				err = d.literal("null")
			} else {
				var b []byte
				b, err = d.str(nil)
				p.NextRecordsURL = string(b)
			}
			if err != nil {
				return fmt.Errorf("decode page: nextRecordsUrl: %w", err)
			}
		case "records":
			p.Records = p.Records[:0] // a repeated key: the last one counts
			if arena, err = d.records(p, &work, arena); err != nil {
				return fmt.Errorf("decode page: records: %w", err)
			}
		default:
			if err := d.skip(1); err != nil {
				return fmt.Errorf("decode page: %w", err)
			}
		}
		more, err := d.more('}')
		if err != nil {
			return fmt.Errorf("decode page: %w", err)
		}
		if !more {
			return d.end()
		}
	}
}

func (d *decoder) end() error {
	d.skipWS()
	if d.pos != len(d.data) {
		return fmt.Errorf("decode page: unexpected data after the object at offset %d", d.pos)
	}
	return nil
}

// records decodes the records array, each record through the scratch work
// and then into p with its fields carved out of arena.
func (d *decoder) records(p *Page, work *Record, arena []Field) ([]Field, error) {
	if d.pos < len(d.data) && d.data[d.pos] == 'n' {
		return arena, d.literal("null")
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '[' {
		return arena, d.unexpected()
	}
	d.pos++
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arena, nil
	}
	for {
		start := d.pos
		var rec Record
		if err := d.record(work); err != nil {
			// Not a record we can decode: find where it ends and keep its text.
			end, serr := valueEnd(d.data, start)
			if serr != nil {
				return arena, serr
			}
			d.pos = end
			rec.Err, rec.Raw = fmt.Errorf("decode record: %w", err), string(d.data[start:end])
		} else {
			if cap(arena)-len(arena) < len(work.Fields) {
				arena = make([]Field, 0, max(fieldChunk, len(work.Fields)))
			}
			n := len(arena)
			arena = append(arena, work.Fields...)
			rec.Fields = arena[n:len(arena):len(arena)]
		}
		p.Records = append(p.Records, rec)
		if more, err := d.more(']'); err != nil || !more {
			return arena, err
		}
	}
}

// record decodes the object at d.pos into r, reusing r's scratch.
func (d *decoder) record(r *Record) error {
	r.Fields, r.path, r.strs, r.pending = r.Fields[:0], r.path[:0], r.strs[:0], r.pending[:0]
	if len(r.names) > maxInterned {
		r.names = make(map[string]string, 64)
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return errNotObject
	}
	d.rec = r
	if err := d.object(1); err != nil {
		return err
	}
	r.finish()
	return nil
}

var errNotObject = errors.New("not a JSON object")

// finish points the string fields at one allocation holding all of them.
func (r *Record) finish() {
	if len(r.pending) == 0 {
		return
	}
	all := string(r.strs)
	for _, p := range r.pending {
		r.Fields[p.field].Value = all[p.start:p.end]
	}
}

// valueEnd finds the end of the JSON value at pos without a depth limit
// (a record nested too deep to decode is still delivered as text).
func valueEnd(data []byte, pos int) (int, error) {
	depth := 0
	for i := pos; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if i >= len(data) {
				return 0, errors.New("unterminated string")
			}
			if depth == 0 {
				return i + 1, nil
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // a scalar's end
				return i, nil
			}
			if depth--; depth == 0 {
				return i + 1, nil
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 && i > pos {
				return i, nil
			}
		}
	}
	if depth == 0 && len(data) > pos {
		return len(data), nil
	}
	return 0, errors.New("unexpected end of input")
}
