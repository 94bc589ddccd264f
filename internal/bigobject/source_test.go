package bigobject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

type event struct {
	ts time.Time
	id string // "": the row has no EventIdentifier (only the placeholder Id)
	v  string // a field to tell rows apart (or not) when they have no id
}

// fakeOrg answers window queries over events, newest first, with ties in a
// different order each time (Salesforce promises no order among them). With
// locators it pages through nextRecordsUrl; without, it returns the first
// page only, marked not done, as a result that cannot be paged.
type fakeOrg struct {
	events   []event
	page     int
	locators bool
	rnd      *rand.Rand
	results  map[string][]event
	queries  int
}

var windowRE = regexp.MustCompile(`EventDate > (\S+) AND EventDate <= (\S+) ORDER BY EventDate DESC$`)

// testOrg is the org the fake serves.
var testOrg = convert.Resource{OrgID: "00Dorg", InstanceURL: "https://example.my.salesforce.com"}

// loginEvent is a LoginEvent stream's descriptor, for tests.
var loginEvent = stream.Descriptor{Name: "object/LoginEvent", Object: "LoginEvent", Map: convert.Mapping{TimestampField: "EventDate"}}

func (f *fakeOrg) Describe(_ context.Context, _ sfapi.Caller, object string) (*sfapi.Describe, error) {
	return sftest.Describe(object, "EventIdentifier", "EventDate", "Operation", "UserId"), nil
}

func (f *fakeOrg) Query(_ context.Context, _ sfapi.Caller, soql string, _ int) (*sfapi.QueryResult, error) {
	f.queries++
	m := windowRE.FindStringSubmatch(soql)
	if m == nil {
		return nil, fmt.Errorf("unexpected query %s", soql)
	}
	from, _ := time.Parse(time.RFC3339, m[1])
	upper, _ := time.Parse(time.RFC3339, m[2])
	var rows []event
	for _, e := range f.events {
		if e.ts.After(from) && !e.ts.After(upper) {
			rows = append(rows, e)
		}
	}
	f.rnd.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	slices.SortStableFunc(rows, func(a, b event) int { return b.ts.Compare(a.ts) })
	key := strconv.Itoa(f.queries)
	f.results[key] = rows
	return f.render(key, 0), nil
}

func (f *fakeOrg) QueryMore(_ context.Context, _ sfapi.Caller, next string, _ int) (*sfapi.QueryResult, error) {
	key, off, _ := strings.Cut(strings.TrimPrefix(next, "/q/"), "-")
	n, _ := strconv.Atoi(off)
	return f.render(key, n), nil
}

func (f *fakeOrg) render(key string, off int) *sfapi.QueryResult {
	rows := f.results[key]
	end := min(off+f.page, len(rows))
	next := ""
	if end < len(rows) && f.locators {
		next = "/q/" + key + "-" + strconv.Itoa(end)
	}
	var recs [][]byte
	for _, e := range rows[off:end] {
		if e.id == "" {
			recs = append(recs, fmt.Appendf(nil,
				`{"attributes":{"type":"LoginEvent"},"EventDate":%q,"V":%q,"Id":"000000000000000AAA"}`,
				e.ts.Format("2006-01-02T15:04:05.000Z"), e.v))
			continue
		}
		recs = append(recs, fmt.Appendf(nil,
			`{"attributes":{"type":"LoginEvent"},"EventIdentifier":%q,"EventDate":%q,"Id":"000000000000000AAA"}`,
			e.id, e.ts.Format("2006-01-02T15:04:05.000Z")))
	}
	res := sftest.Page(end == len(rows), next, recs...)
	res.TotalSize = len(rows)
	return res
}

// drive polls like the runner until caught up, with a consumer that
// refuses every refuse-th page and a restart (the cursor through JSON, as
// the checkpoint store keeps it) after every refusal.
func drive(t *testing.T, src *Source, saved *[]byte, refuse int) map[string]int {
	t.Helper()
	return driveBy(t, src, saved, refuse, sftest.Body("EventIdentifier"))
}

// driveBy is drive, counting deliveries by key.
func driveBy(t *testing.T, src *Source, saved *[]byte, refuse int, key sftest.Key) map[string]int {
	t.Helper()
	sink := sftest.NewSink()
	sink.SetRefuse(func(d sftest.Delivery) error {
		if refuse > 0 && d.Attempt%refuse == 0 {
			return errors.New("refused")
		}
		return nil
	})
	for range 1000 {
		cur := src.Initial()
		if *saved != nil {
			cur = Cursor{}
			require.NoError(t, json.Unmarshal(*saved, &cur))
		}
		before := string(*saved)
		err := src.Poll(context.Background(), testOrg, cur, func(ctx context.Context, logs plog.Logs, next Cursor) error {
			if err := sink.ConsumeLogs(ctx, logs); err != nil {
				return err
			}
			var err error
			*saved, err = json.Marshal(next)
			return err
		})
		if err == nil && string(*saved) == before {
			return sink.Counts(key) // caught up: a poll that changed nothing
		}
		if err != nil {
			require.EqualError(t, err, "refused")
		}
	}
	t.Fatal("never caught up")
	return nil
}

func TestWindowsDeliverEveryEventOnce(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(1, 2))
	var events []event
	add := func(ts time.Time, n int) {
		for range n {
			events = append(events, event{ts: ts, id: fmt.Sprintf("ev-%04d", len(events))})
		}
	}
	for range 300 {
		add(now.Add(-time.Duration(rnd.Int64N(int64(6*time.Hour)))).Truncate(time.Millisecond), 1)
	}
	edge := now.Add(-3 * time.Hour) // a whole-second window edge for 1h windows from now-6h
	add(edge, 4)                    // last instant of a window
	add(edge.Add(time.Millisecond), 3)
	add(edge.Add(-time.Millisecond), 3)
	add(now.Add(-2*time.Hour+400*time.Millisecond), 3) // a second split by pages
	add(now.Add(-2*time.Hour+300*time.Millisecond), 2)
	add(now.Add(-time.Minute), 5) // inside the lag: for a later poll

	tests := []struct {
		name     string
		page     int
		locators bool
		refuse   int
		opts     Options
	}{
		{"locators", 4, true, 0, Options{Window: time.Hour, MinWindow: time.Hour, MaxWindow: time.Hour}},
		// Without locators a page must hold the busiest second (7 here).
		{"no locators: move the top down", 8, false, 0, Options{Window: time.Hour, MinWindow: time.Hour, MaxWindow: time.Hour}},
		{"refusals and restarts", 4, true, 3, Options{Window: time.Hour, MinWindow: time.Hour, MaxWindow: time.Hour}},
		{"refusals without locators", 8, false, 2, Options{}},
		{"adaptive windows", 5, true, 0, Options{Window: 10 * time.Minute, MinWindow: time.Minute, TargetRows: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			org := &fakeOrg{events: events, page: tc.page, locators: tc.locators, rnd: rand.New(rand.NewPCG(3, 4)), results: map[string][]event{}}
			clock := now
			opts := tc.opts
			opts.Backfill, opts.Lag, opts.Now = 6*time.Hour, 2*time.Minute, func() time.Time { return clock }
			src := New(org, Spec{Spec: soqlstream.Spec{Stream: loginEvent}}, opts)

			var saved []byte
			got := drive(t, src, &saved, tc.refuse)
			assert.Len(t, got, len(events)-5, "everything but the events inside the lag")
			clock = now.Add(5 * time.Minute)
			for k, v := range drive(t, src, &saved, tc.refuse) {
				got[k] += v
			}
			for _, e := range events {
				assert.Equal(t, 1, got[e.id], "event %s at %s", e.id, e.ts)
			}
		})
	}
}

// Rows without a key (only the placeholder Id, as Event Log Object rows
// and big-object rows without their key field come) are identified by a
// digest of the row and a count of identical rows: each arrives once, rows
// identical in every field as often as they are there, through pages,
// refusals and restarts; no uid is derived from the placeholder.
func TestWindowsWithoutAKey(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(5, 6))
	var events []event
	want := map[string]int{} // by V: every V names one kind of row
	add := func(ts time.Time, v string, n int) {
		for range n {
			events = append(events, event{ts: ts, v: v})
			want[v]++
		}
	}
	for i := range 200 {
		add(now.Add(-10*time.Minute-time.Duration(rnd.Int64N(int64(5*time.Hour)))).Truncate(time.Millisecond), "row"+strconv.Itoa(i), 1)
	}
	edge := now.Add(-3 * time.Hour)
	add(edge, "twins at a window edge", 2)
	add(edge.Add(-time.Millisecond), "triplets", 3)
	add(now.Add(-2*time.Hour+time.Millisecond), "a page splits these", 5)
	for _, tc := range []struct {
		name     string
		page     int
		locators bool
		refuse   int
	}{{"locators", 3, true, 0}, {"refusals and restarts", 3, true, 2}, {"no locators", 8, false, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			org := &fakeOrg{events: events, page: tc.page, locators: tc.locators, rnd: rand.New(rand.NewPCG(7, 8)), results: map[string][]event{}}
			src := New(org, Spec{Spec: soqlstream.Spec{Stream: loginEvent}}, Options{
				Backfill: 6 * time.Hour, Window: time.Hour, MinWindow: time.Hour, MaxWindow: time.Hour, Now: func() time.Time { return now },
			})
			var saved []byte
			got := driveBy(t, src, &saved, tc.refuse, sftest.Body("V"))
			assert.Equal(t, want, got)
			assert.NotContains(t, string(saved), catalog.PlaceholderID, "never a key in the cursor")
		})
	}
	// The uids: distinct, none from the placeholder.
	org := &fakeOrg{events: events, page: 50, locators: true, rnd: rand.New(rand.NewPCG(9, 9)), results: map[string][]event{}}
	src := New(org, Spec{Spec: soqlstream.Spec{Stream: loginEvent}}, Options{Backfill: 6 * time.Hour, Now: func() time.Time { return now }})
	sink := sftest.NewSink()
	require.NoError(t, src.Poll(context.Background(), testOrg, src.Initial(), func(ctx context.Context, logs plog.Logs, _ Cursor) error {
		return sink.ConsumeLogs(ctx, logs)
	}))
	uids := sink.Counts(sftest.UID)
	assert.Len(t, uids, len(events))
	assert.Zero(t, uids[convert.RecordUID(testOrg.OrgID, loginEvent.Name, catalog.PlaceholderID)])
}

// More events in one second than a page holds cannot be paged without a
// locator: the poll fails rather than loop or skip.
func TestUnpageableSecondFails(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var events []event
	for i := range 8 {
		events = append(events, event{ts: now.Add(-time.Hour + time.Duration(i)*time.Millisecond), id: strconv.Itoa(i)})
	}
	org := &fakeOrg{events: events, page: 5, rnd: rand.New(rand.NewPCG(1, 1)), results: map[string][]event{}}
	src := New(org, Spec{Spec: soqlstream.Spec{Stream: loginEvent}}, Options{Backfill: 2 * time.Hour, Now: func() time.Time { return now }})
	err := src.Poll(context.Background(), testOrg, src.Initial(), func(context.Context, plog.Logs, Cursor) error { return nil })
	require.ErrorContains(t, err, "cannot page below")
}

func TestQuery(t *testing.T) {
	src := New(&fakeOrg{}, Spec{Spec: soqlstream.Spec{Stream: stream.Descriptor{Object: "ApiEvent", Map: convert.Mapping{TimestampField: "EventDate"}}, Fields: []string{"eventdate", "Operation"}, Where: "EventIdentifier = 'x'"}}, Options{})
	set, err := src.fields.Get(context.Background())
	require.NoError(t, err)
	from := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		upper time.Time
		want  string
	}{
		{from.Add(time.Hour), "2024-05-01T11:00:00Z"},
		{from.Add(time.Hour + 250*time.Millisecond), "2024-05-01T11:00:01Z"}, // rounded up: rows above are dropped
	}
	for _, tc := range tests {
		assert.Equal(t, "SELECT EventIdentifier, EventDate, Operation FROM ApiEvent WHERE EventDate > 2024-05-01T10:00:00Z AND EventDate <= "+
			tc.want+" AND (EventIdentifier = 'x') ORDER BY EventDate DESC", src.Query(set, from, tc.upper))
	}
}

func TestWindowSizing(t *testing.T) {
	src := New(nil, Spec{}, Options{Window: time.Hour, MinWindow: time.Minute, MaxWindow: 4 * time.Hour, TargetRows: 1000})
	from := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		span   time.Duration // current span (0: Options.Window)
		length time.Duration // the closed window's length
		rows   int
		want   time.Duration
	}{
		{"empty doubles", 0, time.Hour, 0, 2 * time.Hour},
		{"capped at max", 4 * time.Hour, 4 * time.Hour, 0, 4 * time.Hour},
		{"dense shrinks to the target", 0, time.Hour, 4000, 15 * time.Minute},
		{"never below min", 0, time.Hour, 1_000_000, time.Minute},
		{"sparse grows at most twofold", 0, time.Hour, 10, 2 * time.Hour},
		{"a window cut short by now keeps the span", 0, 5 * time.Minute, 100, time.Hour},
		{"a short dense window still shrinks", 0, 5 * time.Minute, 2000, 150 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Cursor{From: from, Span: int64(tc.span / time.Second), Window: &Window{To: from.Add(tc.length), Rows: tc.rows}}
			got := src.close(c)
			assert.Equal(t, from.Add(tc.length), got.From)
			assert.Nil(t, got.Window)
			assert.Equal(t, tc.want, time.Duration(got.Span)*time.Second)
		})
	}
}
