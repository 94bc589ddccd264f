package eventlog

import (
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

type fuzzRow struct {
	fields []string
	raw    string
	err    string
	cut    bool // Unterminated
}

// readRows reads every row of src (Next, or Skip when skip is set).
func readRows(src io.Reader, maxRow int, skip bool) ([]fuzzRow, error) {
	rd := NewReader(src, maxRow)
	var out []fuzzRow
	for {
		var more bool
		if skip {
			more = rd.Skip()
		} else {
			more = rd.Next()
		}
		if !more {
			return out, rd.Err()
		}
		r := fuzzRow{raw: string(rd.Raw()), cut: rd.Unterminated()}
		if rd.ParseError() != nil {
			r.err = rd.ParseError().Error()
		} else if !skip {
			r.fields = slices.Clone(rd.Fields())
		}
		out = append(out, r)
	}
}

// FuzzReaderChunking: however the body arrives (a byte at a time, in
// halves, with the last read carrying EOF), the rows, their raw text and
// their parse errors and whether the input ended inside them are the
// same; Skip counts rows exactly like Next;
// no row is longer than maxRow; an error never comes without a row's raw
// text; and the reader always finishes.
func FuzzReaderChunking(f *testing.F) {
	for _, s := range []string{
		"\"EVENT_TYPE\",\"TIMESTAMP\"\n\"Login\",\"20240501123456.789\"\n",
		"a,b\r\n\"c\r\nd\",\"e\"\"f\"\r\n\r\n\n",
		"\xef\xbb\xbf\"a\",\"b\"\n",
		"\"open\nx,\"y\nz\n",
		"a\"b,c\n\"d\"e,f\n,,\n",
		"\"unterminated",
		strings.Repeat("x", 300) + "\n\"" + strings.Repeat("y", 300) + "\"\n",
	} {
		f.Add(s, 0)
		f.Add(s, 17)
	}
	f.Fuzz(func(t *testing.T, in string, maxRow int) {
		maxRow = 4 + max(0, maxRow)%256
		whole, err := readRows(strings.NewReader(in), maxRow, false)
		if err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		for i, r := range whole {
			if len(r.raw) > maxRow {
				t.Fatalf("row %d: %d bytes, over maxRow %d", i, len(r.raw), maxRow)
			}
			if r.err == "" && len(r.fields) == 0 {
				t.Fatalf("row %d parsed with no fields", i)
			}
			if r.err != "" && r.fields != nil && len(r.fields) > 0 {
				t.Fatalf("row %d has both fields and an error", i)
			}
		}
		for name, src := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(strings.NewReader(in)),
			"halves":   iotest.HalfReader(strings.NewReader(in)),
			"data+EOF": iotest.DataErrReader(strings.NewReader(in)),
		} {
			got, err := readRows(src, maxRow, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.EqualFunc(got, whole, sameRow) {
				t.Fatalf("%s: rows differ:\n got %#v\nwant %#v", name, got, whole)
			}
		}
		skipped, err := readRows(iotest.OneByteReader(strings.NewReader(in)), maxRow, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(skipped) != len(whole) {
			t.Fatalf("Skip saw %d rows, Next %d", len(skipped), len(whole))
		}
		for i := range skipped {
			if skipped[i].raw != whole[i].raw || skipped[i].err != whole[i].err || skipped[i].cut != whole[i].cut {
				t.Fatalf("row %d: Skip %#v, Next %#v", i, skipped[i], whole[i])
			}
		}
	})
}

func sameRow(a, b fuzzRow) bool {
	return a.raw == b.raw && a.err == b.err && a.cut == b.cut && slices.Equal(a.fields, b.fields)
}

// FuzzReaderRoundTrip: rows written as CSV (quoted where needed, or
// always) read back as the same fields, wherever the reads split them.
func FuzzReaderRoundTrip(f *testing.F) {
	f.Add("a\x00b\x01c\x00d", false)
	f.Add("x,y\x00\"q\"\x00line\nbreak\x01\r\n\x00tail\r", true)
	f.Add("\x01\x01\x00\x00", false)
	f.Fuzz(func(t *testing.T, spec string, quoteAll bool) {
		var rows [][]string
		for line := range strings.SplitSeq(spec, "\x01") {
			// A fixed first column keeps rows from being blank lines.
			rows = append(rows, append([]string{"k"}, strings.Split(line, "\x00")...))
		}
		var b strings.Builder
		for _, r := range rows {
			for i, v := range r {
				if i > 0 {
					b.WriteByte(',')
				}
				if quoteAll || v == "" || strings.ContainsAny(v, ",\"\r\n") {
					b.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
				} else {
					b.WriteString(v)
				}
			}
			b.WriteString("\n")
		}
		got, err := readRows(iotest.HalfReader(strings.NewReader(b.String())), 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Fatalf("%d rows read back, %d written: %#v", len(got), len(rows), got)
		}
		for i := range rows {
			if got[i].err != "" {
				t.Fatalf("row %d: %s: %q", i, got[i].err, got[i].raw)
			}
			if !slices.Equal(got[i].fields, rows[i]) {
				t.Fatalf("row %d: got %q, wrote %q", i, got[i].fields, rows[i])
			}
		}
	})
}
