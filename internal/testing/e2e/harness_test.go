//go:build e2e

// Package e2e drives the built collector (make build) against the simulator
// and a local OTLP/HTTP sink, and counts what arrived against the
// simulator's ground truth.
package e2e

import (
	"cmp"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var collectorPath = flag.String("collector", "../../../_build/otelcol-salesforce", "the built collector binary")

// sink is an OTLP/HTTP logs endpoint that counts records by log.record.uid.
type sink struct {
	srv *httptest.Server

	mu      sync.Mutex
	byUID   map[string]int
	byRecID map[string]string // salesforce.record.id -> uid
	refuse  bool

	ident   map[string]string // uid -> salesforce.log_file.id, else salesforce.record.id
	event   map[string]string // uid -> EventName
	refused int               // requests answered 503 while refusing
	delay   time.Duration     // wait after storing a request, before answering

	keep bool // keepRecords: store every record's content too
	recs []sinkRecord
}

// sinkRecord is what one delivered record carried.
type sinkRecord struct {
	Event         string
	Time          time.Time // the record's Timestamp
	Severity      plog.SeverityNumber
	Attrs, Body   map[string]any // Body nil unless the body is a map
	ResourceAttrs map[string]any
}

func newSink(t *testing.T) *sink {
	s := &sink{byUID: map[string]int{}, byRecID: map[string]string{}, ident: map[string]string{}, event: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	refuse := s.refuse
	if refuse {
		s.refused++
	}
	s.mu.Unlock()
	if refuse {
		http.Error(w, "refusing", http.StatusServiceUnavailable)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.add(req.Logs())
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	// Stored but not yet acknowledged: a crash now loses the answer only.
	time.Sleep(delay)
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *sink) add(logs plog.Logs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < logs.ResourceLogs().Len(); i++ {
		res := logs.ResourceLogs().At(i).Resource().Attributes()
		sls := logs.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				attrs := lrs.At(k).Attributes()
				if s.keep {
					s.recs = append(s.recs, captured(res, lrs.At(k)))
				}
				uid, _ := attrs.Get("log.record.uid")
				s.byUID[uid.Str()]++
				if id, ok := attrs.Get("salesforce.record.id"); ok {
					s.byRecID[id.Str()] = uid.Str()
					s.ident[uid.Str()] = id.Str()
				}
				if id, ok := attrs.Get("salesforce.log_file.id"); ok {
					s.ident[uid.Str()] = id.Str()
				}
				s.event[uid.Str()] = lrs.At(k).EventName()
			}
		}
	}
}

func captured(res pcommon.Map, lr plog.LogRecord) sinkRecord {
	r := sinkRecord{Event: lr.EventName(), Time: lr.Timestamp().AsTime(), Severity: lr.SeverityNumber(),
		Attrs: lr.Attributes().AsRaw(), ResourceAttrs: res.AsRaw()}
	if lr.Body().Type() == pcommon.ValueTypeMap {
		r.Body = lr.Body().Map().AsRaw()
	}
	return r
}

// keepRecords makes the sink store what every record carries (records).
func (s *sink) keepRecords() {
	s.mu.Lock()
	s.keep = true
	s.mu.Unlock()
}

// records returns the records stored since keepRecords, repeats included.
func (s *sink) records() []sinkRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.recs)
}

// setDelay makes the sink answer each request d after storing it.
func (s *sink) setDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *sink) setRefuse(v bool) {
	s.mu.Lock()
	s.refuse = v
	s.mu.Unlock()
}

// count compares what arrived with the ids expected.
func (s *sink) count(want []string) (missing, duplicated int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range want {
		uid, ok := s.byRecID[id]
		switch {
		case !ok:
			missing++
		case s.byUID[uid] > 1:
			duplicated += s.byUID[uid] - 1
		}
	}
	return missing, duplicated
}

func (s *sink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.byUID {
		n += c
	}
	return n
}

// env is one scenario's simulator, sink and collector config.
type env struct {
	t       *testing.T
	sim     *simulator.Server
	sink    *sink
	dir     string
	config  string
	cmd     *exec.Cmd
	logFile *os.File
	keyFile string   // the integration user's private key (jwt_bearer)
	args    []string // for the collector, after --config
	environ []string // for the collector, beside this process's environment
}

func newEnv(t *testing.T, opts simulator.Options) *env {
	t.Helper()
	return newEnvWith(t, opts, envConfig{})
}

// envConfig varies the collector config of newEnvWith. Its YAML fragments
// are indented as the keys they sit under.
type envConfig struct {
	// Receiver: extra keys of the salesforce receiver (4 spaces).
	Receiver string
	// EventLogFile: the event_log_file keys (6 spaces); "" disables it.
	EventLogFile string
	// Exporter: the otlphttp exporter's keys besides the endpoint (4
	// spaces); "" gives fast, unbounded retries and the default queue.
	Exporter string
	// LogsEndpoint, when set, replaces the sink (otlphttp logs_endpoint).
	LogsEndpoint string
	// LogLevel is service.telemetry.logs.level ("" = info).
	LogLevel string
	// MetricsPort, when set, serves the collector's own metrics in the
	// Prometheus format on 127.0.0.1 at that port.
	MetricsPort int
	// PubSub: the receiver's pubsub keys besides the endpoint (6 spaces);
	// when set the simulator serves the Pub/Sub API and the receiver's
	// pubsub.endpoint is its address.
	PubSub string
	// HealthAddr, when set, serves healthcheckv2's /health/status there
	// (host:port), as testdata/demo-config.yaml does.
	HealthAddr string
}

func newEnvWith(t *testing.T, opts simulator.Options, ec envConfig) *env {
	t.Helper()
	opts.PubSub = opts.PubSub || ec.PubSub != ""
	e := newBareEnv(t, opts)
	endpoint := "endpoint: " + e.sink.srv.URL
	if ec.LogsEndpoint != "" {
		endpoint = "logs_endpoint: " + ec.LogsEndpoint
	}
	elf := cmp.Or(ec.EventLogFile, "      enabled: false")
	exporter := cmp.Or(ec.Exporter, `    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 0`)
	level := cmp.Or(ec.LogLevel, "info")
	receiver := ec.Receiver
	if ec.PubSub != "" {
		receiver += "\n    pubsub:\n      endpoint: " + e.sim.PubSubAddr() + "\n" + ec.PubSub
	}
	extensions, healthExt := "[file_storage]", ""
	if ec.HealthAddr != "" {
		extensions = "[file_storage, healthcheckv2]"
		healthExt = fmt.Sprintf(`  healthcheckv2:
    use_v2: true
    component_health:
      include_permanent_errors: true
      include_recoverable_errors: true
    http:
      endpoint: %s
      status:
        enabled: true
        path: /health/status
`, ec.HealthAddr)
	}
	metrics := "level: none"
	if ec.MetricsPort != 0 {
		metrics = fmt.Sprintf(`level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d`, ec.MetricsPort)
	}
	cfg := fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s/storage
%[10]sreceivers:
  salesforce:
    login_url: %[2]s
    auth:
      flow: jwt_bearer
      client_id: e2e-client
      username: integration@e2e.example.com
      private_key_file: %[3]s
    storage: file_storage
    login_history:
      poll_interval: 1s
      backfill: 2400h
    setup_audit_trail:
      poll_interval: 1s
      backfill: 2400h
    event_log_file:
%[6]s
%[5]s
exporters:
  otlphttp:
    %[4]s
    compression: none
%[7]s
service:
  telemetry:
    logs:
      level: %[8]s
    metrics:
      %[9]s
  extensions: %[11]s
  pipelines:
    logs:
      receivers: [salesforce]
      exporters: [otlphttp]
`, e.dir, e.sim.URL(), e.keyFile, endpoint, receiver, elf, exporter, level, metrics, healthExt, extensions)
	require.NoError(t, os.WriteFile(e.config, []byte(cfg), 0o600))
	return e
}

// newBareEnv is a scenario's simulator (signing in integration@e2e.example.com
// with e.keyFile), sink, storage directory (dir/storage) and collector log;
// the caller writes e.config.
func newBareEnv(t *testing.T, opts simulator.Options) *env {
	t.Helper()
	if _, err := os.Stat(*collectorPath); err != nil {
		t.Fatalf("collector binary %s missing (run make build): %v", *collectorPath, err)
	}
	key, keyPEM := sftest.RSAKey(t)
	opts.JWTPublicKey = &key.PublicKey
	opts.ClientID, opts.Username = "e2e-client", "integration@e2e.example.com"
	// The ground truth is the history generated up front; each start's
	// sign-in would add a LoginHistory row to it.
	opts.NoLoginHistory = true
	e := &env{t: t, sim: simulator.NewTestServer(t, opts), sink: newSink(t), dir: t.TempDir()}
	e.keyFile = filepath.Join(e.dir, "sf.key")
	require.NoError(t, os.WriteFile(e.keyFile, keyPEM, 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(e.dir, "storage"), 0o700))
	e.config = filepath.Join(e.dir, "config.yaml")
	logFile, err := os.Create(filepath.Join(e.dir, "collector.log"))
	require.NoError(t, err)
	e.logFile = logFile
	t.Cleanup(func() {
		e.stop(syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(e.logFile.Name())
			t.Logf("collector log:\n%s", tail(b, 8000))
		}
	})
	return e
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func (e *env) start() {
	e.t.Helper()
	e.cmd = exec.Command(*collectorPath, append([]string{"--config", e.config}, e.args...)...)
	if e.environ != nil {
		e.cmd.Env = append(os.Environ(), e.environ...)
	}
	e.cmd.Stdout, e.cmd.Stderr = e.logFile, e.logFile
	require.NoError(e.t, e.cmd.Start())
}

// stop ends the collector with sig and waits for it.
func (e *env) stop(sig syscall.Signal) {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	_ = e.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = e.cmd.Process.Kill()
		<-done
		e.t.Errorf("collector did not stop within 30s of %v", sig)
	}
	e.cmd = nil
}

func (e *env) log() string {
	b, _ := os.ReadFile(e.logFile.Name())
	return string(b)
}

// truth lists the ids of every record the simulator holds for objects.
func (e *env) truth(objects ...string) []string {
	var ids []string
	for _, o := range objects {
		for _, r := range e.sim.Records(o) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// waitAll waits until every expected record arrived, then reports counts.
func (e *env) waitAll(timeout time.Duration, objects ...string) (missing, duplicated int) {
	deadline := time.Now().Add(timeout)
	for {
		missing, duplicated = e.sink.count(e.truth(objects...))
		if missing == 0 || time.Now().After(deadline) {
			return missing, duplicated
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tally is a delivery count against the ground truth, by log.record.uid.
type tally struct {
	Expected   int // records the simulator holds
	Delivered  int // records the sink received, repeats included
	Missing    int // expected uids never received
	Duplicated int // receptions beyond the first of an expected uid
	Mismatched int // uids not expected, or carrying another record's id
}

func (t tally) String() string {
	return fmt.Sprintf("expected %d, delivered %d, missing %d, duplicated %d, mismatched %d",
		t.Expected, t.Delivered, t.Missing, t.Duplicated, t.Mismatched)
}

// tally compares what arrived with want (uid -> the record id, or for
// EventLogFile rows the file id, the record must carry).
func (s *sink) tally(want map[string]string) tally {
	return tallyWith(s, want, func(uid, id string, ok bool) bool { return ok && s.ident[uid] == id })
}

// tallyWith compares what arrived with want: match (called with s locked)
// says whether what arrived under uid is right, given want's entry for it
// (ok: want has one).
func tallyWith[V any](s *sink, want map[string]V, match func(uid string, v V, ok bool) bool) tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := tally{Expected: len(want)}
	for uid, n := range s.byUID {
		t.Delivered += n
		if v, ok := want[uid]; !match(uid, v, ok) {
			t.Mismatched++
			continue
		}
		t.Duplicated += n - 1
	}
	for uid := range want {
		if s.byUID[uid] == 0 {
			t.Missing++
		}
	}
	return t
}

// snapshot copies the per-uid reception counts.
func (s *sink) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byUID)
}

func (s *sink) refusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// eventOf is the EventName a uid arrived with.
func (s *sink) eventOf(uid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.event[uid]
}

var soqlStreams = map[string]string{"LoginHistory": "login_history", "SetupAuditTrail": "setup_audit_trail"}

// wantSOQL is the ground truth of LoginHistory/SetupAuditTrail objects.
func (e *env) wantSOQL(objects ...string) map[string]string {
	org := e.sim.Options().OrgID
	want := map[string]string{}
	for _, o := range objects {
		for _, r := range e.sim.Records(o) {
			want[convert.RecordUID(org, soqlStreams[o], r.ID)] = r.ID
		}
	}
	return want
}

// wantELF is the ground truth of EventLogFile files: one record per data
// row, keyed "<fileId>/<rowNumber>" (rows counted from 1).
func (e *env) wantELF(fileIDs []string) map[string]string {
	org := e.sim.Options().OrgID
	want := map[string]string{}
	for _, id := range fileIDs {
		n := e.sim.LogFileRowCount(id)
		for row := 1; row <= n; row++ {
			want[convert.RecordUID(org, "event_log_file", id+"/"+strconv.Itoa(row))] = id
		}
	}
	return want
}

// waitTally waits until nothing expected is missing (or timeout), lets
// stragglers land, and returns the tally.
func (e *env) waitTally(timeout time.Duration, want func() map[string]string) tally {
	e.t.Helper()
	return waitSettled(timeout, 200*time.Millisecond, func() tally { return e.sink.tally(want()) })
}

// waitSettled polls count every poll until nothing is missing (or timeout),
// lets stragglers land, and returns the last count.
func waitSettled(timeout, poll time.Duration, count func() tally) tally {
	deadline := time.Now().Add(timeout)
	for {
		t := count()
		if t.Missing == 0 || time.Now().After(deadline) {
			if t.Missing == 0 {
				time.Sleep(1500 * time.Millisecond) // a repeat would land now
				t = count()
			}
			return t
		}
		time.Sleep(poll)
	}
}

// merge unions ground truths.
func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}
