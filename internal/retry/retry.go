// Package retry is the receiver's one retry policy: every layer that waits
// and tries again (a REST call, a log file download, a poll, a delivery)
// uses Policy, with the bounds below.
//
// The layers, innermost first, and their worst case:
//
//  1. A REST call (sfapi): up to 8 tries, 0.5s doubling to 30s, given up
//     after 5 minutes; each try is bounded by the receiver's `timeout`
//     (60s). A dead or hanging Salesforce costs one call at most about
//     5 minutes plus one timeout (6 minutes) before the poll fails.
//     Refusals (4xx) are not retried here.
//  2. An EventLogFile download (eventlog): up to 4 downloads in a row
//     without a new row accepted, 1s doubling to 30s, each resuming after
//     the accepted rows; opening each is a layer-1 call. Progress resets
//     the count, so a flaky link never stops a file that moves.
//  3. A failed poll (stream.Runner): 1s doubling to the poll interval
//     (at most 1m); a refusal only an operator can fix (sfapi.Classify:
//     auth, query) waits the poll interval itself. With layer 1, a stream
//     against a dead Salesforce tries again at most every 7 minutes and at
//     least every poll interval after its last failure.
//  4. A refused delivery (stream.Runner): 1s doubling to 1m, forever: the
//     cursor holds and nothing is dropped, so a refusing backend costs
//     one ConsumeLogs a minute and no Salesforce call at all.
//
// Two more waits pace what is not a call:
//
//   - A Pub/Sub subscription (pubsub.Source) that failed again after
//     reconnecting at once: 1s doubling to 1m, with jitter, on top of
//     layer 3; a refusal only an operator can fix waits 5m.
//   - Sign-ins refused by Salesforce (auth.Guard): 5s doubling to 30m,
//     steady (the log line says when the next attempt is), shared by
//     every stream of the org, and never more than 3 for the password flow.
package retry

import (
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy is an exponential backoff from Initial doubling to Max, with
// the library's usual jitter (±50%) unless Steady.
type Policy struct {
	Initial, Max time.Duration
	// Steady waits exactly Initial, 2×Initial, ... Max: for a wait that is
	// announced (a log line's next_attempt_in) and is the only one of
	// its kind in the process, so there is no herd to spread.
	Steady bool
}

// SignIn paces sign-ins after Salesforce refused the credentials.
var SignIn = Policy{Initial: 5 * time.Second, Max: 30 * time.Minute, Steady: true}

// New returns a fresh backoff of p, capped at limit when limit > 0;
// zero fields take 1s and 1m.
func (p Policy) New(limit time.Duration) *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.Initial,
		RandomizationFactor: backoff.DefaultRandomizationFactor,
		Multiplier:          2,
		MaxInterval:         p.Max,
	}
	if b.InitialInterval <= 0 {
		b.InitialInterval = time.Second
	}
	if b.MaxInterval <= 0 {
		b.MaxInterval = time.Minute
	}
	if p.Steady {
		b.RandomizationFactor = 0
	}
	if limit > 0 {
		b.MaxInterval = min(b.MaxInterval, limit)
	}
	b.InitialInterval = min(b.InitialInterval, b.MaxInterval)
	b.Reset()
	return b
}
