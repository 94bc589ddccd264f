package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
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

// Generated history rows per object (over Options.History).
var objectHistoryRows = []struct {
	object string
	rows   int
}{
	{"LoginEvent", 400},
	{"LogoutEvent", 200},
	{"ApiEvent", 600},
	{"Security_Case__c", 80},
	{"ReportEvent", 200}, // incidents.go: clean report activity
}

// addCustomObjectSchema registers the custom object. It is the
// simulator's own, as any org's custom object would be; its fields follow
// the standard fields every custom object has (Object Reference, "System
// Fields":
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm).
func addCustomObjectSchema(reg registry) {
	reg.add(&objectSchema{
		Name: "Security_Case__c", KeyPrefix: "a0S", TimestampField: "LastModifiedDate",
		Doc:      "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm",
		generate: genSecurityCase,
		Fields: []field{
			{Name: "Id", Type: TypeID},
			{Name: "Name", Type: TypeString},
			{Name: "OwnerId", Type: TypeReference, RelName: "Owner", RefObject: "User"},
			{Name: "CreatedById", Type: TypeReference, RelName: "CreatedBy", RefObject: "User"},
			{Name: "CreatedDate", Type: TypeDateTime},
			{Name: "LastModifiedDate", Type: TypeDateTime},
			{Name: "SystemModstamp", Type: TypeDateTime},
			{Name: "IsDeleted", Type: TypeBoolean},
			{Name: "Subject__c", Type: TypeString},
			{Name: "Severity__c", Type: TypeString},
			{Name: "Status__c", Type: TypeString},
			{Name: "Risk_Score__c", Type: TypeDouble},
			{Name: "Affected_Users__c", Type: TypeInt},
			{Name: "Is_Escalated__c", Type: TypeBoolean},
			{Name: "Source_Ip__c", Type: TypeString},
		},
	})
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
func bigObjectCheck(object string) func(q *query) error {
	return func(q *query) error {
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
	sch := s.reg.lookup(name)
	view := s.view(ver) // fields of newer versions and hidden ones are left out
	if sch == nil || !view.objectVisible(sch) {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	// A big object's field filters and sorts only as its index allows
	// (bigObjectCheck).
	big := sch.PlaceholderID && !sch.ELO
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
	for _, f := range view.fields(sch) {
		if f.Undescribed {
			continue
		}
		d := fieldDesc{
			Name: f.Name, Label: f.Name, Type: describeType(f.Type),
			Custom:      strings.HasSuffix(f.Name, "__c"),
			Nillable:    f.Type != TypeID && f.Type != TypeBoolean,
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
func describeKeyPrefix(sch *objectSchema) any {
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
	view := s.view(ver)
	var names []string
	for _, sch := range s.reg {
		if view.objectVisible(sch) && !s.denied(sch.Name) {
			names = append(names, sch.Name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	objs := make([]map[string]any, 0, len(names))
	for _, n := range names {
		sch := s.reg.lookup(n)
		custom := strings.HasSuffix(sch.Name, "__c")
		base := "/services/data/v" + ver + "/sobjects/" + sch.Name
		objs = append(objs, map[string]any{
			"name": sch.Name, "label": sch.Name, "labelPlural": sch.Name, "keyPrefix": describeKeyPrefix(sch),
			"custom": custom, "customSetting": false, "createable": custom, "updateable": custom,
			"deletable": custom, "undeletable": custom, "mergeable": false, "replicateable": !sch.PlaceholderID,
			"retrieveable": !sch.PlaceholderID, "searchable": false, "queryable": true, "triggerable": false,
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

func describeType(t FieldType) string {
	switch t {
	case TypeID:
		return "id"
	case TypeDateTime:
		return "datetime"
	case TypeReference:
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

// generateObjectStreamHistory fills the big objects and the custom object
// over Options.History, with runs of events sharing one millisecond.
func (s *Server) generateObjectStreamHistory() {
	if s.opts.History <= 0 {
		return
	}
	now := s.opts.Now()
	for _, obj := range objectHistoryRows {
		sch := s.reg.lookup(obj.object)
		for _, ts := range s.gen.timestamps(obj.rows, now.Add(-s.opts.History), now, time.Millisecond, eventRuns) {
			s.mustInsert(obj.object, sch.generate(s.gen, ts))
		}
	}
}

func (g *generator) uuid() string {
	a, b := g.rnd.Uint64(), g.rnd.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

func (g *generator) key(n int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rnd.IntN(len(alnum))]
	}
	return string(b)
}

// eventCommon fills the fields every event storage object shares.
func (g *generator) eventCommon(ts time.Time) (map[string]any, simUser) {
	u := g.user()
	return map[string]any{
		"EventIdentifier": g.uuid(),
		"EventDate":       ts,
		"UserId":          u.id,
		"Username":        u.username,
		"SourceIp":        g.ip(),
		"SessionKey":      g.key(16),
		"LoginKey":        g.key(16),
		"SessionLevel":    g.pick("STANDARD", "STANDARD", "HIGH_ASSURANCE"),
		"UserType":        g.pick("Standard", "Standard", "CsnOnly"),
	}, u
}

var cities = []struct {
	iso, city string
	lat, lon  float64
}{
	{"US", "San Francisco", 37.7749, -122.4194},
	{"US", "New York", 40.7128, -74.006},
	{"GB", "London", 51.5074, -0.1278},
	{"DE", "Berlin", 52.52, 13.405},
	{"FR", "Paris", 48.8566, 2.3522},
	{"IN", "Bengaluru", 12.9716, 77.5946},
	{"JP", "Tokyo", 35.6762, 139.6503},
}

func genLoginEvent(g *generator, ts time.Time) map[string]any {
	rec, u := g.eventCommon(ts)
	rec["Status"] = "Success"
	if g.chance(0.1) {
		rec["Status"] = g.pick("Invalid Password", "Failed: Computer activation required", "User Locked Out")
		rec["SessionKey"] = nil
	}
	api := g.chance(0.3)
	rec["LoginType"] = g.pick("Application", "Application", "SAML Idp Initiated SSO")
	rec["LoginUrl"] = g.pick("login.salesforce.com", "simorg.my.salesforce.com")
	rec["Browser"] = g.pick("Chrome 124", "Chrome 125", "Firefox 126", "Safari 17", "Edge 124")
	rec["Platform"] = g.pick("Windows 10", "Windows 11", "Mac OSX", "Linux", "iPhone iOS")
	rec["Application"] = g.pick("Browser", "Browser", "Salesforce for iOS")
	rec["UserAgent"] = g.pick(
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0")
	rec["ApiType"], rec["ApiVersion"], rec["ClientVersion"] = "N/A", "N/A", "N/A"
	if api {
		rec["LoginType"] = g.pick("Remote Access 2.0", "Other Apex API")
		rec["Application"] = g.pick("Data Loader", "Salesforce CLI", "sfsim Integration")
		rec["ApiType"] = g.pick("SOAP Partner", "REST")
		rec["ApiVersion"] = g.pick("60.0", "64.0", "66.0")
		rec["ClientVersion"] = rec["ApiVersion"]
		rec["Browser"], rec["Platform"], rec["UserAgent"] = "Unknown", "Unknown", nil
	}
	setHome(rec, u) // incidents.go: a new country is an incident
	rec["TlsProtocol"] = g.pick("TLS 1.2", "TLS 1.3")
	rec["CipherSuite"] = g.pick("ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384")
	rec["HttpMethod"] = g.pick("POST", "POST", "GET")
	rec["AdditionalInfo"] = "{}"
	rec["EvaluationTime"] = float64(g.rnd.IntN(20))
	rec["PolicyOutcome"] = g.pick("NoAction", "NoAction", "NoAction", "Notified", "Block")
	rec["LoginHistoryId"] = sfid.New("0Ya", g.rnd.Uint64N(1<<40))
	return rec
}

func genLogoutEvent(g *generator, ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	rec["SessionType"] = g.pick("UI", "UI", "Oauth2", "API")
	rec["AppType"] = g.pick("1000", "1001", "1003")
	rec["Platform"] = g.pick("Windows 10", "Mac OSX", "Linux")
	if g.chance(0.3) {
		rec["RelatedEventIdentifier"] = g.uuid()
	}
	return rec
}

var apiQueries = []struct{ entities, query string }{
	{"Account", "SELECT Id, Name FROM Account"},
	{"Contact", "SELECT Id, Email FROM Contact WHERE AccountId != null"},
	{"User", "SELECT Id, Username, IsActive FROM User"},
	{"Opportunity", "SELECT Id, Amount, StageName FROM Opportunity"},
	{"Account, Contact", "SELECT Id, (SELECT Id FROM Contacts) FROM Account"},
}

func genApiEvent(g *generator, ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	q := apiQueries[g.rnd.IntN(len(apiQueries))]
	rows := float64(g.rnd.IntN(5000))
	rec["ApiType"] = g.pick("REST", "SOAP Partner", "Bulk API 2.0")
	rec["ApiVersion"] = g.pick("60.0", "64.0", "66.0")
	rec["Application"] = g.pick("Data Loader", "Salesforce CLI", "sfsim Integration")
	rec["Client"] = g.pick("sfdx toolbelt", "DataLoaderBulkUI/60.0", "sfsim/1.0")
	rec["ConnectedAppId"] = sfid.New("0H4", g.rnd.Uint64N(1<<20))
	rec["Operation"] = g.pick("Query", "Query", "QueryMore", "Describe")
	rec["Platform"] = g.pick("Linux", "Mac OSX", "Windows 10")
	rec["Query"] = q.query
	rec["QueriedEntities"] = q.entities
	rec["Records"] = `{"totalSize":` + fmt.Sprint(int(rows)) + `}`
	rec["RowsProcessed"] = rows
	rec["RowsReturned"] = min(rows, 2000)
	rec["ElapsedTime"] = int64(5 + g.rnd.IntN(3000))
	rec["UserAgent"] = g.pick("SFDX Toolbelt - 2.40.7", "Java/17.0.10", "sfsim/1.0")
	rec["EvaluationTime"] = float64(g.rnd.IntN(10))
	rec["PolicyOutcome"] = "NoAction"
	rec["AdditionalInfo"] = "{}"
	return rec
}

func genSecurityCase(g *generator, ts time.Time) map[string]any {
	owner := g.users[g.rnd.IntN(len(g.users))]
	return map[string]any{
		"Name":              fmt.Sprintf("SC-%06d", g.rnd.IntN(1_000_000)),
		"OwnerId":           owner.id,
		"CreatedById":       g.user().id,
		"CreatedDate":       ts.Add(-time.Duration(g.rnd.IntN(72)) * time.Hour),
		"LastModifiedDate":  ts,
		"SystemModstamp":    ts,
		"IsDeleted":         false,
		"Subject__c":        g.pick("Suspicious login", "Credential stuffing", "Mass export", "Permission change", "Session hijack suspected"),
		"Severity__c":       g.pick("Low", "Medium", "High", "Critical"),
		"Status__c":         g.pick("New", "Investigating", "Closed"),
		"Risk_Score__c":     float64(g.rnd.IntN(1000)) / 10,
		"Affected_Users__c": int64(1 + g.rnd.IntN(40)),
		"Is_Escalated__c":   g.chance(0.2),
		"Source_Ip__c":      g.ip(),
	}
}
