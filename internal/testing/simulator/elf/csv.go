package elf

import (
	"io"
	"strings"
)

// EncodeCSV renders rows the way Salesforce writes log files: every field
// quoted, quotes doubled, "\n" after each row.
func EncodeCSV(header []string, rows [][]string) []byte {
	var b []byte
	b = appendCSVRow(b, header)
	for _, r := range rows {
		b = appendCSVRow(b, r)
	}
	return b
}

func appendCSVRow(b []byte, row []string) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for {
			j := strings.IndexByte(v, '"')
			if j < 0 {
				break
			}
			b = append(b, v[:j+1]...)
			b = append(b, '"')
			v = v[j+1:]
		}
		b = append(b, v...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

// Measure reads r to its end and returns its length and its number of CSV
// data rows: lines (newlines outside quotes) minus the header.
func Measure(r io.Reader) (length int64, rows int) {
	cr := &countingReader{r: r}
	_, _ = io.Copy(io.Discard, cr)
	return cr.n, cr.rows()
}

// countingReader counts bytes and CSV rows (newlines outside quotes).
type countingReader struct {
	r        io.Reader
	n        int64
	newlines int
	inQuote  bool
	last     byte
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	for _, b := range p[:n] {
		switch b {
		case '"':
			c.inQuote = !c.inQuote
		case '\n':
			if !c.inQuote {
				c.newlines++
			}
		}
		c.last = b
	}
	return n, err
}

// rows is the number of data rows: lines minus the header.
func (c *countingReader) rows() int {
	lines := c.newlines
	if c.n > 0 && c.last != '\n' {
		lines++
	}
	return max(0, lines-1)
}
