package soqlstream

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

// pageQuerier answers every query with one fixed page.
type pageQuerier struct{ records []json.RawMessage }

func (pageQuerier) Describe(_ context.Context, _ sfapi.Caller, object string) (*sfapi.Describe, error) {
	return sftest.Describe(object, append([]string{"Id", "LoginTime"}, LoginHistory.Fields...)...), nil
}

func (q pageQuerier) Query(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	raws := make([][]byte, len(q.records))
	for i, r := range q.records {
		raws[i] = r
	}
	return sftest.Page(true, "", raws...), nil
}

func (pageQuerier) QueryMore(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	panic("not paged")
}

// Whatever Salesforce (or something pretending to be it) puts in a record
// — unknown fields, wrong types, nulls, huge values, records that are not
// objects, nesting beyond reason — the stream neither crashes nor drops
// it: every record comes out once, undecodable ones as raw text with
// salesforce.parse_error.
func TestBadRecordsAreDeliveredNotDropped(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ts := `"2026-05-01T11:00:00.000+0000"`
	huge := strings.Repeat("x", 2<<20)
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	records := []struct {
		json     string
		parseErr bool
	}{
		{`{"attributes":{"type":"LoginHistory"},"Id":"0Ya000000000001AAA","LoginTime":` + ts + `,"Status":"Success"}`, false},
		{`{"Id":"0Ya000000000002AAA","LoginTime":` + ts + `,"Status":12,"SourceIp":{"nested":{"deeper":true}},"Unknown__c":[1,{"x":null}],"ApiVersion":"sixty"}`, false},
		{`{"Id":"0Ya000000000003AAA","LoginTime":` + ts + `,"Status":null,"UserId":null,"Browser":null}`, false},
		{`{"Id":"0Ya000000000004AAA","LoginTime":` + ts + `,"Browser":"` + huge + `","N":1e308,"Inf":1e999,"Big":123456789012345678901234567890,"Neg":-9223372036854775809}`, false},
		{`{"Id":"0Ya000000000005AAA","LoginTime":12345}`, true},
		{`{"Id":"0Ya000000000006AAA","LoginTime":null}`, true},
		{`{"Id":"0Ya000000000007AAA","LoginTime":"yesterday-ish"}`, true},
		{`{"Id":8,"LoginTime":` + ts + `}`, false},
		{`"not an object"`, true},
		{`[1,2,3]`, true},
		{`null`, true},
		{`{"Id":"0Ya000000000009AAA","LoginTime":` + ts + `,"Deep":` + deep + `}`, true},
	}
	var raws []json.RawMessage
	for _, r := range records {
		require.True(t, json.Valid([]byte(r.json)), r.json[:min(60, len(r.json))])
		raws = append(raws, json.RawMessage(r.json))
	}
	src := New(pageQuerier{records: raws}, LoginHistory, Options{Backfill: 24 * time.Hour, Overlap: DefaultOverlap,
		Now: func() time.Time { return now }})

	var got []plog.LogRecord
	org := convert.Resource{OrgID: "00D000000000001AAA", InstanceURL: "https://example.my.salesforce.com"}
	err := src.Poll(context.Background(), org, src.Initial(), func(_ context.Context, logs plog.Logs, _ Cursor) error {
		lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := 0; i < lrs.Len(); i++ {
			got = append(got, lrs.At(i))
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, got, len(records), "one log record per source record")
	uids := map[string]bool{}
	for i, lr := range got {
		uid, ok := lr.Attributes().Get("log.record.uid")
		require.True(t, ok, "record %d has a uid", i)
		require.False(t, uids[uid.Str()], "record %d: uid repeated", i)
		uids[uid.Str()] = true
		_, hasErr := lr.Attributes().Get("salesforce.parse_error")
		require.Equal(t, records[i].parseErr, hasErr, "record %d parse_error: %s", i, records[i].json[:min(80, len(records[i].json))])
	}
	body := got[3].Body().Map()
	b, _ := body.Get("Browser")
	require.Len(t, b.Str(), len(huge), "a huge value is kept whole")
	big, _ := body.Get("Big")
	require.NotEmpty(t, big.AsString())
	st, _ := got[1].Body().Map().Get("Status")
	require.Equal(t, int64(12), st.Int(), "a wrong type is kept as sent")
	_, hasNested := got[1].Body().Map().Get("SourceIp.nested.deeper")
	require.True(t, hasNested)
	_, hasNull := got[2].Body().Map().Get("Status")
	require.False(t, hasNull, "nulls are left out")
}
