package simulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// The Pub/Sub API's topics and their Avro schemas, shaped like the ones
// Salesforce serves from GetSchema:
//
//   - a record named after the event in namespace com.sforce.eventbus, with a
//     top-level "uuid" attribute (Salesforce's compact schemas carry one);
//   - CreatedDate is a plain long (epoch milliseconds) with doc
//     "CreatedDate:DateTime" and CreatedById a string with doc
//     "CreatedBy:EntityId" (confirmed on live platform-event schemas);
//   - other fields are unions with null, default null, and a doc of the form
//     "Data:<Salesforce type>[:<field id>]" — date-times are longs in epoch
//     milliseconds documented "...:DateTime" (e.g. "Data:DateTime"), never
//     text, and there is no Avro logicalType;
//   - Change Data Capture adds the ChangeEventHeader record as field 0.
//
// The exact docs of Real-Time Event Monitoring fields are modelled on
// platform events and not confirmed against a live org. Salesforce's
// guides document the encoding (Avro binary, the schema from GetSchema:
// https://developer.salesforce.com/docs/platform/pub-sub-api/references/methods/getschema-rpc.html)
// but not these conventions: they are read off live schemas.

const avroNamespace = "com.sforce.eventbus"

type topicKind int

const (
	kindRTEM          topicKind = iota // Real-Time Event Monitoring
	kindPlatformEvent                  // /event/X__e
	kindCDC                            // /data/XChangeEvent
)

// jsonField and jsonRecord marshal in the key order Salesforce uses.
type jsonField struct {
	Name    string           `json:"name"`
	Type    any              `json:"type"`
	Doc     string           `json:"doc,omitempty"`
	Default *json.RawMessage `json:"default,omitempty"`
}

type jsonRecord struct {
	Name      string      `json:"name"`
	Namespace string      `json:"namespace,omitempty"`
	Type      string      `json:"type"`
	Doc       string      `json:"doc,omitempty"`
	Fields    []jsonField `json:"fields"`
	UUID      string      `json:"uuid,omitempty"`
}

var jsonNull = json.RawMessage("null")

// opt is a nullable field: ["null", type], default null.
func opt(name string, typ any, doc string) jsonField {
	return jsonField{Name: name, Type: []any{"null", typ}, Doc: doc, Default: &jsonNull}
}

// req is a field that is never null.
func req(name string, typ any, doc string) jsonField {
	return jsonField{Name: name, Type: typ, Doc: doc}
}

func text(name string) jsonField     { return opt(name, "string", "Data:Text") }
func picklist(name string) jsonField { return opt(name, "string", "Data:Picklist") }
func entityID(name string) jsonField { return opt(name, "string", "Data:EntityId") }
func double(name string) jsonField   { return opt(name, "double", "Data:Double") }
func dateTime(name string) jsonField { return opt(name, "long", "Data:DateTime") }

// schemaID is Salesforce-like: 22 characters of URL-safe base64 (a 128-bit
// fingerprint), here of the schema JSON without its uuid attribute.
func schemaID(schemaJSON string) string {
	sum := sha256.Sum256([]byte(schemaJSON))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// recordSchema renders a top-level event schema and its id; the id is also
// written into the JSON as "uuid", as Salesforce does.
func recordSchema(name string, fields []jsonField) (schemaJSON, id string) {
	rec := jsonRecord{Name: name, Namespace: avroNamespace, Type: "record", Fields: fields}
	id = schemaID(string(marshal(rec)))
	rec.UUID = id
	return string(marshal(rec)), id
}

// pubsubTopicDef describes a built-in topic.
type pubsubTopicDef struct {
	name    string // channel, e.g. /event/LoginEventStream
	kind    topicKind
	storage string // storage object kept by the simulator ("" for none)
	// storedAs is Salesforce's storage object for the event (for
	// documentation and tests); the simulator keeps every one.
	storedAs string
	doc      string // the event's Salesforce page (catalog topic_doc or doc)
	fields   func() []jsonField
	gen      func(g *generator, ts time.Time) map[string]any
}

func (d pubsubTopicDef) eventName() string { return d.name[strings.LastIndexByte(d.name, '/')+1:] }

// The Real-Time Event Monitoring topics come from the catalog
// (catalog.go): /event/<topic> of every storage object with a topic, and
// /event/<name> of every streaming event. A topic's schema holds the fields
// of its catalog entry, the storage object's minus the store's own system
// fields (storeOnly: Id, *EventNumber, LastModifiedDate, SystemModstamp),
// after CreatedDate (when it was published) and EventUuid, which every
// Real-Time Event Monitoring event has ("EventUuid: A universally unique
// identifier (UUID) that identifies a platform event message", e.g.
// https://developer.salesforce.com/docs/platform/platform-events/guide/sforce-api-objects-logineventstream.html).
// Same names, same values: publishing an event whose entry is a storage
// object also writes the storage row (appendEvent).

// picklistFields are the fields the event pages type as picklists; the
// catalog lists them as strings, their Avro doc says "Data:Picklist".
var picklistFields = map[string]bool{
	"SessionLevel": true, "UserType": true, "LoginType": true, "TlsProtocol": true, "CipherSuite": true,
	"HttpMethod": true, "PolicyOutcome": true, "Operation": true, "EventSource": true, "PermissionType": true,
	"AnomalySubType": true,
}

// entityIDFields are string fields of the catalog that hold a record Id
// (the pages type them as reference): "Data:EntityId".
var entityIDFields = map[string]bool{"LoginHistoryId": true, "PolicyId": true}

// avroFieldOf is a catalog field as a topic schema's field.
func avroFieldOf(f catalog.Field) jsonField {
	switch f.Type {
	case "datetime":
		return dateTime(f.Name)
	case "double":
		return double(f.Name)
	case "int":
		return opt(f.Name, "int", "Data:Int")
	case "boolean":
		return opt(f.Name, "boolean", "Data:Checkbox")
	case "id", "reference":
		return entityID(f.Name)
	}
	switch {
	case picklistFields[f.Name]:
		return picklist(f.Name)
	case entityIDFields[f.Name]:
		return entityID(f.Name)
	}
	return text(f.Name)
}

// catalogTopicFields is the schema of the topic of catalog entry e.
func catalogTopicFields(e *catalog.Entry) []jsonField {
	out := []jsonField{req("CreatedDate", "long", "CreatedDate:DateTime"), opt("EventUuid", "string", "Data:Text")}
	for _, f := range e.Fields {
		if !storeOnly(f.Name) && f.Name != "EventUuid" {
			out = append(out, avroFieldOf(f))
		}
	}
	return out
}

// topicGenerator makes events of e's topic: its own generator
// (topicGenerators), or its storage object's row, or a generic one, with
// EventUuid and CreatedDate (the publish time).
func topicGenerator(e *catalog.Entry, event string) func(g *generator, ts time.Time) map[string]any {
	if gen, ok := topicGenerators[event]; ok {
		return gen
	}
	base := func(g *generator, ts time.Time) map[string]any { return g.catalogRecord(e, ts) }
	if gen, ok := storageGenerators[e.Name]; ok {
		base = gen
	}
	return func(g *generator, ts time.Time) map[string]any {
		rec := base(g, ts)
		rec["EventUuid"] = g.uuid()
		rec["CreatedDate"] = ts
		return rec
	}
}

// catalogTopicDefs are the topics of the catalog's entries.
func catalogTopicDefs() []pubsubTopicDef {
	var out []pubsubTopicDef
	for _, e := range eventEntries() {
		event, storage, doc := e.Topic, e.Name, e.TopicDoc
		if e.Kind == catalog.KindEvent {
			event, storage, doc = e.Name, "", e.Doc
		}
		out = append(out, pubsubTopicDef{
			name: "/event/" + event, kind: kindRTEM, storage: storage, storedAs: storage, doc: doc,
			fields: func() []jsonField { return catalogTopicFields(e) }, gen: topicGenerator(e, event),
		})
	}
	return out
}

// Address is Salesforce's compound address field (CDC field order).
func addressRecord() jsonRecord {
	sub := func(n, doc string) jsonField { return opt(n, "string", doc) }
	return jsonRecord{Name: "Address", Type: "record", Fields: []jsonField{
		sub("Street", "Data:Textarea"), sub("City", "Data:Text"), sub("State", "Data:Text"),
		sub("PostalCode", "Data:Text"), sub("Country", "Data:Text"), sub("StateCode", "Data:Picklist"),
		sub("CountryCode", "Data:Picklist"), opt("Latitude", "double", "Data:Double"),
		opt("Longitude", "double", "Data:Double"), sub("Xyz", "Data:Text"), sub("GeocodeAccuracy", "Data:Picklist"),
	}}
}

var addressFieldNames = []string{"Street", "City", "State", "PostalCode", "Country", "StateCode",
	"CountryCode", "Latitude", "Longitude", "Xyz", "GeocodeAccuracy"}

// ChangeTypes are the symbols of the CDC header's changeType enum.
var changeTypes = []string{"CREATE", "UPDATE", "DELETE", "UNDELETE", "GAP_CREATE", "GAP_UPDATE",
	"GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW", "SNAPSHOT"}

func changeEventHeaderRecord() jsonRecord {
	strs := map[string]any{"type": "array", "items": "string"}
	return jsonRecord{Name: "ChangeEventHeader", Type: "record", Fields: []jsonField{
		req("entityName", "string", ""),
		req("recordIds", strs, ""),
		req("changeType", map[string]any{"type": "enum", "name": "ChangeType", "namespace": avroNamespace, "symbols": changeTypes}, ""),
		req("changeOrigin", "string", ""),
		req("transactionKey", "string", ""),
		req("sequenceNumber", "int", ""),
		req("commitTimestamp", "long", ""),
		req("commitNumber", "long", ""),
		req("commitUser", "string", ""),
		req("nulledFields", strs, ""),
		req("diffFields", strs, ""),
		req("changedFields", strs, ""),
	}}
}

// accountChangeFields: field 0 is the header; bitmaps count from it.
func accountChangeFields() []jsonField {
	return []jsonField{
		req("ChangeEventHeader", changeEventHeaderRecord(), "Data:ChangeEventHeader"),
		opt("Name", "string", "Data:Text"),
		picklist("Type"),
		entityID("ParentId"),
		opt("BillingAddress", addressRecord(), "Data:Address"),
		opt("ShippingAddress", "Address", "Data:Address"),
		opt("Phone", "string", "Data:Phone"),
		opt("Website", "string", "Data:Url"),
		picklist("Industry"),
		opt("AnnualRevenue", "double", "Data:Currency"),
		opt("NumberOfEmployees", "int", "Data:Int"),
		entityID("OwnerId"),
		opt("CreatedDate", "long", "CreatedDate:DateTime"),
		opt("CreatedById", "string", "CreatedBy:EntityId"),
		opt("LastModifiedDate", "long", "LastModifiedDate:DateTime"),
		opt("LastModifiedById", "string", "LastModifiedBy:EntityId"),
	}
}

var accountFieldNames = func() []string {
	var out []string
	for _, f := range accountChangeFields() {
		out = append(out, f.Name)
	}
	return out
}()

func securityAlertFields() []jsonField {
	return []jsonField{
		req("CreatedDate", "long", "CreatedDate:DateTime"),
		req("CreatedById", "string", "CreatedBy:EntityId"),
		opt("Severity__c", "string", "Data:Picklist:00N5g00000SimSev"),
		opt("Message__c", "string", "Data:Text:00N5g00000SimMsg"),
		opt("Risk_Score__c", "double", "Data:Double:00N5g00000SimRsk"),
		opt("Source_Ip__c", "string", "Data:Text:00N5g00000SimSip"),
		opt("Detected_At__c", "long", "Data:DateTime:00N5g00000SimDet"),
		opt("Is_Escalated__c", "boolean", "Data:Checkbox:00N5g00000SimEsc"),
	}
}

// pubsubTopicDefs are the simulator's topics: the catalog's, then a custom
// platform event and a Change Data Capture channel, which stand for the
// org's own (they are not Salesforce knowledge: the org's admins define
// them; their shapes follow the Platform Events Developer Guide,
// https://developer.salesforce.com/docs/atlas.en-us.platform_events.meta/platform_events/platform_events_define_ui.htm,
// and the Change Data Capture Developer Guide,
// https://developer.salesforce.com/docs/atlas.en-us.change_data_capture.meta/change_data_capture/cdc_event_fields_header.htm).
var pubsubTopicDefs = append(catalogTopicDefs(),
	pubsubTopicDef{name: "/event/Security_Alert__e", kind: kindPlatformEvent, fields: securityAlertFields, gen: genSecurityAlert},
	pubsubTopicDef{name: "/data/AccountChangeEvent", kind: kindCDC, fields: accountChangeFields, gen: genAccountChange},
)

// ---- generators: values typed as the REST API types them (time.Time for
// date-times, float64, int64, bool, string, nil) ----

func genLoginEventStream(g *generator, ts time.Time) map[string]any {
	rec := genLoginEvent(g, ts) // bigobjects.go: the storage object's values
	rec["EventUuid"] = g.uuid()
	rec["CreatedDate"] = ts
	return rec
}

func (g *generator) rtemCommon(ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	rec["EventUuid"] = g.uuid()
	rec["CreatedDate"] = ts
	delete(rec, "SessionLevel")
	delete(rec, "UserType")
	return rec
}

func (g *generator) anomaly(rec map[string]any, summary string) map[string]any {
	score := float64(g.rnd.IntN(1000)) / 10
	rec["Score"] = score
	rec["Summary"] = summary
	rec["SecurityEventData"] = fmt.Sprintf(`{"score":%g,"evidence":[{"source":"%s"}]}`, score, rec["SourceIp"])
	rec["PolicyId"] = sfid.New("0Nl", g.rnd.Uint64N(1<<20))
	rec["PolicyOutcome"] = g.pick("NoAction", "Notified", "Notified", "Block")
	return rec
}

func genApiAnomalyEvent(g *generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	q := apiQueries[g.rnd.IntN(len(apiQueries))]
	rows := float64(5000 + g.rnd.IntN(500000))
	rec["Operation"] = g.pick("Query", "QueryMore")
	rec["QueriedEntities"] = q.entities
	rec["RequestIdentifier"] = g.key(20)
	rec["RowsProcessed"] = rows
	rec["Uri"] = "/services/data/v66.0/query"
	rec["UserAgent"] = g.pick("SFDX Toolbelt - 2.40.7", "Java/17.0.10", "python-requests/2.31")
	return g.anomaly(rec, fmt.Sprintf("API request retrieved %d rows, far above the user's usual volume", int(rows)))
}

func genSessionHijackingEvent(g *generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["CurrentIp"], rec["PreviousIp"] = g.ip(), rec["SourceIp"]
	rec["CurrentPlatform"], rec["PreviousPlatform"] = g.pick("Linux x86_64", "Win32"), g.pick("MacIntel", "Win32")
	rec["CurrentScreen"], rec["PreviousScreen"] = g.pick("(1920,1080)", "(2560,1440)"), "(1440,900)"
	rec["CurrentWindow"], rec["PreviousWindow"] = "(1200,800)", "(1440,789)"
	rec["CurrentUserAgent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
	rec["PreviousUserAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
	return g.anomaly(rec, "Successful session hijacking attempt detected: the session's browser fingerprint changed")
}

func genCredentialStuffingEvent(g *generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["AcceptLanguage"] = g.pick("en-US,en;q=0.9", "de-DE,de;q=0.8")
	rec["LoginType"] = "Application"
	rec["LoginUrl"] = "login.salesforce.com"
	rec["UserAgent"] = "python-requests/2.31.0"
	return g.anomaly(rec, "Successful credential stuffing attack detected from "+rec["SourceIp"].(string))
}

func genReportAnomalyEvent(g *generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["Report"] = sfid.New("00O", g.rnd.Uint64N(1<<20))
	return g.anomaly(rec, "Anomalous report export: far more rows than usual were exported")
}

func genPermissionSetEvent(g *generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["SessionLevel"] = "STANDARD"
	rec["EventSource"] = g.pick("UI", "API")
	rec["HasExternalUsers"] = g.chance(0.1)
	rec["LoginHistoryId"] = sfid.New("0Ya", g.rnd.Uint64N(1<<40))
	rec["Operation"] = g.pick("AssignedToUsers", "PermissionsAdded", "PermissionsRemoved")
	rec["ParentIdList"] = sfid.New("0PS", g.rnd.Uint64N(1<<20))
	rec["ParentNameList"] = g.pick("Sales_Ops", "Modify_All_Data_Admins", "Integration_API")
	rec["PermissionExpirationList"] = nil
	rec["PermissionList"] = g.pick("ModifyAllData", "ViewAllData", "ApiEnabled,ViewSetup")
	rec["PermissionType"] = "UserPermission"
	rec["PolicyId"] = nil
	rec["PolicyOutcome"] = "NoAction"
	rec["UserCount"] = int64(1 + g.rnd.IntN(5))
	rec["UserIdList"] = g.user().id
	return rec
}

func genSecurityAlert(g *generator, ts time.Time) map[string]any {
	return map[string]any{
		"CreatedDate":     ts,
		"CreatedById":     g.users[0].id,
		"Severity__c":     g.pick("Low", "Medium", "High", "Critical"),
		"Message__c":      g.pick("Impossible travel", "Mass download", "New admin granted", "MFA disabled"),
		"Risk_Score__c":   float64(g.rnd.IntN(1000)) / 10,
		"Source_Ip__c":    g.ip(),
		"Detected_At__c":  ts.Add(-time.Duration(g.rnd.IntN(600)) * time.Second),
		"Is_Escalated__c": g.chance(0.2),
	}
}

// genAccountChange makes a CREATE, UPDATE or DELETE of an Account. As in
// Salesforce, an UPDATE carries only the changed fields (the others are
// null) and lists them in changedFields; a field set to null is also in
// nulledFields.
func genAccountChange(g *generator, ts time.Time) map[string]any {
	u := g.user()
	id := sfid.New("001", g.rnd.Uint64N(1<<30))
	c := cities[g.rnd.IntN(len(cities))]
	full := map[string]any{
		"Name":              g.pick("Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries") + fmt.Sprintf(" %d", g.rnd.IntN(1000)),
		"Type":              g.pick("Customer - Direct", "Prospect", "Partner"),
		"ParentId":          nil,
		"BillingAddress":    map[string]any{"City": c.city, "CountryCode": c.iso, "Latitude": c.lat, "Longitude": c.lon, "Street": fmt.Sprintf("%d Market St", 1+g.rnd.IntN(999))},
		"ShippingAddress":   nil,
		"Phone":             fmt.Sprintf("+1 415 555 %04d", g.rnd.IntN(10000)),
		"Website":           g.pick("https://acme.example.com", "https://globex.example.com"),
		"Industry":          g.pick("Technology", "Manufacturing", "Finance"),
		"AnnualRevenue":     float64(1+g.rnd.IntN(900)) * 1e5,
		"NumberOfEmployees": int64(10 + g.rnd.IntN(5000)),
		"OwnerId":           u.id,
		"CreatedDate":       ts,
		"CreatedById":       u.id,
		"LastModifiedDate":  ts,
		"LastModifiedById":  u.id,
	}
	header := map[string]any{
		"entityName":      "Account",
		"recordIds":       []string{id},
		"changeOrigin":    "com/salesforce/api/rest/66.0;client=sfsim",
		"transactionKey":  g.uuid(),
		"sequenceNumber":  int64(1),
		"commitTimestamp": ts.UnixMilli(),
		"commitNumber":    int64(10_000_000_000_000 + g.rnd.Int64N(1_000_000_000_000)),
		"commitUser":      u.id,
		"nulledFields":    []string{},
		"diffFields":      []string{},
		"changedFields":   []string{},
	}
	rec := map[string]any{"ChangeEventHeader": header}
	for _, f := range accountFieldNames[1:] {
		rec[f] = nil
	}
	switch r := g.rnd.IntN(10); {
	case r < 3:
		header["changeType"] = "CREATE"
		for k, v := range full {
			rec[k] = v
		}
	case r < 9:
		header["changeType"] = "UPDATE"
		candidates := []string{"Name", "Phone", "Website", "Industry", "AnnualRevenue", "NumberOfEmployees", "BillingAddress"}
		var changed, nulled []int
		var sub []int // changed sub-fields of BillingAddress
		g.rnd.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
		for _, f := range candidates[:1+g.rnd.IntN(3)] {
			pos := fieldPos(accountFieldNames, f)
			if f == "BillingAddress" {
				rec[f] = map[string]any{"City": c.city, "State": g.pick("CA", "NY", "WA")}
				sub = []int{fieldPos(addressFieldNames, "City"), fieldPos(addressFieldNames, "State")}
				continue
			}
			if f == "Website" && g.chance(0.5) {
				nulled = append(nulled, pos) // cleared: null, and in nulledFields
			} else {
				rec[f] = full[f]
			}
			changed = append(changed, pos)
		}
		rec["LastModifiedDate"] = ts
		rec["LastModifiedById"] = u.id
		changed = append(changed, fieldPos(accountFieldNames, "LastModifiedDate"), fieldPos(accountFieldNames, "LastModifiedById"))
		cf := []string{fieldBitmap(changed)}
		if len(sub) > 0 {
			cf = append(cf, fmt.Sprintf("%d-%s", fieldPos(accountFieldNames, "BillingAddress"), fieldBitmap(sub)))
		}
		header["changedFields"] = cf
		if len(nulled) > 0 {
			header["nulledFields"] = []string{fieldBitmap(nulled)}
		}
	default:
		header["changeType"] = "DELETE"
	}
	return rec
}

func fieldPos(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	panic("simulator: no field " + name)
}

// fieldBitmap renders field positions as Salesforce's CDC bitmaps do: bit i
// (least significant first) for field i, upper-case hex with an even
// number of digits, e.g. "0x650004E0".
func fieldBitmap(positions []int) string {
	var b big.Int
	for _, p := range positions {
		b.SetBit(&b, p, 1)
	}
	h := strings.ToUpper(b.Text(16))
	if len(h)%2 == 1 {
		h = "0" + h
	}
	return "0x" + h
}
