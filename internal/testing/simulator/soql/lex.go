package soql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

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
