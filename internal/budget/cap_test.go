package budget

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// spend makes calls until the budget holds one back for 50ms (or limit
// calls were made) and returns how many it made; each call runs made.
func spend(b *Budget, limit int, made ...func()) int {
	n := 0
	for n < limit {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		release, err := b.Acquire(ctx, Security)
		cancel()
		if err != nil {
			return n
		}
		n++
		for _, f := range made {
			f()
		}
		release()
	}
	return n
}

func capped(limit int64, ledger *checkpoint.Store, logger *zap.Logger) Settings {
	s := settings(time.Hour)
	s.MaxCallsPerDay, s.Ledger, s.Logger = limit, ledger, logger
	return s
}

// The cap counts in storage: a restart, graceful or a crash, never lets
// the collector make more than max_calls_per_day calls in 24 hours. A
// graceful stop gives its unused reservation back; a crash leaves at most
// one block counted but unspent.
func TestCapNeverExceededAcrossRestart(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		t.Run(map[bool]string{true: "graceful", false: "crash"}[graceful], func(t *testing.T) {
			const limit = 1000
			ledger := checkpoint.New(nil) // the storage both runs see
			reg := &Registry{}
			b, leave := reg.For("00D", capped(limit, ledger, nil))
			b.Observe(sfapi.LimitInfo{Used: 0, Max: 1_000_000})
			first := spend(b, 605) // mid-block: 5 of the last 10 reserved are unspent
			if graceful {
				leave()
			} // a crash: the process is gone, the ledger stays as written

			b2, leave2 := (&Registry{}).For("00D", capped(limit, ledger, nil))
			defer leave2()
			b2.Observe(sfapi.LimitInfo{Used: 605, Max: 1_000_000})
			second := spend(b2, 2*limit)
			total := first + second
			t.Logf("CAP %s restart: max_calls_per_day=%d, calls before=%d after=%d total=%d, own_calls=%d",
				t.Name(), limit, first, second, total, b2.Status().OwnCalls)
			assert.Equal(t, 605, first)
			assert.LessOrEqual(t, total, limit, "never over the cap")
			if graceful {
				assert.Equal(t, limit, total, "nothing reserved is lost on a graceful stop")
			} else {
				assert.GreaterOrEqual(t, total, limit-int(capBlock(limit)), "a crash wastes at most one block")
			}
			st := b2.Status()
			assert.True(t, st.HeldBack)
			assert.Equal(t, LimitOwnCalls, st.HeldBy)
			assert.Equal(t, int64(limit), st.MaxCallsPerDay)
		})
	}
}

// The window rolls: calls older than 24 hours (to the bucket) free their
// share; the hold-back line names the limit and resuming says so.
func TestCapRollsAndSaysWhichLimitHeldBack(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := New("00D", capped(5, nil, zap.New(core)))
	b.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b.Observe(sfapi.LimitInfo{Used: 0, Max: 100000})
	require.Equal(t, 5, spend(b, 100))
	held := logs.FilterMessage("API budget: holding back: this collector's max_calls_per_day for the org is spent").All()
	require.Len(t, held, 1)
	assert.Equal(t, LimitOwnCalls, held[0].ContextMap()["limit"])
	assert.Equal(t, int64(5), held[0].ContextMap()["calls_last_24h"])

	mu.Lock()
	now = now.Add(23 * time.Hour)
	mu.Unlock()
	assert.Zero(t, spend(b, 100), "still inside the 24 hours")
	mu.Lock()
	now = now.Add(time.Hour + capBucket)
	mu.Unlock()
	assert.Equal(t, 5, spend(b, 100), "a day later the calls are free again")
	resumed := logs.FilterMessage("API budget: allowance is back; resuming").All()
	require.NotEmpty(t, resumed)
	assert.Equal(t, LimitOwnCalls, resumed[0].ContextMap()["limit"])
}

// Receivers sharing an org share one count, under the strictest cap;
// the reserve still holds on its own.
func TestCapIsSharedAndBesideTheReserve(t *testing.T) {
	reg := &Registry{}
	a, leaveA := reg.For("00D", capped(40, checkpoint.New(nil), nil))
	defer leaveA()
	b, leaveB := reg.For("00D", capped(30, checkpoint.New(nil), nil))
	defer leaveB()
	require.Same(t, a, b)
	a.Observe(sfapi.LimitInfo{Used: 0, Max: 100000})
	assert.Equal(t, 30, spend(a, 20)+spend(b, 100))

	// The reserve is reached first: held by the reserve, not the cap.
	c, leaveC := reg.For("00Dother", capped(1000, nil, nil))
	defer leaveC()
	c.Observe(sfapi.LimitInfo{Used: 895, Max: 1000})
	o := &org{used: 895, max: 1000, reserve: 100}
	assert.Equal(t, 5, spend(c, 100, func() { o.call(c) }))
	assert.Equal(t, LimitReserve, c.Status().HeldBy)
}
