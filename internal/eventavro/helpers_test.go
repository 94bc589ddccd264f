package eventavro

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// Test payloads are encoded with goavro, a different library than the
// reference decoder (hamba), so neither side of a comparison checks itself.

func schemaFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func compile(t testing.TB, schemaJSON string) *Schema {
	t.Helper()
	s, err := Compile(schemaJSON)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decodeNative encodes native with goavro and decodes it with the Schema
// compiled from schemaJSON.
func decodeNative(t testing.TB, schemaJSON string, native map[string]any) sobject.Record {
	t.Helper()
	var rec sobject.Record
	if err := compile(t, schemaJSON).Decode(encode(t, schemaJSON, native), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func encode(t testing.TB, schemaJSON string, native map[string]any) []byte {
	t.Helper()
	c, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Union values for goavro.
func str(s string) any     { return goavro.Union("string", s) }
func long(v int64) any     { return goavro.Union("long", v) }
func dbl(v float64) any    { return goavro.Union("double", v) }
func boolean(v bool) any   { return goavro.Union("boolean", v) }
func integer(v int32) any  { return goavro.Union("int", v) }
func ms(t time.Time) int64 { return t.UnixMilli() }
func rec(name string, m map[string]any) any {
	return goavro.Union("com.sforce.eventbus."+name, m)
}

// nulls returns a native with every listed field null.
func nulls(names ...string) map[string]any {
	m := make(map[string]any, len(names))
	for _, n := range names {
		m[n] = nil
	}
	return m
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var (
	eventTime   = time.Date(2024, 5, 3, 10, 0, 1, 123e6, time.UTC)
	createdTime = time.Date(2024, 5, 3, 10, 0, 1, 456e6, time.UTC)
)

// loginNative is a LoginEventStream event as Salesforce publishes it: an
// API login from Paris, a few fields null.
func loginNative() map[string]any {
	return merge(nulls("AuthMethodReference", "AuthServiceId", "ForwardedForIp", "LoginSubType",
		"PolicyId", "PostalCode", "RelatedEventIdentifier", "Subdivision", "Country"), map[string]any{
		"CreatedDate":     ms(createdTime),
		"CreatedById":     "005RM000002ZbnVYAS",
		"AdditionalInfo":  str("{}"),
		"ApiType":         str("N/A"),
		"ApiVersion":      str("N/A"),
		"Application":     str("Browser"),
		"Browser":         str("Firefox 125"),
		"CipherSuite":     str("ECDHE-RSA-AES256-GCM-SHA384"),
		"City":            str("Paris"),
		"ClientVersion":   str("N/A"),
		"CountryIso":      str("FR"),
		"EvaluationTime":  dbl(12),
		"EventDate":       long(ms(eventTime)),
		"EventIdentifier": str("6a8f2c2e-1c55-4e7f-9a0b-1d2e3f4a5b6c"),
		"EventUuid":       str("b7e2a9f0-3c1d-4e5f-8a6b-7c8d9e0f1a2b"),
		"HttpMethod":      str("POST"),
		"LoginGeoId":      str("04FRM00000AbCdE2AV"),
		"LoginHistoryId":  str("0YaRM00000XyZ12AAB"),
		"LoginKey":        str("a1b2c3d4e5f60718"),
		"LoginLatitude":   dbl(48.8566),
		"LoginLongitude":  dbl(2.3522),
		"LoginType":       str("Application"),
		"LoginUrl":        str("login.salesforce.com"),
		"Platform":        str("Linux"),
		"PolicyOutcome":   str("NoAction"),
		"SessionKey":      str("vMASKu8PqTeDbhR7"),
		"SessionLevel":    str("STANDARD"),
		"SourceIp":        str("192.0.2.10"),
		"Status":          str("Success"),
		"TlsProtocol":     str("TLS 1.2"),
		"UserAgent":       str("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"),
		"UserId":          str("0055g00000Xyz12AAA"),
		"UserType":        str("Standard"),
		"Username":        str("jdoe@example.com"),
	})
}

func anomalyNative() map[string]any {
	return merge(nulls("PolicyId"), map[string]any{
		"CreatedDate":       ms(createdTime),
		"CreatedById":       "005RM000002ZbnVYAS",
		"EventDate":         long(ms(eventTime)),
		"EventIdentifier":   str("1b2c3d4e-5f60-4718-9a0b-c1d2e3f4a5b6"),
		"EventUuid":         str("0f1e2d3c-4b5a-4697-8877-665544332211"),
		"LoginKey":          str("QfNecrLXSII6fsBq"),
		"Operation":         str("Query"),
		"PolicyOutcome":     str("Notified"),
		"QueriedEntities":   str("Account"),
		"RequestIdentifier": str("4nVCjYu2hHk-xVb5ftd7E-"),
		"RowsProcessed":     dbl(1.937e+06),
		"Score":             dbl(91.64),
		"SecurityEventData": str(`[{"featureName":"rowCount","featureValue":"1937568","featureContribution":"95.00 %"},` +
			`{"featureName":"queriedEntities","featureValue":"[\"Account\"]","featureContribution":"1.62 %"}]`),
		"SessionKey": str("vMASKIU6AxEr+Nm4"),
		"SourceIp":   str("198.51.100.99"),
		"Summary":    str("Unusually high number of records retrieved by user"),
		"Uri":        str("/services/data/v66.0/query"),
		"UserAgent":  str("Java/17.0.10"),
		"UserId":     str("0055g00000Xyz34AAA"),
		"Username":   str("mallory@example.com"),
	})
}

var accountNulls = []string{"Type", "ParentId", "ShippingAddress", "Phone", "Fax", "AccountNumber",
	"Website", "Sic", "Industry", "AnnualRevenue", "NumberOfEmployees", "Ownership", "TickerSymbol",
	"Description", "Rating", "Site", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedById",
	"Jigsaw", "JigsawCompanyId", "CleanStatus", "AccountSource", "DunsNumber", "Tradestyle",
	"NaicsCode", "NaicsDesc", "YearStarted", "SicDesc", "DandbCompanyId", "OperatingHoursId",
	"CustomerPriority__c", "SLA__c", "Active__c", "NumberofLocations__c", "UpsellOpportunity__c",
	"SLASerialNumber__c"}

func address(city string) map[string]any {
	return merge(nulls("Street", "State", "PostalCode", "Country", "StateCode", "CountryCode",
		"Latitude", "Longitude", "GeocodeAccuracy"), map[string]any{"City": str(city)})
}

// accountNative is an AccountChangeEvent UPDATE: Name, LastModifiedDate and
// BillingAddress.City changed (positions 1 and 22, and sub-field 1 of the
// compound at position 4: ["0x400002", "4-0x02"]), plus a few custom fields with date and time
// types in both of Salesforce's spellings.
func accountNative(changed []any) map[string]any {
	return merge(nulls(accountNulls...), map[string]any{
		"ChangeEventHeader": map[string]any{
			"entityName":      "Account",
			"recordIds":       []any{"001RM000003gH2uYAE"},
			"changeType":      "UPDATE",
			"changeOrigin":    "com/salesforce/api/rest/66.0",
			"transactionKey":  "0002b5e4-2f6a-0b5e-3c7d-1d2a3b4c5d6e",
			"sequenceNumber":  int32(1),
			"commitTimestamp": ms(eventTime),
			"commitNumber":    int64(1082990428293),
			"commitUser":      "0055g00000Xyz12AAA",
			"nulledFields":    []any{},
			"diffFields":      []any{},
			"changedFields":   changed,
		},
		"Name":                 str("Acme Europe"),
		"BillingAddress":       rec("Address", address("Lyon")),
		"LastModifiedDate":     long(ms(eventTime)),
		"SLAExpirationDate__c": long(ms(time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC))),
		"RenewalDate__c":       goavro.Union("int.date", time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)),
		"LastReviewedAt__c":    goavro.Union("long.timestamp-millis", time.Date(2024, 4, 30, 8, 15, 0, 250e6, time.UTC)),
		"SupportOpensAt__c":    long(int64((8*time.Hour + 30*time.Minute) / time.Millisecond)),
		"IsKeyAccount__c":      boolean(true),
	})
}

func contactNative(changed, nulled []any) map[string]any {
	return merge(nulls("AccountId", "OtherAddress", "MailingAddress", "Phone", "MobilePhone", "Title",
		"Department", "OwnerId", "HasOptedOutOfEmail", "CreatedDate", "CreatedById", "LastModifiedById"), map[string]any{
		"ChangeEventHeader": map[string]any{
			"entityName":      "Contact",
			"recordIds":       []any{"003RM000001aBcDYAU", "003RM000001aBcEYAU"},
			"changeType":      "UPDATE",
			"changeOrigin":    "",
			"transactionKey":  "00013f5d-7b2c-9a4e-1f0b-2c3d4e5f6a7b",
			"sequenceNumber":  int32(2),
			"commitTimestamp": ms(eventTime),
			"commitNumber":    int64(1082990428300),
			"commitUser":      "0055g00000Xyz12AAA",
			"nulledFields":    nulled,
			"diffFields":      []any{},
			"changedFields":   changed,
		},
		"Name": rec("Switchable_PersonName", merge(nulls("Salutation", "MiddleName", "InformalName", "Suffix"),
			map[string]any{"FirstName": str("Ada"), "LastName": str("Lovelace")})),
		"Email":            str("ada@example.com"),
		"Birthdate":        long(-56270), // 1815-12-10, in days
		"LastModifiedDate": long(ms(eventTime)),
	})
}

// event is one realistic testdata event.
type event struct {
	name    string
	schema  string // file in testdata
	payload []byte
}

func events(t testing.TB) []event {
	t.Helper()
	var out []event
	for _, e := range []struct {
		name, file string
		native     map[string]any
	}{
		{"LoginEventStream", "login_event_stream.avsc", loginNative()},
		{"ApiAnomalyEvent", "api_anomaly_event.avsc", anomalyNative()},
		{"AccountChangeEvent", "account_change_event.avsc", accountNative([]any{"0x400002", "4-0x02"})},
	} {
		js := schemaFile(t, e.file)
		out = append(out, event{name: e.name, schema: js, payload: encode(t, js, e.native)})
	}
	return out
}

// dump renders fields one a line: name, Go type, value (strings quoted).
func dump(fields []sobject.Field) string {
	var b []byte
	for _, f := range fields {
		switch v := f.Value.(type) {
		case string:
			b = fmt.Appendf(b, "%s\t%T\t%q\n", f.Name, v, v)
		default:
			b = fmt.Appendf(b, "%s\t%T\t%v\n", f.Name, v, v)
		}
	}
	return string(b)
}
