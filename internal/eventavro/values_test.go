package eventavro

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

func allTypesNative() map[string]any {
	at := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	return map[string]any{
		"b":   true,
		"i":   int32(-7),
		"l":   int64(1 << 40),
		"f":   float32(0.1),
		"d":   3.5,
		"s":   "héllo \"w\"\n",
		"by":  []byte{0, 1, 2, 0xff},
		"fx":  []byte("abcd"),
		"e":   "GREEN",
		"n":   nil,
		"arr": []any{int64(1), int64(-2)},
		"recs": []any{
			map[string]any{"k": "a", "v": goavro.Union("double", 1.5), "at": at},
			map[string]any{"k": "b<&>", "v": nil, "at": at.Add(1500 * time.Millisecond)},
		},
		"m":        map[string]any{"x": goavro.Union("string", "y"), "z": nil},
		"multi":    goavro.Union("long", int64(42)),
		"nested":   map[string]any{"inner": map[string]any{"x": int32(3)}, "tag": "RED"},
		"dec":      goavro.Union("bytes.decimal", big.NewRat(12345, 100)),
		"fdec":     big.NewRat(-3, 2),
		"tsMicros": time.Date(2024, 5, 1, 12, 34, 56, 789123e3, time.UTC),
		"tm":       8*time.Hour + 30*time.Minute + 15*time.Second + 5*time.Millisecond,
		"dt":       time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		"id":       "0f1e2d3c-4b5a-4697-8877-665544332211",
		"nullsArr": []any{nil, nil, nil},
		"empty":    map[string]any{},
		"list": goavro.Union("test.Node", map[string]any{"val": int64(1),
			"next": goavro.Union("test.Node", map[string]any{"val": int64(2), "next": nil})}),
	}
}

// TestDecodeTypes: every Avro type and logical type, and how it maps.
func TestDecodeTypes(t *testing.T) {
	js := schemaFile(t, "all_types.avsc")
	payload := encode(t, js, allTypesNative())
	s := compile(t, js)
	var rec sobject.Record
	if err := s.Decode(payload, &rec); err != nil {
		t.Fatal(err)
	}
	want := []sobject.Field{
		{Name: "b", Value: true},
		{Name: "i", Value: int64(-7)},
		{Name: "l", Value: int64(1 << 40)},
		{Name: "f", Value: 0.1}, // the float's shortest text, not 0.10000000149011612
		{Name: "d", Value: 3.5},
		{Name: "s", Value: "héllo \"w\"\n"},
		{Name: "by", Value: "AAEC/w=="}, // bytes: standard base64
		{Name: "fx", Value: "YWJjZA=="},
		{Name: "e", Value: "GREEN"}, // enum: its symbol
		// n: null, left out
		{Name: "arr", Value: `[1,-2]`}, // arrays: JSON text
		{Name: "recs", Value: `[{"k":"a","v":1.5,"at":"2024-05-01T12:34:56.000+0000"},{"k":"b<&>","v":null,"at":"2024-05-01T12:34:57.500+0000"}]`},
		{Name: "m", Value: `{"x":"y","z":null}`}, // maps: JSON text
		{Name: "multi", Value: int64(42)},        // a union's value is the branch's value
		{Name: "nested.inner.x", Value: int64(3)},
		{Name: "nested.tag", Value: "RED"},
		{Name: "dec", Value: 123.45}, // decimal: float64
		{Name: "fdec", Value: -1.5},
		{Name: "tsMicros", Value: "2024-05-01T12:34:56.789+0000"}, // truncated to REST's milliseconds
		{Name: "tm", Value: "08:30:15.005Z"},
		{Name: "dt", Value: "2024-05-01"},
		{Name: "id", Value: "0f1e2d3c-4b5a-4697-8877-665544332211"},
		{Name: "nullsArr", Value: `[null,null,null]`},
		// empty: a record without fields has no leaves
		{Name: "list.val", Value: int64(1)},
		{Name: "list.next.val", Value: int64(2)},
	}
	if err := sameFields(rec.Fields, want); err != nil {
		t.Error(err)
	}
	for _, l := range []lib{libHamba, libGoavro} {
		var ref sobject.Record
		if err := newRef(t, js, l).Decode(payload, &ref); err != nil {
			t.Fatal(err)
		}
		if err := sameFields(rec.Fields, ref.Fields); err != nil {
			t.Errorf("lib %d: %v", l, err)
		}
	}
	// JSON text keeps the payload's map order and no HTML escaping.
	if got, _ := rec.Get("recs"); !strings.Contains(got.(string), `"b<&>"`) {
		t.Errorf("recs = %v", got)
	}
}

// TestUnionsAndNulls: nullable fields, nested records behind ["null", record],
// Salesforce's ["null", "string", record] compound name, bad union indexes.
func TestUnionsAndNulls(t *testing.T) {
	t.Run("all nulls", func(t *testing.T) {
		js := schemaFile(t, "login_event_stream.avsc")
		native := map[string]any{"CreatedDate": ms(createdTime), "CreatedById": "005RM000002ZbnVYAS"}
		for _, f := range compile(t, js).top[2:] {
			native[f.name] = nil
		}
		rec := decodeNative(t, js, native)
		want := []sobject.Field{
			{Name: "CreatedDate", Value: "2024-05-03T10:00:01.456+0000"},
			{Name: "CreatedById", Value: "005RM000002ZbnVYAS"},
		}
		if err := sameFields(rec.Fields, want); err != nil {
			t.Error(err)
		}
	})

	js := `{"type":"record","name":"U","fields":[
		{"name":"a","type":["null","string"]},
		{"name":"b","type":["string","null"]},
		{"name":"Name","type":["null","string",{"type":"record","name":"PersonName","fields":[
			{"name":"FirstName","type":["null","string"]},{"name":"LastName","type":["null","string"]}]}]},
		{"name":"c","type":["null","long","double","boolean"]}]}`
	s := compile(t, js)
	pn := func(first, last any) any {
		return goavro.Union("PersonName", map[string]any{"FirstName": first, "LastName": last})
	}
	for _, tc := range []struct {
		name   string
		native map[string]any
		want   []sobject.Field
	}{
		{"nulls left out", map[string]any{"a": nil, "b": nil, "Name": nil, "c": nil}, nil},
		{"values", map[string]any{"a": str("x"), "b": str("y"), "Name": str("Acme"), "c": dbl(2)},
			[]sobject.Field{{Name: "a", Value: "x"}, {Name: "b", Value: "y"}, {Name: "Name", Value: "Acme"}, {Name: "c", Value: 2.0}}},
		{"compound name", map[string]any{"a": nil, "b": nil, "Name": pn(str("Ada"), nil), "c": boolean(false)},
			[]sobject.Field{{Name: "Name.FirstName", Value: "Ada"}, {Name: "c", Value: false}}},
		{"long branch", map[string]any{"a": nil, "b": nil, "Name": pn(nil, str("L")), "c": long(-1)},
			[]sobject.Field{{Name: "Name.LastName", Value: "L"}, {Name: "c", Value: int64(-1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec sobject.Record
			if err := s.Decode(encode(t, js, tc.native), &rec); err != nil {
				t.Fatal(err)
			}
			if err := sameFields(rec.Fields, tc.want); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("bad union index", func(t *testing.T) {
		for _, p := range [][]byte{{0x08}, {0x01}, {0x00, 0x06}} { // index 4; -1; a ok, b index 3
			var rec sobject.Record
			err := s.Decode(p, &rec)
			if !errors.Is(err, ErrInvalid) || len(rec.Fields) != 0 {
				t.Errorf("% x: err %v, %d fields", p, err, len(rec.Fields))
			}
		}
	})
}

// TestDateConventions: the doc convention ("…:DateTime", "…:Date", "…:Time")
// and logical types, on int and long, and values REST could not render.
func TestDateConventions(t *testing.T) {
	js := `{"type":"record","name":"D","fields":[
		{"name":"CreatedDate","type":"long","doc":"CreatedDate:DateTime"},
		{"name":"EventDate","type":["null","long"],"doc":"Data:DateTime"},
		{"name":"Custom__c","type":["null","long"],"doc":"Data:DateTime:00N5g00000Q1aBk"},
		{"name":"DayCount","type":"long","doc":"Data:Date"},
		{"name":"DayMillis","type":"long","doc":"Data:Date"},
		{"name":"DayInt","type":"int","doc":"Data:Date"},
		{"name":"Opens","type":"long","doc":"Data:Time"},
		{"name":"Ts","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"Text","type":"string","doc":"CreatedDate:DateTime"},
		{"name":"Plain","type":"long","doc":"Data:Long"},
		{"name":"Huge","type":"long","doc":"Data:DateTime"},
		{"name":"BadTime","type":"long","doc":"Data:Time"},
		{"name":"NoDoc","type":"long"}]}`
	at := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	native := map[string]any{
		"CreatedDate": at.UnixMilli(), "EventDate": long(at.UnixMilli() + 7), "Custom__c": long(0),
		"DayCount": day.Unix() / 86400, "DayMillis": day.UnixMilli(), "DayInt": int32(day.Unix() / 86400),
		"Opens": int64(9 * time.Hour / time.Millisecond), "Ts": at.Add(-time.Millisecond),
		"Text": "2024-05-01T12:34:56.000+0000", "Plain": int64(1714566896000), "Huge": int64(1) << 62,
		"BadTime": int64(-1), "NoDoc": int64(1714566896000),
	}
	rec := decodeNative(t, js, native)
	want := []sobject.Field{
		{Name: "CreatedDate", Value: "2024-05-01T12:34:56.000+0000"},
		{Name: "EventDate", Value: "2024-05-01T12:34:56.007+0000"},
		{Name: "Custom__c", Value: "1970-01-01T00:00:00.000+0000"},
		{Name: "DayCount", Value: "2024-05-01"},
		{Name: "DayMillis", Value: "2024-05-01"},
		{Name: "DayInt", Value: "2024-05-01"},
		{Name: "Opens", Value: "09:00:00.000Z"},
		{Name: "Ts", Value: "2024-05-01T12:34:55.999+0000"},
		{Name: "Text", Value: "2024-05-01T12:34:56.000+0000"},
		{Name: "Plain", Value: int64(1714566896000)},
		{Name: "Huge", Value: int64(1) << 62}, // beyond year 9999: the number
		{Name: "BadTime", Value: int64(-1)},
		{Name: "NoDoc", Value: int64(1714566896000)},
	}
	if err := sameFields(rec.Fields, want); err != nil {
		t.Error(err)
	}
	// The converter reads the text back as the same instant.
	ts, err := convert.ParseDateTime(rec.String("EventDate"))
	if err != nil || !ts.Equal(at.Add(7*time.Millisecond)) {
		t.Errorf("ParseDateTime = %v, %v", ts, err)
	}
}

// TestSchemaChange: a topic's schema changes (a new schema id); each payload
// decodes with its own schema, and the schemas do not leak into each other.
func TestSchemaChange(t *testing.T) {
	v1 := schemaFile(t, "api_anomaly_event.avsc")
	v2 := strings.Replace(v1, `{
   "name": "SecurityEventData",`, `{
   "name": "RiskLevel__c",
   "type": ["null", "int"],
   "doc": "Data:Number:00N5g00000Q1aZz",
   "default": null
  },
  {
   "name": "SecurityEventData",`, 1)
	if v2 == v1 || !strings.Contains(v2, "RiskLevel__c") {
		t.Fatal("schema edit did not apply")
	}
	s1, s2 := compile(t, v1), compile(t, v2)
	n1 := anomalyNative()
	n2 := anomalyNative()
	n2["RiskLevel__c"] = integer(3)
	p1, p2 := encode(t, v1, n1), encode(t, v2, n2)

	var r1, r2 sobject.Record
	if err := s1.Decode(p1, &r1); err != nil {
		t.Fatal(err)
	}
	if err := s2.Decode(p2, &r2); err != nil {
		t.Fatal(err)
	}
	if v, ok := r2.Get("RiskLevel__c"); !ok || v != int64(3) {
		t.Errorf("v2 RiskLevel__c = %v, %v", v, ok)
	}
	if _, ok := r1.Get("RiskLevel__c"); ok {
		t.Error("v1 record has the v2 field")
	}
	if r1.String("SecurityEventData") != r2.String("SecurityEventData") || r2.String("Username") != "mallory@example.com" {
		t.Error("fields after the new one moved")
	}
	// The wrong schema does not decode silently.
	var r sobject.Record
	if err := s1.Decode(p2, &r); err == nil {
		t.Errorf("v2 payload decoded with the v1 schema: %v", r.Fields)
	}

	// Named types resolve within their own schema only (hamba's default
	// cache is process-wide).
	account := compile(t, schemaFile(t, "account_change_event.avsc"))
	if _, err := Compile(`{"type":"record","name":"X","namespace":"com.sforce.eventbus","fields":[{"name":"a","type":"Address"}]}`); err == nil {
		t.Error("a schema resolved a named type defined in another schema")
	}
	if account.Name() != "com.sforce.eventbus.AccountChangeEvent" {
		t.Errorf("Name() = %s", account.Name())
	}
}

func TestCompileErrors(t *testing.T) {
	for _, js := range []string{
		``,
		`not json`,
		`"string"`,
		`{"type":"array","items":"string"}`,
		`{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}`,
		`{"type":"record","name":"R","fields":[{"name":"a"}]}`,
	} {
		if _, err := Compile(js); err == nil {
			t.Errorf("Compile(%q) succeeded", js)
		}
	}
}

// TestRecursiveSchema: a record that contains itself flattens to a bounded
// depth and then keeps the rest as JSON text.
func TestRecursiveSchema(t *testing.T) {
	js := schemaFile(t, "all_types.avsc")
	s := compile(t, js)
	native := allTypesNative()
	var node any
	for i := 40; i >= 1; i-- {
		node = goavro.Union("test.Node", map[string]any{"val": int64(i), "next": node})
	}
	native["list"] = node
	var rec sobject.Record
	if err := s.Decode(encode(t, js, native), &rec); err != nil {
		t.Fatal(err)
	}
	var flat, text int
	for _, f := range rec.Fields {
		if strings.HasPrefix(f.Name, "list.") {
			if strings.HasSuffix(f.Name, ".val") {
				flat++
			} else {
				text++
				if !strings.HasPrefix(f.Value.(string), `{"val":`) || !strings.Contains(f.Value.(string), `"val":40,"next":null}`) {
					t.Errorf("%s = %v", f.Name, f.Value)
				}
			}
		}
	}
	if flat != maxFlatDepth-1 || text != 1 {
		t.Errorf("%d flattened, %d as text", flat, text)
	}
	var ref sobject.Record
	if err := newRef(t, js, libHamba).Decode(encode(t, js, native), &ref); err != nil {
		t.Fatal(err)
	}
	if err := sameFields(rec.Fields, ref.Fields); err != nil {
		t.Error(err)
	}
}

// TestMatchesLibraries: the decode equals the library-based mapping on every
// testdata event, for both libraries.
func TestMatchesLibraries(t *testing.T) {
	for _, e := range events(t) {
		s := compile(t, e.schema)
		var rec sobject.Record
		if err := s.Decode(e.payload, &rec); err != nil {
			t.Fatal(err)
		}
		for _, l := range []lib{libHamba, libGoavro} {
			var ref sobject.Record
			if err := newRef(t, e.schema, l).Decode(e.payload, &ref); err != nil {
				t.Fatalf("%s lib %d: %v", e.name, l, err)
			}
			if err := sameFields(rec.Fields, ref.Fields); err != nil {
				t.Errorf("%s lib %d: %v", e.name, l, err)
			}
		}
	}
}

// TestValuesSurviveReuse: a record's values stay intact after the Record is
// reused for the next event (each Decode has its own string storage).
func TestValuesSurviveReuse(t *testing.T) {
	evs := events(t)
	s := compile(t, evs[0].schema)
	other := loginNative()
	other["Username"] = str("someone.else@example.com")
	other["City"] = str("Berlin")
	p2 := encode(t, evs[0].schema, other)

	var rec sobject.Record
	if err := s.Decode(evs[0].payload, &rec); err != nil {
		t.Fatal(err)
	}
	first := append([]sobject.Field(nil), rec.Fields...)
	before := dump(first)
	if err := s.Decode(p2, &rec); err != nil {
		t.Fatal(err)
	}
	if dump(first) != before {
		t.Error("the first record's values changed when the Record was reused")
	}
	if rec.String("City") != "Berlin" || rec.String("Username") != "someone.else@example.com" {
		t.Errorf("second record: %s", dump(rec.Fields))
	}
}

// TestConcurrentDecode: one Schema, many goroutines (run with -race).
func TestConcurrentDecode(t *testing.T) {
	evs := events(t)
	s := compile(t, evs[0].schema)
	want := func() string {
		var r sobject.Record
		if err := s.Decode(evs[0].payload, &r); err != nil {
			t.Fatal(err)
		}
		return dump(r.Fields)
	}()
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			var r sobject.Record
			for range 200 {
				if err := s.Decode(evs[0].payload, &r); err != nil || dump(r.Fields) != want {
					errs <- "mismatch"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
