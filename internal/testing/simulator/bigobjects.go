package simulator

import (
	"fmt"
	"net/http"
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
// (schema.go). A plain custom object, Security_Case__c, stands for "any
// SOQL object".

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
func bigObjectCheck(q *query) error {
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
		if o.ref.rel != "" || o.ref.f.Name != "EventDate" || len(q.order) > 1 {
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

func checkBigWhere(q *query, object string, unsupported func(int, string) error) error {
	conds, bad := conjuncts(q.where)
	if bad != nil {
		return unsupported(firstCondPos(bad), fmt.Sprintf("A query on big object '%s' can combine filters on its index fields only with AND; OR and NOT are not supported.", object))
	}
	idxFields := bigIndexFields(object)
	filtered := map[string]bool{}
	ins := 0
	for _, c := range conds {
		name := c.ref.f.Name
		if c.ref.rel != "" || c.fn != "" || !slices.Contains(idxFields, name) {
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
		if c.kind == condCmp && c.op != "=" && c.ref.f.Name != last {
			return unsupported(c.opPos, fmt.Sprintf("A range filter on big object '%s' is supported only on the last index field queried (%s); use = on %s.", object, last, c.ref.f.Name))
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

// ---- describe ----

// handleDescribe answers GET /sobjects/{name}/describe with the parts of
// Salesforce's DescribeSObjectResult a client needs to choose fields (REST
// API Developer Guide, "sObject Describe":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm;
// the field properties as the SOAP API's "describeSObjects()" result
// documents them:
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm).
// The 404 NOT_FOUND body is the REST API's answer to a resource that does
// not exist ("Status Codes and Error Responses":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
// Labels are the API names: the simulator knows no labels.
func (s *Server) handleDescribe(w http.ResponseWriter, ver, name string) {
	sch := s.org.Schema(name)
	view := s.org.View(ver) // fields of newer versions and hidden ones are left out
	if sch == nil || !view.ObjectVisible(sch) {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	// A big object's field filters and sorts only as its index allows
	// (bigObjectCheck).
	big := sch.Big
	type fieldDesc struct {
		Name             string   `json:"name"`
		Label            string   `json:"label"`
		Type             string   `json:"type"`
		Custom           bool     `json:"custom"`
		Nillable         bool     `json:"nillable"`
		Filterable       bool     `json:"filterable"`
		Sortable         bool     `json:"sortable"`
		RelationshipName *string  `json:"relationshipName"`
		ReferenceTo      []string `json:"referenceTo"`
	}
	fields := make([]fieldDesc, 0, len(sch.Fields))
	for _, f := range view.Fields(sch) {
		if f.Undescribed {
			continue
		}
		d := fieldDesc{
			Name: f.Name, Label: f.Name, Type: describeType(f.Type),
			Custom:      strings.HasSuffix(f.Name, "__c"),
			Nillable:    f.Type != org.TypeID && f.Type != org.TypeBoolean,
			Filterable:  !big || slices.Contains(bigIndexFields(sch.Name), f.Name),
			Sortable:    !big || f.Name == "EventDate",
			ReferenceTo: []string{},
		}
		if f.RelName != "" {
			d.RelationshipName = &f.RelName
		}
		if f.RefObject != "" {
			d.ReferenceTo = []string{f.RefObject}
		}
		fields = append(fields, d)
	}
	base := "/services/data/v" + ver + "/sobjects/" + sch.Name
	writeJSON(w, http.StatusOK, map[string]any{
		"name": sch.Name, "label": sch.Name, "keyPrefix": describeKeyPrefix(sch),
		"custom": strings.HasSuffix(sch.Name, "__c"), "queryable": true,
		"fields": fields,
		"urls":   map[string]string{"describe": base + "/describe", "sobject": base},
	})
}

// describeKeyPrefix is an object's keyPrefix in a describe: null for Event
// Log Objects, whose rows have no documented Id.
func describeKeyPrefix(sch *org.Schema) any {
	if sch.ELO {
		return nil
	}
	return sch.KeyPrefix
}

// handleDescribeGlobal answers GET /services/data/vNN.N/sobjects/: every
// object the org has at that API version and the integration user may see
// (Options.DeniedObjects are left out, as Salesforce leaves out objects a
// user has no access to), in the shape of the REST API Developer Guide's
// "Describe Global":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_describeGlobal.htm
// ({"encoding", "maxBatchSize", "sobjects": [DescribeGlobalSObjectResult]}).
// The per-object properties the simulator cannot know (labels, layouts)
// take plain values: label is the API name.
func (s *Server) handleDescribeGlobal(w http.ResponseWriter, ver string) {
	view := s.org.View(ver)
	var names []string
	for _, sch := range s.org.Schemas() {
		if view.ObjectVisible(sch) && !s.denied(sch.Name) {
			names = append(names, sch.Name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	objs := make([]map[string]any, 0, len(names))
	for _, n := range names {
		sch := s.org.Schema(n)
		custom := strings.HasSuffix(sch.Name, "__c")
		base := "/services/data/v" + ver + "/sobjects/" + sch.Name
		objs = append(objs, map[string]any{
			"name": sch.Name, "label": sch.Name, "labelPlural": sch.Name, "keyPrefix": describeKeyPrefix(sch),
			"custom": custom, "customSetting": false, "createable": custom, "updateable": custom,
			"deletable": custom, "undeletable": custom, "mergeable": false, "replicateable": !sch.PlaceholderID(),
			"retrieveable": !sch.PlaceholderID(), "searchable": false, "queryable": true, "triggerable": false,
			"layoutable": false, "feedEnabled": false, "activateable": false, "deprecatedAndHidden": false,
			"urls": map[string]string{"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})
}

// denied reports whether the integration user may not read object
// (Options.DeniedObjects).
func (s *Server) denied(object string) bool {
	return slices.ContainsFunc(s.opts.DeniedObjects, func(o string) bool { return strings.EqualFold(o, object) })
}

func describeType(t org.FieldType) string {
	switch t {
	case org.TypeID:
		return "id"
	case org.TypeDateTime:
		return "datetime"
	case org.TypeReference:
		return "reference"
	}
	return t.String()
}

// ---- history and generators ----
//
// The generators' fields are the catalog entries' (each names its
// Salesforce page); their values are the simulator's own, shaped as the
// pages describe the fields (picklist values where a page lists them, e.g.
// ReportEvent's Operation).
