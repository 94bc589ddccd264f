package soqlstream

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/fieldset"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// check requires every record of object in sim delivered once, by
// salesforce.record.id, and nothing else.
func check(t *testing.T, s *sftest.Sink, sim *simulator.Server, object string) {
	t.Helper()
	s.ExactlyOnce(t, sftest.RecordID, sftest.Truth(sim, sftest.ByID, object))
}

type env struct {
	sim    *simulator.Server
	client *sfapi.Client
	store  *checkpoint.Store
}

func newEnv(t *testing.T, opts simulator.Options) *env {
	t.Helper()
	// These tests count LoginHistory rows exactly; the stream's own
	// sign-ins would add some.
	opts.NoLoginHistory = true
	sim := simulator.NewTestServer(t, opts)
	return &env{sim: sim, client: sftest.Client(t, sim), store: checkpoint.New(nil)}
}

func (e *env) runner(spec Spec, next consumer.Logs, backfill time.Duration) *stream.Runner[Cursor] {
	src := New(e.client, spec, Options{Backfill: backfill, Overlap: DefaultOverlap, BatchSize: 200})
	return &stream.Runner[Cursor]{
		Stream: spec.Stream, Interval: 20 * time.Millisecond, Source: src, Consumer: next,
		Store: e.store, Logger: zap.NewNop(), RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond,
		Org: e.client.Org,
	}
}

// run polls until cond holds, then stops the runner.
func run(t *testing.T, r *stream.Runner[Cursor], cond func() bool) {
	t.Helper()
	sftest.RunUntil(t, 20*time.Second, cond, r)
}

func total(sim *simulator.Server, object string) int { return len(sim.Records(object)) }

func TestBackfillDeliversEveryRecordOnce(t *testing.T) {
	for _, spec := range []Spec{LoginHistory, SetupAuditTrail} {
		t.Run(spec.Stream.Object, func(t *testing.T) {
			opts := simulator.Defaults()
			opts.LoginHistoryRows, opts.SetupAuditTrailRows = 1500, 700
			e := newEnv(t, opts)
			s := sftest.NewSink()
			run(t, e.runner(spec, s, 96*time.Hour), func() bool { return s.Count() >= total(e.sim, spec.Stream.Object) })
			check(t, s, e.sim, spec.Stream.Object)
			assert.Greater(t, e.sim.Calls().QueryMore, int64(2), "the backfill spans several pages")
		})
	}
}

// Rows that share the cursor's timestamp, arriving after a poll read some
// of that timestamp, and rows that became visible late (older than rows
// already read) are delivered once.
func TestTieBreakerAndLateRowsAcrossPolls(t *testing.T) {
	e := newEnv(t, simulator.Defaults())
	s := sftest.NewSink()
	r := e.runner(LoginHistory, s, 96*time.Hour)
	run(t, r, func() bool { return s.Count() >= total(e.sim, "LoginHistory") })

	newest := time.Time{}
	for _, rec := range e.sim.Records("LoginHistory") {
		if ts := rec.Fields["LoginTime"].(time.Time); ts.After(newest) {
			newest = ts
		}
	}
	e.sim.Arrive("LoginHistory", 7, newest)                      // same timestamp as the cursor
	e.sim.Arrive("LoginHistory", 5, newest.Add(-2*time.Minute))  // committed late, inside the overlap
	e.sim.Arrive("LoginHistory", 3, time.Now().Add(time.Second)) // ordinary new rows
	run(t, r, func() bool { return s.Count() >= total(e.sim, "LoginHistory") })
	time.Sleep(100 * time.Millisecond) // several more polls over the same window
	check(t, s, e.sim, "LoginHistory")
}

// A page boundary inside a run of rows sharing one timestamp, with a
// restart exactly there.
func TestRestartInsideSameTimestampRun(t *testing.T) {
	opts := simulator.Options{History: time.Hour, LoginHistoryRows: -1, SetupAuditTrailRows: -1}
	e := newEnv(t, opts)
	at := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	e.sim.Arrive("LoginHistory", 450, at) // pages of 200 split it twice

	first := sftest.NewSink()
	first.SetRefuse(func(d sftest.Delivery) error {
		if d.Attempt >= 2 {
			return errors.New("stop after one page")
		}
		return nil
	})
	run(t, e.runner(LoginHistory, first, time.Hour), func() bool { return first.Count() == 200 })

	second := sftest.NewSink()
	run(t, e.runner(LoginHistory, second, time.Hour), func() bool { return second.Count() >= 250 })
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, 200, first.Count())
	assert.Equal(t, 250, second.Count())
	before := first.Counts(sftest.RecordID)
	for id := range second.Counts(sftest.RecordID) {
		assert.Zero(t, before[id], "%s delivered before and after the restart", id)
	}
}

func TestSessionExpiresMidPaging(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: 1000, SetupAuditTrailRows: -1})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Skip: 1, ExpireSession: true})
	s := sftest.NewSink()
	run(t, e.runner(LoginHistory, s, 96*time.Hour), func() bool { return s.Count() >= 1000 })
	check(t, s, e.sim, "LoginHistory")
	calls := e.sim.Calls()
	assert.Equal(t, int64(1), calls.Unauthorized)
	assert.Equal(t, int64(2), calls.Token, "one token, then exactly one fresh one")
	assert.Equal(t, int64(5), calls.QueryMore, "4 more pages, page 3 fetched twice: nothing restarted")
}

func TestExpiredQueryLocatorRequeriesFromCursor(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: 1000, SetupAuditTrailRows: -1})
	e.sim.InjectFault(simulator.Fault{Path: "/query/", Skip: 2, Status: 400, ErrorCode: "INVALID_QUERY_LOCATOR", Message: "invalid query locator"})
	s := sftest.NewSink()
	run(t, e.runner(LoginHistory, s, 96*time.Hour), func() bool { return s.Count() >= 1000 })
	time.Sleep(50 * time.Millisecond)
	check(t, s, e.sim, "LoginHistory")
}

// A refused page leaves the saved cursor where it was; accepted later, it
// is delivered once.
func TestRefusedDeliveryHoldsTheCursor(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, simulator.Options{LoginHistoryRows: 600, SetupAuditTrailRows: -1})
	e.store = checkpoint.New(storagetest.NewFileBackedClient(component.KindReceiver, component.MustNewID("salesforce"), "", dir))
	key := checkpoint.Key(simulator.DefaultOrgID, "login_history")

	var refusing sync.WaitGroup
	refusing.Add(1)
	var once sync.Once
	s := sftest.NewSink()
	s.SetRefuse(func(d sftest.Delivery) error {
		if n := d.Attempt; n == 2 || n == 3 || n == 4 {
			if n == 4 {
				once.Do(refusing.Done)
			}
			return errors.New("backend down")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := e.runner(LoginHistory, s, 96*time.Hour)
	r.RetryInitial = 50 * time.Millisecond
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	refusing.Wait()
	var c Cursor
	found, err := e.store.Load(ctx, key, &c)
	require.NoError(t, err)
	require.True(t, found)
	recs := e.sim.Records("LoginHistory")
	sort.Slice(recs, func(i, j int) bool {
		ti, tj := recs[i].Fields["LoginTime"].(time.Time), recs[j].Fields["LoginTime"].(time.Time)
		return ti.Before(tj) || (ti.Equal(tj) && recs[i].ID < recs[j].ID)
	})
	assert.Equal(t, recs[199].ID, c.ID, "cursor stays after page 1 while page 2 is refused")
	require.Eventually(t, func() bool { return s.Count() >= 600 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	<-done
	check(t, s, e.sim, "LoginHistory")
}

func TestQueryText(t *testing.T) {
	src := New(nil, SetupAuditTrail, Options{Overlap: 5 * time.Minute})
	c := Cursor{Time: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)}
	all := fieldset.Set{Fields: SetupAuditTrail.Fields}
	assert.Equal(t,
		"SELECT Id, Action, Section, CreatedDate, CreatedById, CreatedBy.Username, Display, DelegateUser, ResponsibleNamespacePrefix, CreatedByContext, CreatedByIssuer FROM SetupAuditTrail WHERE CreatedDate >= 2026-11-01T09:55:00Z ORDER BY CreatedDate ASC, Id ASC",
		src.Query(all, c))
	spec := LoginHistory
	spec.Where = "Status != 'Success'"
	assert.Contains(t, New(nil, spec, Options{}).Query(fieldset.Set{Fields: []string{"Id"}}, c), "WHERE LoginTime >= 2026-11-01T10:00:00Z AND (Status != 'Success') ORDER BY")
}
