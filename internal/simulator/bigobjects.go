package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Real-Time Event Monitoring storage objects (LoginEvent, LogoutEvent,
// ApiEvent) are big objects: they can be filtered only on their index
// fields, sorted only by their date field descending, and Salesforce
// answers anything else with 400 BIG_OBJECT_UNSUPPORTED_OPERATION. A plain
// custom object, Security_Case__c, stands for "any SOQL object".

// bigIndex is the index of a big object: the date field and the
// identifier fields it may be filtered on.
type bigIndex struct {
	date string
	ids  []string
}

// bigObjects lists the simulated big objects and their index fields.
var bigObjects = map[string]bigIndex{
	"LoginEvent":  {date: "EventDate", ids: []string{"EventIdentifier"}},
	"LogoutEvent": {date: "EventDate", ids: []string{"EventIdentifier"}},
	"ApiEvent":    {date: "EventDate", ids: []string{"EventIdentifier"}},
	// incidents.go
	"ReportEvent":  {date: "EventDate", ids: []string{"EventIdentifier"}},
	"LoginAsEvent": {date: "EventDate", ids: []string{"EventIdentifier"}},
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

// eventFields are the fields every Real-Time Event Monitoring storage
// object has.
func eventFields(extra ...field) []field {
	return append([]field{
		{Name: "Id", Type: TypeID},
		{Name: "EventIdentifier", Type: TypeString},
		{Name: "EventDate", Type: TypeDateTime},
		{Name: "UserId", Type: TypeReference, RefObject: "User"},
		{Name: "Username", Type: TypeString},
		{Name: "SourceIp", Type: TypeString},
		{Name: "SessionKey", Type: TypeString},
		{Name: "LoginKey", Type: TypeString},
		{Name: "SessionLevel", Type: TypeString},
	}, extra...)
}

// addBigObject registers a big object with its index's rules.
func addBigObject(reg registry, o *objectSchema) {
	idx := bigObjects[o.Name]
	o.TimestampField = idx.date
	o.checkQuery = bigObjectCheck(o.Name, idx)
	reg.add(o)
}

// addObjectStreamSchemas registers the big objects and the custom object.
func addObjectStreamSchemas(reg registry) {
	common := eventFields(field{Name: "UserType", Type: TypeString}, field{Name: "RelatedEventIdentifier", Type: TypeString})
	with := func(extra ...field) []field { return append(slices.Clone(common), extra...) }
	add := func(o *objectSchema) { addBigObject(reg, o) }
	add(&objectSchema{
		Name: "LoginEvent", KeyPrefix: "0Lv", generate: genLoginEvent,
		Fields: with(
			field{Name: "Status", Type: TypeString},
			field{Name: "LoginType", Type: TypeString},
			field{Name: "LoginUrl", Type: TypeString},
			field{Name: "Browser", Type: TypeString},
			field{Name: "Platform", Type: TypeString},
			field{Name: "Application", Type: TypeString},
			field{Name: "UserAgent", Type: TypeString},
			field{Name: "ApiType", Type: TypeString},
			field{Name: "ApiVersion", Type: TypeString},
			field{Name: "ClientVersion", Type: TypeString},
			field{Name: "CountryIso", Type: TypeString},
			field{Name: "City", Type: TypeString},
			field{Name: "LoginLatitude", Type: TypeDouble},
			field{Name: "LoginLongitude", Type: TypeDouble},
			field{Name: "TlsProtocol", Type: TypeString},
			field{Name: "CipherSuite", Type: TypeString},
			field{Name: "HttpMethod", Type: TypeString},
			field{Name: "AuthMethodReference", Type: TypeString},
			field{Name: "AdditionalInfo", Type: TypeString},
			field{Name: "EvaluationTime", Type: TypeDouble},
			field{Name: "PolicyOutcome", Type: TypeString},
			field{Name: "LoginHistoryId", Type: TypeString},
		),
	})
	add(&objectSchema{
		Name: "LogoutEvent", KeyPrefix: "0Lw", generate: genLogoutEvent,
		Fields: with(
			field{Name: "SessionType", Type: TypeString},
			field{Name: "AppType", Type: TypeString},
			field{Name: "Platform", Type: TypeString},
		),
	})
	add(&objectSchema{
		Name: "ApiEvent", KeyPrefix: "0Lx", generate: genApiEvent,
		Fields: with(
			field{Name: "ApiType", Type: TypeString},
			field{Name: "ApiVersion", Type: TypeString},
			field{Name: "Application", Type: TypeString},
			field{Name: "Client", Type: TypeString},
			field{Name: "ConnectedAppId", Type: TypeString},
			field{Name: "Operation", Type: TypeString},
			field{Name: "Platform", Type: TypeString},
			field{Name: "Query", Type: TypeString},
			field{Name: "QueriedEntities", Type: TypeString},
			field{Name: "Records", Type: TypeString},
			field{Name: "RowsProcessed", Type: TypeDouble},
			field{Name: "RowsReturned", Type: TypeDouble},
			field{Name: "ElapsedTime", Type: TypeInt},
			field{Name: "UserAgent", Type: TypeString},
			field{Name: "LoginHistoryId", Type: TypeString},
			field{Name: "EvaluationTime", Type: TypeDouble},
			field{Name: "PolicyOutcome", Type: TypeString},
			field{Name: "AdditionalInfo", Type: TypeString},
		),
	})
	reg.add(&objectSchema{
		Name: "Security_Case__c", KeyPrefix: "a0S", TimestampField: "LastModifiedDate",
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

// bigObjectCheck enforces a big object's query restrictions on a bound query.
func bigObjectCheck(object string, idx bigIndex) func(q *query) error {
	return func(q *query) error {
		unsupported := func(pos int, detail string) error {
			return errAt("BIG_OBJECT_UNSUPPORTED_OPERATION", q.src, pos, detail)
		}
		if q.offset > 0 {
			return unsupported(keywordPos(q.src, "OFFSET"), "OFFSET is not supported in a query on a big object.")
		}
		if err := checkBigWhere(q, object, idx, q.where, unsupported); err != nil {
			return err
		}
		for _, o := range q.order {
			if o.ref.rel != "" || o.ref.f.Name != idx.date || !o.desc || len(q.order) > 1 {
				return unsupported(o.pos, fmt.Sprintf("Big object '%s' can be sorted only by its index field %s, in descending order (ORDER BY %s DESC).", object, idx.date, idx.date))
			}
		}
		return nil
	}
}

func checkBigWhere(q *query, object string, idx bigIndex, n node, unsupported func(int, string) error) error {
	switch n := n.(type) {
	case nil:
		return nil
	case andNode:
		if err := checkBigWhere(q, object, idx, n.l, unsupported); err != nil {
			return err
		}
		return checkBigWhere(q, object, idx, n.r, unsupported)
	case orNode, notNode:
		return unsupported(firstCondPos(n), fmt.Sprintf("A query on big object '%s' can combine filters on its index fields only with AND; OR and NOT are not supported.", object))
	case *condNode:
		name := n.ref.f.Name
		isDate, isID := name == idx.date, slices.Contains(idx.ids, name)
		if n.ref.rel != "" || (!isDate && !isID) {
			return unsupported(n.pos, fmt.Sprintf("Filtering on field '%s' is not supported on big object '%s'. Filter only on its index fields: %s.", n.name, object, strings.Join(append([]string{idx.date}, idx.ids...), ", ")))
		}
		ok := false
		switch n.kind {
		case condCmp:
			ok = n.op != "!=" && n.op != "<>" && n.lits[0].kind != litNull
		case condIn:
			ok = isID && !n.neg
		}
		if !ok {
			return unsupported(n.opPos, fmt.Sprintf("This operator is not supported on index field '%s' of big object '%s'; use =, <, <=, > or >=%s.", name, object, map[bool]string{true: " or IN", false: ""}[isID]))
		}
		return nil
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
// Salesforce's DescribeSObjectResult a client needs to choose fields.
func (s *Server) handleDescribe(w http.ResponseWriter, ver, name string) {
	sch := s.reg.lookup(name)
	view := s.view(ver) // fields of newer versions and hidden ones are left out
	if sch == nil || !view.objectVisible(sch) {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	idx, big := bigObjects[sch.Name]
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
		d := fieldDesc{
			Name: f.Name, Label: f.Name, Type: describeType(f.Type),
			Custom:      strings.HasSuffix(f.Name, "__c"),
			Nillable:    f.Type != TypeID && f.Type != TypeBoolean,
			Filterable:  !big || f.Name == idx.date || slices.Contains(idx.ids, f.Name),
			Sortable:    !big || f.Name == idx.date,
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
		"name": sch.Name, "label": sch.Name, "keyPrefix": sch.KeyPrefix,
		"custom": strings.HasSuffix(sch.Name, "__c"), "queryable": true,
		"fields": fields,
		"urls":   map[string]string{"describe": base + "/describe", "sobject": base},
	})
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
	rec["LoginHistoryId"] = makeID("0Ya", g.rnd.Uint64N(1<<40))
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
	rec["ConnectedAppId"] = makeID("0H4", g.rnd.Uint64N(1<<20))
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
