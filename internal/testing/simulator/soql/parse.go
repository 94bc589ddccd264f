package soql

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// ---- AST ----

type litKind int

const (
	litString litKind = iota
	litNumber
	litDate
	litDateTime
	litBool
	litNull
)

type literal struct {
	kind litKind
	pos  int
	text string
	raw  string // litString, escapes intact (LIKE needs them)
	s    string // litString, unescaped
	num  float64
	tm   time.Time
	b    bool
}

// Column is a resolved field path: Name or Rel.Name.
type Column struct {
	Path  string     // canonical spelling, e.g. "CreatedBy.Username"
	Rel   string     // canonical relationship name, "" for a direct field
	RelTo string     // object the relationship points at
	Field *org.Field // the target field (in RelTo's schema when Rel != "")
}

func (r *Column) value(rw *org.Row) any {
	if r.Rel == "" {
		return rw.Fields[r.Field.Name]
	}
	m, _ := rw.Fields[r.Rel].(map[string]any)
	if m == nil {
		return nil
	}
	return m[r.Field.Name]
}

type node interface{}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

type condKind int

const (
	condCmp condKind = iota
	condIn
	condLike
)

type condNode struct {
	kind  condKind
	fn    string // a date function applied to the field (upper case), or ""
	name  string // field path as written
	pos   int
	ref   *Column
	op    string // condCmp
	neg   bool   // NOT IN / NOT LIKE
	lits  []literal
	like  *regexp.Regexp
	opPos int
}

type selItem struct {
	name string
	pos  int
	ref  *Column
}

type orderItem struct {
	selItem
	desc       bool
	nullsFirst bool
}

// Query is a parsed (and after Bind, resolved) SOQL statement.
type Query struct {
	src    string
	count  bool // SELECT COUNT()
	fields []selItem
	object string
	objPos int
	where  node
	order  []orderItem
	limit  int // -1: none
	offset int
	schema *org.Schema
	// view limits what bind resolves to what the request may see (its API
	// version, field-level security); nil sees everything.
	view *org.View
}

// Object is the object the query names, as written.
func (q *Query) Object() string { return q.object }

// Schema is the queried object's schema, once bound.
func (q *Query) Schema() *org.Schema { return q.schema }

// Count reports whether the query is SELECT COUNT().
func (q *Query) Count() bool { return q.count }

// Columns are the selected fields in SELECT order, once bound.
func (q *Query) Columns() []*Column {
	out := make([]*Column, len(q.fields))
	for i, it := range q.fields {
		out[i] = it.ref
	}
	return out
}

// dateFunctions are SOQL's date functions, usable in WHERE on a date-time
// field (SOQL and SOSL Reference, "Date Functions":
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_date_functions.htm).
// DAY_ONLY compares with a date literal; the others return a number. The
// simulator computes them in UTC (Salesforce converts to the user's time
// zone, except with convertTimezone(); the integration user's is UTC here).
// Fiscal functions follow the calendar year (no fiscal year is set up).
var dateFunctions = map[string]bool{
	"DAY_ONLY": true, "CALENDAR_MONTH": true, "CALENDAR_QUARTER": true, "CALENDAR_YEAR": true,
	"DAY_IN_MONTH": true, "DAY_IN_WEEK": true, "DAY_IN_YEAR": true, "FISCAL_MONTH": true,
	"FISCAL_QUARTER": true, "FISCAL_YEAR": true, "HOUR_IN_DAY": true, "WEEK_IN_MONTH": true, "WEEK_IN_YEAR": true,
}

// applyDateFn is fn of a date-time value (nil stays nil).
func applyDateFn(fn string, v any) any {
	t, ok := v.(time.Time)
	if !ok {
		return nil
	}
	t = t.UTC()
	switch fn {
	case "DAY_ONLY":
		return t.Truncate(24 * time.Hour)
	case "CALENDAR_MONTH", "FISCAL_MONTH":
		return int64(t.Month())
	case "CALENDAR_QUARTER", "FISCAL_QUARTER":
		return int64((t.Month()-1)/3 + 1)
	case "CALENDAR_YEAR", "FISCAL_YEAR":
		return int64(t.Year())
	case "DAY_IN_MONTH":
		return int64(t.Day())
	case "DAY_IN_WEEK": // 1 = Sunday
		return int64(t.Weekday()) + 1
	case "DAY_IN_YEAR":
		return int64(t.YearDay())
	case "HOUR_IN_DAY":
		return int64(t.Hour())
	case "WEEK_IN_MONTH": // days 1-7 are week 1
		return int64((t.Day()-1)/7 + 1)
	case "WEEK_IN_YEAR":
		return int64((t.YearDay()-1)/7 + 1)
	}
	return nil
}

// ---- parser ----

var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "ORDER": true, "BY": true, "LIMIT": true,
	"OFFSET": true, "AND": true, "OR": true, "NOT": true, "IN": true, "LIKE": true, "ASC": true,
	"DESC": true, "NULLS": true, "TRUE": true, "FALSE": true, "NULL": true, "GROUP": true,
	"HAVING": true, "WITH": true, "FOR": true, "INCLUDES": true, "EXCLUDES": true,
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i = min(p.i+1, len(p.toks)-1); return t }

func (p *parser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tkIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) unexpected(t token) error {
	return errAt("MALFORMED_QUERY", p.src, t.pos, "unexpected token: "+t.text)
}

// expect consumes the next token, which must be of kind k.
func (p *parser) expect(k tokKind) error {
	if p.peek().kind != k {
		return p.unexpected(p.peek())
	}
	p.next()
	return nil
}

// accept consumes the next token if it is of kind k and reports whether it
// did.
func (p *parser) accept(k tokKind) bool {
	if p.peek().kind != k {
		return false
	}
	p.next()
	return true
}

func (p *parser) expectKw(kw string) error {
	if !p.isKw(kw) {
		return p.unexpected(p.peek())
	}
	p.next()
	return nil
}

func (p *parser) ident() (token, error) {
	t := p.peek()
	if t.kind != tkIdent || reserved[strings.ToUpper(t.text)] || strings.HasSuffix(t.text, ".") || strings.Contains(t.text, "..") {
		return t, p.unexpected(t)
	}
	return p.next(), nil
}

// Parse reads a statement of the subset. Its errors are *Error, with
// Salesforce's codes and caret-pointing messages.
func Parse(src string) (*Query, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Status: 400, Code: "MALFORMED_QUERY", Message: "A query string has to be specified"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	q := &Query{src: src, limit: -1}
	if err := p.expectKw("SELECT"); err != nil {
		return nil, err
	}
	if p.isKw("COUNT") && p.toks[p.i+1].kind == tkLParen {
		p.next()
		p.next()
		if err := p.expect(tkRParen); err != nil {
			return nil, err
		}
		q.count = true
	} else {
		names, err := commaList(p, p.ident)
		if err != nil {
			return nil, err
		}
		for _, t := range names {
			q.fields = append(q.fields, selItem{name: t.text, pos: t.pos})
		}
	}
	if err := p.expectKw("FROM"); err != nil {
		return nil, err
	}
	obj, err := p.ident()
	if err != nil {
		return nil, err
	}
	q.object, q.objPos = obj.text, obj.pos
	if p.isKw("WHERE") {
		p.next()
		if q.where, err = p.orExpr(); err != nil {
			return nil, err
		}
	}
	if p.isKw("ORDER") {
		p.next()
		if err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		if q.order, err = commaList(p, p.orderItem); err != nil {
			return nil, err
		}
	}
	for _, clause := range []struct {
		kw  string
		dst *int
	}{{"LIMIT", &q.limit}, {"OFFSET", &q.offset}} {
		if !p.isKw(clause.kw) {
			continue
		}
		p.next()
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tkNumber || err != nil || n < 0 {
			return nil, p.unexpected(t)
		}
		*clause.dst = n
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

// orderItem parses one item of ORDER BY: a field, ASC or DESC, NULLS FIRST
// or LAST.
func (p *parser) orderItem() (orderItem, error) {
	t, err := p.ident()
	if err != nil {
		return orderItem{}, err
	}
	o := orderItem{selItem: selItem{name: t.text, pos: t.pos}}
	switch {
	case p.isKw("ASC"):
		p.next()
	case p.isKw("DESC"):
		p.next()
		o.desc = true
	}
	// Salesforce's default: nulls first ascending, last descending.
	o.nullsFirst = !o.desc
	if p.isKw("NULLS") {
		p.next()
		switch {
		case p.isKw("FIRST"):
			o.nullsFirst = true
		case p.isKw("LAST"):
			o.nullsFirst = false
		default:
			return orderItem{}, p.unexpected(p.peek())
		}
		p.next()
	}
	return o, nil
}

// commaList parses "item {, item}".
func commaList[T any](p *parser, item func() (T, error)) ([]T, error) {
	var out []T
	for {
		x, err := item()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if !p.accept(tkComma) {
			return out, nil
		}
	}
}

// parens parses "(" inner ")".
func parens[T any](p *parser, inner func() (T, error)) (T, error) {
	var zero T
	if err := p.expect(tkLParen); err != nil {
		return zero, err
	}
	x, err := inner()
	if err != nil {
		return zero, err
	}
	if err := p.expect(tkRParen); err != nil {
		return zero, err
	}
	return x, nil
}

func (p *parser) orExpr() (node, error) {
	return p.chain("OR", p.andExpr, func(l, r node) node { return orNode{l, r} })
}

func (p *parser) andExpr() (node, error) {
	return p.chain("AND", p.notExpr, func(l, r node) node { return andNode{l, r} })
}

// chain parses operands joined by the keyword kw, left to right.
func (p *parser) chain(kw string, operand func() (node, error), join func(l, r node) node) (node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKw(kw) {
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = join(l, r)
	}
	return l, nil
}

func (p *parser) notExpr() (node, error) {
	if p.isKw("NOT") {
		p.next()
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	if p.peek().kind == tkLParen {
		return parens(p, p.orExpr)
	}
	return p.condition()
}

func (p *parser) condition() (node, error) {
	f, err := p.ident()
	if err != nil {
		return nil, err
	}
	c := &condNode{name: f.text, pos: f.pos}
	if p.peek().kind == tkLParen {
		// A date function on a date-time field: DAY_ONLY(CreatedDate) = 2024-05-01.
		fn := strings.ToUpper(f.text)
		if !dateFunctions[fn] {
			return nil, p.unexpected(p.peek())
		}
		arg, err := parens(p, p.ident)
		if err != nil {
			return nil, err
		}
		c.fn, c.name, c.pos = fn, arg.text, arg.pos
	}
	c.opPos = p.peek().pos
	if p.isKw("NOT") {
		p.next()
		c.neg = true
		if !p.isKw("IN") && !p.isKw("LIKE") {
			return nil, p.unexpected(p.peek())
		}
	}
	switch {
	case p.isKw("IN"):
		p.next()
		c.kind = condIn
		lits, err := parens(p, func() ([]literal, error) { return commaList(p, p.literal) })
		if err != nil {
			return nil, err
		}
		c.lits = lits
	case p.isKw("LIKE"):
		p.next()
		c.kind = condLike
		if p.peek().kind != tkString {
			return nil, p.unexpected(p.peek())
		}
		l, err := p.literal()
		if err != nil {
			return nil, err
		}
		c.lits = []literal{l}
	case p.peek().kind == tkOp:
		c.kind = condCmp
		c.op = p.next().text
		l, err := p.literal()
		if err != nil {
			return nil, err
		}
		c.lits = []literal{l}
	default:
		return nil, p.unexpected(p.peek())
	}
	return c, nil
}

func (p *parser) literal() (literal, error) {
	t := p.next()
	l := literal{pos: t.pos, text: t.text}
	switch t.kind {
	case tkString:
		l.kind, l.raw, l.s = litString, t.raw, unescape(t.raw)
	case tkNumber:
		l.kind, l.num = litNumber, t.num
	case tkDate:
		l.kind, l.tm = litDate, t.tm
	case tkDateTime:
		l.kind, l.tm = litDateTime, t.tm
	case tkIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE", "FALSE":
			l.kind, l.b = litBool, strings.EqualFold(t.text, "TRUE")
		case "NULL":
			l.kind = litNull
		default:
			return l, p.unexpected(t)
		}
	default:
		return l, p.unexpected(t)
	}
	return l, nil
}

func unescape(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			b.WriteByte(raw[i])
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}

// likeRegexp turns a LIKE pattern (escapes intact) into an anchored,
// case-insensitive regexp; \% and \_ stay literal.
func likeRegexp(raw string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?is)^`)
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '\\' && i+1 < len(raw):
			i++
			b.WriteString(regexp.QuoteMeta(unescape(raw[i-1 : i+1])))
		case c == '%':
			b.WriteString(`.*`)
		case c == '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}
