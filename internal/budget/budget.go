// Package budget keeps an org's daily API allowance: it grants each
// Salesforce call only while the org keeps its reserve, shares one
// allowance between every stream and receiver that reads the org, caps
// requests in flight, and serves the small security streams first when the
// allowance runs short.
package budget

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// Settings are one receiver's wishes; receivers sharing an org get the
// strictest of theirs.
type Settings struct {
	ReservePercent float64       // share of the daily max never spent
	ProbeInterval  time.Duration // while held back: at most one call per interval
	MaxConcurrent  int           // requests in flight per org
	// MaxCallsPerDay caps this collector's calls for the org in any
	// rolling 24 hours (0: no cap), counted in Ledger (cap.go); without a
	// Ledger the count lives in memory.
	MaxCallsPerDay int64
	Ledger         *checkpoint.Store
	Logger         *zap.Logger
}

// Priority orders calls when they are scarce; each stream's descriptor
// says which it has.
type Priority = sfapi.Priority

const (
	Bulk     = sfapi.PriorityBulk     // event log file downloads and backfills
	Normal   = sfapi.PriorityNormal   // configured objects
	Security = sfapi.PrioritySecurity // login history, audit trail
)

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

// For returns the org's Budget with s among its users' settings (the
// strictest of them apply), and the func that removes them again; the
// last release forgets the org.
func (r *Registry) For(orgID string, s Settings) (*Budget, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]*Budget{}
	}
	b, ok := r.m[orgID]
	if !ok {
		b = New(orgID, s)
		r.m[orgID] = b
	}
	id := b.addUser(s)
	var once sync.Once
	return b, func() {
		once.Do(func() {
			r.mu.Lock()
			last := b.removeUser(id) == 0
			if last && r.m[orgID] == b {
				delete(r.m, orgID)
			}
			r.mu.Unlock()
			if last {
				b.closeCap()
			}
		})
	}
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

	// app is the connected app's own quota, when Salesforce reports one
	// (per-app-api-usage): a hard limit, past which every call is refused.
	app *sfapi.AppUsage
	// blind: answers carry no usage header the budget can read, so it
	// counts its own calls and reads /limits once per probe interval.
	blind bool
	// Salesforce refused a call for a concurrency limit: fewer requests in
	// flight until throttleUntil.
	throttleUntil time.Time

	// Other applications spend the same allowance between our readings;
	// their rate, learnt from consecutive readings, projects the reading
	// forward so a stale reading does not let us spend into the reserve.
	readingAt        time.Time
	granted          int64 // calls granted so far
	grantedAtReading int64
	otherRate        float64 // calls per second

	heldBack   bool
	heldBy     string // LimitReserve or LimitOwnCalls
	heldSince  time.Time
	heldTotal  time.Duration
	lastProbe  time.Time
	probeTimer *time.Timer
	probes     int
	probing    bool
	prober     func(context.Context) error

	users  map[int]Settings
	nextID int

	// The own-call cap (cap.go).
	capLimit    int64
	stores      []*checkpoint.Store
	memLedger   *checkpoint.Store
	capLeft     int64 // calls reserved in the ledger and not yet made
	capBucketAt int64 // the bucket the reservation was written to
	capBusy     bool  // a reservation is being made
	capTimer    *time.Timer
	capFrees    time.Time // when capTimer is due
	ownCalls    int64     // calls made in the window, as far as known
	ownReserved int64     // calls the ledger counts in the window
}

type waiter struct {
	prio    Priority
	skipped int
	ready   chan struct{}
	granted bool
}

var _ sfapi.Budget = (*Budget)(nil)

// New returns a Budget for org with settings s; most callers want
// Shared.For.
func New(orgID string, s Settings) *Budget {
	b := &Budget{org: orgID, logger: s.Logger, now: time.Now, users: map[int]Settings{}}
	if b.logger == nil {
		b.logger = zap.NewNop()
	}
	b.applyLocked([]Settings{s})
	return b
}

func (b *Budget) addUser(s Settings) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	b.users[b.nextID] = s
	b.applyLocked(b.usersLocked())
	return b.nextID
}

// usersLocked lists the users' settings in the order they joined, so the
// first receiver's ledger is always read first.
func (b *Budget) usersLocked() []Settings {
	ids := slices.Sorted(maps.Keys(b.users))
	out := make([]Settings, len(ids))
	for i, id := range ids {
		out[i] = b.users[id]
	}
	return out
}

func (b *Budget) removeUser(id int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.users, id)
	if len(b.users) > 0 {
		b.applyLocked(b.usersLocked())
	}
	return len(b.users)
}

// applyLocked takes the strictest of every user's settings.
func (b *Budget) applyLocked(all []Settings) {
	b.reserve, b.probeInterval, b.maxConcurrent = 0, 0, 0
	b.capLimit, b.stores = 0, nil
	for _, s := range all {
		if s.MaxCallsPerDay > 0 && (b.capLimit == 0 || s.MaxCallsPerDay < b.capLimit) {
			b.capLimit = s.MaxCallsPerDay
		}
		if s.Ledger != nil && !slices.Contains(b.stores, s.Ledger) {
			b.stores = append(b.stores, s.Ledger)
		}
	}
	if b.capLimit > 0 && len(b.stores) == 0 {
		if b.memLedger == nil {
			b.memLedger = checkpoint.New(nil)
		}
		b.stores = []*checkpoint.Store{b.memLedger}
	}
	for _, s := range all {
		b.reserve = max(b.reserve, s.ReservePercent/100)
		b.probeInterval = max(b.probeInterval, s.ProbeInterval)
		if c := max(s.MaxConcurrent, 1); b.maxConcurrent == 0 || c < b.maxConcurrent {
			b.maxConcurrent = c
		}
	}
}

// SetProber gives the budget a way to read the org's usage while it holds
// every stream back: one cheap call (GET /limits, sfapi.Client.Probe) whose
// response carries a fresh reading, made without asking the budget: the
// budget rate-limits and counts it itself. Receivers sharing the org each
// set theirs; any will do.
func (b *Budget) SetProber(probe func(context.Context) error) {
	b.mu.Lock()
	b.prober = probe
	b.mu.Unlock()
}

// Acquire blocks until a call of priority prio may be made.
func (b *Budget) Acquire(ctx context.Context, prio Priority) (func(), error) {
	w := &waiter{prio: prio, ready: make(chan struct{})}
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

// Observe takes a reading of the org's usage: a response's header or the
// /limits body.
func (b *Budget) Observe(li sfapi.LimitInfo) {
	if li.Max <= 0 {
		return
	}
	b.mu.Lock()
	now := b.now()
	if b.haveReading && li.Used < b.used && li.Max == b.max && b.inflight > 1 {
		// Answers to concurrent calls arrive in any order: with others in
		// flight, a lower count is likely an older reading, not the
		// rolling window moving on; the next lone answer settles it.
		li.Used = b.used
	}
	if b.haveReading {
		if dt := now.Sub(b.readingAt).Seconds(); dt >= minRateWindow.Seconds() {
			ours := b.granted - b.grantedAtReading
			others := max(float64(li.Used-b.used-ours), 0) / dt
			// Rise at once, fall slowly: overestimating only slows us.
			b.otherRate = max(others, (b.otherRate+others)/2)
		}
	}
	if !b.haveReading || now.Sub(b.readingAt) >= minRateWindow {
		b.readingAt, b.grantedAtReading = now, b.granted
	}
	b.used, b.max, b.haveReading = li.Used, li.Max, true
	switch {
	case li.App != nil:
		app := *li.App
		if b.app != nil && app.Used < b.app.Used && app.Max == b.app.Max && b.inflight > 1 {
			app.Used = b.app.Used // an older answer, as above
		}
		if b.app == nil || b.app.Max != app.Max || b.app.Name != app.Name {
			b.logger.Info("API budget: Salesforce reports a quota for the receiver's connected app; staying under it too",
				zap.String("org_id", b.org), zap.String("app", app.Name), zap.Int64("used", app.Used), zap.Int64("max", app.Max))
		}
		b.app = &app
	case !li.AppUnknown:
		b.app = nil
	}
	b.dispatchLocked()
	b.mu.Unlock()
}

// Unread hears of a call answered without a usage reading: the org
// counted it, so the budget does too, and from now on it reads the org's
// usage from /limits (once per probe interval) rather than from headers.
func (b *Budget) Unread() {
	b.mu.Lock()
	if b.haveReading {
		b.used++
		if b.app != nil {
			b.app.Used++
		}
	}
	b.blind = true
	b.dispatchLocked()
	b.mu.Unlock()
}

// Refused hears of a 403 REQUEST_LIMIT_EXCEEDED. The daily allowance
// spent holds every stream until a reading shows room; a concurrency
// limit (or a text the receiver does not know) only means fewer requests
// in flight for a while: the refused call is retried in seconds.
func (b *Budget) Refused(kind sfapi.LimitKind) {
	if kind == sfapi.LimitDaily {
		b.Exhausted()
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.now().Before(b.throttleUntil) {
		b.logger.Warn("API budget: Salesforce refused a call for a concurrency limit; fewer requests in flight for a while",
			zap.String("org_id", b.org), zap.String("limit", kind.String()),
			zap.Int("max_concurrent", b.concurrencyLocked()), zap.Int("while_throttled", b.throttledCap()),
			zap.Duration("for", throttleFor))
	}
	b.throttleUntil = b.now().Add(throttleFor)
}

// throttleFor is how long a concurrency refusal halves the requests in
// flight: Salesforce's long-running requests (20s and more) end within it.
const throttleFor = time.Minute

func (b *Budget) throttledCap() int { return max(b.maxConcurrent/2, 1) }

// concurrencyLocked is the requests in flight allowed now.
func (b *Budget) concurrencyLocked() int {
	if b.now().Before(b.throttleUntil) {
		return b.throttledCap()
	}
	return b.maxConcurrent
}

const (
	// minRateWindow keeps bursts of readings from one page of concurrent
	// calls from skewing the learnt rate.
	minRateWindow = 100 * time.Millisecond
	// projectionHorizon caps how far a reading is projected.
	projectionHorizon = 30 * time.Second
	// staleAfter: an older reading close to the floor is read again
	// before spending; it is shorter than any poll interval, so near the
	// floor each poll's first call waits for a probe.
	staleAfter = 500 * time.Millisecond
)

// Exhausted records a 403 REQUEST_LIMIT_EXCEEDED for the daily allowance:
// nothing is left until a reading says otherwise.
func (b *Budget) Exhausted() {
	b.mu.Lock()
	if b.max > 0 {
		b.used = b.max
	} else {
		b.used, b.max = 1, 1
	}
	b.haveReading, b.readingAt = true, b.now()
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
	// HeldBy is the limit holding the streams back, while HeldBack.
	HeldBy string
	// MaxCallsPerDay is the own-call cap (0: none) and OwnCalls this
	// collector's calls for the org in the window, with what a crash left
	// reserved.
	MaxCallsPerDay, OwnCalls int64
	// App is the connected app's quota, when Salesforce reports one.
	App *sfapi.AppUsage
	// Blind: responses carry no usage header the budget can read.
	Blind bool
}

// Status reports the budget's current reading and state.
func (b *Budget) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	held := b.heldTotal
	if b.heldBack {
		held += b.now().Sub(b.heldSince)
	}
	st := Status{Used: b.used, Max: b.max, HeldBack: b.heldBack, HeldTotal: held, Probes: b.probes, Inflight: b.inflight,
		HaveReading: b.haveReading, HeldBy: b.heldBy, MaxCallsPerDay: b.capLimit, OwnCalls: b.ownCalls, Blind: b.blind}
	if b.app != nil {
		app := *b.app
		st.App = &app
	}
	return st
}

// verdict is what the budget says of one more call.
type verdict int

const (
	allow     verdict = iota
	needFresh         // close to the floor on an old reading: read again first
	deny              // it would spend into the floor
)

// judgeLocked decides one more call at prio against its floors: the
// org's (the reserve plus the priority's headroom) and, when Salesforce
// reports one, the connected app's quota (the priority's headroom below
// it). Calls in flight count as spent (their readings have not come
// back), and what other applications spent since the reading is
// projected. It returns the limit that denies.
func (b *Budget) judgeLocked(p Priority) (verdict, string) {
	if !b.haveReading {
		if b.inflight == 0 && !b.blind {
			return allow, "" // the first call fetches a reading
		}
		return needFresh, "" // a header-less org: read /limits first
	}
	if a := b.app; a != nil && float64(a.Max-a.Used-int64(b.inflight)-1) < headroom[p]*float64(a.Max) {
		return deny, LimitAppQuota
	}
	age := b.now().Sub(b.readingAt)
	others := b.otherRate * min(age, projectionHorizon).Seconds()
	remainingAfter := float64(b.max-b.used-int64(b.inflight)-1) - others
	floor := (b.reserve + headroom[p]) * float64(b.max)
	switch {
	case remainingAfter < floor:
		return deny, LimitReserve
	case age > staleAfter && remainingAfter < floor+headroom[Bulk]*float64(b.max):
		// What others spent since cannot be projected well enough this
		// close to the floor: a probe reads the org again first.
		return needFresh, ""
	default:
		return allow, ""
	}
}

// dispatchLocked grants what it can: by effective priority, within the
// concurrency cap and the floors; otherwise it probes, at most once per
// probe interval. A stream's call is never made on a reading that puts
// it into the reserve or past the app's quota: only the probe is. An org
// whose answers carry no readable header is also probed once per probe
// interval while calls are made, so the reading never grows old.
func (b *Budget) dispatchLocked() {
	if b.blind && b.haveReading && len(b.waiters) > 0 && b.now().Sub(b.readingAt) >= b.probeInterval {
		b.startProbeLocked()
	}
	for len(b.waiters) > 0 && b.inflight < b.concurrencyLocked() {
		if !b.capAllowsLocked() {
			return
		}
		order := b.byPriority()
		pick := -1
		for _, i := range order {
			if v, _ := b.judgeLocked(b.waiters[i].prio); v == allow {
				pick = i
				break
			}
		}
		if pick >= 0 {
			if b.heldBack {
				b.resumeLocked() // neither limit holds this call back
			}
			b.grantLocked(pick)
			continue
		}
		v, limit := b.judgeLocked(Security)
		if v == deny {
			b.holdLocked(limit)
		}
		if (b.heldBack || v == needFresh) && (b.haveReading || b.blind) {
			b.startProbeLocked()
		}
		b.scheduleProbeLocked(v == needFresh)
		return
	}
}

// startProbeLocked reads the org's usage in the background, unless a probe
// is under way or the last was less than a probe interval ago.
func (b *Budget) startProbeLocked() {
	if b.probing || b.prober == nil || b.now().Sub(b.lastProbe) < b.probeInterval {
		return
	}
	b.lastProbe = b.now()
	b.probes++
	b.probing = true
	// The probe is a call like any other: in flight, and spent, also
	// under the own-call cap (capAllowsLocked let it through).
	b.inflight++
	b.granted++
	b.spendCapLocked()
	go b.probe(b.prober)
}

// probe reads the org's usage once; its response feeds Observe.
func (b *Budget) probe(prober func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := prober(ctx)
	cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	b.inflight--
	if err != nil {
		b.logger.Debug("API budget: probe failed", zap.String("org_id", b.org), zap.Error(err))
	}
	b.dispatchLocked()
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
	b.granted++
	b.spendCapLocked()
	w.granted = true
	close(w.ready)
}

// holdLocked holds every stream back, and says which limit does: the
// org's reserve, the connected app's quota, or this collector's own-call
// cap.
func (b *Budget) holdLocked(limit string) {
	if b.heldBack && b.heldBy == limit {
		return
	}
	if !b.heldBack {
		b.heldBack, b.heldSince = true, b.now()
	}
	b.heldBy = limit
	switch limit {
	case LimitOwnCalls:
		b.logger.Warn("API budget: holding back: this collector's max_calls_per_day for the org is spent",
			zap.String("org_id", b.org), zap.String("limit", limit), zap.Int64("max_calls_per_day", b.capLimit),
			zap.Int64("calls_last_24h", b.ownReserved), zap.Int64("org_remaining", b.max-b.used))
		return
	case LimitAppQuota:
		b.lastProbe = b.now()
		b.logger.Warn("API budget: holding back: the connected app's API quota is spent",
			zap.String("org_id", b.org), zap.String("limit", limit), zap.String("app", b.app.Name),
			zap.Int64("app_used", b.app.Used), zap.Int64("app_max", b.app.Max),
			zap.Int64("org_remaining", b.max-b.used), zap.Duration("probe_interval", b.probeInterval))
		return
	}
	b.lastProbe = b.now()
	b.logger.Warn("API budget: holding back to keep the org's reserve",
		zap.String("org_id", b.org), zap.String("limit", limit), zap.Int64("used", b.used), zap.Int64("max", b.max),
		zap.Int64("remaining", b.max-b.used), zap.Float64("reserve_percent", b.reserve*100),
		zap.Duration("probe_interval", b.probeInterval))
}

func (b *Budget) resumeLocked() {
	held := b.now().Sub(b.heldSince)
	b.heldBack, b.heldTotal = false, b.heldTotal+held
	b.logger.Info("API budget: allowance is back; resuming",
		zap.String("org_id", b.org), zap.String("limit", b.heldBy), zap.Int64("used", b.used), zap.Int64("max", b.max),
		zap.Int64("remaining", b.max-b.used), zap.Duration("held_back_for", held))
	b.heldBy = ""
}

func (b *Budget) scheduleProbeLocked(fresh bool) {
	if (!b.heldBack && !fresh) || b.probeTimer != nil || len(b.waiters) == 0 {
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
