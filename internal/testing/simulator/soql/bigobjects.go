package soql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// Real-Time Event Monitoring storage objects that are big objects
// (catalog.yaml's big: true; "Many of the storage events are Salesforce big
// objects", Real-Time Event Monitoring Data Storage:
// https://developer.salesforce.com/docs/atlas.en-us.securityImplGuide.meta/securityImplGuide/real_time_event_monitoring_storage.htm)
// answer SOQL only on their index fields; Salesforce refuses anything else
// with 400 BIG_OBJECT_UNSUPPORTED_OPERATION. Their rows show the empty Id
// (org.Schema.PlaceholderID). A plain custom object, Security_Case__c,
// stands for "any SOQL object".

// The index fields of a big object, in index order: "You can query big
// objects using a subset of standard SOQL commands filtering by EventDate
// alone, or EventDate and EventIdentifier together" (the storage page
// above).
var bigIndex = []string{"EventDate", "EventIdentifier"}

// reportEventUserIndex is ReportEvent's second index: "You can also filter
// ReportEvent on UserId (Beta). Valid: UserId alone, EventDate alone, UserId
// and EventDate, EventDate and EventIdentifier ... If you filter on
// EventIdentifier alone, or UserId with EventIdentifier, your query fails.
// You can only do a range query on the first index when you're searching on
// UserId alone" (the storage page above).
var reportEventUserIndex = []string{"UserId", "EventDate"}

// Filterable reports whether a query may filter on field of sch: on any
// field but on a big object, which filters only on its index fields.
func Filterable(sch *org.Schema, field string) bool {
	return !sch.Big || slices.Contains(bigIndexFields(sch.Name), field)
}

// Sortable reports whether a query may order by field of sch: by any field
// but on a big object, which sorts only by EventDate (bigObjectCheck).
func Sortable(sch *org.Schema, field string) bool { return !sch.Big || field == "EventDate" }

// bigIndexFields are the fields object may be filtered on.
func bigIndexFields(object string) []string {
	if object == "ReportEvent" {
		return []string{"EventDate", "EventIdentifier", "UserId"}
	}
	return bigIndex
}

// bigObjectCheck enforces a big object's query restrictions on a bound
// query. What is documented and what is the simulator's assumption:
//
//   - filters only on the index fields, EventDate alone or EventDate and
//     EventIdentifier together; EventIdentifier alone fails (the storage
//     page above; ReportEvent's UserId index likewise);
//   - "The != operator isn't supported", and comparison operators only "on
//     the final expression in a WHERE clause" (LoginAsEvent's "Standard SOQL
//     Usage":
//     https://developer.salesforce.com/docs/atlas.en-us.262.0.platform_events.meta/platform_events/sforce_api_objects_loginasevent.htm);
//     ranges (<, >, <=, >=) only on the last field queried, = or IN on
//     any, IN only once; !=, LIKE and NOT IN are not valid (Big Objects
//     Implementation Guide, "SOQL with Big Objects":
//     https://developer.salesforce.com/docs/atlas.en-us.226.0.bigobjects.meta/bigobjects/big_object_querying.htm);
//   - "the only supported SOQL function on LoginAsEvent is WHERE" (the
//     LoginAsEvent page): OFFSET is refused; that the rule covers OFFSET
//     is the simulator's reading;
//   - OR and NOT: the docs build a big-object filter as a conjunction on
//     the index ("without gaps"); refusing them is the simulator's
//     assumption;
//   - ORDER BY: the docs do not restrict it ("To guarantee the order of
//     the query results, use the ORDER BY clause", the guide above). The
//     simulator accepts ORDER BY EventDate, ascending or descending, and
//     refuses ordering by any other field or by more than one (e.g.
//     ORDER BY EventDate ASC, Id ASC): its assumption, which the receiver
//     relies on to tell a big object it does not know from an ordinary one.
//
// The error code is the one Salesforce answers; the docs give no message
// texts, so the messages are the simulator's own.
func bigObjectCheck(q *Query) error {
	object := q.schema.Name
	unsupported := func(pos int, detail string) error {
		return errAt("BIG_OBJECT_UNSUPPORTED_OPERATION", q.src, pos, detail)
	}
	if q.offset > 0 {
		return unsupported(keywordPos(q.src, "OFFSET"), "OFFSET is not supported in a query on a big object.")
	}
	if err := checkBigWhere(q, object, unsupported); err != nil {
		return err
	}
	for _, o := range q.order {
		if o.ref.Rel != "" || o.ref.Field.Name != "EventDate" || len(q.order) > 1 {
			return unsupported(o.pos, fmt.Sprintf("Big object '%s' can be sorted only by its index field EventDate (ORDER BY EventDate ASC or DESC).", object))
		}
	}
	return nil
}

// conjuncts flattens a WHERE of ANDs into its conditions; ok is false when
// it holds OR or NOT (at the returned node).
func conjuncts(n node) (conds []*condNode, bad node) {
	switch n := n.(type) {
	case nil:
		return nil, nil
	case andNode:
		l, bad := conjuncts(n.l)
		if bad != nil {
			return nil, bad
		}
		r, bad := conjuncts(n.r)
		if bad != nil {
			return nil, bad
		}
		return append(l, r...), nil
	case *condNode:
		return []*condNode{n}, nil
	}
	return nil, n
}

func checkBigWhere(q *Query, object string, unsupported func(int, string) error) error {
	conds, bad := conjuncts(q.where)
	if bad != nil {
		return unsupported(firstCondPos(bad), fmt.Sprintf("A query on big object '%s' can combine filters on its index fields only with AND; OR and NOT are not supported.", object))
	}
	idxFields := bigIndexFields(object)
	filtered := map[string]bool{}
	ins := 0
	for _, c := range conds {
		name := c.ref.Field.Name
		if c.ref.Rel != "" || c.fn != "" || !slices.Contains(idxFields, name) {
			return unsupported(c.pos, fmt.Sprintf("Filtering on field '%s' is not supported on big object '%s'. Filter only on its index fields: %s.", c.name, object, strings.Join(idxFields, ", ")))
		}
		filtered[name] = true
		ok := false
		switch c.kind {
		case condCmp:
			ok = c.op != "!=" && c.op != "<>" && c.lits[0].kind != litNull
		case condIn:
			ok = !c.neg
			ins++
		}
		if !ok {
			return unsupported(c.opPos, fmt.Sprintf("This operator is not supported on index field '%s' of big object '%s'; use =, IN, or <, <=, > or >= on the last index field queried.", name, object))
		}
		if ins > 1 {
			return unsupported(c.opPos, fmt.Sprintf("A query on big object '%s' can use IN only once.", object))
		}
	}
	// Which index the filters use, and its last field queried.
	index := bigIndex
	if filtered["UserId"] {
		index = reportEventUserIndex
		if filtered["EventIdentifier"] {
			return unsupported(firstCondPos(q.where), fmt.Sprintf("Big object '%s' cannot be filtered on UserId and EventIdentifier together.", object))
		}
	}
	last := ""
	for i, f := range index {
		if !filtered[f] {
			if i == 0 && len(filtered) > 0 {
				return unsupported(firstCondPos(q.where), fmt.Sprintf("A query on big object '%s' must filter on %s first: filter on EventDate alone, or EventDate and EventIdentifier together.", object, f))
			}
			continue
		}
		last = f
	}
	for _, c := range conds {
		if c.kind == condCmp && c.op != "=" && c.ref.Field.Name != last {
			return unsupported(c.opPos, fmt.Sprintf("A range filter on big object '%s' is supported only on the last index field queried (%s); use = on %s.", object, last, c.ref.Field.Name))
		}
	}
	return nil
}

func firstCondPos(n node) int {
	switch n := n.(type) {
	case andNode:
		return firstCondPos(n.l)
	case orNode:
		return firstCondPos(n.l)
	case notNode:
		return firstCondPos(n.x)
	case *condNode:
		return n.pos
	}
	return 0
}

func keywordPos(src, kw string) int {
	if i := strings.Index(strings.ToUpper(src), " "+kw); i >= 0 {
		return i + 1
	}
	return 0
}
