package eventavro

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// loginEventREST is the LoginEventStream event of loginNative as the REST API
// returns its LoginEvent row: date-times as 2024-05-03T10:00:01.123+0000,
// doubles with a decimal point (Salesforce renders 12.0), nulls as null.
const loginEventREST = `{"attributes":{"type":"LoginEvent","url":"/services/data/v66.0/sobjects/LoginEvent/000000000000000AAA"},` +
	`"CreatedDate":"2024-05-03T10:00:01.456+0000","CreatedById":"005RM000002ZbnVYAS","AdditionalInfo":"{}","ApiType":"N/A",` +
	`"ApiVersion":"N/A","Application":"Browser","AuthMethodReference":null,"AuthServiceId":null,"Browser":"Firefox 125",` +
	`"CipherSuite":"ECDHE-RSA-AES256-GCM-SHA384","City":"Paris","ClientVersion":"N/A","Country":null,"CountryIso":"FR",` +
	`"EvaluationTime":12.0,"EventDate":"2024-05-03T10:00:01.123+0000","EventIdentifier":"6a8f2c2e-1c55-4e7f-9a0b-1d2e3f4a5b6c",` +
	`"EventUuid":"b7e2a9f0-3c1d-4e5f-8a6b-7c8d9e0f1a2b","ForwardedForIp":null,"HttpMethod":"POST","LoginGeoId":"04FRM00000AbCdE2AV",` +
	`"LoginHistoryId":"0YaRM00000XyZ12AAB","LoginKey":"a1b2c3d4e5f60718","LoginLatitude":48.8566,"LoginLongitude":2.3522,` +
	`"LoginSubType":null,"LoginType":"Application","LoginUrl":"login.salesforce.com","Platform":"Linux","PolicyId":null,` +
	`"PolicyOutcome":"NoAction","PostalCode":null,"RelatedEventIdentifier":null,"SessionKey":"vMASKu8PqTeDbhR7",` +
	`"SessionLevel":"STANDARD","SourceIp":"192.0.2.10","Status":"Success","Subdivision":null,"TlsProtocol":"TLS 1.2",` +
	`"UserAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0","UserId":"0055g00000Xyz12AAA",` +
	`"UserType":"Standard","Username":"jdoe@example.com","Id":"000000000000000AAA"}`

// TestSameAsREST: a LoginEventStream event and its LoginEvent row read
// through REST map to the same log record: body, event time, severity and
// attributes (docs/records.md: an event has the same body whichever way it arrived).
func TestSameAsREST(t *testing.T) {
	var rest sobject.Record
	if err := sobject.DecodeRecord([]byte(loginEventREST), &rest); err != nil {
		t.Fatal(err)
	}
	js := schemaFile(t, "login_event_stream.avsc")
	stream := decodeNative(t, js, loginNative())

	m := convert.Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}
	observed := time.Date(2024, 5, 3, 10, 0, 5, 0, time.UTC)
	key := stream.String("EventIdentifier")
	toLog := func(rec *sobject.Record) plog.LogRecord {
		b := convert.NewBatch(convert.Resource{OrgID: "00D5g000004ABCDEAA"}, 1)
		ts := m.Append(b, rec, convert.Origin{Key: key, Observed: observed}).Time
		if !ts.Equal(eventTime) {
			t.Errorf("event time %v, want %v", ts, eventTime)
		}
		return b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	}
	a, b := toLog(&stream), toLog(&rest)

	restBody := b.Body().Map()
	restBody.Remove("Id") // the storage row's own id; the stream has none
	if got, want := a.Body().Map().AsRaw(), restBody.AsRaw(); !equalRaw(got, want) {
		t.Errorf("bodies differ:\nstream %v\nREST   %v", got, want)
	}
	if a.Timestamp() != b.Timestamp() || a.SeverityNumber() != b.SeverityNumber() {
		t.Errorf("timestamp/severity: %v %v vs %v %v", a.Timestamp(), a.SeverityNumber(), b.Timestamp(), b.SeverityNumber())
	}
	restAttrs := b.Attributes().AsRaw()
	delete(restAttrs, semconv.AttrRecordID) // from the row's Id
	if got, want := a.Attributes().AsRaw(), restAttrs; !equalRaw(got, want) {
		t.Errorf("attributes differ:\nstream %v\nREST   %v", got, want)
	}
	if a.Body().Map().Len() != 34 {
		t.Errorf("%d body fields, want 34", a.Body().Map().Len())
	}
}

func equalRaw(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v != w {
			return false
		}
	}
	return true
}
