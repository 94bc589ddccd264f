package soql

import (
	"fmt"
	"slices"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// The SOQL rules of Event Log Objects, from the Security Implementation
// Guide's "Best Practices and Considerations for Leveraging Event Log Object
// Data"
// (https://developer.salesforce.com/docs/atlas.en-us.securityImplGuide.meta/securityImplGuide/elo_best_practices.htm;
// simulator/org's eventlogobjects.go quotes them): retention, the 15-day
// Timestamp window, and the query shapes refused (eloCheck).

const (
	// eloRetention: "Log data is retained for up to 30 days".
	eloRetention = 30 * 24 * time.Hour
	// eloSpan: "You can only query 15 days of data at a time".
	eloSpan = 15 * 24 * time.Hour
)

// eloRows is what a query on an Event Log Object may see at now: rows past
// their delay and within retention, and, when the query bounds Timestamp on
// one side only or not at all, within the 15 days Salesforce appends.
func eloRows(q *Query, rows []*org.Row, now time.Time) []*org.Row {
	lo, hi := eloWindow(q, now)
	oldest := now.Add(-eloRetention)
	var out []*org.Row
	for _, r := range rows {
		ts, _ := r.Fields["Timestamp"].(time.Time)
		if r.VisibleAt.After(now) || ts.Before(oldest) || ts.Before(lo) || ts.After(hi) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// tsCond is one filter on Timestamp, with the context it is in.
type tsCond struct {
	c     *condNode
	inOr  bool // under an OR
	inNot bool
}

// timestampConds lists the filters on Timestamp of a WHERE.
func timestampConds(n node, inOr, inNot bool, out []tsCond) []tsCond {
	switch n := n.(type) {
	case andNode:
		return timestampConds(n.r, inOr, inNot, timestampConds(n.l, inOr, inNot, out))
	case orNode:
		return timestampConds(n.r, true, inNot, timestampConds(n.l, true, inNot, out))
	case notNode:
		return timestampConds(n.x, inOr, true, out)
	case *condNode:
		if n.ref != nil && n.ref.Rel == "" && n.ref.Field.Name == "Timestamp" {
			return append(out, tsCond{c: n, inOr: inOr, inNot: inNot})
		}
	}
	return out
}

// bounds is the [lo, hi] instant range one Timestamp comparison allows
// (zero where it leaves a side open); DAY_ONLY() compares whole days.
func (c *condNode) bounds() (lo, hi time.Time) {
	t := c.lits[0].tm
	end := t
	if c.fn == "DAY_ONLY" {
		end = t.Add(24*time.Hour - time.Millisecond)
	}
	switch c.op {
	case "=":
		return t, end
	case ">":
		if c.fn == "DAY_ONLY" {
			return end.Add(time.Millisecond), time.Time{}
		}
		return t, time.Time{}
	case ">=":
		return t, time.Time{}
	case "<":
		return time.Time{}, t
	case "<=":
		return time.Time{}, end
	}
	return time.Time{}, time.Time{}
}

// eloCheck enforces the Event Log Object query rules above on a bound
// query.
func eloCheck(q *Query) error {
	malformed := func(pos int, detail string) error { return errAt("MALFORMED_QUERY", q.src, pos, detail) }
	if q.offset > 0 {
		return malformed(keywordPos(q.src, "OFFSET"), "OFFSET is not supported on Event Log Objects.")
	}
	for _, it := range append(slices.Clone(q.fields), func() []selItem {
		var s []selItem
		for _, o := range q.order {
			s = append(s, o.selItem)
		}
		return s
	}()...) {
		if it.ref.Rel != "" {
			return malformed(it.pos, "Relationship queries are not supported on Event Log Objects.")
		}
	}
	conds := timestampConds(q.where, false, false, nil)
	filters := 0
	for _, tc := range conds {
		c := tc.c
		switch {
		case c.fn != "" && c.fn != "DAY_ONLY":
			return malformed(c.pos, fmt.Sprintf("%s() is not supported on Timestamp of an Event Log Object: DAY_ONLY() is the only date function supported.", c.fn))
		case c.kind == condCmp && (c.op == "!=" || c.op == "<>"), c.neg, tc.inNot:
			return errAt("INVALID_QUERY_FILTER_OPERATOR", q.src, c.opPos, "The != operator (or a negation) is not supported on Timestamp of an Event Log Object.")
		case c.kind == condCmp && c.lits[0].kind == litNull:
			return errAt("INVALID_QUERY_FILTER_OPERATOR", q.src, c.opPos, "Timestamp of an Event Log Object cannot be compared with null.")
		case tc.inOr && c.kind == condCmp && c.op != "=":
			return malformed(c.opPos, "A range on Timestamp of an Event Log Object cannot be combined with OR: use Timestamp = t1 OR Timestamp = t2, or one AND range.")
		}
		if c.kind == condIn {
			filters += len(c.lits)
		} else {
			filters++
		}
	}
	if filters > 2 {
		return malformed(conds[0].c.pos, fmt.Sprintf("A query on an Event Log Object can have at most two filters on Timestamp; it has %d.", filters))
	}
	// AND ranges within 15 days.
	var lo, hi time.Time
	for _, tc := range conds {
		if tc.inOr || tc.c.kind != condCmp {
			continue
		}
		l, h := tc.c.bounds()
		for _, t := range []time.Time{l, h} {
			if t.IsZero() {
				continue
			}
			if lo.IsZero() || t.Before(lo) {
				lo = t
			}
			if hi.IsZero() || t.After(hi) {
				hi = t
			}
		}
	}
	if !lo.IsZero() && hi.Sub(lo) > eloSpan {
		return malformed(conds[0].c.pos, "The Timestamp range of a query on an Event Log Object must fall within 15 days.")
	}
	return nil
}

// eloWindow is the Timestamp range a query on an Event Log Object reads at
// now beyond its own filters: the last 15 days without a Timestamp filter,
// 15 days from a one-sided range's bound toward the missing one, and
// everything (its own filters decide) otherwise.
func eloWindow(q *Query, now time.Time) (lo, hi time.Time) {
	conds := timestampConds(q.where, false, false, nil)
	if len(conds) == 0 {
		return now.Add(-eloSpan), now
	}
	for _, tc := range conds {
		if tc.inOr || tc.c.kind != condCmp {
			return time.Time{}, maxTime // points: nothing appended
		}
		l, h := tc.c.bounds()
		if !l.IsZero() && (lo.IsZero() || l.After(lo)) {
			lo = l
		}
		if !h.IsZero() && (hi.IsZero() || h.Before(hi)) {
			hi = h
		}
	}
	switch {
	case lo.IsZero():
		lo = hi.Add(-eloSpan)
	case hi.IsZero():
		hi = lo.Add(eloSpan)
	}
	return lo, hi
}

var maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
