package budget

import (
	"context"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
)

// The own-call cap (Settings.MaxCallsPerDay): at most that many calls by
// this collector for the org in any rolling 24 hours. The count lives in
// a ledger in storage, so it holds across restarts and, with storage every
// replica reaches, across replicas. Calls are reserved from the ledger in
// small blocks before they are made: a crash loses at most one block's
// unused part, counted as spent, so the cap errs only on the safe side.

const (
	capWindow = 24 * time.Hour
	// capBucket is the ledger's resolution. A bucket counts until its
	// end is 24h old, so a call may count up to a bucket longer than 24h,
	// never shorter.
	capBucket = time.Minute
	// capRetry paces ledger reads and writes after a storage error.
	capRetry = 5 * time.Second
)

// Limits that can hold the streams back, as the hold-back line names them.
const (
	LimitReserve   = "reserve_percent"
	LimitAppQuota  = "per_app_api_usage"
	LimitOwnCalls  = "max_calls_per_day"
	ledgerKeyStart = "budget/"
)

// ledgerKey names an org's ledger in storage.
func ledgerKey(org string) string { return ledgerKeyStart + org + "/calls" }

// ledger is the stored count: calls per bucket, by the bucket's start in
// Unix minutes.
type ledger struct {
	Calls map[string]int64 `json:"calls"`
}

func bucketOf(t time.Time) int64 { return t.Unix() / int64(capBucket/time.Second) }

// live drops buckets that ended more than capWindow ago and returns the
// calls left in the window, and when the oldest bucket leaves it.
func (l *ledger) live(now time.Time) (used int64, frees time.Time) {
	first := bucketOf(now.Add(-capWindow)) // buckets ending after now-24h
	for k, n := range l.Calls {
		m, err := strconv.ParseInt(k, 10, 64)
		if err != nil || m < first || n <= 0 {
			delete(l.Calls, k)
			continue
		}
		used += n
		end := time.Unix((m+1)*int64(capBucket/time.Second), 0).Add(capWindow)
		if frees.IsZero() || end.Before(frees) {
			frees = end
		}
	}
	return used, frees
}

// loadLedger reads the ledger from every store and keeps, per bucket, the
// highest count: receivers sharing the org may use different storage, and
// each holds what was written through it.
func loadLedger(ctx context.Context, stores []*checkpoint.Store, key string) (*ledger, error) {
	out := &ledger{Calls: map[string]int64{}}
	for _, s := range stores {
		var l ledger
		if _, err := s.Load(ctx, key, &l); err != nil {
			return nil, err
		}
		for k, n := range l.Calls {
			out.Calls[k] = max(out.Calls[k], n)
		}
	}
	return out, nil
}

func saveLedger(ctx context.Context, stores []*checkpoint.Store, key string, l *ledger) error {
	for _, s := range stores {
		if err := s.Save(ctx, key, l); err != nil {
			return err
		}
	}
	return nil
}

// capBlock is how many calls one ledger write reserves: about 1% of the
// cap, so a crash wastes little and storage sees one write per block.
func capBlock(limit int64) int64 { return min(max(limit/100, 1), 50) }

// capAllowsLocked says whether a call may be made under the cap now; when
// the reservation is used up it reserves more in the background, and the
// grant waits for that.
func (b *Budget) capAllowsLocked() bool {
	if b.capLimit <= 0 || b.capLeft > 0 {
		return true
	}
	if b.capTimer != nil && !b.now().Before(b.capFrees) {
		b.capTimer.Stop() // the clock moved on past the wait
		b.capTimer = nil
	}
	if !b.capBusy && b.capTimer == nil && len(b.stores) > 0 {
		b.capBusy = true
		go b.reserveCalls(b.stores, b.capLimit)
	}
	return false
}

// reserveCalls takes the next block of calls from the ledger, or finds the
// cap spent and waits until the oldest calls leave the window.
func (b *Budget) reserveCalls(stores []*checkpoint.Store, limit int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := b.now()
	key := ledgerKey(b.org)
	var grant, used int64
	var frees time.Time
	l, err := loadLedger(ctx, stores, key)
	if err == nil {
		used, frees = l.live(now)
		grant = min(capBlock(limit), limit-used)
		if grant > 0 {
			l.Calls[strconv.FormatInt(bucketOf(now), 10)] += grant
			err = saveLedger(ctx, stores, key, l)
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	b.capBusy = false
	wait := capRetry
	b.capFrees = now.Add(capRetry)
	switch {
	case err != nil:
		b.logger.Warn("API budget: cannot read or write the max_calls_per_day count in storage; holding calls until it can",
			zap.String("org_id", b.org), zap.Duration("retry_in", capRetry), zap.Error(err))
	case grant > 0:
		b.capLeft += grant
		b.capBucketAt = bucketOf(now)
		b.ownCalls = used + grant - b.capLeft
		b.ownReserved = used + grant
	default:
		b.ownCalls, b.ownReserved = used, used
		b.holdLocked(LimitOwnCalls)
		wait = max(frees.Sub(now), time.Second)
		b.capFrees = frees
	}
	if b.capLeft == 0 {
		b.capTimer = time.AfterFunc(wait, func() {
			b.mu.Lock()
			b.capTimer = nil
			b.dispatchLocked()
			b.mu.Unlock()
		})
	}
	b.dispatchLocked()
}

// spendCapLocked counts one granted call against the reservation.
func (b *Budget) spendCapLocked() {
	if b.capLimit > 0 && b.capLeft > 0 {
		b.capLeft--
		b.ownCalls++
	}
}

// closeCap gives the unused reservation back to the ledger (the last
// receiver for the org is leaving): a graceful restart wastes nothing.
func (b *Budget) closeCap() {
	b.mu.Lock()
	left, at, stores := b.capLeft, b.capBucketAt, b.stores
	b.capLeft = 0
	if b.capTimer != nil {
		b.capTimer.Stop()
		b.capTimer = nil
	}
	b.mu.Unlock()
	if left == 0 || len(stores) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := ledgerKey(b.org)
	l, err := loadLedger(ctx, stores, key)
	if err == nil {
		k := strconv.FormatInt(at, 10)
		l.Calls[k] = max(l.Calls[k]-left, 0)
		err = saveLedger(ctx, stores, key, l)
	}
	if err != nil {
		b.logger.Debug("API budget: could not return unused calls to the max_calls_per_day count; they stay counted", zap.Error(err))
	}
}
