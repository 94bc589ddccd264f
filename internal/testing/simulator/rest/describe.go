package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/soql"
)

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
			Custom:   strings.HasSuffix(f.Name, "__c"),
			Nillable: f.Type != org.TypeID && f.Type != org.TypeBoolean,
			// A big object's field filters and sorts only as its index
			// allows.
			Filterable:  soql.Filterable(sch, f.Name),
			Sortable:    soql.Sortable(sch, f.Name),
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
// (Config.DeniedObjects are left out, as Salesforce leaves out objects a
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
// (Config.DeniedObjects).
func (s *Server) denied(object string) bool {
	return slices.ContainsFunc(s.cfg.DeniedObjects, func(o string) bool { return strings.EqualFold(o, object) })
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
