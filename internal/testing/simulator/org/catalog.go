package org

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// The simulator serves what internal/catalog lists: every storage object
// (kind storage) is a REST object with the catalog's fields and types, big
// ones with big-object query rules (simulator/soql), the Threat Detection
// stores standard objects with real Ids and full SOQL; every storage
// object's topic and every streaming event (kind event) is a Pub/Sub topic
// (simulator/pubsub); every Event Log Object is served as
// eventlogobjects.go describes. Each entry's doc (catalog.Entry.Doc) is the
// Salesforce page its fields come from.

// CatalogType is the simulator's type of a catalog field type.
func CatalogType(t string) FieldType {
	switch t {
	case "id":
		return TypeID
	case "datetime":
		return TypeDateTime
	case "int":
		return TypeInt
	case "double":
		return TypeDouble
	case "boolean":
		return TypeBoolean
	case "reference":
		return TypeReference
	}
	return TypeString
}

// catalogFields are e's fields as the simulator's. Paths through a
// relationship (SetupAuditTrail's CreatedBy.Username) are not fields: the
// reference they go through brings them.
func catalogFields(e *catalog.Entry) []Field {
	out := make([]Field, 0, len(e.Fields)+1)
	for _, f := range e.Fields {
		if strings.Contains(f.Name, ".") {
			continue
		}
		out = append(out, Field{Name: f.Name, Type: CatalogType(f.Type), RefObject: f.RefObject, RelName: f.RelName, Since: f.Since})
	}
	return out
}

// keyPrefixes are the 3-character Id prefixes the simulator gives objects.
// Salesforce documents no key prefix of these objects: they are the
// simulator's own (those before the catalog kept as they were).
var keyPrefixes = map[string]string{
	"LoginEvent": "0Lv", "LogoutEvent": "0Lw", "ApiEvent": "0Lx", "ReportEvent": "0Ll",
	"LoginAsEvent": "0Lr", "ApiAnomalyEventStore": "0Am",
}

// keyPrefix is an object's Id prefix: keyPrefixes', or one made from its
// name ("0" and two base-62 characters; the simulator's own).
func keyPrefix(name string) string {
	if p, ok := keyPrefixes[name]; ok {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	n := h.Sum32()
	return "0" + string(sfid.Base62[10+n%52]) + string(sfid.Base62[(n/52)%62])
}

// addCatalogSchemas registers every storage object of the catalog.
func addCatalogSchemas(reg Registry) {
	for _, e := range catalog.OfKind(catalog.KindStorage) {
		reg.add(storageSchema(e))
	}
}

// storageSchema is a storage object as the catalog lists it. Big objects
// get an Id field although the catalog lists none: Salesforce's field
// reference lists one ("Id | Login Event ID | id | 18",
// https://developer.salesforce.com/docs/atlas.en-us.sfFieldRef.meta/sfFieldRef/salesforce_field_reference_LoginEvent.htm),
// and a query selecting it gets the empty Id (Schema.PlaceholderID).
func storageSchema(e *catalog.Entry) *Schema {
	fields := catalogFields(e)
	if e.Field("Id") == nil {
		fields = append([]Field{{Name: "Id", Type: TypeID}}, fields...)
	}
	o := &Schema{
		Name: e.Name, KeyPrefix: keyPrefix(e.Name), Doc: e.Doc, Since: e.Since, Fields: fields,
		// Arrive stamps the field a reader pages on: a Threat Detection
		// store's CreatedDate (when the row was written), a big object's
		// EventDate.
		TimestampField: e.CursorField(),
		generate:       storageGenerator(e),
	}
	o.Big = e.Big
	return o
}

// ---- generators ----

// storageGenerators make realistic rows of storage objects by name; every
// other storage object gets the generic Generator.
var storageGenerators = map[string]func(g *Generator, ts time.Time) map[string]any{
	"LoginEvent":   genLoginEvent,
	"LogoutEvent":  genLogoutEvent,
	"ApiEvent":     genApiEvent,
	"ReportEvent":  genReportEvent,
	"LoginAsEvent": genLoginAsEvent,
}

// topicGenerators make realistic events by event name (events.go);
// a storage object whose event has one makes its rows from it.
var topicGenerators = map[string]func(g *Generator, ts time.Time) map[string]any{
	"LoginEventStream":        genLoginEventStream,
	"ApiAnomalyEvent":         genApiAnomalyEvent,
	"SessionHijackingEvent":   genSessionHijackingEvent,
	"CredentialStuffingEvent": genCredentialStuffingEvent,
	"ReportAnomalyEvent":      genReportAnomalyEvent,
	"PermissionSetEvent":      genPermissionSetEvent,
	"UniversalAnomalyEvent":   genUniversalAnomalyEvent,
}

// storageGenerator makes rows of e at ts (its TimestampField), with the
// fields e lists only.
func storageGenerator(e *catalog.Entry) func(g *Generator, ts time.Time) map[string]any {
	gen := storageGeneratorOf(e)
	return func(g *Generator, ts time.Time) map[string]any {
		rec := gen(g, ts)
		for k := range rec {
			if e.Field(k) == nil {
				delete(rec, k)
			}
		}
		return rec
	}
}

func storageGeneratorOf(e *catalog.Entry) func(g *Generator, ts time.Time) map[string]any {
	if gen, ok := storageGenerators[e.Name]; ok {
		return gen
	}
	base := func(g *Generator, ts time.Time) map[string]any { return g.catalogRecord(e, ts) }
	if gen, ok := topicGenerators[e.Topic]; ok && e.Topic != "" {
		base = func(g *Generator, ts time.Time) map[string]any {
			rec := gen(g, ts)
			delete(rec, "EventUuid")
			return rec
		}
	}
	if e.CursorField() != "CreatedDate" {
		return base
	}
	// A Threat Detection store's row is written after the event: "an
	// expected time difference between the Event Detection Date and the
	// Event Creation Date" (the stores' pages, e.g.
	// https://developer.salesforce.com/docs/platform/platform-events/guide/sforce-api-objects-apianomalyeventstore.html).
	// ts is CreatedDate; the event happened 30 s to 10 min before (the
	// simulator's choice: the docs give no figure).
	return func(g *Generator, ts time.Time) map[string]any {
		rec := base(g, ts)
		rec["CreatedDate"] = ts
		rec["EventDate"] = eventDateOf(e, ts.Add(-time.Duration(30+g.rnd.IntN(570))*time.Second))
		g.storeFields(e, rec)
		return rec
	}
}

// eventDateOf is an EventDate as e documents it: GuestUserAnomalyEvent's and
// LoginAnomalyEvent's are "a date value (no time portion) that represents
// aggregate timeframe" (catalog.yaml, from their pages).
func eventDateOf(e *catalog.Entry, t time.Time) time.Time {
	switch e.Name {
	case "GuestUserAnomalyEventStore", "LoginAnomalyEventStore", "GuestUserAnomalyEvent", "LoginAnomalyEvent":
		return t.UTC().Truncate(24 * time.Hour)
	}
	return t
}

// storeFields fills a store row's own system fields that the event does
// not carry: the *EventNumber auto-number (its format is not documented:
// ten digits, the simulator's own).
func (g *Generator) storeFields(e *catalog.Entry, rec map[string]any) {
	for _, f := range e.Fields {
		if strings.HasSuffix(f.Name, "EventNumber") && rec[f.Name] == nil {
			g.eventNumber++
			rec[f.Name] = fmt.Sprintf("%010d", g.eventNumber)
		}
	}
}

// catalogRecord is a generic row of e at ts: every field the catalog lists
// (but Id, which the store gives), valued by its type and name.
func (g *Generator) catalogRecord(e *catalog.Entry, ts time.Time) map[string]any {
	u := g.user()
	rec := make(map[string]any, len(e.Fields))
	for _, f := range e.Fields {
		if f.Name == "Id" || strings.Contains(f.Name, ".") {
			continue
		}
		switch f.Name {
		case e.Timestamp:
			rec[f.Name] = eventDateOf(e, ts)
			continue
		case e.CursorField():
			rec[f.Name] = ts
			continue
		}
		rec[f.Name] = g.fieldValue(f, u, ts)
	}
	return rec
}

// anomalySubTypes are UniversalAnomalyEvent's AnomalySubType values
// (catalog.yaml's comment; the GA pages list MCPAnomaly, newer ones
// UniversalAnomaly).
var anomalySubTypes = []string{"ApiAnomaly", "CredentialStuffing", "GuestUserAnomaly", "LoginAnomaly",
	"MCPAnomaly", "ReportAnomaly", "SessionHijacking"}

// loginErrors are LoginStatus values of failed logins, as the EventLogFile
// Login event type documents LOGIN_STATUS ("LOGIN_NO_ERROR" on success):
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile_login.htm
var loginErrors = []string{"LOGIN_ERROR_INVALID_PASSWORD", "LOGIN_ERROR_INVALID_USERNAME", "LOGIN_ERROR_USER_LOCKOUT", "LOGIN_ERROR_SSO_PWD_INVALID"}

var uriPaths = []string{"/services/data/v66.0/query", "/services/data/v66.0/sobjects/Account/describe",
	"/lightning/r/Account/0015g00000SimAcAAA/view", "/lightning/page/home", "/apex/AccountOverview",
	"/services/apexrest/orders", "/aura", "/services/Soap/u/66.0"}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	"SFDX Toolbelt - 2.40.7", "python-requests/2.31.0", "Java/17.0.10",
}

// fieldValue is a realistic value of an entry's field f, for user u at ts, by
// the field's name first and its type otherwise. Values are typed as the
// store keeps them (string, time.Time, int64, float64, bool). The values
// are the simulator's own: they follow the field descriptions of the
// entry's page (its Doc) where those say what a field holds.
func (g *Generator) fieldValue(f catalog.Field, u simUser, ts time.Time) any {
	name := f.Name
	switch f.Type {
	case "datetime":
		return ts.Add(-time.Duration(g.rnd.IntN(3600)) * time.Second)
	case "boolean":
		return g.chance(0.3)
	case "int":
		switch name {
		case "StatusCode":
			return int64(g.pick2(200, 200, 200, 201, 400, 404, 500))
		case "ApiVersion":
			return int64(60 + g.rnd.IntN(7))
		}
		return int64(g.rnd.IntN(100))
	case "double":
		switch {
		case name == "Score":
			return float64(g.rnd.IntN(1001)) / 10 // 0 to 100
		case name == "LoginLatitude":
			return cities[g.rnd.IntN(len(cities))].lat
		case name == "LoginLongitude":
			return cities[g.rnd.IntN(len(cities))].lon
		case strings.HasSuffix(name, "Time"):
			return float64(g.rnd.IntN(200000)) / 100 // milliseconds
		case strings.HasPrefix(name, "Rows") || strings.HasSuffix(name, "Count") || strings.HasSuffix(name, "Size"):
			return float64(g.rnd.IntN(5000))
		}
		return float64(g.rnd.IntN(100000)) / 100
	case "reference":
		if f.RefObject == "User" {
			return u.id
		}
		return sfid.New(keyPrefix(f.RefObject), g.rnd.Uint64N(1<<30))
	case "id":
		if strings.Contains(name, "User") {
			return u.id
		}
		return sfid.New(keyPrefix(name), g.rnd.Uint64N(1<<30))
	}
	switch {
	case name == "EventIdentifier" || name == "RelatedEventIdentifier" || name == "EventUuid":
		return g.uuid()
	case name == "UserIdentifier" || name == "ActualLoggedInUserIdentifier":
		// "The 15-character ID of the user" (the Event Log Object pages).
		return u.id[:15]
	case name == "Username" || name == "UserName":
		return u.username
	case name == "DelegatedUsername":
		return g.users[uAdmin].username
	case name == "ClientIp":
		// "A Salesforce internal IP ... is shown as 'Salesforce.com IP'"
		// (the Event Log Object pages).
		if g.chance(0.04) {
			return "Salesforce.com IP"
		}
		return g.ip()
	case strings.HasSuffix(name, "Ip") || strings.HasSuffix(name, "IP"):
		return g.ip()
	case name == "SessionKey" || name == "LoginKey" || name == "AuthSessionId":
		return g.key(16)
	case name == "RequestIdentifier":
		// A 22-character alphanumeric id, one of the forms the Event Log
		// Object pages give for X-SFDC-REQUEST-ID.
		return g.key(22)
	case name == "SessionLevel":
		return g.pick("STANDARD", "STANDARD", "HIGH_ASSURANCE")
	case name == "UserType":
		return g.pick("Standard", "Standard", "CsnOnly")
	case name == "Summary":
		return g.pick("Anomalous activity detected for the user", "Activity far above the user's usual volume",
			"Login from an unusual location and device")
	case name == "SecurityEventData":
		return fmt.Sprintf(`{"score":%d,"evidence":[{"source":"%s"}]}`, g.rnd.IntN(100), g.ip())
	case name == "AnomalySubType":
		return anomalySubTypes[g.rnd.IntN(len(anomalySubTypes))]
	case name == "PolicyOutcome":
		return g.pick("NoAction", "NoAction", "Notified", "Block")
	case name == "PolicyId":
		return sfid.New("0NI", g.rnd.Uint64N(1<<20))
	case name == "LoginHistoryId":
		return sfid.New("0Ya", g.rnd.Uint64N(1<<40))
	case name == "RequestStatus":
		// S success, F failure, A authorization error (the Event Log
		// Object pages).
		return g.pick("S", "S", "S", "S", "S", "S", "F", "A")
	case name == "LoginStatus":
		if g.chance(0.1) {
			return loginErrors[g.rnd.IntN(len(loginErrors))]
		}
		return "LOGIN_NO_ERROR"
	case name == "Status":
		return g.pick("Success", "Success", "Success", "Failed")
	case name == "OperationStatus":
		return g.pick("SUCCESS", "SUCCESS", "FAILURE")
	case name == "Uri" || name == "RequestUri" || name == "TargetUrl" || strings.HasSuffix(name, "PageUrl"):
		return uriPaths[g.rnd.IntN(len(uriPaths))]
	case name == "Url" || name == "LoginUrl" || name == "SamlEntityUrl":
		return g.pick("https://simorg.my.salesforce.com", "https://api.example.com/v1/orders", "login.salesforce.com")
	case name == "UserAgent" || strings.HasSuffix(name, "UserAgent"):
		return userAgents[g.rnd.IntN(len(userAgents))]
	case name == "Browser":
		return g.pick("Chrome 125", "Firefox 126", "Safari 17", "Edge 124")
	case name == "Platform" || strings.HasSuffix(name, "Platform"):
		return g.pick("Windows 10", "Mac OSX", "Linux", "iPhone iOS")
	case name == "Application":
		return g.pick("Browser", "Salesforce for iOS", "Data Loader")
	case name == "LoginType":
		return g.pick("Application", "Remote Access 2.0", "SAML Idp Initiated SSO")
	case name == "ApiType":
		return g.pick("REST", "SOAP Partner", "Bulk API 2.0")
	case name == "ApiVersion" || name == "ClientVersion":
		return g.pick("60.0", "64.0", "66.0")
	case name == "CountryIso":
		return cities[g.rnd.IntN(len(cities))].iso
	case name == "City":
		return cities[g.rnd.IntN(len(cities))].city
	case name == "Method" || name == "HttpMethod":
		return g.pick("GET", "GET", "POST", "PATCH", "DELETE")
	case name == "Query" || name == "QuerySelect":
		return apiQueries[g.rnd.IntN(len(apiQueries))].query
	case name == "QueriedEntities" || name == "EntityName" || name == "ObjectType" || name == "Report":
		return g.pick("Account", "Contact", "Opportunity", "Case")
	case name == "Operation":
		return g.pick("Query", "Insert", "Update", "Delete")
	case name == "EventSource":
		return g.pick("API", "Lightning", "Classic")
	case strings.HasSuffix(name, "Identifier") || strings.HasSuffix(name, "Id"):
		return sfid.New(keyPrefix(name), g.rnd.Uint64N(1<<30))
	case strings.HasSuffix(name, "IdList"):
		return sfid.New(keyPrefix(name), g.rnd.Uint64N(1<<30)) + "," + sfid.New(keyPrefix(name), g.rnd.Uint64N(1<<30))
	case strings.HasSuffix(name, "Message") || strings.HasSuffix(name, "Description"):
		return g.pick("Insufficient privileges", "Read timed out", "List has no rows for assignment to SObject")
	}
	// Names and kinds with no known values: a word naming the field.
	return name + "-" + string(sfid.Base62[10+g.rnd.IntN(26)])
}

// EventGenerator makes events of e's topic: its own Generator
// (topicGenerators), or its storage object's row, or a generic one, with
// EventUuid and CreatedDate (the publish time).
func EventGenerator(e *catalog.Entry, event string) func(g *Generator, ts time.Time) map[string]any {
	if gen, ok := topicGenerators[event]; ok {
		return gen
	}
	base := func(g *Generator, ts time.Time) map[string]any { return g.catalogRecord(e, ts) }
	if gen, ok := storageGenerators[e.Name]; ok {
		base = gen
	}
	return func(g *Generator, ts time.Time) map[string]any {
		rec := base(g, ts)
		rec["EventUuid"] = g.uuid()
		rec["CreatedDate"] = ts
		return rec
	}
}
