//go:build e2e

package e2e

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/simulator"
)

var securityStreams = []string{"LoginHistory", "SetupAuditTrail"}

// The built collector delivers the whole backfill and new arrivals once,
// across a graceful restart.
func TestSmokeBackfillArrivalsAndRestart(t *testing.T) {
	e := newEnv(t, simulator.Options{LoginHistoryRows: 3000, SetupAuditTrailRows: 500, SameTimestampRuns: true}, "")
	e.start()
	missing, dup := e.waitAll(90*time.Second, securityStreams...)
	require.Zero(t, missing, "missing after backfill")
	require.Zero(t, dup, "duplicated after backfill")

	// New rows, some sharing a timestamp, while it runs.
	now := time.Now().UTC().Truncate(time.Second)
	e.sim.Arrive("LoginHistory", 25, now)
	e.sim.Arrive("SetupAuditTrail", 5, now)
	missing, dup = e.waitAll(30*time.Second, securityStreams...)
	require.Zero(t, missing, "missing after arrivals")
	require.Zero(t, dup, "duplicated after arrivals")

	// Graceful restart: rows that arrive while it is down come once.
	e.stop(syscall.SIGTERM)
	e.sim.Arrive("LoginHistory", 40, time.Now().UTC())
	e.start()
	missing, dup = e.waitAll(60*time.Second, securityStreams...)
	require.Zero(t, missing, "missing after restart")
	require.Zero(t, dup, "duplicated after restart")
	t.Logf("delivered %d records, 0 missing, 0 duplicated", e.sink.total())
}
