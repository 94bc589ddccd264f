//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var victoriaLogsPath = flag.String("victorialogs", "../../../.tools/victoria-logs",
	"the victoria-logs binary (make victorialogs installs it)")

// victoriaLogs is a VictoriaLogs server on a loopback port.
type victoriaLogs struct {
	base string
	cmd  *exec.Cmd
}

func startVictoriaLogs(t *testing.T) *victoriaLogs {
	t.Helper()
	bin, err := filepath.Abs(*victoriaLogsPath)
	require.NoError(t, err)
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("VictoriaLogs binary %s missing (make victorialogs installs it): %v", bin, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	dir := t.TempDir()
	logf, err := os.Create(filepath.Join(dir, "victoria-logs.log"))
	require.NoError(t, err)
	v := &victoriaLogs{base: "http://" + addr}
	// The backfill is days old: keep it (the default retention is 7 days
	// and older events are dropped on ingestion).
	v.cmd = exec.Command(bin, "-httpListenAddr", addr, "-storageDataPath", filepath.Join(dir, "data"),
		"-retentionPeriod", "100y", "-loggerLevel", "WARN")
	v.cmd.Stdout, v.cmd.Stderr = logf, logf
	require.NoError(t, v.cmd.Start())
	t.Cleanup(func() {
		_ = v.cmd.Process.Signal(syscall.SIGTERM)
		_ = v.cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("victoria-logs log:\n%s", tail(b, 4000))
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get(v.base + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "VictoriaLogs did not come up")
	return v
}

// query runs a LogsQL query over all time and returns its JSON lines.
func (v *victoriaLogs) query(ctx context.Context, q string) ([]map[string]string, error) {
	return v.queryUntil(ctx, q, "2100-01-01T00:00:00Z")
}

// queryUntil runs a LogsQL query from the epoch until end ("" = now, which
// relative time filters such as _time:1h then count back from) and returns
// its JSON lines.
func (v *victoriaLogs) queryUntil(ctx context.Context, q, end string) ([]map[string]string, error) {
	form := url.Values{"query": {q}, "start": {"1970-01-01T00:00:00Z"}}
	if end != "" {
		form.Set("end", end)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.base+"/select/logsql/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("logsql %q: %s: %s", q, resp.Status, b)
	}
	var rows []map[string]string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var row map[string]string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("logsql %q: %w", q, err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// counts returns, per EventName, how many records VictoriaLogs holds and
// how many distinct log.record.uid values.
func (v *victoriaLogs) counts(t *testing.T) (total, uniq map[string]int) {
	t.Helper()
	rows, err := v.query(context.Background(),
		`* | stats by (event_name) count() as n, count_uniq("log.record.uid") as u`)
	require.NoError(t, err)
	total, uniq = map[string]int{}, map[string]int{}
	for _, r := range rows {
		n, _ := strconv.Atoi(r["n"])
		u, _ := strconv.Atoi(r["u"])
		total[r["event_name"]], uniq[r["event_name"]] = n, u
	}
	return total, uniq
}

// The collector exports OTLP/HTTP protobuf into a real VictoriaLogs, and
// LogsQL counts every record once, across a graceful restart with new
// arrivals.
func TestVictoriaLogsReceivesEveryRecordOnce(t *testing.T) {
	v := startVictoriaLogs(t)
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: 3000, SetupAuditTrailRows: 500, SameTimestampRuns: true},
		envConfig{EventLogFile: elfDaily, LogsEndpoint: v.base + "/insert/opentelemetry/v1/logs"})
	files := seedELF(e, 300)
	e.start()

	want := func() map[string]int {
		return map[string]int{
			"salesforce.login_history":     len(e.sim.Records("LoginHistory")),
			"salesforce.setup_audit_trail": len(e.sim.Records("SetupAuditTrail")),
			"salesforce.event_log_file":    len(e.wantELF(files)),
		}
	}
	settle := func() (total, uniq map[string]int) {
		deadline := time.Now().Add(90 * time.Second)
		for {
			total, uniq = v.counts(t)
			done := true
			for ev, n := range want() {
				if uniq[ev] < n {
					done = false
				}
			}
			if done || time.Now().After(deadline) {
				return total, uniq
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	total, uniq := settle()
	require.Equal(t, want(), uniq, "distinct log.record.uid per event name")
	require.Equal(t, want(), total, "records per event name")

	e.stop(syscall.SIGTERM)
	e.sim.Arrive("LoginHistory", 40, time.Now().UTC())
	e.start()
	total, uniq = settle()
	require.Equal(t, want(), uniq)
	require.Equal(t, want(), total, "no record twice after a restart")
	n := 0
	for _, c := range total {
		n += c
	}
	t.Logf("RELIABILITY scenario=%q expected %d, stored %d, distinct uids %v, duplicated 0",
		"VictoriaLogs via OTLP/HTTP, graceful restart", n, n, uniq)

	// The record's attributes are fields LogsQL can filter on.
	rows, err := v.query(context.Background(), `"salesforce.event_type":Login | stats count() as n`)
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	loginRows, _ := strconv.Atoi(rows[0]["n"])
	require.Positive(t, loginRows)
}
