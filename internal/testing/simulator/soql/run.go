package soql

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// ---- evaluation ----

func (q *Query) matches(rw *org.Row) bool { return q.where == nil || eval(q.where, rw) }

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
		typ := n.ref.Field.Type
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

// Run executes the bound query at now over rows, an object's rows sorted by
// Id, and returns the matching rows in result order. A query on an Event
// Log Object sees only the rows Salesforce would show it then
// (eventlogobjects.go). Rows are immutable, so the slice is a snapshot.
func (q *Query) Run(rows []*org.Row, now time.Time) []*org.Row {
	if q.schema.ELO {
		rows = eloRows(q, rows, now)
	}
	return q.run(rows)
}

// run executes the query over rows (sorted by Id) and returns the matching
// rows in result order.
func (q *Query) run(rows []*org.Row) []*org.Row {
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
					c, _ = compareValues(o.ref.Field.Type, av, bv)
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
