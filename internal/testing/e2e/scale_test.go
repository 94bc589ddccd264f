//go:build e2e

package e2e

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// The scale run: one collector with one receiver per org, against a fleet
// of simulated orgs. It measures the collector's RSS, goroutines and CPU
// with 10 and 100 idle orgs (the slope is the cost of one idle org), then
// 100 orgs of which 20 are busy and two are broken (one refuses the
// credentials, one answers every data call slowly with 503), and checks
// that every healthy org gets each of its records once, that each org's
// budget is its own, and that the broken orgs slow no one.
func TestScaleManyOrgs(t *testing.T) {
	if testing.Short() {
		t.Skip("the scale run takes about four minutes")
	}
	idle10 := runScale(t, scaleRun{orgs: 10})
	idle100 := runScale(t, scaleRun{orgs: 100})
	busy := runScale(t, scaleRun{orgs: 100, busy: 20, broken: true})

	perIdle := func(f func(scaleFigures) float64) float64 { return (f(idle100) - f(idle10)) / 90 }
	rss := perIdle(func(s scaleFigures) float64 { return s.rssMiB })
	gor := perIdle(func(s scaleFigures) float64 { return float64(s.goroutines) })
	cpu := perIdle(func(s scaleFigures) float64 { return s.cpuPct })
	busyRSS := (busy.rssMiB - idle100.rssMiB) / 20
	busyCPU := (busy.cpuPct - idle100.cpuPct) / 20
	busyG := float64(busy.goroutines-idle100.goroutines) / 20
	t.Logf("SCALE 10 idle orgs: %s", idle10)
	t.Logf("SCALE 100 idle orgs: %s", idle100)
	t.Logf("SCALE 100 orgs, 20 busy, 2 broken: %s", busy)
	t.Logf("SCALE per idle org: %.2f MiB RSS, %.1f goroutines (streams %d), %.3f%% of a core; per busy org (%d records/s): %.2f MiB more, %.1f goroutines more, %.2f%% of a core more",
		rss, gor, 2, cpu, busyRate, busyRSS, busyG, busyCPU)
	fmt.Printf("BenchmarkScaleIdleOrg 1 %.0f B/org %.2f goroutines/org %.4f cpu%%/org\n", rss*(1<<20), gor, cpu)
	fmt.Printf("BenchmarkScaleBusyOrg 1 %.0f B/org %.2f goroutines/org %.4f cpu%%/org\n", busyRSS*(1<<20), busyG, busyCPU)
	assert.Less(t, rss, 2.0, "under 2 MiB per idle org")
}

// busyRate is what each busy org adds: LoginHistory rows per second.
const busyRate = 200

type scaleRun struct {
	orgs, busy int
	broken     bool // the last two orgs: refused credentials, and an outage
}

type scaleFigures struct {
	orgs                int
	rssMiB, cpuPct      float64 // CPU: share of one core over the window
	goroutines, runners int
	records             int
	createdBy           map[string]int // goroutines by the function that started them
}

func (s scaleFigures) String() string {
	type kv struct {
		by string
		n  int
	}
	var top []kv
	for by, n := range s.createdBy {
		top = append(top, kv{by, n})
	}
	slices.SortFunc(top, func(a, b kv) int { return cmp.Or(b.n-a.n, strings.Compare(a.by, b.by)) })
	var parts []string
	for _, e := range top[:min(len(top), 6)] {
		parts = append(parts, fmt.Sprintf("%s %d", e.by, e.n))
	}
	return fmt.Sprintf("RSS %.1f MiB, %d goroutines (%d stream runners; started by: %s), CPU %.2f%% of a core, %d records",
		s.rssMiB, s.goroutines, s.runners, strings.Join(parts, ", "), s.cpuPct, s.records)
}

// pollInterval is every stream's; short, so idle orgs are measured polling.
const pollInterval = 5 * time.Second

func runScale(t *testing.T, run scaleRun) scaleFigures {
	t.Helper()
	if _, err := os.Stat(*collectorPath); err != nil {
		t.Fatalf("collector binary %s missing (run make build): %v", *collectorPath, err)
	}
	fleet := simulator.NewFleet(run.orgs, func(i int) simulator.Options {
		return simulator.Options{
			DailyLimit: int64(100000 + i), NoLoginHistory: true, SameTimestampRuns: true,
			LoginHistoryRows: 200, SetupAuditTrailRows: 50,
		}
	})
	require.NoError(t, fleet.Start("127.0.0.1:0"))
	defer fleet.Close()
	snk := newSink(t)
	dir := t.TempDir()
	port := freePort(t)

	var recv, names strings.Builder
	for i := range run.orgs {
		fmt.Fprintf(&recv, `  salesforce/org%d:
    login_url: %s
    auth: {flow: client_credentials, client_id: %s, client_secret: %s}
    storage: file_storage
    login_history: {poll_interval: %s, backfill: 2400h}
    setup_audit_trail: {poll_interval: %s, backfill: 2400h}
    event_log_file: {enabled: false}
`, i, fleet.OrgURL(i), simulator.DefaultClientID, simulator.DefaultClientSecret, pollInterval, pollInterval)
		if i > 0 {
			names.WriteString(", ")
		}
		fmt.Fprintf(&names, "salesforce/org%d", i)
	}
	cfg := fmt.Sprintf(`
extensions:
  file_storage:
    directory: %s
receivers:
%s
exporters:
  otlphttp:
    endpoint: %s
    compression: none
service:
  telemetry:
    logs: {level: warn}
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus: {host: 127.0.0.1, port: %d}
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [%s]
      exporters: [otlphttp]
`, filepath.Join(dir, "storage"), recv.String(), snk.srv.URL, port, names.String())
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "storage"), 0o700))
	cfgFile := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg), 0o600))

	healthy := run.orgs
	if run.broken {
		healthy -= 2
		fleet.Org(run.orgs-2).RefuseTokens("invalid_grant", "authentication failure", time.Hour)
		fleet.Org(run.orgs - 1).InjectFault(simulator.Fault{Status: 503, Delay: 2 * time.Second, Times: 1 << 30})
	}
	logFile, err := os.Create(filepath.Join(dir, "collector.log"))
	require.NoError(t, err)
	defer logFile.Close()
	cmd := exec.Command(*collectorPath, "--config", cfgFile)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	done := false
	defer func() {
		if !done {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("collector log:\n%s", tail(b, 6000))
		}
	}()

	want := func() map[string]string {
		w := map[string]string{}
		for i := range healthy {
			org := fleet.Org(i)
			for object, stream := range soqlStreams {
				for _, r := range org.Records(object) {
					w[convert.RecordUID(org.Options().OrgID, stream, r.ID)] = r.ID
				}
			}
		}
		return w
	}
	tl := waitSettled(3*time.Minute, 2*time.Second, func() tally { return snk.tally(want()) })
	require.Zero(t, tl.Missing, "every healthy org's backfill arrives: %s", tl)
	require.Zero(t, tl.Duplicated, "once: %s", tl)

	// Busy orgs: new LoginHistory rows every second. Idle ones keep polling.
	stopBusy := make(chan struct{})
	busyDone := make(chan struct{})
	go func() {
		defer close(busyDone)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-stopBusy:
				return
			case <-tk.C:
				for i := range run.busy {
					fleet.Org(i).Arrive("LoginHistory", busyRate, time.Now())
				}
			}
		}
	}()
	time.Sleep(2 * pollInterval) // settled: every stream polled again
	pid := cmd.Process.Pid
	cpu0, at0 := cpuTicks(t, pid), time.Now()
	const window = 30 * time.Second
	time.Sleep(window)
	cpu1, at1 := cpuTicks(t, pid), time.Now()
	figs := scaleFigures{orgs: run.orgs, rssMiB: rssMiB(t, pid),
		cpuPct: float64(cpu1-cpu0) / 100 / at1.Sub(at0).Seconds() * 100}
	close(stopBusy)
	<-busyDone

	tl = waitSettled(2*time.Minute, 2*time.Second, func() tally { return snk.tally(want()) })
	assert.Zero(t, tl.Missing, "every healthy org's records arrive, the broken orgs slow no one: %s", tl)
	assert.Zero(t, tl.Duplicated, "%s", tl)
	figs.records = snk.total()

	// Each org's budget is its own: its allowance, as read from its org.
	metrics := scrape(t, port)
	for i := range healthy {
		org := fleet.Org(i).Options().OrgID
		assert.Contains(t, metrics, fmt.Sprintf(`otelcol_receiver_salesforce_api_max{salesforce_org_id="%s"`, org), "org %d", i)
		re := regexp.MustCompile(`otelcol_receiver_salesforce_api_max\{salesforce_org_id="` + org + `"[^}]*\} (\d+)`)
		if m := re.FindStringSubmatch(metrics); m != nil {
			assert.Equal(t, strconv.Itoa(100000+i), m[1], "org %d reads its own allowance", i)
		}
	}

	// SIGQUIT: the Go runtime prints every goroutine and exits.
	before, _ := os.ReadFile(logFile.Name())
	require.NoError(t, cmd.Process.Signal(syscall.SIGQUIT))
	_ = cmd.Wait()
	done = true
	b, err := os.ReadFile(logFile.Name())
	require.NoError(t, err)
	dump := string(b[len(before):])
	figs.goroutines = len(regexp.MustCompile(`(?m)^goroutine [1-9][0-9]* .*\[.*\]:$`).FindAllString(dump, -1))
	figs.createdBy = map[string]int{}
	creator := regexp.MustCompile(`(?m)^created by (\S+)`)
	for g := range strings.SplitSeq(dump, "\n\n") {
		if !strings.HasPrefix(g, "goroutine ") || strings.HasPrefix(g, "goroutine 0 ") {
			continue
		}
		if strings.Contains(g, "stream.(*Runner[") && strings.Contains(g, ").Run(") {
			figs.runners++
		}
		by := "(main)"
		if m := creator.FindStringSubmatch(g); m != nil {
			by = m[1]
		}
		figs.createdBy[by]++
	}
	require.Positive(t, figs.goroutines, "the goroutine dump")
	return figs
}

// cpuTicks is the process's user+system CPU time in clock ticks (1/100 s).
func cpuTicks(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func rssMiB(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// scrape is the collector's own metrics, in the Prometheus text format.
func scrape(t *testing.T, port int) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
