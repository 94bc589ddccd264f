package eventlogobjects

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type row struct {
	ts time.Time
	v  string
}

// fakeOrg serves Event Log Objects: every row with the placeholder Id,
// newest first, one page per query.
type fakeOrg struct {
	mu      sync.Mutex
	rows    map[string][]row
	denied  map[string]bool // objects whose queries are refused
	global  []sfapi.GlobalObject
	queries int
	lists   int
}

var windowRE = regexp.MustCompile(`FROM (\w+) WHERE Timestamp > (\S+) AND Timestamp <= (\S+) ORDER BY Timestamp DESC`)

func (f *fakeOrg) DescribeGlobal(context.Context, sfapi.Caller) (*sfapi.Global, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	return &sfapi.Global{SObjects: f.global}, nil
}

func (f *fakeOrg) Describe(_ context.Context, _ sfapi.Caller, object string) (*sfapi.Describe, error) {
	return sftest.Describe(object, "Id", "Timestamp", "UserIdentifier", "ClientIp", "V"), nil
}

func (f *fakeOrg) Query(_ context.Context, _ sfapi.Caller, soql string, _ int) (*sfapi.QueryResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	m := windowRE.FindStringSubmatch(soql)
	if m == nil {
		return nil, fmt.Errorf("unexpected query %s", soql)
	}
	if f.denied[m[1]] {
		return nil, &sfapi.APIError{Status: 400, Code: sfapi.CodeInvalidType, Message: "sObject type '" + m[1] + "' is not supported."}
	}
	from, _ := time.Parse(time.RFC3339, m[2])
	upper, _ := time.Parse(time.RFC3339, m[3])
	var recs [][]byte
	rows := slices.Clone(f.rows[m[1]])
	slices.SortStableFunc(rows, func(a, b row) int { return b.ts.Compare(a.ts) })
	for _, r := range rows {
		if r.ts.After(from) && !r.ts.After(upper) {
			recs = append(recs, fmt.Appendf(nil, `{"attributes":{"type":%q},"Id":"000000000000000AAA","Timestamp":%q,"UserIdentifier":"005000000000001","ClientIp":"192.0.2.1","V":%q}`,
				m[1], r.ts.Format("2006-01-02T15:04:05.000+0000"), r.v))
		}
	}
	return sftest.Page(true, "", recs...), nil
}

func (f *fakeOrg) QueryMore(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	return nil, fmt.Errorf("no locators here")
}

var org = convert.Resource{OrgID: "00D000000000001AAA"}

// poll runs one poll and returns the cursor after it.
func poll(t *testing.T, src *Source, cur Cursor, sink *sftest.Sink) (Cursor, error) {
	t.Helper()
	err := src.Poll(context.Background(), org, cur, func(ctx context.Context, l plog.Logs, next Cursor) error {
		if err := sink.ConsumeLogs(ctx, l); err != nil {
			return err
		}
		b, err := json.Marshal(next) // as the checkpoint store keeps it
		require.NoError(t, err)
		cur = Cursor{}
		return json.Unmarshal(b, &cur)
	})
	return cur, err
}

// The org's Event Log Objects, found in its global describe, are each read
// whole and once across polls, rows identical in every field included;
// their records carry each object's own event type and user and client
// attributes; an object Salesforce refuses is named once and the others
// are read all the same.
func TestReadsEveryEventLogObject(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	f := &fakeOrg{rows: map[string][]row{}, denied: map[string]bool{"ReportEventLog": true}, global: []sfapi.GlobalObject{
		{Name: "AuraRequestEventLog", Queryable: true}, {Name: "LoginEventLog", Queryable: true},
		{Name: "ReportEventLog", Queryable: true}, {Name: "Account", Queryable: true}, {Name: "IdpEventLog", Queryable: true},
		{Name: "ApexCalloutEventLog", Queryable: false},
	}}
	want := map[string]int{}
	for i := range 30 {
		for _, o := range []string{"AuraRequestEventLog", "LoginEventLog"} {
			r := row{ts: now.Add(-3*time.Hour + time.Duration(i)*time.Minute), v: fmt.Sprintf("%s-%d", o, i)}
			n := 1 + i%3/2 // every third row twice: identical in every field
			for range n {
				f.rows[o] = append(f.rows[o], r)
				want[r.v]++
			}
		}
	}
	// Inside the hour Salesforce may still be writing: a later poll's.
	late := row{ts: now.Add(-30 * time.Minute), v: "late"}
	f.rows["AuraRequestEventLog"] = append(f.rows["AuraRequestEventLog"], late)

	core, logs := observer.New(zap.InfoLevel)
	src := New(f, Options{Backfill: 24 * time.Hour, Now: func() time.Time { return clock }, Logger: zap.New(core)})
	sink := sftest.NewSink()
	cur, err := poll(t, src, src.Initial(), sink)
	require.NoError(t, err, "one object refused, the others read")
	assert.Equal(t, want, sink.Counts(sftest.Body("V")))
	assert.Equal(t, 1, logs.FilterMessage("An Event Log Object cannot be read; reading the others, and this one again each poll").Len())
	found := logs.FilterMessage("Event Log Objects found").All()
	require.Len(t, found, 1)
	assert.Equal(t, []any{"AuraRequestEventLog", "LoginEventLog", "ReportEventLog"}, found[0].ContextMap()["names"])

	clock = now.Add(time.Hour)
	_, err = poll(t, src, cur, sink)
	require.NoError(t, err)
	want["late"] = 1
	assert.Equal(t, want, sink.Counts(sftest.Body("V")), "nothing twice; the late row once it is an hour old")
	assert.Equal(t, 1, f.lists, "the object list is kept for a day")
	assert.Equal(t, 1, logs.FilterMessage("An Event Log Object cannot be read; reading the others, and this one again each poll").Len(), "named once")

	for _, lr := range sink.Records() {
		typ, _ := lr.Attributes().Get(semconv.AttrEventType)
		assert.True(t, catalog.IsEventLogObject(typ.Str()))
		user, _ := lr.Attributes().Get(semconv.AttrUserID)
		assert.Equal(t, "005000000000001AAA", user.Str())
		addr, _ := lr.Attributes().Get(semconv.AttrClientAddr)
		assert.Equal(t, "192.0.2.1", addr.Str())
		_, hasID := lr.Attributes().Get(semconv.AttrRecordID)
		assert.False(t, hasID, "the placeholder Id is no record id")
	}
	assert.Len(t, sink.Counts(sftest.UID), sink.Count(), "a uid per row")
}

// A backfill shorter than the hour each window stays behind now leaves the
// first poll nothing to read and so nothing to emit; the objects' starting
// points must still hold for the next polls, which then read what arrived.
func TestBackfillWithinTheLag(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	f := &fakeOrg{rows: map[string][]row{}, global: []sfapi.GlobalObject{{Name: "LoginEventLog", Queryable: true}}}
	src := New(f, Options{Backfill: 30 * time.Minute, Now: func() time.Time { return clock }})
	sink := sftest.NewSink()
	cur, err := poll(t, src, src.Initial(), sink)
	require.NoError(t, err)
	assert.Zero(t, sink.Count())
	f.rows["LoginEventLog"] = []row{{ts: now.Add(10 * time.Minute), v: "new"}}
	for range 3 { // hourly polls
		clock = clock.Add(time.Hour)
		cur, err = poll(t, src, cur, sink)
		require.NoError(t, err)
	}
	assert.Equal(t, map[string]int{"new": 1}, sink.Counts(sftest.Body("V")), "read once it is an hour old, once")
}

func TestNoEventLogObject(t *testing.T) {
	f := &fakeOrg{global: []sfapi.GlobalObject{{Name: "Account", Queryable: true}}}
	src := New(f, Options{})
	_, err := src.Check(context.Background())
	require.ErrorIs(t, err, sfapi.ErrNotReadable)
	assert.Contains(t, err.Error(), "View Event Log Object Data")
	assert.Equal(t, sfapi.ClassQuery, sfapi.Classify(err))
}

// A configured list is read as listed, without the global describe; when
// every object is refused the poll fails with their refusals.
func TestConfiguredObjects(t *testing.T) {
	f := &fakeOrg{rows: map[string][]row{}, denied: map[string]bool{"ReportEventLog": true}}
	src := New(f, Options{Objects: []string{"ReportEventLog"}, Backfill: 3 * time.Hour})
	_, err := poll(t, src, src.Initial(), sftest.NewSink())
	require.Error(t, err)
	assert.True(t, sfapi.Classify(err).Permanent())
	assert.Zero(t, f.lists)
	ready, err := src.Check(context.Background())
	require.Error(t, err)
	assert.Equal(t, "1 Event Log Objects", ready.Object)
}
