package budget

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

func settings(probe time.Duration) Settings {
	return Settings{ReservePercent: 10, ProbeInterval: probe, MaxConcurrent: 4}
}

// org plays Salesforce's counter: each granted call spends one and reports.
type org struct {
	mu         sync.Mutex
	used, max  int64
	belowFloor int // calls made while the reserve was already reached
	reserve    int64
}

func (o *org) call(b *Budget) {
	o.mu.Lock()
	if o.max-o.used <= o.reserve {
		o.belowFloor++
	}
	o.used++
	li := sfapi.LimitInfo{Used: o.used, Max: o.max}
	o.mu.Unlock()
	b.Observe(li)
}

// tryAcquire asks b for one call of priority p, giving up after 20ms: a
// call the budget holds back fails with context.DeadlineExceeded.
func tryAcquire(b *Budget, p Priority) (release func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	return b.Acquire(ctx, p)
}

// callsUntilHeld makes up to most calls of priority p, one at a time,
// until the budget holds one back; call runs for each (n: the calls so
// far, this one included). It returns the calls made.
func callsUntilHeld(b *Budget, p Priority, most int, call func(n int)) int {
	for n := 1; n <= most; n++ {
		release, err := tryAcquire(b, p)
		if err != nil {
			return n - 1
		}
		call(n)
		release()
	}
	return most
}

func TestReserveIsNeverSpent(t *testing.T) {
	tests := []struct {
		name      string
		used      int64
		wantCalls int
	}{
		{"120 left: 20 calls keep 100", 880, 20},
		{"at the reserve", 900, 0},
		{"below the reserve", 950, 0},
		{"plenty", 0, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New("00D", settings(time.Hour))
			b.Observe(sfapi.LimitInfo{Used: tt.used, Max: 1000})
			o := &org{used: tt.used, max: 1000, reserve: 100}
			calls := callsUntilHeld(b, Security, 50, func(int) { o.call(b) })
			assert.Equal(t, tt.wantCalls, calls)
			assert.Zero(t, o.belowFloor)
			assert.Equal(t, tt.used+int64(tt.wantCalls), o.used)
		})
	}
}

// Calls in flight count as spent before their readings come back.
func TestInflightCountsAsSpent(t *testing.T) {
	b := New("00D", Settings{ReservePercent: 10, ProbeInterval: time.Hour, MaxConcurrent: 10})
	b.Observe(sfapi.LimitInfo{Used: 897, Max: 1000})
	var releases []func()
	for range 3 {
		r, err := b.Acquire(context.Background(), Security)
		require.NoError(t, err)
		releases = append(releases, r)
	}
	_, err := tryAcquire(b, Security)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a fourth call would leave 99 once all land")
	for _, r := range releases {
		r()
	}
}

func TestProbeRateWhileHeldBack(t *testing.T) {
	const probe = 40 * time.Millisecond
	core, logs := observer.New(zap.InfoLevel)
	s := settings(probe)
	s.Logger = zap.New(core)
	b := New("00D", s)
	b.Observe(sfapi.LimitInfo{Used: 950, Max: 1000})
	var probes atomic.Int32
	b.SetProber(func(ctx context.Context) error {
		// A plain call: the budget counts it without being asked.
		probes.Add(1)
		b.Observe(sfapi.LimitInfo{Used: 950, Max: 1000}) // still held back
		return nil
	})

	// Three streams keep asking for the whole window.
	ctx, cancel := context.WithTimeout(context.Background(), 10*probe)
	defer cancel()
	var granted atomic.Int32
	var wg sync.WaitGroup
	for _, prio := range []Priority{Security, Security, Bulk} {
		wg.Go(func() {
			for {
				release, err := b.Acquire(ctx, prio)
				if err != nil {
					return
				}
				granted.Add(1)
				b.Observe(sfapi.LimitInfo{Used: 950, Max: 1000}) // still held back
				release()
			}
		})
	}
	wg.Wait()
	assert.Zero(t, granted.Load(), "no stream call below the reserve")
	// The window holds 10 intervals; the first probe is due one interval
	// after holding back began.
	assert.LessOrEqual(t, probes.Load(), int32(10))
	assert.GreaterOrEqual(t, probes.Load(), int32(5), "probes keep coming")
	assert.Equal(t, int(probes.Load()), b.Status().Probes)
	assert.Equal(t, 1, logs.FilterMessageSnippet("holding back").Len(), "one line when holding back starts")
}

func TestResumesWhenAllowanceComesBack(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := settings(20 * time.Millisecond)
	s.Logger = zap.New(core)
	b := New("00D", s)
	b.Observe(sfapi.LimitInfo{Used: 999, Max: 1000})
	b.SetProber(func(ctx context.Context) error {
		b.Observe(sfapi.LimitInfo{Used: 300, Max: 1000}) // the rolling window moved on
		return nil
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			release, err := b.Acquire(context.Background(), Security)
			if !assert.NoError(t, err) {
				return
			}
			release()
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("did not resume")
	}
	assert.False(t, b.Status().HeldBack)
	assert.Equal(t, 1, logs.FilterMessageSnippet("resuming").Len())
	assert.Positive(t, b.Status().HeldTotal)
}

func TestExhaustedHoldsBack(t *testing.T) {
	b := New("00D", settings(time.Hour))
	b.Observe(sfapi.LimitInfo{Used: 10, Max: 1000})
	b.Exhausted()
	_, err := tryAcquire(b, Security)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, b.Status().HeldBack)
}

// Near the reserve, bulk event-log work stops first while the security
// streams keep their turn.
func TestPriorityNearTheReserve(t *testing.T) {
	b := New("00D", settings(time.Hour))
	b.Observe(sfapi.LimitInfo{Used: 860, Max: 1000}) // 140 left: within bulk's 150 headroom
	_, err := tryAcquire(b, Bulk)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	release, err := b.Acquire(context.Background(), Normal) // 120 floor
	require.NoError(t, err)
	release()
	release, err = b.Acquire(context.Background(), Security)
	require.NoError(t, err)
	release()
	assert.False(t, b.Status().HeldBack, "bulk waiting is not holding back")
}

func TestConcurrencyCapAndNoStarvation(t *testing.T) {
	b := New("00D", Settings{ReservePercent: 10, ProbeInterval: time.Hour, MaxConcurrent: 2})
	b.Observe(sfapi.LimitInfo{Used: 0, Max: 1_000_000})
	var inflight, peak atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	call := func(prio Priority) bool {
		release, err := b.Acquire(ctx, prio)
		if err != nil {
			return false
		}
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(time.Millisecond)
		inflight.Add(-1)
		release()
		return true
	}
	// Four busy security streams...
	for range 4 {
		wg.Go(func() {
			for call(Security) {
			}
		})
	}
	// ...and one bulk stream still gets its calls.
	bulk := 0
	for bulk < 10 {
		require.True(t, call(Bulk))
		bulk++
	}
	cancel()
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int32(2))
}

func TestFirstCallFetchesAReading(t *testing.T) {
	b := New("00D", settings(time.Hour))
	release, err := b.Acquire(context.Background(), Security)
	require.NoError(t, err)
	_, err = tryAcquire(b, Security)
	require.ErrorIs(t, err, context.DeadlineExceeded, "without a reading, one call at a time")
	b.Observe(sfapi.LimitInfo{Used: 1, Max: 1000})
	release()
	release2, err := b.Acquire(context.Background(), Security)
	require.NoError(t, err)
	release2()
}

func TestRegistrySharesPerOrgAndTakesTheStrictest(t *testing.T) {
	r := &Registry{}
	a, releaseA := r.For("00DA", Settings{ReservePercent: 10, ProbeInterval: time.Minute, MaxConcurrent: 4})
	a2, releaseA2 := r.For("00DA", Settings{ReservePercent: 25, ProbeInterval: 5 * time.Minute, MaxConcurrent: 2})
	other, releaseOther := r.For("00DB", Settings{ReservePercent: 10, ProbeInterval: time.Minute, MaxConcurrent: 4})
	defer releaseOther()
	require.Same(t, a, a2)
	require.NotSame(t, a, other)
	assert.InDelta(t, 0.25, a.reserve, 1e-9)
	assert.Equal(t, 5*time.Minute, a.probeInterval)
	assert.Equal(t, 2, a.maxConcurrent)

	// The stricter receiver stops: its settings go with it.
	releaseA2()
	releaseA2()
	assert.InDelta(t, 0.10, a.reserve, 1e-9)
	assert.Equal(t, 4, a.maxConcurrent)
	releaseA()
	fresh, releaseFresh := r.For("00DA", Settings{ReservePercent: 5, ProbeInterval: time.Minute, MaxConcurrent: 1})
	defer releaseFresh()
	assert.NotSame(t, a, fresh, "the last release forgets the org")
}

// Other applications' spending between readings is projected forward, so a
// stale reading does not let a call into the reserve.
func TestOtherApplicationsRateIsProjected(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	b := New("00D", settings(time.Hour))
	b.now = func() time.Time { return clock }
	b.Observe(sfapi.LimitInfo{Used: 700, Max: 1000})
	clock = clock.Add(time.Second)
	b.Observe(sfapi.LimitInfo{Used: 780, Max: 1000}) // others: 80 calls/s
	require.InDelta(t, 80, b.otherRate, 0.01)

	clock = clock.Add(400 * time.Millisecond) // projected: 780 + 32 = 812; 187 left after one call
	release, err := b.Acquire(context.Background(), Security)
	require.NoError(t, err)
	release()

	clock = clock.Add(time.Second) // projected: 780 + 112 = 892, and 1 call of ours: the reserve
	_, err = tryAcquire(b, Security)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// A connected app's quota (per-app-api-usage) is a hard limit of its own:
// with the org far from its reserve, calls stop at the app's quota, the
// line names it, and bulk work stops first below it.
func TestAppQuotaIsNeverPassed(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := settings(time.Hour)
	s.Logger = zap.New(core)
	b := New("00D", s)
	app := &sfapi.AppUsage{Name: "otel-collector", Used: 240, Max: 250}
	b.Observe(sfapi.LimitInfo{Used: 10, Max: 100_000, App: app})

	_, err := tryAcquire(b, Bulk) // 5% of 250 kept for the streams above it
	require.ErrorIs(t, err, context.DeadlineExceeded)

	calls := callsUntilHeld(b, Security, 20, func(n int) {
		app.Used++
		b.Observe(sfapi.LimitInfo{Used: 10 + int64(n), Max: 100_000, App: app})
	})
	assert.Equal(t, 10, calls, "240 of 250 used: 10 calls, not one more")
	st := b.Status()
	assert.True(t, st.HeldBack)
	assert.Equal(t, LimitAppQuota, st.HeldBy)
	require.NotNil(t, st.App)
	assert.Equal(t, int64(250), st.App.Used)
	held := logs.FilterMessage("API budget: holding back: the connected app's API quota is spent").All()
	require.Len(t, held, 1)
	assert.Equal(t, "otel-collector", held[0].ContextMap()["app"])

	// A header without the part means Salesforce reports no quota any more.
	b.Observe(sfapi.LimitInfo{Used: 21, Max: 100_000})
	release, err := b.Acquire(context.Background(), Security)
	require.NoError(t, err)
	release()
	assert.Nil(t, b.Status().App)
	// A /limits body that does not name the app says nothing of it.
	b.Observe(sfapi.LimitInfo{Used: 22, Max: 100_000, App: &sfapi.AppUsage{Name: "a", Used: 5, Max: 5}})
	b.Observe(sfapi.LimitInfo{Used: 23, Max: 100_000, AppUnknown: true})
	assert.NotNil(t, b.Status().App, "kept")
}

// An org whose answers carry no header the budget can read: the budget
// reads /limits before the first call it cannot judge, counts each of its
// calls itself, and reads /limits again once per probe interval; the
// reserve holds all the same.
func TestBlindBudgetReadsLimits(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	b := New("00D", settings(time.Minute))
	b.now = now
	o := &org{used: 880, max: 1000, reserve: 100}
	var probes atomic.Int32
	b.SetProber(func(context.Context) error {
		probes.Add(1)
		o.mu.Lock()
		li := sfapi.LimitInfo{Used: o.used, Max: o.max, AppUnknown: true}
		o.mu.Unlock()
		b.Observe(li)
		return nil
	})
	blindCall := func(b *Budget) {
		o.mu.Lock()
		if o.max-o.used <= o.reserve {
			o.belowFloor++
		}
		o.used++
		o.mu.Unlock()
		b.Unread()
	}

	calls := 0
	for range 40 {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		release, err := b.Acquire(ctx, Security)
		cancel()
		if err != nil {
			break
		}
		calls++
		blindCall(b)
		release()
	}
	assert.Zero(t, o.belowFloor, "no call inside the reserve")
	assert.Equal(t, 20, calls, "the first call (it found the header unreadable), then down to the reserve")
	assert.Equal(t, int32(1), probes.Load(), "one read of /limits before the first call it could not judge")
	assert.True(t, b.Status().Blind)

	// Others free the allowance; a probe interval later /limits says so.
	o.mu.Lock()
	o.used = 200
	o.mu.Unlock()
	mu.Lock()
	clock = clock.Add(time.Minute)
	mu.Unlock()
	release, err := b.Acquire(context.Background(), Security)
	require.NoError(t, err)
	release()
	assert.Equal(t, int32(2), probes.Load())
}

// A concurrency refusal halves the requests in flight for a while; the
// daily one holds every stream.
func TestRefusedByKind(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	b := New("00D", Settings{ReservePercent: 10, ProbeInterval: time.Hour, MaxConcurrent: 4})
	b.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	b.Observe(sfapi.LimitInfo{Used: 10, Max: 100_000})
	acquireN := func(n int) (got int, releases []func()) {
		for range n {
			r, err := tryAcquire(b, Security)
			if err != nil {
				break
			}
			got++
			releases = append(releases, r)
		}
		return got, releases
	}
	releaseAll := func(rs []func()) {
		for _, r := range rs {
			r()
		}
	}

	b.Refused(sfapi.LimitConcurrent)
	got, rs := acquireN(4)
	assert.Equal(t, 2, got, "half of max_concurrent while throttled")
	releaseAll(rs)
	assert.False(t, b.Status().HeldBack, "a concurrency limit holds nothing back")

	mu.Lock()
	clock = clock.Add(throttleFor)
	mu.Unlock()
	got, rs = acquireN(4)
	assert.Equal(t, 4, got, "back to max_concurrent")
	releaseAll(rs)

	b.Refused(sfapi.LimitDaily)
	got, _ = acquireN(1)
	assert.Zero(t, got)
	assert.True(t, b.Status().HeldBack)
}
