package simulator

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// A SOQL subset: SELECT fields|COUNT() FROM Object [WHERE cond]
// [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
// (SOQL and SOSL Reference, "SOQL SELECT Syntax":
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm;
// comparison operators:
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_comparisonoperators.htm;
// ORDER BY with NULLS FIRST for ascending and NULLS LAST for descending by
// default: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_orderby.htm;
// date formats:
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm;
// escape sequences:
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm).
// GROUP BY, HAVING, aggregates, subqueries and date literals (TODAY,
// LAST_N_DAYS:n) are not in the subset: they answer MALFORMED_QUERY.
// Errors mimic Salesforce's codes and its caret-pointing messages, because
// receivers are expected to log them and tests assert on the codes. The
// docs give no message texts: the caret layout and the texts of
// MALFORMED_QUERY, INVALID_FIELD ("No such column ...") and INVALID_TYPE
// ("sObject type ... is not supported") are those real orgs send; the
// others are the simulator's own.

// apiError is a Salesforce REST error: HTTP status, errorCode and message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errAt formats a message the way Salesforce does: the offending line, a
// caret under the token, its row and column, then the detail.
func errAt(code, src string, pos int, detail string) *apiError {
	pos = min(max(pos, 0), len(src))
	row := strings.Count(src[:pos], "\n") + 1
	lineStart := strings.LastIndex(src[:pos], "\n") + 1
	lineEnd := strings.IndexByte(src[pos:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src)
	} else {
		lineEnd += pos
	}
	col := pos - lineStart + 1
	msg := fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s",
		src[lineStart:lineEnd], strings.Repeat(" ", col-1), row, col, detail)
	return &apiError{Status: 400, Code: code, Message: msg}
}

// ---- lexer ----

type tokKind int

const (
	tkEOF tokKind = iota
	tkIdent
	tkString
	tkNumber
	tkDate
	tkDateTime
	tkOp
	tkLParen
	tkRParen
	tkComma
)

type token struct {
	kind tokKind
	text string // source text
	pos  int
	raw  string // tkString: body between the quotes, escapes intact
	num  float64
	tm   time.Time
}

var dateTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?)?`)

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || isDigit(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tkIdent, text: src[i:j], pos: i})
			i = j
		case isDigit(c) || ((c == '-' || c == '+') && i+1 < len(src) && isDigit(src[i+1])):
			if m := dateTimeRe.FindString(src[i:]); m != "" {
				tok, err := lexDate(src, i, m)
				if err != nil {
					return nil, err
				}
				toks = append(toks, tok)
				i += len(m)
				continue
			}
			j := i + 1
			for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
				j++
			}
			n, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, errAt("MALFORMED_QUERY", src, i, "unexpected token: "+src[i:j])
			}
			toks = append(toks, token{kind: tkNumber, text: src[i:j], pos: i, num: n})
			i = j
		case c == '\'':
			j := i + 1
			for {
				if j >= len(src) {
					return nil, errAt("MALFORMED_QUERY", src, i, "line 1:"+strconv.Itoa(i)+" mismatched character '<EOF>' expecting '''")
				}
				if src[j] == '\\' {
					if j+1 >= len(src) || !strings.ContainsRune(`nrtbf"'\%_`, rune(src[j+1])) {
						return nil, errAt("MALFORMED_QUERY", src, j, "Invalid string literal '"+src[i:min(j+2, len(src))]+"'. Illegal character sequence '\\"+src[j+1:min(j+2, len(src))]+"' in string literal.")
					}
					j += 2
					continue
				}
				if src[j] == '\'' {
					break
				}
				j++
			}
			toks = append(toks, token{kind: tkString, text: src[i : j+1], pos: i, raw: src[i+1 : j]})
			i = j + 1
		case c == '(':
			toks = append(toks, token{kind: tkLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tkRParen, text: ")", pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tkComma, text: ",", pos: i})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			op := string(c)
			if i+1 < len(src) {
				if two := src[i : i+2]; two == "<=" || two == ">=" || two == "!=" || two == "<>" {
					op = two
				}
			}
			if op == "!" {
				return nil, errAt("MALFORMED_QUERY", src, i, "unexpected token: '!'")
			}
			toks = append(toks, token{kind: tkOp, text: op, pos: i})
			i += len(op)
		default:
			return nil, errAt("MALFORMED_QUERY", src, i, fmt.Sprintf("line 1:%d no viable alternative at character '%c'", i, c))
		}
	}
	return append(toks, token{kind: tkEOF, text: "<EOF>", pos: len(src)}), nil
}

func lexDate(src string, pos int, m string) (token, error) {
	if len(m) == len("2006-01-02") {
		t, err := time.Parse(time.DateOnly, m)
		if err != nil {
			return token{}, errAt("MALFORMED_QUERY", src, pos, "unexpected token: "+m)
		}
		return token{kind: tkDate, text: m, pos: pos, tm: t}, nil
	}
	s := m
	switch {
	case strings.HasSuffix(s, "Z"):
	case len(s) >= 5 && (s[len(s)-5] == '+' || s[len(s)-5] == '-') && !strings.Contains(s[len(s)-5:], ":"):
		s = s[:len(s)-2] + ":" + s[len(s)-2:] // +0000 → +00:00
	case len(s) >= 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-'):
	default:
		// SOQL datetimes must carry a zone.
		return token{}, errAt("MALFORMED_QUERY", src, pos, "line 1:"+strconv.Itoa(pos)+" no viable alternative at character ' '")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return token{}, errAt("MALFORMED_QUERY", src, pos, "unexpected token: "+m)
	}
	return token{kind: tkDateTime, text: m, pos: pos, tm: t.UTC()}, nil
}

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

// fieldRef is a resolved field path: Name or Rel.Name.
type fieldRef struct {
	path  string     // canonical spelling, e.g. "CreatedBy.Username"
	rel   string     // canonical relationship name, "" for a direct field
	relTo string     // object the relationship points at
	f     *org.Field // the target field (in relTo's schema when rel != "")
}

func (r *fieldRef) value(rw *org.Row) any {
	if r.rel == "" {
		return rw.Fields[r.f.Name]
	}
	m, _ := rw.Fields[r.rel].(map[string]any)
	if m == nil {
		return nil
	}
	return m[r.f.Name]
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
	ref   *fieldRef
	op    string // condCmp
	neg   bool   // NOT IN / NOT LIKE
	lits  []literal
	like  *regexp.Regexp
	opPos int
}

type selItem struct {
	name string
	pos  int
	ref  *fieldRef
}

type orderItem struct {
	selItem
	desc       bool
	nullsFirst bool
}

// query is a parsed (and after bind, resolved) SOQL statement.
type query struct {
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

func parseSOQL(src string) (*query, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &apiError{Status: 400, Code: "MALFORMED_QUERY", Message: "A query string has to be specified"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	q := &query{src: src, limit: -1}
	if err := p.expectKw("SELECT"); err != nil {
		return nil, err
	}
	if p.isKw("COUNT") && p.toks[p.i+1].kind == tkLParen {
		p.next()
		p.next()
		if p.peek().kind != tkRParen {
			return nil, p.unexpected(p.peek())
		}
		p.next()
		q.count = true
	} else {
		for {
			t, err := p.ident()
			if err != nil {
				return nil, err
			}
			q.fields = append(q.fields, selItem{name: t.text, pos: t.pos})
			if p.peek().kind != tkComma {
				break
			}
			p.next()
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
		for {
			t, err := p.ident()
			if err != nil {
				return nil, err
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
					return nil, p.unexpected(p.peek())
				}
				p.next()
			}
			q.order = append(q.order, o)
			if p.peek().kind != tkComma {
				break
			}
			p.next()
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
		p.next()
		x, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tkRParen {
			return nil, p.unexpected(p.peek())
		}
		p.next()
		return x, nil
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
		p.next()
		arg, err := p.ident()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tkRParen {
			return nil, p.unexpected(p.peek())
		}
		p.next()
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
		if p.peek().kind != tkLParen {
			return nil, p.unexpected(p.peek())
		}
		p.next()
		for {
			l, err := p.literal()
			if err != nil {
				return nil, err
			}
			c.lits = append(c.lits, l)
			if p.peek().kind != tkComma {
				break
			}
			p.next()
		}
		if p.peek().kind != tkRParen {
			return nil, p.unexpected(p.peek())
		}
		p.next()
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

// ---- binding: names → schema fields, literal type checks ----

func (q *query) bind(reg org.Registry) error {
	q.schema = reg.Lookup(q.object)
	if q.schema != nil && !q.view.ObjectVisible(q.schema) {
		q.schema = nil // not in this API version
	}
	if q.schema == nil {
		return errAt("INVALID_TYPE", q.src, q.objPos, fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.object))
	}
	for i := range q.fields {
		ref, err := q.resolve(reg, q.fields[i].name, q.fields[i].pos)
		if err != nil {
			return err
		}
		q.fields[i].ref = ref
	}
	for i := range q.order {
		ref, err := q.resolve(reg, q.order[i].name, q.order[i].pos)
		if err != nil {
			return err
		}
		q.order[i].ref = ref
	}
	if err := q.bindNode(reg, q.where); err != nil {
		return err
	}
	// Big objects and Event Log Objects restrict SOQL beyond the generic
	// engine (bigobjects.go, eventlogobjects.go).
	switch {
	case q.schema.Big:
		return bigObjectCheck(q)
	case q.schema.ELO:
		return eloCheck(q)
	}
	return nil
}

func (q *query) resolve(reg org.Registry, name string, pos int) (*fieldRef, error) {
	parts := strings.Split(name, ".")
	// Salesforce tolerates the object name as a prefix: LoginHistory.Id.
	if len(parts) > 1 && strings.EqualFold(parts[0], q.schema.Name) {
		parts = parts[1:]
	}
	noColumn := func() error {
		return errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, q.schema.Name))
	}
	switch len(parts) {
	case 1:
		// A field of a newer API version, or hidden by field-level
		// security, does not exist for this request.
		f := q.schema.Field(parts[0])
		if f == nil || !q.view.FieldVisible(q.schema, f) {
			return nil, noColumn()
		}
		return &fieldRef{path: f.Name, f: f}, nil
	case 2:
		rf := q.schema.Rel(parts[0])
		if rf != nil && !q.view.FieldVisible(q.schema, rf) {
			rf = nil // an invisible lookup takes its relationship with it
		}
		if rf == nil {
			return nil, errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", parts[0]))
		}
		target := reg.Lookup(rf.RefObject)
		f := target.Field(parts[1])
		if f != nil && !q.view.FieldVisible(target, f) {
			f = nil
		}
		if f == nil {
			return nil, errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", parts[1], target.Name))
		}
		return &fieldRef{path: rf.RelName + "." + f.Name, rel: rf.RelName, relTo: target.Name, f: f}, nil
	}
	return nil, errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("Didn't understand relationship '%s' in field path.", strings.Join(parts[:len(parts)-1], ".")))
}

func (q *query) bindNode(reg org.Registry, n node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case andNode:
		return cmp.Or(q.bindNode(reg, n.l), q.bindNode(reg, n.r))
	case orNode:
		return cmp.Or(q.bindNode(reg, n.l), q.bindNode(reg, n.r))
	case notNode:
		return q.bindNode(reg, n.x)
	case *condNode:
		ref, err := q.resolve(reg, n.name, n.pos)
		if err != nil {
			return err
		}
		n.ref = ref
		if n.fn != "" {
			return q.checkDateFn(n)
		}
		if n.kind == condLike {
			if ref.f.Type != org.TypeString {
				return errAt("INVALID_FIELD", q.src, n.pos, fmt.Sprintf("invalid operator on %s field: %s", ref.f.Type, ref.path))
			}
			n.like = likeRegexp(n.lits[0].raw)
			return nil
		}
		for i := range n.lits {
			if err := q.checkLiteral(ref, &n.lits[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("simulator: unknown node %T", n)
}

// checkDateFn checks a date function's field and literals: a date-time
// field; a date for DAY_ONLY, a number for the others. The messages are
// the simulator's own.
func (q *query) checkDateFn(n *condNode) error {
	if n.ref.f.Type != org.TypeDateTime {
		return errAt("INVALID_FIELD", q.src, n.pos, fmt.Sprintf("%s can only be applied to a date or datetime field: %s", n.fn, n.ref.path))
	}
	if n.kind == condLike {
		return errAt("INVALID_FIELD", q.src, n.opPos, fmt.Sprintf("invalid operator on %s(%s)", n.fn, n.ref.path))
	}
	for _, l := range n.lits {
		want, what := litNumber, "a number"
		if n.fn == "DAY_ONLY" {
			want, what = litDate, "a date"
		}
		if l.kind != want && l.kind != litNull {
			return errAt("INVALID_FIELD", q.src, l.pos, fmt.Sprintf("value of filter criterion for %s(%s) must be %s", n.fn, n.ref.path, what))
		}
	}
	return nil
}

func (q *query) checkLiteral(ref *fieldRef, l *literal) error {
	if l.kind == litNull {
		return nil
	}
	mismatch := func(quoted bool) error {
		how := "should not be enclosed in quotes"
		if quoted {
			how = "should be enclosed in quotes"
		}
		return errAt("INVALID_FIELD", q.src, l.pos, fmt.Sprintf("value of filter criterion for field '%s' must be of type %s and %s", ref.path, ref.f.Type, how))
	}
	switch ref.f.Type {
	case org.TypeID, org.TypeReference:
		if l.kind != litString {
			return mismatch(true)
		}
		if !sfid.Valid(l.s) {
			return errAt("INVALID_QUERY_FILTER_OPERATOR", q.src, l.pos, "invalid ID field: "+l.s)
		}
		if len(l.s) == 15 {
			l.s = sfid.WithChecksum(l.s)
		}
	case org.TypeString:
		if l.kind != litString {
			return mismatch(true)
		}
	case org.TypeDateTime:
		if l.kind != litDateTime && l.kind != litDate {
			return mismatch(false)
		}
	case org.TypeInt, org.TypeDouble:
		if l.kind != litNumber {
			return mismatch(false)
		}
	case org.TypeBoolean:
		if l.kind != litBool {
			return mismatch(false)
		}
	}
	return nil
}

// ---- evaluation ----

func (q *query) matches(rw *org.Row) bool { return q.where == nil || eval(q.where, rw) }

func eval(n node, rw *org.Row) bool {
	switch n := n.(type) {
	case andNode:
		return eval(n.l, rw) && eval(n.r, rw)
	case orNode:
		return eval(n.l, rw) || eval(n.r, rw)
	case notNode:
		return !eval(n.x, rw)
	case *condNode:
		v := n.ref.value(rw)
		typ := n.ref.f.Type
		if n.fn != "" {
			v = applyDateFn(n.fn, v)
			if n.fn != "DAY_ONLY" {
				typ = org.TypeInt
			}
		}
		switch n.kind {
		case condLike:
			s, ok := v.(string)
			return ok && n.like.MatchString(s) != n.neg
		case condIn:
			in := false
			for _, l := range n.lits {
				if c, ok := compareLit(typ, v, l); ok && c == 0 {
					in = true
					break
				}
			}
			return in != n.neg
		default:
			if n.lits[0].kind == litNull {
				switch n.op {
				case "=":
					return v == nil
				case "!=", "<>":
					return v != nil
				}
				return false
			}
			c, ok := compareLit(typ, v, n.lits[0])
			if !ok {
				// A null field matches only != / <> a value.
				return v == nil && (n.op == "!=" || n.op == "<>")
			}
			switch n.op {
			case "=":
				return c == 0
			case "!=", "<>":
				return c != 0
			case "<":
				return c < 0
			case "<=":
				return c <= 0
			case ">":
				return c > 0
			case ">=":
				return c >= 0
			}
		}
	}
	return false
}

// compareLit compares a field value with a literal; ok is false when the
// value is null or of an unexpected type.
func compareLit(t org.FieldType, v any, l literal) (int, bool) {
	if v == nil || l.kind == litNull {
		return 0, false
	}
	var lv any
	switch l.kind {
	case litString:
		lv = l.s
	case litNumber:
		lv = l.num
	case litDate, litDateTime:
		lv = l.tm
	case litBool:
		lv = l.b
	}
	return compareValues(t, v, lv)
}

// compareValues orders two non-null values of a field type. Ids compare
// case-sensitively (they are case-sensitive); text like SOQL, ignoring case.
func compareValues(t org.FieldType, a, b any) (int, bool) {
	switch t {
	case org.TypeID, org.TypeReference:
		as, ok1 := a.(string)
		bs, ok2 := b.(string)
		return strings.Compare(as, bs), ok1 && ok2
	case org.TypeString:
		as, ok1 := a.(string)
		bs, ok2 := b.(string)
		return cmp.Compare(strings.ToLower(as), strings.ToLower(bs)), ok1 && ok2
	case org.TypeDateTime:
		at, ok1 := a.(time.Time)
		bt, ok2 := b.(time.Time)
		return at.Compare(bt), ok1 && ok2
	case org.TypeInt, org.TypeDouble:
		af, ok1 := toFloat(a)
		bf, ok2 := toFloat(b)
		return cmp.Compare(af, bf), ok1 && ok2
	case org.TypeBoolean:
		ab, ok1 := a.(bool)
		bb, ok2 := b.(bool)
		ai, bi := 0, 0
		if ab {
			ai = 1
		}
		if bb {
			bi = 1
		}
		return cmp.Compare(ai, bi), ok1 && ok2
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// run executes the query over rows (sorted by Id) and returns the matching
// rows in result order. Rows are immutable, so the slice is a snapshot.
func (q *query) run(rows []*org.Row) []*org.Row {
	var out []*org.Row
	for _, r := range rows {
		if q.matches(r) {
			out = append(out, r)
		}
	}
	if len(q.order) > 0 {
		// Stable over Id order, so ties come back deterministically.
		slices.SortStableFunc(out, func(a, b *org.Row) int {
			for _, o := range q.order {
				av, bv := o.ref.value(a), o.ref.value(b)
				var c int
				switch {
				case av == nil && bv == nil:
					c = 0
				case av == nil || bv == nil:
					c = 1
					if (av == nil) == o.nullsFirst {
						c = -1
					}
				default:
					c, _ = compareValues(o.ref.f.Type, av, bv)
					if o.desc {
						c = -c
					}
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	if q.offset > 0 {
		out = out[min(q.offset, len(out)):]
	}
	if q.limit >= 0 && q.limit < len(out) {
		out = out[:q.limit]
	}
	return out
}
