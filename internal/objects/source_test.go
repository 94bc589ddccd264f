package objects

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/bigobject"
	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// keyField is the record key each kind de-duplicates on.
func keyField(object string) string {
	if strings.HasSuffix(object, "Event") {
		return "EventIdentifier"
	}
	return "Id"
}

// check requires every record of object in sim delivered once, across
// sinks, by the key its kind de-duplicates on, and nothing else.
func check(t *testing.T, sim *simulator.Server, object string, s *sftest.Sink, more ...*sftest.Sink) {
	t.Helper()
	s.ExactlyOnce(t, sftest.Body(keyField(object)), sftest.Truth(sim, sftest.ByField(keyField(object)), object), more...)
}

type env struct {
	sim    *simulator.Server
	client *sfapi.Client
	store  *checkpoint.Store
	logs   *observer.ObservedLogs
	logger *zap.Logger
	now    time.Time // the sources' clock: fixed, so window edges are known
}

func newEnv(t *testing.T, opts simulator.Options) *env {
	t.Helper()
	sim := simulator.NewTestServer(t, opts)
	core, logs := observer.New(zapcore.InfoLevel)
	return &env{sim: sim, client: sftest.Client(t, sim), store: checkpoint.New(nil), logs: logs, logger: zap.New(core), now: time.Now().UTC()}
}

func (e *env) runner(cfg Config, next consumer.Logs, backfill time.Duration, big bigobject.Options) *stream.Runner[Cursor] {
	big.Lag = time.Millisecond
	src := New(e.client, cfg, Options{
		Backfill: backfill, BatchSize: 200, Big: big, Logger: e.logger,
		Now: func() time.Time { return e.now },
	})
	return &stream.Runner[Cursor]{
		Stream: Descriptor(cfg.Name, cfg.TimestampField), Interval: 20 * time.Millisecond, Source: src, Consumer: next,
		Store: e.store, Logger: e.logger, RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond,
		Org: e.client.Org,
	}
}

func (e *env) cursor(t *testing.T, object string) Cursor {
	t.Helper()
	var c Cursor
	found, err := e.store.Load(context.Background(), checkpoint.Key(simulator.DefaultOrgID, Descriptor(object, "").Name), &c)
	require.NoError(t, err)
	require.True(t, found)
	return c
}

// run polls until cond holds, then stops the runners.
func run(t *testing.T, cond func() bool, rs ...*stream.Runner[Cursor]) {
	t.Helper()
	runners := make([]sftest.Runner, len(rs))
	for i, r := range rs {
		runners[i] = r
	}
	sftest.RunUntil(t, 20*time.Second, cond, runners...)
}

func total(sim *simulator.Server, object string) int { return len(sim.Records(object)) }

// Every record once: backfill across many windows and pages, then new
// records (several in one millisecond) on later polls.
func TestEveryRecordOnceAcrossPolls(t *testing.T) {
	tests := []struct {
		cfg    Config
		big    bigobject.Options
		kind   string
		typed  map[string]pcommon.ValueType // body fields and their types
		absent string                       // a body field that must not be there
	}{
		{
			cfg:  Config{Name: "LoginEvent", TimestampField: "EventDate"},
			big:  bigobject.Options{Window: 24 * time.Hour, TargetRows: 300}, // pages within windows, then adapts
			kind: KindBig,
			typed: map[string]pcommon.ValueType{"EventDate": pcommon.ValueTypeStr, "LoginLatitude": pcommon.ValueTypeDouble,
				"Username": pcommon.ValueTypeStr},
		},
		{
			cfg:    Config{Name: "ApiEvent", TimestampField: "EventDate", Fields: []string{"Operation", "RowsProcessed", "ElapsedTime", "QueriedEntities"}},
			big:    bigobject.Options{Window: time.Hour, MinWindow: time.Minute, TargetRows: 20},
			kind:   KindBig,
			typed:  map[string]pcommon.ValueType{"RowsProcessed": pcommon.ValueTypeDouble, "ElapsedTime": pcommon.ValueTypeInt},
			absent: "Username",
		},
		{
			cfg:  Config{Name: "LogoutEvent", TimestampField: "EventDate"},
			big:  bigobject.Options{Window: 7 * time.Minute, MaxWindow: 7 * time.Minute},
			kind: KindBig,
		},
		{
			cfg: Config{Name: "Security_Case__c", TimestampField: "LastModifiedDate",
				Fields: []string{"Name", "Owner.Username", "Risk_Score__c", "Affected_Users__c", "Is_Escalated__c", "CreatedDate"}},
			kind: KindSOQL,
			typed: map[string]pcommon.ValueType{"Owner.Username": pcommon.ValueTypeStr, "Risk_Score__c": pcommon.ValueTypeDouble,
				"Affected_Users__c": pcommon.ValueTypeInt, "Is_Escalated__c": pcommon.ValueTypeBool},
		},
		{
			cfg:    Config{Name: "Security_Case__c", TimestampField: "LastModifiedDate"}, // describe: standard fields only
			kind:   KindSOQL,
			typed:  map[string]pcommon.ValueType{"Name": pcommon.ValueTypeStr, "IsDeleted": pcommon.ValueTypeBool},
			absent: "Risk_Score__c",
		},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.Name+"/"+strings.Join(tc.cfg.Fields, ","), func(t *testing.T) {
			e := newEnv(t, simulator.Options{Seed: 3})
			obj := tc.cfg.Name
			s := sftest.NewSink()
			r := e.runner(tc.cfg, s, 96*time.Hour, tc.big)
			run(t, func() bool { return s.Count() >= total(e.sim, obj) }, r)

			recs := s.Records()
			lr := recs[len(recs)-1]
			assert.Equal(t, semconv.EventObject, lr.EventName())
			et, _ := lr.Attributes().Get(semconv.AttrEventType)
			assert.Equal(t, obj, et.Str())
			for k, typ := range tc.typed {
				v, _ := lr.Body().Map().Get(k)
				got := v.Type()
				if typ == pcommon.ValueTypeDouble && got == pcommon.ValueTypeInt {
					// The simulator, unlike Salesforce, renders a whole
					// double without ".0"; either way it stays a number.
					got = typ
				}
				assert.Equal(t, typ, got, k)
			}
			if tc.absent != "" {
				_, ok := lr.Body().Map().Get(tc.absent)
				assert.False(t, ok, tc.absent)
			}
			assert.Equal(t, tc.kind, e.cursor(t, obj).Kind)

			// New records, several sharing a millisecond, on later polls.
			// (Events older than a closed window are late; Lag is for those.)
			at := e.now.Add(time.Second).Truncate(time.Millisecond)
			e.sim.Arrive(obj, 5, at)
			e.sim.Arrive(obj, 3, at.Add(time.Millisecond))
			e.now = e.now.Add(3 * time.Second) // the runner is stopped: no race
			run(t, func() bool { return s.Count() >= total(e.sim, obj) }, r)
			time.Sleep(60 * time.Millisecond) // more polls over the same windows
			check(t, e.sim, obj, s)
		})
	}
}

// A refusal, then a restart (new Source, same checkpoint store), inside a
// run of events sharing one millisecond that pages split, with more runs
// on both sides of a window edge.
func TestRestartAndRefusalsInsideSameMillisecond(t *testing.T) {
	e := newEnv(t, simulator.Options{History: -1})
	e.now = e.now.Truncate(time.Minute)
	edge := e.now.Add(-30 * time.Minute) // windows are fixed minutes from now-1h
	e.sim.Arrive("LoginEvent", 450, edge.Add(-time.Millisecond))
	e.sim.Arrive("LoginEvent", 7, edge) // last instant of the window (.., edge]
	e.sim.Arrive("LoginEvent", 6, edge.Add(time.Millisecond))
	e.sim.Arrive("LoginEvent", 250, edge.Add(10*time.Second+123*time.Millisecond))
	win := bigobject.Options{Window: time.Minute, MinWindow: time.Minute, MaxWindow: time.Minute}
	cfg := Config{Name: "LoginEvent", TimestampField: "EventDate", Fields: []string{"Username"}}

	first := sftest.NewSink()
	first.SetRefuse(func(d sftest.Delivery) error {
		if n := d.Attempt; n == 2 || n >= 4 {
			return errors.New("downstream is full")
		}
		return nil
	})
	run(t, func() bool { return first.Count() == 400 && first.Attempts() > 6 }, e.runner(cfg, first, time.Hour, win))
	c := e.cursor(t, "LoginEvent")
	require.Equal(t, KindBig, c.Kind)
	require.NotNil(t, c.Big.Window, "stopped inside a window")
	require.NotEmpty(t, c.Big.Window.AtLow)

	second := sftest.NewSink()
	second.SetRefuse(func(d sftest.Delivery) error {
		if d.Attempt%2 == 1 {
			return errors.New("try again")
		}
		return nil
	})
	run(t, func() bool { return first.Count()+second.Count() >= total(e.sim, "LoginEvent") }, e.runner(cfg, second, time.Hour, win))
	time.Sleep(60 * time.Millisecond)
	check(t, e.sim, "LoginEvent", first, second)
	assert.Nil(t, e.cursor(t, "LoginEvent").Big.Window, "every window closed")
}

// An expired query locator mid-window: the window is queried again from
// where the walk stands.
func TestLocatorExpiresMidWindow(t *testing.T) {
	e := newEnv(t, simulator.Options{History: -1})
	at := e.now.Add(-10 * time.Minute).Truncate(time.Millisecond)
	e.sim.Arrive("ApiEvent", 300, at)
	e.sim.Arrive("ApiEvent", 500, at.Add(-time.Second))
	e.sim.InjectFault(simulator.Fault{Path: "/query/01gSIM", Skip: 1, Status: 400, ErrorCode: "INVALID_QUERY_LOCATOR", Message: "invalid query locator"})
	s := sftest.NewSink()
	cfg := Config{Name: "ApiEvent", TimestampField: "EventDate", Fields: []string{"Operation"}}
	run(t, func() bool { return s.Count() >= 800 }, e.runner(cfg, s, time.Hour, bigobject.Options{}))
	time.Sleep(60 * time.Millisecond)
	check(t, e.sim, "ApiEvent", s)
	assert.Zero(t, e.sim.PendingFaults())
}

// where: ANDed into the query; on a big object only if Salesforce can
// filter on it, otherwise its refusal is surfaced.
func TestWhere(t *testing.T) {
	e := newEnv(t, simulator.Options{Seed: 5})
	var high, picked int
	for _, r := range e.sim.Records("Security_Case__c") {
		if r.Fields["Severity__c"] == "High" {
			high++
		}
	}
	// A big object's where may add filters on its index only where
	// Salesforce allows them beside the window's EventDate range: more
	// EventDate conditions (a range is allowed only on the last index field
	// queried, so EventIdentifier beside the range is refused).
	events := e.sim.Records("LoginEvent")
	at := []time.Time{events[3].Fields["EventDate"].(time.Time), events[42].Fields["EventDate"].(time.Time)}
	for _, ev := range events {
		if ts := ev.Fields["EventDate"].(time.Time); ts.Equal(at[0]) || ts.Equal(at[1]) {
			picked++ // with the events sharing their millisecond
		}
	}

	cases := sftest.NewSink()
	logins := sftest.NewSink()
	failed := sftest.NewSink()
	run(t, func() bool {
		return cases.Count() >= high && logins.Count() >= picked &&
			len(e.logs.FilterMessageSnippet("Salesforce rejected").FilterField(zap.String("object", "LogoutEvent")).All()) > 0
	},
		e.runner(Config{Name: "Security_Case__c", TimestampField: "LastModifiedDate", Fields: []string{"Severity__c"}, Where: "Severity__c = 'High'"}, cases, 96*time.Hour, bigobject.Options{}),
		e.runner(Config{Name: "LoginEvent", TimestampField: "EventDate", Fields: []string{"Status"},
			Where: "EventDate IN (" + simulator.FormatDateTime(at[0]) + ", " + simulator.FormatDateTime(at[1]) + ")"}, logins, 96*time.Hour, bigobject.Options{}),
		e.runner(Config{Name: "LogoutEvent", TimestampField: "EventDate", Where: "SessionType = 'UI'"}, failed, 96*time.Hour, bigobject.Options{}),
	)
	time.Sleep(60 * time.Millisecond)
	assert.Equal(t, high, cases.Count())
	assert.Equal(t, picked, logins.Count())
	assert.Zero(t, failed.Count())
	entry := e.logs.FilterMessageSnippet("Salesforce rejected").FilterField(zap.String("object", "LogoutEvent")).All()[0]
	ctx := entry.ContextMap()
	assert.Equal(t, "BIG_OBJECT_UNSUPPORTED_OPERATION", ctx["error_code"])
	assert.Equal(t, "SessionType", ctx["field"])
	assert.Equal(t, "SessionType = 'UI'", ctx["where"])
}

// A listed field the object lacks: the describe shows it is not there, the
// error names the object and field once, the stream keeps retrying, and
// another stream keeps delivering.
func TestInvalidFieldIsSurfacedAndOthersKeepGoing(t *testing.T) {
	tests := []struct{ object, ts, good string }{
		{"LoginEvent", "EventDate", "Username"},
		{"Security_Case__c", "LastModifiedDate", "Name"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) {
			e := newEnv(t, simulator.Options{})
			bad := sftest.NewSink()
			good := sftest.NewSink()
			badRunner := e.runner(Config{Name: tc.object, TimestampField: tc.ts, Fields: []string{tc.good, "Bogus_Field__c"}}, bad, 96*time.Hour, bigobject.Options{})
			goodRunner := e.runner(Config{Name: "ApiEvent", TimestampField: "EventDate"}, good, 96*time.Hour, bigobject.Options{})
			retries := func() int {
				return len(e.logs.FilterMessageSnippet("Poll failed").FilterField(zap.String("stream", Descriptor(tc.object, "").Name)).All())
			}
			run(t, func() bool { return good.Count() >= total(e.sim, "ApiEvent") && retries() >= 3 }, badRunner, goodRunner)
			check(t, e.sim, "ApiEvent", good)
			assert.Zero(t, bad.Count())

			errs := e.logs.FilterMessageSnippet("cannot be read as configured").All()
			require.Len(t, errs, 1, "logged once, not on every retry")
			assert.Equal(t, zapcore.ErrorLevel, errs[0].Level)
			ctx := errs[0].ContextMap()
			assert.Equal(t, tc.object, ctx["object"])
			assert.Equal(t, "Bogus_Field__c", ctx["field"])
			assert.Contains(t, ctx["error"], tc.object+": Bogus_Field__c is not a field the integration user can see")
			assert.Contains(t, ctx["error"], "it is listed in fields")
		})
	}
}

// A backfill within a big object's lag leaves the first poll nothing to
// read, so it emits no cursor; the start Initial gave still holds, and a
// later poll reads what arrived.
func TestBackfillWithinTheLag(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, History: -1})
	src := New(e.client, Config{Name: "LoginEvent", TimestampField: "EventDate"}, Options{
		Backfill: time.Minute, Big: bigobject.Options{Lag: 2 * time.Minute}, Logger: e.logger,
		Now: func() time.Time { return e.now },
	})
	ctx := context.Background()
	org, err := e.client.Org(ctx)
	require.NoError(t, err)
	sink := sftest.NewSink()
	cur := src.Initial()
	poll := func() {
		t.Helper()
		require.NoError(t, src.Poll(ctx, org, cur, func(ctx context.Context, l plog.Logs, next Cursor) error {
			cur = next
			return sink.ConsumeLogs(ctx, l)
		}))
	}
	poll()
	require.Zero(t, sink.Count())
	e.sim.Arrive("LoginEvent", 5, e.now.Add(30*time.Second))
	e.now = e.now.Add(5 * time.Minute)
	poll()
	assert.Equal(t, 5, sink.Count())
}

// OauthToken as an `objects:` entry: its Id is always null, so its rows
// are keyed by their digest, each delivered once; its standard fields
// include its secrets, which are never selected.
func TestOauthTokenAsAnObject(t *testing.T) {
	e := newEnv(t, simulator.Options{History: -1})
	s := sftest.NewSink()
	r := e.runner(Config{Name: "OauthToken", TimestampField: "CreatedDate"}, s, 3*365*24*time.Hour, bigobject.Options{})
	want := total(e.sim, "OauthToken")
	run(t, func() bool { return s.Count() >= want }, r)
	require.Equal(t, want, s.Count())
	for uid, n := range s.Counts(sftest.UID) {
		require.Equal(t, 1, n, uid)
	}
	for _, lr := range s.Records() {
		body := lr.Body().Map()
		for _, f := range []string{"AccessToken", "RequestToken", "DeleteToken"} {
			_, ok := body.Get(f)
			require.False(t, ok, f)
		}
		_, ok := body.Get("AppName")
		require.True(t, ok)
	}
	for _, q := range e.sim.Queries() {
		require.Empty(t, sfapi.SecretFieldIn(q), q)
	}
}
