package convert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// ErrColumnCount is returned by AppendCSV for a row whose width does not
// match the header; the caller should deliver it with AppendRaw.
var ErrColumnCount = errors.New("row has a different number of columns than the header")

type colKind uint8

const (
	kindString colKind = iota
	kindNumber
	kindBool
)

type csvCol struct {
	name  string
	kind  colKind
	roles []roleRef // the slots the column feeds
}

// CSVHeader describes the columns of one EventLogFile, built once per file so
// per-row work is only typing the cells: the names are reused as map keys and
// each column's attribute role is resolved up front.
type CSVHeader struct {
	cols      []csvCol
	index     map[string]int
	tsDerived int  // column of TIMESTAMP_DERIVED, -1 if none
	ts        int  // column of TIMESTAMP, -1 if none
	distinct  bool // no name repeats: a row's cells can be appended without a key scan
}

// CSVHeader builds a header from the CSV's column names and the file's
// LogFileFieldTypes ("Number", "Boolean", "Id", "String", "EscapedString",
// "DateTime", ...), with m's roles. Missing or unknown types are treated as
// String.
func (m *Mapping) CSVHeader(names []string, types []string) *CSVHeader {
	roles := m.Roles()
	h := &CSVHeader{
		cols:      make([]csvCol, len(names)),
		index:     make(map[string]int, len(names)),
		tsDerived: -1,
		ts:        -1,
	}
	for i, name := range names {
		name = strings.Clone(name) // don't pin the reader's line buffer
		c := csvCol{name: name}
		if i < len(types) {
			switch t := strings.TrimSpace(types[i]); {
			case strings.EqualFold(t, "Number"), strings.EqualFold(t, "Double"):
				c.kind = kindNumber
			case strings.EqualFold(t, "Boolean"):
				c.kind = kindBool
			}
		}
		c.roles = roles.lookup(name)
		h.cols[i] = c
		if _, dup := h.index[name]; !dup {
			h.index[name] = i
		}
		h.distinct = len(h.index) == i+1
		switch name {
		case "TIMESTAMP_DERIVED":
			h.tsDerived = i
		case "TIMESTAMP":
			h.ts = i
		}
	}
	return h
}

// Len is the number of columns.
func (h *CSVHeader) Len() int { return len(h.cols) }

// AppendCSV adds one EventLogFile row; o.Key is its uid key (e.g.
// "<fileId>/<rowNumber>"). A row whose width does not match the header
// appends nothing and returns ErrColumnCount. The row's strings are kept,
// not copied.
func (m *Mapping) AppendCSV(b *Batch, h *CSVHeader, row []string, o Origin) (Appended, error) {
	if len(row) != len(h.cols) {
		return Appended{}, fmt.Errorf("%w: %d, header has %d", ErrColumnCount, len(row), len(h.cols))
	}
	lr := b.records.AppendEmpty()
	body := lr.Body().SetEmptyMap()
	n := 0
	for _, v := range row {
		if v != "" {
			n++
		}
	}
	w := b.newKVWriter(body, n, h.distinct)

	var p picks
	for i, v := range row {
		if v == "" {
			continue
		}
		c := &h.cols[i]
		switch c.kind {
		case kindNumber:
			putNumber(&w, c.name, v)
		case kindBool:
			switch {
			case v == "1" || strings.EqualFold(v, "true"):
				w.bool(c.name, true)
			case v == "0" || strings.EqualFold(v, "false"):
				w.bool(c.name, false)
			default:
				w.str(c.name, v)
			}
		default:
			w.str(c.name, v)
		}
		if c.roles != nil {
			p.offerAll(c.roles, v)
		}
	}

	w.done()

	ts, tsErr := m.rowTime(h, row)
	return m.finish(b, lr, &p, o, ts, tsErr), nil
}

// putNumber types a Number cell: Int if integral, else Double, else the text.
func putNumber(w *kvWriter, k, v string) {
	if i, ok := sobject.ParseInt(v); ok {
		w.int(k, i)
		return
	}
	// Pre-check the syntax: a failed ParseFloat allocates its error.
	if looksFloat(v) {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			w.double(k, f)
			return
		}
	}
	w.str(k, v)
}

// looksFloat reports whether s is a plain decimal float ([+-]d[.d][e[+-]d]),
// excluding Inf/NaN/hex forms that ParseFloat would also take.
func looksFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digitsSeen := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digitsSeen = true
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digitsSeen = true
		}
	}
	if !digitsSeen {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == es {
			return false
		}
	}
	return i == len(s)
}

// rowTime finds the event time of a CSV row.
func (m *Mapping) rowTime(h *CSVHeader, row []string) (time.Time, string) {
	var cols [3]int
	cands := cols[:0]
	if f := m.TimestampField; f != "" && f != "TIMESTAMP_DERIVED" && f != "TIMESTAMP" {
		if i, ok := h.index[f]; ok {
			cands = append(cands, i)
		}
	}
	// ELF rows always fall back to the standard columns, whatever the mapping.
	if h.tsDerived >= 0 {
		cands = append(cands, h.tsDerived)
	}
	if h.ts >= 0 {
		cands = append(cands, h.ts)
	}
	if m.TimestampField == "TIMESTAMP" && len(cands) == 2 {
		cands[0], cands[1] = cands[1], cands[0]
	}
	bad := -1
	for _, i := range cands {
		if row[i] == "" {
			continue
		}
		if t, ok := parseAny(row[i]); ok {
			return t, ""
		}
		if bad < 0 {
			bad = i
		}
	}
	if bad >= 0 {
		return time.Time{}, timeError(nil, h.cols[bad].name, row[bad])
	}
	var fields [3]string
	names := m.timeFields(fields[:0])
	if len(names) == 0 {
		names = []string{"TIMESTAMP_DERIVED", "TIMESTAMP"}
	}
	return time.Time{}, timeError(names, "", "")
}
