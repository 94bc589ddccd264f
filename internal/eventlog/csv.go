package eventlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// DefaultMaxRowBytes caps one CSV row. A row is normally well under a
// kilobyte; an unterminated quote would otherwise swallow the rest of the
// file (and memory) into one "row".
const DefaultMaxRowBytes = 4 << 20

const (
	readChunk  = 64 << 10 // initial window and read size
	arenaChunk = 64 << 10 // field strings are carved out of chunks this big
)

// Reader splits an EventLogFile CSV body into rows as it arrives. It finds
// row boundaries itself (quoted fields may hold commas, doubled quotes and
// newlines), keeps each row's raw text for rows that do not parse, and
// holds only a window of the input: memory does not grow with file size.
//
// The field strings it returns are never overwritten, so they may be kept
// (pdata keeps them); they are carved out of shared chunks, which costs
// about one allocation per hundred rows instead of one or more per row.
type Reader struct {
	src    io.Reader
	maxRow int

	buf  []byte // window: buf[r:w] is unread input
	r, w int
	eof  bool  // src returned io.EOF
	err  error // src's first other error, sticky

	arena   []byte // free tail of the current chunk
	scratch []byte // parse target for skipped rows

	fields   []string
	raw      []byte
	parseErr error
	cut      bool // the input ended inside the current row
	started  bool // BOM checked
}

// NewReader reads CSV from src; maxRow <= 0 means DefaultMaxRowBytes.
func NewReader(src io.Reader, maxRow int) *Reader {
	r := &Reader{}
	r.Reset(src, maxRow)
	return r
}

// Reset reuses r (and its buffers) for another body.
func (r *Reader) Reset(src io.Reader, maxRow int) {
	if maxRow <= 0 {
		maxRow = DefaultMaxRowBytes
	}
	if r.buf == nil {
		r.buf = make([]byte, readChunk)
	}
	*r = Reader{src: src, maxRow: maxRow, buf: r.buf, arena: r.arena, scratch: r.scratch, fields: r.fields[:0]}
}

// Next advances to the next row. It returns false at the end of the input
// or on a read error (see Err). After true, either ParseError is nil and
// Fields holds the row, or ParseError says why the row (Raw) did not parse.
func (r *Reader) Next() bool { return r.next(true) }

// Skip advances like Next without materializing field strings, for rows
// that were delivered before; it counts and resynchronises exactly as Next.
func (r *Reader) Skip() bool { return r.next(false) }

// Fields are the current row's values. The slice is reused by the next
// call; the strings are not.
func (r *Reader) Fields() []string { return r.fields }

// Raw is the current row's text without its line ending, valid until the
// next call.
func (r *Reader) Raw() []byte { return r.raw }

// ParseError is why the current row could not be parsed, or nil.
func (r *Reader) ParseError() error { return r.parseErr }

// Unterminated reports whether the input ended inside the current row:
// the row had no line ending, or a quote it opened was still open at the
// end of input (the row is then reported as its first line, and the lines
// after it follow as rows of their own).
// When the body is known to be shorter than the file, such a row is a
// fragment of a cut download, not a row of the file.
func (r *Reader) Unterminated() bool { return r.cut }

// Err is the read error that ended the rows, nil at a clean end of input.
// Rows returned before it are complete; the row it interrupted is not
// returned, so a caller may resume after the last row it saw.
func (r *Reader) Err() error { return r.err }

// Parse errors; the row is still delivered raw.
var (
	ErrBareQuote    = errors.New(`bare " in unquoted field`)
	ErrQuote        = errors.New(`extraneous or missing " in quoted field`)
	ErrUnterminated = errors.New("unterminated quoted field")
	ErrRowTooLong   = errors.New("row too long")
)

const quoteByte, nlByte, commaByte, crByte = '"', '\n', ',', '\r'

var (
	quoteSep = []byte{quoteByte}
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
)

func (r *Reader) next(keep bool) bool {
	r.fields, r.raw, r.parseErr, r.cut = r.fields[:0], nil, nil, false
	for {
		// Skip blank lines between rows.
		if err := r.need(1); err != nil {
			return false
		}
		if !r.started {
			r.started = true
			if r.need(3) == nil && bytes.HasPrefix(r.buf[r.r:r.w], utf8BOM) {
				r.r += 3
			}
			continue
		}
		switch {
		case r.buf[r.r] == nlByte:
			r.r++
			continue
		case r.buf[r.r] == crByte && r.need(2) == nil && r.buf[r.r+1] == nlByte:
			r.r += 2
			continue
		}
		break
	}
	end, next, firstNL, bounded := r.findRow()
	if r.err != nil {
		return false
	}
	row := r.buf[r.r:end]
	switch {
	case !bounded && firstNL >= 0:
		// A quote left open ran to the end of input or past maxRow,
		// swallowing the lines after it: report the first line and read
		// on after it.
		row = trimCR(r.buf[r.r:firstNL])
		next = firstNL + 1
		r.parseErr = r.lineError(row)
	case !bounded && end-r.r >= r.maxRow:
		r.parseErr = fmt.Errorf("%w: one line longer than %d bytes, split", ErrRowTooLong, r.maxRow)
	case !bounded:
		r.parseErr = r.lineError(row)
	default:
		if err := r.parse(row, keep); err != nil {
			r.parseErr = err
			if i := bytes.IndexByte(row, nlByte); i >= 0 {
				// The row spans lines only through quotes, and those are
				// broken: resynchronise at the next line.
				next = r.r + i + 1
				row = trimCR(row[:i])
				r.parseErr = r.lineError(row)
			}
		}
	}
	if r.parseErr != nil {
		r.fields = r.fields[:0]
	}
	r.raw = row
	r.r = next
	return true
}

// lineError is why a line that cannot be a whole row fails to parse.
func (r *Reader) lineError(line []byte) error {
	if err := r.parse(line, false); err != nil {
		return err
	}
	return ErrUnterminated // unreachable with an odd quote count; be safe
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == crByte {
		return b[:n-1]
	}
	return b
}

// findRow finds the end of the row starting at r.r: the first newline with
// balanced quotes before it. It returns the row's end (line ending
// excluded), where the next row starts, the first newline inside the row
// (-1 if none seen), and bounded = false when the row hit maxRow or the end
// of input with a quote open. It sets r.cut when the end of input came
// before the row's line ending. Offsets are into r.buf, valid after refills.
func (r *Reader) findRow() (end, next, firstNL int, bounded bool) {
	scan, quotes := 0, 0 // relative to r.r, which refills may move
	firstNL = -1
	for {
		win := r.buf[r.r+scan : r.w]
		// A row may be maxRow bytes long, plus its newline.
		limit := max(0, min(len(win), r.maxRow+1-scan))
		i := bytes.IndexByte(win[:limit], nlByte)
		if i < 0 {
			quotes += bytes.Count(win[:limit], quoteSep)
			scan += limit
			if scan > r.maxRow {
				return r.r + r.maxRow, r.r + r.maxRow, relNL(r, firstNL), false
			}
			if r.fill() != nil {
				if r.err != nil {
					return 0, 0, -1, false
				}
				// Clean end of input: the last row has no line ending.
				r.cut = true
				return r.w, r.w, relNL(r, firstNL), quotes%2 == 0
			}
			continue
		}
		quotes += bytes.Count(win[:i], quoteSep)
		nl := scan + i
		if quotes%2 == 0 {
			return r.r + len(trimCR(r.buf[r.r:r.r+nl])), r.r + nl + 1, relNL(r, firstNL), true
		}
		if firstNL < 0 {
			firstNL = nl
		}
		scan = nl + 1
	}
}

func relNL(r *Reader, firstNL int) int {
	if firstNL < 0 {
		return -1
	}
	return r.r + firstNL
}

// need makes n unread bytes available if the input has them; it returns
// io.EOF (or the read error) when it cannot.
func (r *Reader) need(n int) error {
	for r.w-r.r < n {
		if err := r.fill(); err != nil {
			return err
		}
	}
	return nil
}

// fill reads more input after r.w, first moving the unread part to the
// front and growing the window if a row needs it.
func (r *Reader) fill() error {
	if r.err != nil {
		return r.err
	}
	if r.eof {
		return io.EOF
	}
	if r.r > 0 && r.w == len(r.buf) {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		grown := make([]byte, min(2*len(r.buf), r.maxRow+readChunk))
		if len(grown) <= len(r.buf) {
			grown = make([]byte, len(r.buf)+readChunk)
		}
		copy(grown, r.buf[:r.w])
		r.buf = grown
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err == io.EOF {
			r.eof = true
			if n > 0 {
				return nil
			}
			return io.EOF
		}
		if err != nil {
			r.err = err
			return err
		}
		if n > 0 {
			return nil
		}
	}
	r.err = io.ErrNoProgress
	return r.err
}

// parse splits one complete row (no line ending) into fields, strictly:
// a field is either unquoted without any quote in it, or quoted with
// inner quotes doubled. The row is copied once, quotes are undone in
// place, and the fields point into the copy.
func (r *Reader) parse(row []byte, keep bool) error {
	var b []byte
	if keep {
		b = r.alloc(len(row))
	} else {
		if cap(r.scratch) < len(row) {
			r.scratch = make([]byte, len(row))
		}
		b = r.scratch[:len(row)]
	}
	copy(b, row)
	add := func(f []byte) {
		if keep {
			r.fields = append(r.fields, bytesString(f))
		} else {
			r.fields = append(r.fields, "")
		}
	}
	i, n := 0, len(b)
	for {
		if i < n && b[i] == quoteByte {
			i++
			start, w := i, i
			for {
				j := bytes.IndexByte(b[i:], quoteByte)
				if j < 0 {
					return ErrUnterminated
				}
				w += copy(b[w:], b[i:i+j])
				i += j + 1
				if i < n && b[i] == quoteByte { // doubled quote
					b[w] = quoteByte
					w++
					i++
					continue
				}
				break
			}
			add(b[start:w])
			if i == n {
				return nil
			}
			if b[i] != commaByte {
				return fmt.Errorf("%w (field %d)", ErrQuote, len(r.fields))
			}
			i++
		} else {
			j := bytes.IndexByte(b[i:], commaByte)
			end := n
			if j >= 0 {
				end = i + j
			}
			if bytes.IndexByte(b[i:end], quoteByte) >= 0 {
				return fmt.Errorf("%w (field %d)", ErrBareQuote, len(r.fields)+1)
			}
			add(b[i:end])
			if j < 0 {
				return nil
			}
			i = end + 1
		}
		if i == n { // a trailing comma ends in an empty field
			add(nil)
			return nil
		}
	}
}

// alloc returns n fresh bytes that nothing else will ever write to.
func (r *Reader) alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, n)
	}
	if cap(r.arena)-len(r.arena) < n {
		r.arena = make([]byte, 0, arenaChunk)
	}
	b := r.arena[len(r.arena) : len(r.arena)+n]
	r.arena = r.arena[:len(r.arena)+n]
	return b
}

// bytesString views b as a string without copying. Sound here because
// arena bytes are written once, before the string is made, and never again.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) //nolint:gosec // G103: sound, as said above
}
