//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var securityStreams = []string{"LoginHistory", "SetupAuditTrail"}

// The built collector delivers the whole backfill and new arrivals once,
// across a graceful restart.
func TestSmokeBackfillArrivalsAndRestart(t *testing.T) {
	port := freePort(t)
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: 3000, SetupAuditTrailRows: 500, SameTimestampRuns: true}, envConfig{MetricsPort: port})
	e.start()
	missing, dup := e.waitAll(90*time.Second, securityStreams...)
	require.Zero(t, missing, "missing after backfill")
	require.Zero(t, dup, "duplicated after backfill")
	// The collector's standard receiver metric counts what was delivered.
	require.Eventually(t, func() bool {
		return acceptedLogRecords(port) == float64(e.sink.total())
	}, 10*time.Second, 100*time.Millisecond, "otelcol_receiver_accepted_log_records = %d delivered", e.sink.total())
	t.Logf("otelcol_receiver_accepted_log_records %v after %d delivered", acceptedLogRecords(port), e.sink.total())

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

// freePort is a loopback TCP port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// acceptedLogRecords reads the salesforce receiver's
// otelcol_receiver_accepted_log_records from the collector's own metrics
// (-1 while they cannot be read).
func acceptedLogRecords(port int) float64 {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "otelcol_receiver_accepted_log_records") && strings.Contains(line, `receiver="salesforce"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}
