package sobject

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeTwice is the old way: encoding/json splits the page, then each
// record is decoded again. DecodePage must agree with it.
func decodeTwice(body []byte) (Page, bool) {
	// Keys exactly as Salesforce writes them (encoding/json's struct
	// decoding would also match other cases).
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Page{}, false
	}
	var res struct {
		TotalSize      int
		Done           bool
		NextRecordsURL string
		Records        []json.RawMessage
	}
	for k, dst := range map[string]any{"totalSize": &res.TotalSize, "done": &res.Done, "nextRecordsUrl": &res.NextRecordsURL, "records": &res.Records} {
		if raw, ok := top[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return Page{}, false
			}
		}
	}
	p := Page{TotalSize: res.TotalSize, Done: res.Done, NextRecordsURL: res.NextRecordsURL}
	for _, raw := range res.Records {
		var r Record
		if err := DecodeRecord(raw, &r); err != nil {
			p.Records = append(p.Records, Record{Err: err, Raw: string(raw)})
			continue
		}
		p.Records = append(p.Records, Record{Fields: append([]Field(nil), r.Fields...)})
	}
	return p, true
}

func samePage(t testing.TB, want, got Page) {
	t.Helper()
	require.Equal(t, want.TotalSize, got.TotalSize)
	require.Equal(t, want.Done, got.Done)
	require.Equal(t, want.NextRecordsURL, got.NextRecordsURL)
	require.Len(t, got.Records, len(want.Records))
	for i := range want.Records {
		w, g := want.Records[i], got.Records[i]
		require.Equal(t, w.Err != nil, g.Err != nil, "record %d: %v / %v", i, w.Err, g.Err)
		if w.Err != nil {
			require.JSONEq(t, w.Raw, g.Raw, "record %d", i)
			continue
		}
		require.Equal(t, w.Fields, g.Fields, "record %d", i)
	}
}

func TestDecodePage(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	tests := []struct{ name, body string }{
		{"empty", `{"totalSize":0,"done":true,"records":[]}`},
		{"paging fields after the records", `{"records":[{"attributes":{"type":"X"},"Id":"1","N":2}],"nextRecordsUrl":"/services/data/v66.0/query/01g-2000","done":false,"totalSize":5000}`},
		{"null next", `{"totalSize":1,"done":true,"nextRecordsUrl":null,"records":[{"Id":"a\"b\\u00e9","Owner":{"Name":"n","Age":3},"L":[1,2],"B":true,"Z":null,"F":1.5}]}`},
		{"records that are not records", `{"totalSize":4,"done":true,"records":["text", 12, null, [1,{"x":2}], {"Id":"ok"}, ` + deep + `]}`},
		{"unknown keys skipped", `{"x":{"y":[1,2,{"z":"}"}]},"totalSize":1,"done":true,"records":[{"Id":"1"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, ok := decodeTwice([]byte(tc.body))
			require.True(t, ok)
			var got Page
			require.NoError(t, DecodePage([]byte(tc.body), &got))
			samePage(t, want, got)
		})
	}
	for _, bad := range []string{``, `[]`, `{"records":[{"Id":"1"}`, `{"done":maybe}`, `{"records":[{"Id":"1"}]} trailing`} {
		var p Page
		assert.Error(t, DecodePage([]byte(bad), &p), bad)
	}
}

// FuzzDecodePageMatchesStdlib: whatever encoding/json accepts as a page,
// DecodePage decodes the same way.
func FuzzDecodePageMatchesStdlib(f *testing.F) {
	f.Add(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"X"},"Id":"1","A":{"B":"c"}}]}`)
	f.Add(`{"records":["x",null,{"Id":"\u00e9\n"}],"done":false,"nextRecordsUrl":"/q/1-2"}`)
	f.Fuzz(func(t *testing.T, body string) {
		want, ok := decodeTwice([]byte(body))
		if !ok {
			return
		}
		var got Page
		if err := DecodePage([]byte(body), &got); err != nil {
			// Only what the record decoder itself refuses (e.g. invalid
			// UTF-8 handling differs) may make the whole page fail.
			t.Fatalf("DecodePage refused a page encoding/json accepts: %v", err)
		}
		samePage(t, want, got)
	})
}
