//go:build e2e

package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sfevents/salesforcereceiver/internal/bench/inputs"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var (
	stockPath = flag.String("stock", "", "a stock collector with the filelog receiver and the otlphttp exporter "+
		"(make bench builds one from internal/bench/peer/stock-builder-config.yaml); empty skips the black-box comparison")
	blackBoxRows   = flag.Int("blackbox-rows", 300_000, "rows of the Login file the black-box comparison reads")
	blackBoxRounds = flag.Int("blackbox-rounds", 5, "A/B rounds of the black-box comparison")
	baselinePath   = flag.String("baseline", "", "optional: another build of this collector (e.g. before a change) to run in the same rounds")
)

// countSink is an OTLP/HTTP logs endpoint that only counts records: it walks
// the protobuf wire format without decoding, so the sink costs both
// collectors the same small amount per record.
type countSink struct {
	srv  *httptest.Server
	n    atomic.Int64
	pool sync.Pool
	// inspect, when set, is also handed every request's body (the records'
	// content, for rounds that check it rather than time it).
	inspect atomic.Pointer[func([]byte)]
}

func newCountSink(t *testing.T) *countSink {
	s := &countSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf, _ := s.pool.Get().(*bytes.Buffer)
		if buf == nil {
			buf = new(bytes.Buffer)
		}
		buf.Reset()
		defer s.pool.Put(buf)
		if _, err := io.Copy(buf, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n, err := countLogRecords(buf.Bytes())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if f := s.inspect.Load(); f != nil {
			(*f)(buf.Bytes())
		}
		s.n.Add(int64(n))
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// countLogRecords counts ExportLogsServiceRequest.resource_logs[].scope_logs[].log_records.
func countLogRecords(b []byte) (int, error) {
	n := 0
	err := eachField(b, 1, func(rl []byte) error { // resource_logs
		return eachField(rl, 2, func(sl []byte) error { // scope_logs
			return eachField(sl, 2, func([]byte) error { n++; return nil }) // log_records
		})
	})
	return n, err
}

// eachField calls f with every length-delimited field num of message b.
func eachField(b []byte, num protowire.Number, f func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return protowire.ParseError(l)
			}
			if err := f(v); err != nil {
				return err
			}
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
	}
	return nil
}

// blackBoxMemLimit is the GOMEMLIMIT of the capped rounds, the README's
// sizing guide's figure.
const blackBoxMemLimit = "32MiB"

// run is one collector process's figures.
type run struct {
	seconds, cpu float64 // start to the last record; user+system CPU
	steady       float64 // first record to the last
	rssMiB       float64
}

// runCollector starts c, waits until sink counted want more records, stops
// it (SIGTERM) and reads its resource usage.
func runCollector(t *testing.T, c collector, sink *countSink, want int) run {
	t.Helper()
	logf, err := os.Create(c.config + ".log")
	require.NoError(t, err)
	defer logf.Close()
	base := sink.n.Load()
	cmd := exec.Command(c.bin, append([]string{"--config", c.config}, c.args...)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	began := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	fail := func(why string) {
		_ = cmd.Process.Kill()
		<-exited
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("%s %s: %d of %d records arrived; log:\n%s", filepath.Base(c.bin), why, sink.n.Load()-base, want, tail(b, 4000))
	}
	deadline := time.After(5 * time.Minute)
	var first time.Time
	for sink.n.Load()-base < int64(want) {
		if first.IsZero() && sink.n.Load() > base {
			first = time.Now()
		}
		select {
		case <-exited:
			fail("exited")
		case <-deadline:
			fail("timed out")
		case <-time.After(5 * time.Millisecond):
		}
	}
	elapsed := time.Since(began)
	rss := peakRSS(t, cmd.Process.Pid)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	<-exited
	require.EqualValues(t, want, sink.n.Load()-base, "%s: every record once", filepath.Base(c.bin))
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return run{seconds: elapsed.Seconds(), steady: time.Since(first).Seconds() - time.Since(began.Add(elapsed)).Seconds(),
		cpu: cpu.Seconds(), rssMiB: rss}
}

// peakRSS is the process's peak resident set since exec (VmHWM), in MiB.
// Not the rusage Maxrss: on Linux that also counts the forking parent's
// resident set, which here holds the whole file.
func peakRSS(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			require.NoError(t, err)
			return kib / 1024
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// TestThroughputBlackBox compares whole collector processes on the same
// rows: the built collector backfilling one gzip Login EventLogFile from
// the simulator, and a stock collector (filelog + csv_parser) reading the
// same rows from disk; both deliver over OTLP/HTTP (uncompressed) to the
// same counting sink. Rounds alternate A/B; each prints a go-bench line
// (rows/s, CPU-seconds per 100k rows, peak RSS) and the summary takes the
// medians. Then the same rounds again with the simulator serving the file
// at the stock collector's median rate (BenchmarkBlackBoxELFSameRate): the
// peak RSS of the two receivers at one pace. Last, full speed with both
// under GOMEMLIMIT=32MiB (BenchmarkBlackBoxELFMemLimit). The stock binary is built
// from the distribution's components (internal/bench/peer), so only the
// receivers differ. Only make bench passes -stock.
// newLoginFileEnv is the black box's org: one daily Login log file of
// rows rows and nothing else, and no daily limit. The rows are the bench
// inputs the in-process benchmarks use: no cell holds a newline, which
// filelog would split.
func newLoginFileEnv(t *testing.T, rows int) (e *env, data []byte, fileID string) {
	t.Helper()
	e = newEnvWith(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, DailyLimit: 1 << 40},
		envConfig{EventLogFile: elfDaily, LogLevel: "warn"})
	data = inputs.LoginCSV(rows)
	fileID = e.sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: time.Now().UTC().Add(-48 * time.Hour).Truncate(24 * time.Hour),
		Header: inputs.LoginNames, Types: inputs.LoginTypes, Raw: data, RawRows: rows, Precompress: true})
	return e, data, fileID
}

func TestThroughputBlackBox(t *testing.T) {
	if *stockPath == "" {
		t.Skip("no -stock collector (make bench builds and passes one)")
	}
	rows := *blackBoxRows
	e, data, fileID := newLoginFileEnv(t, rows)

	// The stock collector reads the same rows from disk, the header given.
	nl := bytes.IndexByte(data, '\n')
	csvPath := filepath.Join(e.dir, "Login.csv")
	require.NoError(t, os.WriteFile(csvPath, data[nl+1:], 0o600))
	sink := newCountSink(t)
	// The built collector's config is the harness's, pointed at sink.
	cfg, err := os.ReadFile(e.config)
	require.NoError(t, err)
	cfg = bytes.Replace(cfg, []byte("endpoint: "+e.sink.srv.URL), []byte("endpoint: "+sink.srv.URL), 1)
	require.NoError(t, os.WriteFile(e.config, cfg, 0o600))
	stockCfg := filepath.Join(e.dir, "stock.yaml")
	require.NoError(t, os.WriteFile(stockCfg, fmt.Appendf(nil, `
receivers:
  filelog:
    include: [%s]
    start_at: beginning
    operators:
      - type: csv_parser
        header: %q
        parse_to: body
exporters:
  otlphttp:
    endpoint: %s
    compression: none
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 0
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [filelog]
      exporters: [otlphttp]
`, csvPath, string(data[:nl]), sink.srv.URL), 0o600))

	collectors := []collector{
		{name: "salesforce", bin: *collectorPath, config: e.config},
		{name: "stock-filelog-csv", bin: *stockPath, config: stockCfg},
	}
	if *baselinePath != "" {
		collectors = append(collectors, collector{name: "salesforce-baseline", bin: *baselinePath, config: e.config})
	}
	// rounds runs the collectors in turn, the first one first in the first
	// round, and prints a go-bench line per run under bench.
	rounds := func(bench string, collectors []collector) map[string][]run {
		results := map[string][]run{}
		for round := range *blackBoxRounds {
			for i := range collectors {
				c := collectors[(i+round)%len(collectors)] // rotate which goes first
				if c.bin != *stockPath {
					// A fresh cursor: every round backfills the file again.
					require.NoError(t, os.RemoveAll(filepath.Join(e.dir, "storage")))
					require.NoError(t, os.MkdirAll(filepath.Join(e.dir, "storage"), 0o700))
				}
				r := runCollector(t, c, sink, rows)
				results[c.name] = append(results[c.name], r)
				fmt.Fprintf(os.Stdout, "%s/collector=%s \t1\t%d ns/op\t%.0f rows/s\t%.0f steady-rows/s\t%.3f cpu-s/100k-rows\t%.1f peak-rss-MiB\n",
					bench, c.name, int64(r.seconds*1e9), float64(rows)/r.seconds, float64(rows)/r.steady, r.cpu/float64(rows)*1e5, r.rssMiB)
			}
		}
		return results
	}
	results := rounds("BenchmarkBlackBoxELF", collectors)
	med := func(results map[string][]run, name string, f func(run) float64) float64 {
		var v []float64
		for _, r := range results[name] {
			v = append(v, f(r))
		}
		return median(v)
	}
	rate := func(r run) float64 { return float64(rows) / r.seconds }
	rss := func(r run) float64 { return r.rssMiB }
	// both is the medians of the two collectors' rows/s and peak RSS.
	both := func(results map[string][]run) string {
		return fmt.Sprintf("medians of %d rounds: salesforce %.0f rows/s, peak RSS %.0f MiB; stock %.0f rows/s, peak RSS %.0f MiB",
			*blackBoxRounds, med(results, "salesforce", rate), med(results, "salesforce", rss),
			med(results, "stock-filelog-csv", rate), med(results, "stock-filelog-csv", rss))
	}
	if *baselinePath != "" {
		t.Logf("baseline: %.0f rows/s, peak RSS %.0f MiB", med(results, "salesforce-baseline", rate), med(results, "salesforce-baseline", rss))
	}
	stockRate := med(results, "stock-filelog-csv", rate)
	t.Logf("black box, medians of %d rounds: salesforce %.0f rows/s, stock %.0f rows/s: %.2fx; peak RSS %.0f vs %.0f MiB",
		*blackBoxRounds, med(results, "salesforce", rate), stockRate, med(results, "salesforce", rate)/stockRate,
		med(results, "salesforce", rss), med(results, "stock-filelog-csv", rss))

	// At the same pace: memory in flight grows with the row rate (records
	// in the exporter's hands, garbage made while the GC marks), so the
	// memory each receiver costs is compared at the stock collector's
	// rate. The simulator serves the file at that many rows/s, as a real
	// org's network would; the stock collector reads from disk as before.
	wire := e.sim.LogFileGzipBytes(fileID)
	require.Positive(t, wire)
	e.sim.SetDownloadRate(int64(stockRate * float64(wire) / float64(rows)))
	same := rounds("BenchmarkBlackBoxELFSameRate", collectors[:2])
	e.sim.SetDownloadRate(0)
	t.Logf("black box at the stock collector's rate (%.0f rows/s), %s", stockRate, both(same))

	// At full speed again, both under the soft memory limit the README's
	// sizing guide suggests: most of the full-speed RSS is the GC's
	// headroom over the records in flight, which the limit trims.
	limited := slices.Clone(collectors[:2])
	for i := range limited {
		limited[i].env = []string{"GOMEMLIMIT=" + blackBoxMemLimit}
	}
	capped := rounds("BenchmarkBlackBoxELFMemLimit", limited)
	t.Logf("black box, both with GOMEMLIMIT=%s, %s", blackBoxMemLimit, both(capped))
}

// collector is one process of the comparison; env is added to the test's
// environment, args to the command line after --config.
type collector struct {
	name, bin, config string
	env, args         []string
}

// median is the middle of v (the mean of the two middle values for an
// even count); v is left as it was.
func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}
