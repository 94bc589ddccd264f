package simulator

import (
	"fmt"
	"slices"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

// Event Log Objects (*EventLog): Salesforce's standard objects that hold
// Event Monitoring data queryable with SOQL, one per catalog entry of kind
// event_log_object (eventlogobjects.yaml), each with the fields its page in
// the Object Reference lists (the entry's doc). The framework's rules come
// from the Security Implementation Guide's "Store and Query Log Data with
// Event Log Objects" and "Best Practices and Considerations for Leveraging
// Event Log Object Data":
// https://developer.salesforce.com/docs/atlas.en-us.securityImplGuide.meta/securityImplGuide/elo_best_practices.htm
//
//   - "Log data is retained for up to 30 days" (eloRetention);
//   - "expect log data to be available to query within 25–45 minutes after
//     the event is logged" (Options.EventLogObjectDelay);
//   - SOQL without relationship queries, HAVING or OFFSET;
//   - "You can only query 15 days of data at a time using the Timestamp
//     column": only DAY_ONLY() as a date function on Timestamp, three or
//     more Timestamp filters are an error, != is not supported, with no
//     Timestamp filter "we append a filter in the backend to query only the
//     last 15 days", AND ranges must fall within 15 days, at most two
//     Timestamp filters with OR or IN, and a one-sided range "automatically
//     retrieves 15 days of data in the direction of the missing bound".
//
// The pages give no error texts for the refused query shapes: the
// simulator answers with Salesforce's usual error shape (400 and
// MALFORMED_QUERY, or INVALID_QUERY_FILTER_OPERATOR for an operator) and
// messages of its own.
//
// No page lists an Id field, and none documents a unique key. Peers'
// published samples show the empty Id (000000000000000AAA) on every row
// when a query selects Id; the simulator does the same, which is not
// documented. Describe leaves Id out, as the pages do.

const (
	// eloRetention: "Log data is retained for up to 30 days".
	eloRetention = 30 * 24 * time.Hour
	// eloSpan: "You can only query 15 days of data at a time".
	eloSpan = 15 * 24 * time.Hour
	// The documented latency: "within 25–45 minutes".
	eloMinDelay, eloMaxDelay = 25 * time.Minute, 45 * time.Minute
	// eloDuplicateShare of generated rows repeat another row in every
	// field: the docs document no unique key, and RequestIdentifier and
	// the millisecond Timestamp are shared by the events of one
	// transaction. The share is the simulator's own.
	eloDuplicateShare = 0.01
)

// NoEventLogObjectDelay, as Options.EventLogObjectDelay, makes Event Log
// Object rows queryable at once.
const NoEventLogObjectDelay = time.Duration(-1)

// addEventLogObjectSchemas registers every Event Log Object of the catalog.
func addEventLogObjectSchemas(reg registry) {
	for _, e := range catalog.OfKind(catalog.KindEventLogObject) {
		fields := append([]field{{Name: "Id", Type: TypeID, Undescribed: true}}, catalogFields(e)...)
		for i := range fields {
			if fields[i].Name == "Timestamp" {
				// A dateTime on every Event Log Object ("the Timestamp
				// column that's present on all Event Log Objects", queried
				// with date-time literals and DAY_ONLY()), also where the
				// catalog could not read its type (FlowNavMetricEventLog's
				// page edition lost the types of some fields).
				fields[i].Type = TypeDateTime
			}
		}
		reg.add(&objectSchema{
			Name: e.Name, KeyPrefix: keyPrefix(e.Name), Doc: e.Doc, Since: e.Since, Fields: fields,
			TimestampField: "Timestamp", PlaceholderID: true, ELO: true,
			generate:   func(g *generator, ts time.Time) map[string]any { return g.catalogRecord(e, ts) },
			checkQuery: eloCheck,
		})
	}
}

// EventLogObjects lists the Event Log Objects the simulator serves.
func EventLogObjects() []string {
	var out []string
	for _, e := range catalog.OfKind(catalog.KindEventLogObject) {
		out = append(out, e.Name)
	}
	return out
}

// eloDelay is how long after its Timestamp a new row becomes queryable.
// Callers hold s.mu.
func (s *Server) eloDelay() time.Duration {
	switch d := s.opts.EventLogObjectDelay; {
	case d < 0:
		return 0
	case d > 0:
		return d
	}
	return eloMinDelay + time.Duration(s.gen.rnd.Int64N(int64(eloMaxDelay-eloMinDelay)+1)).Truncate(time.Millisecond)
}

// insertELORows stores generated rows of an Event Log Object at times ts,
// some identical in every field to the row before. Callers hold s.mu.
func (s *Server) insertELORows(sch *objectSchema, ts []time.Time) {
	var prev map[string]any
	for _, t := range ts {
		rec := sch.generate(s.gen, t)
		if prev != nil && s.gen.chance(eloDuplicateShare) {
			rec = prev // the same event logged twice
		}
		id := s.mustInsert(sch.Name, rec)
		r := s.st.table(sch.Name).byID[id]
		r.visibleAt = r.fields["Timestamp"].(time.Time).Add(s.eloDelay())
		prev = rec
	}
}

// generateEventLogObjectHistory fills the Event Log Objects of
// Options.EventLogObjectRows over Options.History.
func (s *Server) generateEventLogObjectHistory() {
	if s.opts.History <= 0 {
		return
	}
	now := s.opts.Now()
	names := make([]string, 0, len(s.opts.EventLogObjectRows))
	for name := range s.opts.EventLogObjectRows {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic per seed
	for _, name := range names {
		sch := s.reg.lookup(name)
		if sch == nil || !sch.ELO {
			panic("simulator: EventLogObjectRows: " + name + " is not an Event Log Object")
		}
		s.insertELORows(sch, s.gen.timestamps(s.opts.EventLogObjectRows[name], now.Add(-s.opts.History), now, time.Millisecond, eventRuns))
	}
}

// eloRows is what a query on an Event Log Object may see at now: rows past
// their delay and within retention, and, when the query bounds Timestamp on
// one side only or not at all, within the 15 days Salesforce appends.
func (s *Server) eloRows(q *query, rows []*row, now time.Time) []*row {
	lo, hi := eloWindow(q, now)
	oldest := now.Add(-eloRetention)
	var out []*row
	for _, r := range rows {
		ts, _ := r.fields["Timestamp"].(time.Time)
		if r.visibleAt.After(now) || ts.Before(oldest) || ts.Before(lo) || ts.After(hi) {
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
		if n.ref != nil && n.ref.rel == "" && n.ref.f.Name == "Timestamp" {
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
func eloCheck(q *query) error {
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
		if it.ref.rel != "" {
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
func eloWindow(q *query, now time.Time) (lo, hi time.Time) {
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
