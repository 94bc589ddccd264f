package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

// countSource emits `total` records, one per page, counting up from the cursor.
type countSource struct {
	total int
	mu    sync.Mutex
	polls []int // cursor seen by each poll (-1: none)
}

func (s *countSource) Initial() int { return -1 }

func (s *countSource) Poll(ctx context.Context, _ convert.Resource, cursor int, emit Emit[int]) error {
	s.mu.Lock()
	s.polls = append(s.polls, cursor)
	s.mu.Unlock()
	start := max(cursor, 0)
	for i := start; i < s.total; i++ {
		logs := plog.NewLogs()
		logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetInt(int64(i))
		if err := emit(ctx, logs, i+1); err != nil {
			return err
		}
	}
	return nil
}

func bodies(sink *sftest.Sink) []int64 {
	var out []int64
	for _, lr := range sink.Records() {
		out = append(out, lr.Body().Int())
	}
	return out
}

// first is the body of a delivery's first record.
func first(l plog.Logs) int64 {
	return l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Int()
}

func newRunner(src Source[int], next consumer.Logs, store *checkpoint.Store) *Runner[int] {
	return &Runner[int]{
		Stream: Descriptor{Name: "test"}, Interval: 10 * time.Millisecond, Source: src,
		Consumer: next, Store: store,
		Org:    func(context.Context) (convert.Resource, error) { return convert.Resource{OrgID: "00Dorg"}, nil },
		Logger: zap.NewNop(), RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond,
	}
}

func TestRunnerDeliversInOrderAndSavesCursor(t *testing.T) {
	store := checkpoint.New(nil)
	sink := sftest.NewSink()
	r := newRunner(&countSource{total: 5}, sink, store)
	sftest.RunUntil(t, 5*time.Second, func() bool { return sink.Count() == 5 }, r)
	require.Equal(t, []int64{0, 1, 2, 3, 4}, bodies(sink))
	var saved int
	found, err := store.Load(context.Background(), checkpoint.Key("00Dorg", "test"), &saved)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, 5, saved)
}

// A refused page is retried, whatever kind of refusal, and the cursor does
// not move past it until it is accepted.
func TestRunnerRetriesRefusedPages(t *testing.T) {
	for _, refusal := range []error{errors.New("queue full"), consumererror.NewPermanent(errors.New("bad pipeline"))} {
		t.Run(refusal.Error(), func(t *testing.T) {
			store := checkpoint.New(nil)
			sink := sftest.NewSink()
			sink.SetRefuse(func(d sftest.Delivery) error {
				if first(d.Logs) == 2 && d.Refused < 3 {
					return refusal
				}
				return nil
			})
			r := newRunner(&countSource{total: 4}, sink, store)
			sftest.RunUntil(t, 5*time.Second, func() bool { return sink.Count() == 4 }, r)
			require.Equal(t, []int64{0, 1, 2, 3}, bodies(sink))
			require.Equal(t, 3, sink.Refused())
		})
	}
}

// Stopped while a page is refused: the cursor stays at the last accepted
// page, so a new runner over the same store resumes there.
func TestRunnerResumesFromLastAcceptedPage(t *testing.T) {
	store := checkpoint.New(nil)
	one := sftest.NewSink()
	one.SetRefuse(func(d sftest.Delivery) error {
		if first(d.Logs) >= 2 {
			return errors.New("down")
		}
		return nil
	})
	stop := sftest.Start(t, newRunner(&countSource{total: 5}, one, store))
	require.Eventually(t, func() bool { return one.Count() == 2 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // a few refusals of page 2
	stop()

	two := sftest.NewSink()
	src := &countSource{total: 5}
	sftest.RunUntil(t, 5*time.Second, func() bool { return two.Count() == 3 }, newRunner(src, two, store))
	require.Equal(t, []int64{0, 1}, bodies(one))
	require.Equal(t, []int64{2, 3, 4}, bodies(two))
	require.Equal(t, 2, src.polls[0], "second runner starts from the saved cursor")
}

func TestRunnerRetriesFailedPolls(t *testing.T) {
	src := &failingSource{err: errors.New("salesforce down")}
	r := newRunner(src, sftest.NewSink(), checkpoint.New(nil))
	r.Interval = time.Hour // failures retry on the backoff, not the interval
	sftest.RunUntil(t, 5*time.Second, func() bool { return len(src.polls()) >= 3 }, r)
}

// failingSource fails every poll with err and records when.
type failingSource struct {
	err   error
	mu    sync.Mutex
	times []time.Time
}

func (s *failingSource) Initial() int { return 0 }

func (s *failingSource) Poll(context.Context, convert.Resource, int, Emit[int]) error {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	return s.err
}

func (s *failingSource) polls() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times...)
}

// A refusal only an operator can fix is asked again at the poll interval;
// anything else on the (faster) failure backoff.
func TestRunnerPacesFailuresByClass(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		minGap  time.Duration
		maxPoll int
	}{
		{"a field Salesforce refuses", &sfapi.APIError{Status: 400, Code: sfapi.CodeInvalidField}, 200 * time.Millisecond, 4},
		{"an object the user may not read", &sfapi.APIError{Status: 400, Code: sfapi.CodeInvalidType}, 200 * time.Millisecond, 4},
		{"a transient 503", &sfapi.APIError{Status: 503, Code: sfapi.CodeServerUnavailable}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &failingSource{err: tc.err}
			r := newRunner(src, sftest.NewSink(), checkpoint.New(nil))
			r.Interval = 250 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			r.Run(ctx)
			polls := src.polls()
			if tc.maxPoll == 0 {
				require.Greater(t, len(polls), 6, "transient failures retry on the fast backoff")
				return
			}
			require.LessOrEqual(t, len(polls), tc.maxPoll)
			for i := 1; i < len(polls); i++ {
				require.GreaterOrEqual(t, polls[i].Sub(polls[i-1]), tc.minGap)
			}
		})
	}
}

// fakeObs counts what the standard receiver telemetry would.
type fakeObs struct {
	mu                 sync.Mutex
	accepted, refused  int
	started, formatted int
}

func (o *fakeObs) StartLogsOp(ctx context.Context) context.Context {
	o.mu.Lock()
	o.started++
	o.mu.Unlock()
	return ctx
}

func (o *fakeObs) EndLogsOp(_ context.Context, format string, n int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if format == dataFormat {
		o.formatted++
	}
	if err != nil {
		o.refused += n
	} else {
		o.accepted += n
	}
}

// Every delivery attempt is reported as the collector's standard receiver
// telemetry: the accepted records once, each refused attempt as refused.
func TestRunnerReportsStandardTelemetry(t *testing.T) {
	sink := sftest.NewSink()
	sink.SetRefuse(func(d sftest.Delivery) error {
		if d.Attempt <= 2 {
			return errors.New("full")
		}
		return nil
	})
	obs := &fakeObs{}
	r := newRunner(&countSource{total: 3}, sink, checkpoint.New(nil))
	r.Obs = obs
	sftest.RunUntil(t, 5*time.Second, func() bool { return sink.Count() == 3 }, r)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	require.Equal(t, 3, obs.accepted)
	require.Equal(t, 2, obs.refused)
	require.Equal(t, 5, obs.started)
	require.Equal(t, 5, obs.formatted)
}

// refusingOnce refuses each page's first delivery and notes the first
// body of each page it accepts, read while it is called (it keeps no
// reference, as a consumer that does not Ref the data must not).
type refusingOnce struct {
	mu      sync.Mutex
	refused map[int64]bool
	got     []int64
	empties int
}

func (c *refusingOnce) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *refusingOnce) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ld.LogRecordCount() == 0 {
		c.empties++
		return nil
	}
	b := first(ld)
	if !c.refused[b] {
		c.refused[b] = true
		return errors.New("sending queue is full")
	}
	c.got = append(c.got, b)
	return nil
}

func (c *refusingOnce) accepted() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got) + c.empties
}

// pipelineOwned does what the collector's service does in front of every
// receiver's consumer (service/internal/refconsumer): it takes ownership
// of data it is handed unless someone already has, and releases it when
// ConsumeLogs returns, accepted or not.
type pipelineOwned struct{ next consumer.Logs }

func (c pipelineOwned) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c pipelineOwned) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if pref.MarkPipelineOwnedLogs(ld) {
		defer pref.UnrefLogs(ld)
	}
	return c.next.ConsumeLogs(ctx, ld)
}

// With pdata's pdata.useProtoPooling gate on, the service releases a page
// it refused; the runner must hold it for the retry, or the retry sends
// empty records and the cursor moves past the page.
func TestRefusedPageSurvivesProtoPooling(t *testing.T) {
	for _, gate := range []bool{false, true} {
		t.Run(fmt.Sprintf("pdata.useProtoPooling=%v", gate), func(t *testing.T) {
			require.NoError(t, featuregate.GlobalRegistry().Set(pref.UseProtoPooling.ID(), gate))
			t.Cleanup(func() { require.NoError(t, featuregate.GlobalRegistry().Set(pref.UseProtoPooling.ID(), false)) })
			c := &refusingOnce{refused: map[int64]bool{}}
			r := newRunner(&countSource{total: 4}, pipelineOwned{c}, checkpoint.New(nil))
			sftest.RunUntil(t, 5*time.Second, func() bool { return c.accepted() >= 4 }, r)
			c.mu.Lock()
			defer c.mu.Unlock()
			require.Equal(t, []int64{0, 1, 2, 3}, c.got)
			require.Zero(t, c.empties, "no page is sent again emptied")
		})
	}
}

// Map (the receiver's schema option) rewrites each page once, before its
// first delivery: a page the consumer refuses is retried as it was mapped,
// not mapped again.
func TestRunnerMapsEachPageOnce(t *testing.T) {
	store := checkpoint.New(nil)
	sink := sftest.NewSink()
	sink.SetRefuse(func(d sftest.Delivery) error {
		if first(d.Logs) == 1 && d.Refused < 2 {
			return errors.New("queue full")
		}
		return nil
	})
	var mu sync.Mutex
	mapped := map[int64]int{}
	r := newRunner(&countSource{total: 3}, sink, store)
	r.Map = func(l plog.Logs) {
		lr := l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		mu.Lock()
		mapped[lr.Body().Int()]++
		mu.Unlock()
		n, _ := lr.Attributes().Get("mapped")
		lr.Attributes().PutInt("mapped", n.Int()+1)
	}
	sftest.RunUntil(t, 5*time.Second, func() bool { return sink.Count() == 3 }, r)
	require.Equal(t, 2, sink.Refused())
	mu.Lock()
	require.Equal(t, map[int64]int{0: 1, 1: 1, 2: 1}, mapped)
	mu.Unlock()
	for _, lr := range sink.Records() {
		n, _ := lr.Attributes().Get("mapped")
		require.EqualValues(t, 1, n.Int(), "record %d", lr.Body().Int())
	}
}
