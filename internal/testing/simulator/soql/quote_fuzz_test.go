package soql

import (
	"testing"
	"unicode/utf8"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// FuzzQuoteStringRoundTrip: a string quoted by sfapi.QuoteString, placed
// in a SOQL condition, parses back as exactly that string, and never
// breaks out of its quotes: the WHERE clause stays one comparison with one
// string literal, the query's other clauses stay as written.
func FuzzQuoteStringRoundTrip(f *testing.F) {
	for _, s := range []string{
		"", "plain", "O'Brien", `back\slash`, `\'`, `'\`, `"double"`, "line\nbreak\r\n\ttab\b\f",
		"' OR Id != null OR Status = '", `\' OR '1'='1`, "%_wild%", "ünïcödé ✓ 😀", "\x00nul",
		`\\'`, `'`, `\`, "0Ya5g0000Ab3xZqAAB",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // Salesforce takes the query as UTF-8 text
		}
		lit := sfapi.QuoteString(s)
		for _, src := range []string{
			"SELECT Id FROM LoginHistory WHERE Status = " + lit + " ORDER BY Id ASC LIMIT 5",
			"SELECT Id FROM LoginHistory WHERE Status IN (" + lit + ", " + lit + ") ORDER BY Id ASC LIMIT 5",
		} {
			q, err := Parse(src)
			if err != nil {
				t.Fatalf("%q: %v", src, err)
			}
			c, ok := q.where.(*condNode)
			if !ok {
				t.Fatalf("%q: WHERE is %T, not one condition", src, q.where)
			}
			if c.name != "Status" || q.limit != 5 || len(q.order) != 1 || q.object != "LoginHistory" {
				t.Fatalf("%q: the literal changed the query: %+v", src, q)
			}
			for _, l := range c.lits {
				if l.kind != litString || l.s != s {
					t.Fatalf("%q: literal reads back as %q (kind %v), want %q", src, l.s, l.kind, s)
				}
			}
		}
	})
}
