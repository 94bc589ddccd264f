package eventlog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// row is what a test expects of one Reader row: fields, or raw text and
// the parse error it must carry.
type row struct {
	fields []string
	raw    string
	err    error
}

func ok(fields ...string) row       { return row{fields: fields} }
func bad(raw string, err error) row { return row{raw: raw, err: err} }

// readAll reads every row, through a reader that returns a byte at a time
// when oneByte is set so every refill path is exercised.
func readAll(t *testing.T, in string, maxRow int, oneByte bool) ([]row, error) {
	t.Helper()
	var src io.Reader = strings.NewReader(in)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	rd := NewReader(src, maxRow)
	var out []row
	for rd.Next() {
		if rd.ParseError() != nil {
			out = append(out, row{raw: string(rd.Raw()), err: rd.ParseError()})
			continue
		}
		out = append(out, row{fields: append([]string(nil), rd.Fields()...)})
	}
	return out, rd.Err()
}

func TestReaderRows(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		maxRow int
		want   []row
	}{
		{"quoted", "\"a\",\"b\"\n\"c\",\"d\"\n", 0, []row{ok("a", "b"), ok("c", "d")}},
		{"no final newline", "\"a\",\"b\"\n\"c\",\"d\"", 0, []row{ok("a", "b"), ok("c", "d")}},
		{"crlf", "\"a\",\"b\"\r\n\"c\",\"d\"\r\n", 0, []row{ok("a", "b"), ok("c", "d")}},
		{"unquoted and empty", "a,,\"\"\n1,2,3\n", 0, []row{ok("a", "", ""), ok("1", "2", "3")}},
		{"trailing comma", "\"a\",\n", 0, []row{ok("a", "")}},
		{"comma in quotes", "\"Acme, Inc.\",\"x\"\n", 0, []row{ok("Acme, Inc.", "x")}},
		{"doubled quotes", "\"say \"\"hi\"\"\",\"\"\"\"\n", 0, []row{ok(`say "hi"`, `"`)}},
		{"newline in quotes", "\"line1\nline2\",\"b\"\n\"c\",\"d\"\n", 0, []row{ok("line1\nline2", "b"), ok("c", "d")}},
		{"crlf in quotes kept", "\"l1\r\nl2\",\"b\"\r\n", 0, []row{ok("l1\r\nl2", "b")}},
		{"non-ascii", "\"Zoë\",\"山田太郎 ✓\"\n", 0, []row{ok("Zoë", "山田太郎 ✓")}},
		{"blank lines skipped", "\n\"a\"\n\r\n\n\"b\"\n\n", 0, []row{ok("a"), ok("b")}},
		{"bom", "\xEF\xBB\xBF\"a\",\"b\"\n", 0, []row{ok("a", "b")}},
		{"bare quote", "ab\"c,\"d\"\n\"e\"\n", 0, []row{bad("ab\"c,\"d\"", ErrBareQuote), ok("e")}},
		{"text after closing quote", "\"a\",\"broken \"quote\",\"c\"\n\"next\"\n", 0,
			[]row{bad("\"a\",\"broken \"quote\",\"c\"", ErrQuote), ok("next")}},
		{"unterminated at end", "\"a\"\n\"b\",\"open", 0, []row{ok("a"), bad("\"b\",\"open", ErrUnterminated)}},
		{"unterminated swallowing lines resyncs", "\"a\",\"open\n\"b\",\"c\"\n\"d\"\n", 0,
			// The open quote runs to the end of input: the broken row is
			// reported as its first line and reading goes on after it.
			[]row{bad("\"a\",\"open", ErrUnterminated), ok("b", "c"), ok("d")}},
		{"unterminated quote capped", "\"a\",\"open\n\"b\n\"c\n\"d\n", 12,
			[]row{bad("\"a\",\"open", ErrUnterminated), bad("\"b", ErrUnterminated), bad("\"c", ErrUnterminated), bad("\"d", ErrUnterminated)}},
		{"long line split", "\"abcdefghij\"\n\"x\"\n", 6, []row{bad("\"abcde", ErrRowTooLong), bad("fghij\"", ErrBareQuote), ok("x")}},
		{"empty input", "", 0, nil},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := readAll(t, tt.in, tt.maxRow, oneByte)
				require.NoError(t, err)
				require.Len(t, got, len(tt.want), "%q", got)
				for i, w := range tt.want {
					if w.err == nil {
						require.NoError(t, got[i].err, "row %d: %q", i, got[i].raw)
						require.Equal(t, w.fields, got[i].fields, "row %d", i)
						continue
					}
					require.ErrorIs(t, got[i].err, w.err, "row %d", i)
					require.Equal(t, w.raw, got[i].raw, "row %d", i)
				}
			})
		}
	}
}

// Nothing of the input is lost: good rows re-encode and bad rows' raw text
// cover every byte but line endings and blank lines.
func TestReaderLosesNothing(t *testing.T) {
	in := "\"a\",\"b\"\n\"x\",\"broken \"q\n\"c\",\"d\"\n\"open\n\"e\",\"f\"\n"
	got, err := readAll(t, in, 0, false)
	require.NoError(t, err)
	var total int
	for _, r := range got {
		if r.err != nil {
			require.Contains(t, in, r.raw)
			total += len(r.raw)
		} else {
			for _, f := range r.fields {
				total += len(f) + 2 // quotes
			}
			total += len(r.fields) - 1 // commas
		}
	}
	require.Equal(t, len(in)-strings.Count(in, "\n"), total)
}

func TestReaderSkipCountsLikeNext(t *testing.T) {
	in := "\"h\"\n\"a\"\n\"b\"broken\n\"c\nd\"\n\"open\n\"e\"\n"
	var next []string
	rd := NewReader(strings.NewReader(in), 0)
	for rd.Next() {
		next = append(next, string(rd.Raw()))
	}
	for skip := range len(next) {
		rd := NewReader(strings.NewReader(in), 0)
		for range skip {
			require.True(t, rd.Skip())
		}
		var rest []string
		for rd.Next() {
			rest = append(rest, string(rd.Raw()))
		}
		require.Equal(t, next[skip:], rest, "after skipping %d", skip)
	}
}

// Unterminated tells rows that ended with their line ending from rows the
// input ended inside, whichever way the reads split the input.
func TestReaderUnterminated(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []bool // Unterminated per row
	}{
		{"terminated", "\"a\"\n\"b\"\r\n", []bool{false, false}},
		{"no final newline", "\"a\"\n\"b\"", []bool{false, true}},
		{"unquoted, no final newline", "a,b\nc,d", []bool{false, true}},
		{"inside a quoted cell", "\"a\"\n\"b\",\"op", []bool{false, true}},
		// The open quote swallows the lines after it up to the end of
		// input: its first line is reported, and the lines after it follow.
		{"quote open across lines", "\"a\"\n\"b\",\"open\nx\ny\n", []bool{false, true, false, false}},
		{"trailing blank lines", "\"a\"\n\n\r\n", []bool{false}},
		{"quoted newline, terminated", "\"a\nb\"\n", []bool{false}},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				for _, skip := range []bool{false, true} {
					rd := NewReader(src, 0)
					var got []bool
					for (!skip && rd.Next()) || (skip && rd.Skip()) {
						got = append(got, rd.Unterminated())
					}
					require.NoError(t, rd.Err())
					require.Equal(t, tt.want, got, "skip %v", skip)
					require.False(t, rd.Unterminated(), "reset at the end")
					src = strings.NewReader(tt.in)
				}
			})
		}
	}
	// A row cut at maxRow is not at the end of input.
	rd := NewReader(strings.NewReader("\"abcdefghij\"\n"), 6)
	require.True(t, rd.Next())
	require.ErrorIs(t, rd.ParseError(), ErrRowTooLong)
	require.False(t, rd.Unterminated())
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	in := "\"a\"\n\"b\"\n\"partial"
	rd := NewReader(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), 0)
	var got []string
	for rd.Next() {
		got = append(got, rd.Fields()...)
	}
	require.ErrorIs(t, rd.Err(), boom)
	require.Equal(t, []string{"a", "b"}, got, "the interrupted row is not returned")
}

func TestReaderStringsSurviveReuse(t *testing.T) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for i := range 5000 {
		_ = w.Write([]string{strings.Repeat("x", i%50), "row", `q"q`})
	}
	w.Flush()
	rd := NewReader(&b, 0)
	var kept [][]string
	for rd.Next() {
		require.NoError(t, rd.ParseError())
		kept = append(kept, append([]string(nil), rd.Fields()...))
	}
	require.Len(t, kept, 5000)
	for i, f := range kept {
		require.Equal(t, []string{strings.Repeat("x", i%50), "row", `q"q`}, f)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("\"a\",\"b\"\n\"c\nd\",\"e\"\"f\"\n", 0)
	f.Add("\"open\n\"x\"y\n,,\n", 8)
	f.Fuzz(func(t *testing.T, in string, maxRow int) {
		maxRow = 4 + max(0, maxRow)%64
		rd := NewReader(strings.NewReader(in), maxRow)
		n := 0
		for rd.Next() {
			n++
			require.LessOrEqual(t, len(rd.Raw()), maxRow)
			if rd.ParseError() == nil {
				require.NotEmpty(t, rd.Fields())
			}
			require.Less(t, n, len(in)+1)
		}
		require.NoError(t, rd.Err())
	})
}
