// Package budget keeps an org's daily API allowance: it grants each
// Salesforce call only while the org keeps its reserve, shares one
// allowance between every stream and receiver that reads the org, caps
// requests in flight, and serves the small security streams first when the
// allowance runs short.
package budget

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// Settings are one receiver's wishes; receivers sharing an org get the
// strictest of theirs.
type Settings struct {
	ReservePercent float64       // share of the daily max never spent
	ProbeInterval  time.Duration // while held back: at most one call per interval
	MaxConcurrent  int           // requests in flight per org
	Logger         *zap.Logger
}

// Priority orders streams when calls are scarce.
type Priority int

const (
	Bulk     Priority = iota // event log file downloads and backfills
	Normal                   // configured objects
	Security                 // login history, audit trail
)

// PriorityOf maps a stream name to its priority.
func PriorityOf(stream string) Priority {
	switch stream {
	case "login_history", "setup_audit_trail", sfapi.StreamLimits:
		return Security
	case "event_log_file":
		return Bulk
	default:
		return Normal
	}
}

// headroom is the extra share of the daily max, above the reserve, that a
// priority leaves for the ones above it: bulk work stops first.
var headroom = map[Priority]float64{Security: 0, Normal: 0.02, Bulk: 0.05}

// agingSteps: a waiter passed over this many times gains one priority
// step, so no stream starves behind busier ones.
const agingSteps = 4

// Registry holds one Budget per org.
type Registry struct {
	mu sync.Mutex
	m  map[string]*Budget
}

// Shared is the process-wide registry: every receiver instance in one
// collector that reads the same org spends from the same Budget.
var Shared = &Registry{}

// For returns the org's Budget, tightened to s if it already existed.
func (r *Registry) For(orgID string, s Settings) *Budget {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]*Budget{}
	}
	if b, ok := r.m[orgID]; ok {
		b.tighten(s)
		return b
	}
	b := New(orgID, s)
	r.m[orgID] = b
	return b
}

// Budget is one org's allowance. It implements sfapi.Budget.
type Budget struct {
	org    string
	logger *zap.Logger
	now    func() time.Time

	mu            sync.Mutex
	reserve       float64
	probeInterval time.Duration
	maxConcurrent int

	used, max   int64
	haveReading bool
	inflight    int
	waiters     []*waiter

	heldBack   bool
	heldSince  time.Time
	heldTotal  time.Duration
	lastProbe  time.Time
	probeTimer *time.Timer
	probes     int
}

type waiter struct {
	prio    Priority
	skipped int
	ready   chan struct{}
	granted bool
}

var _ sfapi.Budget = (*Budget)(nil)

// New returns a Budget for org; most callers want Shared.For.
func New(orgID string, s Settings) *Budget {
	b := &Budget{org: orgID, logger: s.Logger, now: time.Now, reserve: -1}
	if b.logger == nil {
		b.logger = zap.NewNop()
	}
	b.tighten(s)
	return b
}

func (b *Budget) tighten(s Settings) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserve = max(b.reserve, s.ReservePercent/100)
	if s.ProbeInterval > b.probeInterval {
		b.probeInterval = s.ProbeInterval
	}
	if c := max(s.MaxConcurrent, 1); b.maxConcurrent == 0 || c < b.maxConcurrent {
		b.maxConcurrent = c
	}
}

// Acquire blocks until a call for stream may be made.
func (b *Budget) Acquire(ctx context.Context, stream string) (func(), error) {
	w := &waiter{prio: PriorityOf(stream), ready: make(chan struct{})}
	b.mu.Lock()
	b.waiters = append(b.waiters, w)
	b.dispatchLocked()
	b.mu.Unlock()

	select {
	case <-w.ready:
		return b.releaseOnce(), nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if w.granted {
			b.inflight--
			b.dispatchLocked()
		} else {
			b.waiters = slices.DeleteFunc(b.waiters, func(x *waiter) bool { return x == w })
		}
		return nil, ctx.Err()
	}
}

func (b *Budget) releaseOnce() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.inflight--
			b.dispatchLocked()
			b.mu.Unlock()
		})
	}
}

// Observe takes a reading of the org's usage from a response.
func (b *Budget) Observe(li sfapi.LimitInfo) {
	if li.Max <= 0 {
		return
	}
	b.mu.Lock()
	b.used, b.max, b.haveReading = li.Used, li.Max, true
	b.dispatchLocked()
	b.mu.Unlock()
}

// Exhausted records a 403 REQUEST_LIMIT_EXCEEDED: nothing is left.
func (b *Budget) Exhausted() {
	b.mu.Lock()
	if b.max > 0 {
		b.used = b.max
	} else {
		b.used, b.max = 1, 1
	}
	b.haveReading = true
	b.dispatchLocked()
	b.mu.Unlock()
}

// Status is a snapshot for telemetry.
type Status struct {
	Used, Max   int64
	HeldBack    bool
	HeldTotal   time.Duration // time spent held back so far
	Probes      int
	Inflight    int
	HaveReading bool
}

// Status reports the budget's current reading and state.
func (b *Budget) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	held := b.heldTotal
	if b.heldBack {
		held += b.now().Sub(b.heldSince)
	}
	return Status{Used: b.used, Max: b.max, HeldBack: b.heldBack, HeldTotal: held, Probes: b.probes, Inflight: b.inflight, HaveReading: b.haveReading}
}

// allowedLocked reports whether one more call at prio keeps the reserve,
// counting calls in flight as spent (their readings have not come back).
func (b *Budget) allowedLocked(p Priority) bool {
	if !b.haveReading {
		return b.inflight == 0 // the first call fetches a reading
	}
	remainingAfter := float64(b.max - b.used - int64(b.inflight) - 1)
	return remainingAfter >= (b.reserve+headroom[p])*float64(b.max)
}

// dispatchLocked grants what it can: by effective priority, within the
// concurrency cap and the reserve; when held back, one probe per interval.
func (b *Budget) dispatchLocked() {
	for len(b.waiters) > 0 && b.inflight < b.maxConcurrent {
		order := b.byPriority()
		pick := -1
		for _, i := range order {
			if b.allowedLocked(b.waiters[i].prio) {
				pick = i
				break
			}
		}
		if pick >= 0 {
			if b.heldBack && b.allowedLocked(Security) {
				b.resumeLocked()
			}
			b.grantLocked(pick)
			continue
		}
		// Nothing may go: the org is at its reserve (for these priorities).
		if !b.allowedLocked(Security) {
			b.holdLocked()
		}
		if b.heldBack && b.inflight == 0 && b.now().Sub(b.lastProbe) >= b.probeInterval {
			// The probe is the most urgent waiter's own call: its answer
			// carries a fresh reading and, if the allowance came back,
			// its records.
			b.lastProbe = b.now()
			b.probes++
			b.grantLocked(order[0])
			continue
		}
		b.scheduleProbeLocked()
		return
	}
}

// byPriority returns waiter indexes by priority plus aging, oldest first
// among equals.
func (b *Budget) byPriority() []int {
	idx := make([]int, len(b.waiters))
	for i := range idx {
		idx[i] = i
	}
	eff := func(w *waiter) int { return int(w.prio) + w.skipped/agingSteps }
	slices.SortStableFunc(idx, func(x, y int) int { return eff(b.waiters[y]) - eff(b.waiters[x]) })
	return idx
}

func (b *Budget) grantLocked(i int) {
	w := b.waiters[i]
	for _, older := range b.waiters[:i] {
		older.skipped++
	}
	b.waiters = slices.Delete(b.waiters, i, i+1)
	b.inflight++
	w.granted = true
	close(w.ready)
}

func (b *Budget) holdLocked() {
	if b.heldBack {
		return
	}
	b.heldBack, b.heldSince, b.lastProbe = true, b.now(), b.now()
	b.logger.Warn("API budget: holding back to keep the org's reserve",
		zap.String("org_id", b.org), zap.Int64("used", b.used), zap.Int64("max", b.max),
		zap.Int64("remaining", b.max-b.used), zap.Float64("reserve_percent", b.reserve*100),
		zap.Duration("probe_interval", b.probeInterval))
}

func (b *Budget) resumeLocked() {
	held := b.now().Sub(b.heldSince)
	b.heldBack, b.heldTotal = false, b.heldTotal+held
	b.logger.Info("API budget: allowance is back; resuming",
		zap.String("org_id", b.org), zap.Int64("used", b.used), zap.Int64("max", b.max),
		zap.Int64("remaining", b.max-b.used), zap.Duration("held_back_for", held))
}

func (b *Budget) scheduleProbeLocked() {
	if !b.heldBack || b.probeTimer != nil || len(b.waiters) == 0 {
		return
	}
	wait := b.probeInterval - b.now().Sub(b.lastProbe)
	b.probeTimer = time.AfterFunc(max(wait, 0), func() {
		b.mu.Lock()
		b.probeTimer = nil
		b.dispatchLocked()
		b.mu.Unlock()
	})
}
