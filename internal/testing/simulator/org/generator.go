package org

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/elf"
)

// Generator holds the seeded randomness and the users generated records
// refer to. It is the org's: use it inside Org.Locked (Tx.Gen).
type Generator struct {
	rnd         *rand.Rand
	users       []simUser // users[0] is the integration user
	geo         uint64
	eventNumber uint64 // the Threat Detection stores' *EventNumber (catalog.go)
}

type simUser struct{ id, username, name string }

func (g *Generator) pick(xs ...string) string { return xs[g.rnd.IntN(len(xs))] }

func (g *Generator) chance(p float64) bool { return g.rnd.Float64() < p }

func (g *Generator) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.rnd.IntN(223), g.rnd.IntN(256), g.rnd.IntN(256), 1+g.rnd.IntN(254))
}

// user picks a user, favoring the integration user as real orgs do.
func (g *Generator) user() simUser {
	if g.chance(0.3) {
		return g.users[0]
	}
	return g.users[g.rnd.IntN(len(g.users))]
}

// appOf is the connected app u works through: elf.AppFor of u's place
// among the org's users, the same on every source (log files too).
func (g *Generator) appOf(u simUser) elf.App {
	return elf.AppFor(max(0, slices.IndexFunc(g.users, func(v simUser) bool { return v.id == u.id })))
}

// The generator's tools for generators outside the org (the Pub/Sub API's
// own topics): each draws from the org's randomness as the org's own
// generators do.

// Rand is the generator's source of randomness.
func (g *Generator) Rand() *rand.Rand { return g.rnd }

// Pick is one of xs.
func (g *Generator) Pick(xs ...string) string { return g.pick(xs...) }

// Chance is true with probability p.
func (g *Generator) Chance(p float64) bool { return g.chance(p) }

// IP is a random IPv4 address.
func (g *Generator) IP() string { return g.ip() }

// UUID is a random UUID (version 4).
func (g *Generator) UUID() string { return g.uuid() }

// UserID is the Id of a user of the org, the integration user more often
// than the others, as real orgs' activity is.
func (g *Generator) UserID() string { return g.user().id }

// IntegrationUserID is the Id of the integration user.
func (g *Generator) IntegrationUserID() string { return g.users[0].id }

// City is one of the cities users log in from: its country (ISO code),
// name and coordinates.
func (g *Generator) City() (iso, name string, lat, lon float64) {
	c := cities[g.rnd.IntN(len(cities))]
	return c.iso, c.city, c.lat, c.lon
}

// runs describes how often generated events share one timestamp: with
// probability chance a time is used by 2..max events.
type runs struct {
	chance float64
	max    int
}

var (
	noRuns = runs{}
	// soqlRuns: runs of 2..30 records sharing a second, the case that
	// breaks receivers whose cursor is "timestamp > last seen".
	soqlRuns = runs{chance: 0.03, max: 30}
	// eventRuns: runs of 2..8 events sharing a millisecond, as busy orgs
	// produce in the Real-Time Event Monitoring objects.
	eventRuns = runs{chance: 0.05, max: 8}
)

// timestamps returns n times in [from, to), ascending, truncated to
// precision, some of them shared by runs of events.
func (g *Generator) timestamps(n int, from, to time.Time, precision time.Duration, r runs) []time.Time {
	span := to.Sub(from)
	if n <= 0 || span <= 0 {
		return nil
	}
	out := make([]time.Time, 0, n)
	for len(out) < n {
		ts := from.Add(time.Duration(g.rnd.Int64N(int64(span)))).Truncate(precision)
		k := 1
		if r.chance > 0 && g.chance(r.chance) {
			k = 2 + g.rnd.IntN(r.max-1)
		}
		for range min(k, n-len(out)) {
			out = append(out, ts)
		}
	}
	slices.SortStableFunc(out, time.Time.Compare)
	return out
}

// arrivalBatch is how many rows of an object arrive on one tick of the
// program's clock: usually a few, sometimes a same-timestamp run.
func (g *Generator) arrivalBatch(object string, runs bool) int {
	if runs && g.chance(0.1) {
		return 2 + g.rnd.IntN(29)
	}
	if object == "SetupAuditTrail" {
		return g.rnd.IntN(2)
	}
	return g.rnd.IntN(5)
}

func (g *Generator) uuid() string {
	a, b := g.rnd.Uint64(), g.rnd.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

func (g *Generator) key(n int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rnd.IntN(len(alnum))]
	}
	return string(b)
}

// pick2 is pick for ints.
func (g *Generator) pick2(xs ...int) int { return xs[g.rnd.IntN(len(xs))] }
