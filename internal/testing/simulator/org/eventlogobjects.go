package org

import (
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
//   - "Log data is retained for up to 30 days" (simulator/soql);
//   - "expect log data to be available to query within 25–45 minutes after
//     the event is logged" (Config.EventLogObjectDelay);
//   - SOQL without relationship queries, HAVING or OFFSET;
//   - "You can only query 15 days of data at a time using the Timestamp
//     column": only DAY_ONLY() as a date function on Timestamp, three or
//     more Timestamp filters are an error, != is not supported, with no
//     Timestamp filter "we append a filter in the backend to query only the
//     last 15 days", AND ranges must fall within 15 days, at most two
//     Timestamp filters with OR or IN, and a one-sided range "automatically
//     retrieves 15 days of data in the direction of the missing bound".
//
// The SOQL rules are simulator/soql's (eventlogobjects.go); the org keeps
// the rows and their delay. The pages give no error texts for the refused query shapes: the
// simulator answers with Salesforce's usual error shape (400 and
// MALFORMED_QUERY, or INVALID_QUERY_FILTER_OPERATOR for an operator) and
// messages of its own.
//
// No page lists an Id field, and none documents a unique key. Peers'
// published samples show the empty Id (000000000000000AAA) on every row
// when a query selects Id; the simulator does the same, which is not
// documented. Describe leaves Id out, as the pages do.

const (
	// The documented latency: "within 25–45 minutes".
	eloMinDelay, eloMaxDelay = 25 * time.Minute, 45 * time.Minute
	// eloDuplicateShare of generated rows repeat another row in every
	// field: the docs document no unique key, and RequestIdentifier and
	// the millisecond Timestamp are shared by the events of one
	// transaction. The share is the simulator's own.
	eloDuplicateShare = 0.01
)

// NoEventLogObjectDelay, as Config.EventLogObjectDelay, makes Event Log
// Object rows queryable at once.
const NoEventLogObjectDelay = time.Duration(-1)

// addEventLogObjectSchemas registers every Event Log Object of the catalog.
func addEventLogObjectSchemas(reg Registry) {
	for _, e := range catalog.OfKind(catalog.KindEventLogObject) {
		fields := append([]Field{{Name: "Id", Type: TypeID, Undescribed: true}}, catalogFields(e)...)
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
		reg.add(&Schema{
			Name: e.Name, KeyPrefix: keyPrefix(e.Name), Doc: e.Doc, Since: e.Since, Fields: fields,
			TimestampField: "Timestamp", ELO: true,
			generate: func(g *Generator, ts time.Time) map[string]any { return g.catalogRecord(e, ts) },
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
// Callers hold o.mu.
func (o *Org) eloDelay() time.Duration {
	switch d := o.cfg.EventLogObjectDelay; {
	case d < 0:
		return 0
	case d > 0:
		return d
	}
	return eloMinDelay + time.Duration(o.gen.rnd.Int64N(int64(eloMaxDelay-eloMinDelay)+1)).Truncate(time.Millisecond)
}

// insertELORows stores generated rows of an Event Log Object at times ts,
// some identical in every field to the row before. Callers hold o.mu.
func (o *Org) insertELORows(sch *Schema, ts []time.Time) {
	var prev map[string]any
	for _, t := range ts {
		rec := sch.generate(o.gen, t)
		if prev != nil && o.gen.chance(eloDuplicateShare) {
			rec = prev // the same event logged twice
		}
		id := o.mustInsert(sch.Name, rec)
		r := o.st.table(sch.Name).byID[id]
		r.VisibleAt = r.Fields["Timestamp"].(time.Time).Add(o.eloDelay())
		prev = rec
	}
}

// generateEventLogObjectHistory fills the Event Log Objects of
// Config.EventLogObjectRows over Config.History.
func (o *Org) generateEventLogObjectHistory() {
	if o.cfg.History <= 0 {
		return
	}
	now := o.cfg.Now()
	names := make([]string, 0, len(o.cfg.EventLogObjectRows))
	for name := range o.cfg.EventLogObjectRows {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic per seed
	for _, name := range names {
		sch := o.reg.Lookup(name)
		if sch == nil || !sch.ELO {
			panic("simulator: EventLogObjectRows: " + name + " is not an Event Log Object")
		}
		o.insertELORows(sch, o.gen.timestamps(o.cfg.EventLogObjectRows[name], now.Add(-o.cfg.History), now, time.Millisecond, eventRuns))
	}
}
