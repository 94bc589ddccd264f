package pubsub

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
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
// The exact docs of Real-Time Event Monitoring fields are modeled on
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
	id = schemaID(jsonText(rec))
	rec.UUID = id
	return jsonText(rec), id
}

// jsonText is a schema record as JSON (the records always encode).
func jsonText(rec jsonRecord) string {
	b, _ := json.Marshal(rec)
	return string(b)
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
	gen      func(g *org.Generator, ts time.Time) map[string]any
}

func (d pubsubTopicDef) eventName() string { return d.name[strings.LastIndexByte(d.name, '/')+1:] }

// The Real-Time Event Monitoring topics come from internal/catalog:
// /event/<topic> of every storage object with a topic, and
// /event/<name> of every streaming event. A topic's schema holds the fields
// of its catalog entry, the storage object's minus the store's own system
// fields (storeOnly: Id, *EventNumber, LastModifiedDate, SystemModstamp),
// after CreatedDate (when it was published) and EventUuid, which every
// Real-Time Event Monitoring event has ("EventUuid: A universally unique
// identifier (UUID) that identifies a platform event message", e.g.
// https://developer.salesforce.com/docs/platform/platform-events/guide/sforce-api-objects-logineventstream.html).
// Same names, same values: publishing an event whose entry is a storage
// object also writes the storage row (appendEvent), and the events are
// generated as the org generates the rows (org.EventGenerator).

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
			fields: func() []jsonField { return catalogTopicFields(e) }, gen: org.EventGenerator(e, event),
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

func genSecurityAlert(g *org.Generator, ts time.Time) map[string]any {
	return map[string]any{
		"CreatedDate":     ts,
		"CreatedById":     g.IntegrationUserID(),
		"Severity__c":     g.Pick("Low", "Medium", "High", "Critical"),
		"Message__c":      g.Pick("Impossible travel", "Mass download", "New admin granted", "MFA disabled"),
		"Risk_Score__c":   float64(g.Rand().IntN(1000)) / 10,
		"Source_Ip__c":    g.IP(),
		"Detected_At__c":  ts.Add(-time.Duration(g.Rand().IntN(600)) * time.Second),
		"Is_Escalated__c": g.Chance(0.2),
	}
}

// genAccountChange makes a CREATE, UPDATE or DELETE of an Account. As in
// Salesforce, an UPDATE carries only the changed fields (the others are
// null) and lists them in changedFields; a field set to null is also in
// nulledFields.
func genAccountChange(g *org.Generator, ts time.Time) map[string]any {
	user := g.UserID()
	id := sfid.New("001", g.Rand().Uint64N(1<<30))
	iso, city, lat, lon := g.City()
	full := map[string]any{
		"Name":              g.Pick("Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries") + fmt.Sprintf(" %d", g.Rand().IntN(1000)),
		"Type":              g.Pick("Customer - Direct", "Prospect", "Partner"),
		"ParentId":          nil,
		"BillingAddress":    map[string]any{"City": city, "CountryCode": iso, "Latitude": lat, "Longitude": lon, "Street": fmt.Sprintf("%d Market St", 1+g.Rand().IntN(999))},
		"ShippingAddress":   nil,
		"Phone":             fmt.Sprintf("+1 415 555 %04d", g.Rand().IntN(10000)),
		"Website":           g.Pick("https://acme.example.com", "https://globex.example.com"),
		"Industry":          g.Pick("Technology", "Manufacturing", "Finance"),
		"AnnualRevenue":     float64(1+g.Rand().IntN(900)) * 1e5,
		"NumberOfEmployees": int64(10 + g.Rand().IntN(5000)),
		"OwnerId":           user,
		"CreatedDate":       ts,
		"CreatedById":       user,
		"LastModifiedDate":  ts,
		"LastModifiedById":  user,
	}
	header := map[string]any{
		"entityName":      "Account",
		"recordIds":       []string{id},
		"changeOrigin":    "com/salesforce/api/rest/66.0;client=sfsim",
		"transactionKey":  g.UUID(),
		"sequenceNumber":  int64(1),
		"commitTimestamp": ts.UnixMilli(),
		"commitNumber":    10_000_000_000_000 + g.Rand().Int64N(1_000_000_000_000),
		"commitUser":      user,
		"nulledFields":    []string{},
		"diffFields":      []string{},
		"changedFields":   []string{},
	}
	rec := map[string]any{"ChangeEventHeader": header}
	for _, f := range accountFieldNames[1:] {
		rec[f] = nil
	}
	switch r := g.Rand().IntN(10); {
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
		g.Rand().Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
		for _, f := range candidates[:1+g.Rand().IntN(3)] {
			pos := fieldPos(accountFieldNames, f)
			if f == "BillingAddress" {
				rec[f] = map[string]any{"City": city, "State": g.Pick("CA", "NY", "WA")}
				sub = []int{fieldPos(addressFieldNames, "City"), fieldPos(addressFieldNames, "State")}
				continue
			}
			if f == "Website" && g.Chance(0.5) {
				nulled = append(nulled, pos) // cleared: null, and in nulledFields
			} else {
				rec[f] = full[f]
			}
			changed = append(changed, pos)
		}
		rec["LastModifiedDate"] = ts
		rec["LastModifiedById"] = user
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

// storeOnly reports whether a storage object's field is the store's own
// system field, absent from its streaming event: Id, the *EventNumber
// auto-number, LastModifiedDate and SystemModstamp (CreatedDate is on both,
// as the event's publish time). The Real-Time Event Monitoring pages list
// them on the *Store objects only, e.g. ApiAnomalyEventNumber on
// https://developer.salesforce.com/docs/platform/platform-events/guide/sforce-api-objects-apianomalyeventstore.html
// and not on
// https://developer.salesforce.com/docs/platform/platform-events/guide/sforce-api-objects-apianomalyevent.html.
func storeOnly(name string) bool {
	switch name {
	case "Id", "CreatedDate", "LastModifiedDate", "SystemModstamp":
		return true
	}
	return strings.HasSuffix(name, "EventNumber") || strings.Contains(name, ".")
}

// eventEntries lists the catalog's storage objects with a topic and its
// streaming events, in the catalog's order.
func eventEntries() []*catalog.Entry {
	return slices.DeleteFunc(catalog.All(), func(e *catalog.Entry) bool {
		return (e.Kind != catalog.KindStorage || e.Topic == "") && e.Kind != catalog.KindEvent
	})
}
