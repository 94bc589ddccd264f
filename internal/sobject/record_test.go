package sobject

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeRecord(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Field
		wantErr string
	}{
		{
			name: "nested relationship and attributes dropped",
			in:   `{"attributes":{"type":"SetupAuditTrail","url":"/x"},"Id":"0Ym1","CreatedBy":{"attributes":{"type":"User"},"Username":"a@b.c","Manager":{"Name":"Boss"}}}`,
			want: []Field{{"Id", "0Ym1"}, {"CreatedBy.Username", "a@b.c"}, {"CreatedBy.Manager.Name", "Boss"}},
		},
		{
			name: "nulls left out, null relationship too",
			in:   `{"A":null,"B":"x","CreatedBy":null,"C":{}}`,
			want: []Field{{"B", "x"}},
		},
		{
			name: "ints vs floats",
			in:   `{"I":42,"N":-7,"F":1.5,"E":1e3,"Z":0,"Big":123456789012345678901234567890,"Max":9223372036854775807,"Min":-9223372036854775808}`,
			want: []Field{{"I", int64(42)}, {"N", int64(-7)}, {"F", 1.5}, {"E", 1000.0}, {"Z", int64(0)},
				{"Big", 1.2345678901234568e29}, {"Max", int64(9223372036854775807)}, {"Min", int64(-9223372036854775808)}},
		},
		{
			name: "number beyond float64 kept as text",
			in:   `{"Huge":1e999}`,
			want: []Field{{"Huge", "1e999"}},
		},
		{
			name: "booleans",
			in:   `{"T":true,"F":false}`,
			want: []Field{{"T", true}, {"F", false}},
		},
		{
			name: "escapes and unicode",
			in:   `{"S":"a\"b\\c\/d\n\u00e9\ud83d\ude00","K\u0041":"", "Bad":"\ud800x"}`,
			want: []Field{{"S", "a\"b\\c/d\né😀"}, {"KA", ""}, {"Bad", "\uFFFDx"}},
		},
		{
			name: "invalid utf-8 replaced",
			in:   "{\"S\":\"a\xffb\"}",
			want: []Field{{"S", "a\uFFFDb"}},
		},
		{
			name: "array kept as JSON text",
			in:   `{"Tags":[1, "two",{"x":null}],"After":"y"}`,
			want: []Field{{"Tags", `[1, "two",{"x":null}]`}, {"After", "y"}},
		},
		{
			name: "whitespace everywhere",
			in:   " \n{ \"A\" : 1 , \"B\" : { \"C\" : \"d\" } }\t",
			want: []Field{{"A", int64(1)}, {"B.C", "d"}},
		},
		{name: "empty object", in: `{}`, want: []Field{}},
		{name: "empty input", in: ``, wantErr: "empty input"},
		{name: "top-level array", in: `[{"A":1}]`, wantErr: "expected a JSON object"},
		{name: "truncated", in: `{"A":"x`, wantErr: "unterminated string"},
		{name: "missing colon", in: `{"A" 1}`, wantErr: "unexpected character"},
		{name: "trailing comma", in: `{"A":1,}`, wantErr: "unexpected character"},
		{name: "trailing garbage", in: `{"A":1} x`, wantErr: "after the object"},
		{name: "bad literal", in: `{"A":tru}`, wantErr: "invalid literal"},
		{name: "leading zero", in: `{"A":01}`, wantErr: "invalid number"},
		{name: "bad fraction", in: `{"A":1.}`, wantErr: "decimal point"},
		{name: "bad escape", in: `{"A":"\q"}`, wantErr: "invalid escape"},
		{name: "control char", in: "{\"A\":\"a\tb\"}", wantErr: "control character"},
		{name: "deep object", in: strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40), wantErr: "nesting deeper"},
		{name: "deep array", in: `{"a":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`, wantErr: "nesting deeper"},
		{name: "very deep input does not overflow", in: strings.Repeat(`{"a":`, 1_000_000), wantErr: "nesting deeper"},
		{name: "deep attributes skipped but capped", in: `{"attributes":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 41), wantErr: "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Pre-filled dst proves the slice is reset and reused.
			rec := Record{Fields: []Field{{"stale", "x"}}}
			err := DecodeRecord([]byte(tt.in), &rec)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Empty(t, rec.Fields)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, append([]Field{}, rec.Fields...))
		})
	}
}

func TestDecodeRecordReuse(t *testing.T) {
	var rec Record
	require.NoError(t, DecodeRecord([]byte(`{"Id":"1","Name":"first","N":3}`), &rec))
	first := rec.String("Name")
	require.NoError(t, DecodeRecord([]byte(`{"Id":"2","Name":"second"}`), &rec))
	assert.Equal(t, "first", first, "values of an earlier record must survive reuse")
	assert.Equal(t, "second", rec.String("Name"))
	_, ok := rec.Get("N")
	assert.False(t, ok)

	allocs := testing.AllocsPerRun(100, func() {
		_ = DecodeRecord([]byte(`{"attributes":{"type":"X"},"Id":"2","Name":"second","Ok":true}`), &rec)
	})
	// One string for all values plus one interface box per string field.
	assert.LessOrEqual(t, allocs, 3.0)
}

func TestRecordString(t *testing.T) {
	rec := Record{Fields: []Field{{"S", "x"}, {"I", int64(5)}, {"F", 2.5}, {"B", true}, {"N", nil}}}
	assert.Equal(t, "x", rec.String("S"))
	assert.Equal(t, "5", rec.String("I"))
	assert.Equal(t, "2.5", rec.String("F"))
	assert.Equal(t, "true", rec.String("B"))
	assert.Empty(t, rec.String("N"))
	assert.Empty(t, rec.String("missing"))
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,2,{"c":null}]},"d":"\u00e9"}`))
	f.Add([]byte(`{"attributes":{"type":"X"},"Id":"1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec Record
		_ = DecodeRecord(data, &rec) // must not panic
	})
}

func BenchmarkDecodeRecord(b *testing.B) {
	var rec Record
	b.ReportAllocs()
	b.SetBytes(int64(len(loginEventJSON)))
	for b.Loop() {
		if err := DecodeRecord(loginEventJSON, &rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibJSONBaseline is the reference the receiver's JSON path is
// compared against: a plain encoding/json decode of the same record.
func BenchmarkStdlibJSONBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(loginEventJSON)))
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(loginEventJSON, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// loginEventJSON is a LoginEvent record as the REST API sends it.
var loginEventJSON = []byte(`{"attributes":{"type":"LoginEvent","url":"/services/data/v66.0/sobjects/LoginEvent/000000000000000AAA"},"EventIdentifier":"6a8f2c2e-1c55-4e7f-9a0b-1d2e3f4a5b6c","EventDate":"2024-05-03T10:00:01.123Z","UserId":"0055g00000Xyz12AAA","Username":"jdoe@example.com","SourceIp":"192.0.2.10","Browser":"Firefox 125","Platform":"Linux","Status":"Success","LoginType":"Application","LoginUrl":"login.salesforce.com","SessionKey":"vMASKu8PqTeDbhR7","CountryIso":"FR","Latitude":48.8566,"Longitude":2.3522,"EvaluationTime":0,"LoginLatitude":null,"PolicyOutcome":"NoAction","Application":"Browser","CipherSuite":"ECDHE-RSA-AES256-GCM-SHA384","TlsProtocol":"TLS 1.2","HttpMethod":"POST","LoginKey":"a1b2c3d4e5f6","UserType":"Standard","Id":"000000000000000AAA"}`)
