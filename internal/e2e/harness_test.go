//go:build e2e

// Package e2e drives the built collector (make build) against the simulator
// and a local OTLP/HTTP sink, and counts what arrived against the
// simulator's ground truth.
package e2e

import (
	"compress/gzip"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/sfevents/salesforcereceiver/internal/simulator"
)

var collectorPath = flag.String("collector", "../../_build/otelcol-salesforce", "the built collector binary")

// sink is an OTLP/HTTP logs endpoint that counts records by log.record.uid.
type sink struct {
	srv *httptest.Server

	mu      sync.Mutex
	byUID   map[string]int
	byRecID map[string]string // salesforce.record.id -> uid
	refuse  bool
}

func newSink(t *testing.T) *sink {
	s := &sink{byUID: map[string]int{}, byRecID: map[string]string{}}
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
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *sink) add(logs plog.Logs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < logs.ResourceLogs().Len(); i++ {
		sls := logs.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				attrs := lrs.At(k).Attributes()
				uid, _ := attrs.Get("log.record.uid")
				s.byUID[uid.Str()]++
				if id, ok := attrs.Get("salesforce.record.id"); ok {
					s.byRecID[id.Str()] = uid.Str()
				}
			}
		}
	}
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
}

func newEnv(t *testing.T, opts simulator.Options, receiverExtra string) *env {
	t.Helper()
	if _, err := os.Stat(*collectorPath); err != nil {
		t.Fatalf("collector binary %s missing (run make build): %v", *collectorPath, err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	opts.JWTPublicKey = &key.PublicKey
	opts.ClientID, opts.Username = "e2e-client", "integration@e2e.example.com"
	e := &env{t: t, sim: simulator.NewTestServer(t, opts), sink: newSink(t), dir: t.TempDir()}
	keyFile := filepath.Join(e.dir, "sf.key")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(e.dir, "storage"), 0o700))
	e.config = filepath.Join(e.dir, "config.yaml")
	cfg := fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s/storage
receivers:
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
      enabled: false
%[5]s
exporters:
  otlphttp:
    endpoint: %[4]s
    compression: none
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
      max_elapsed_time: 0
service:
  telemetry:
    metrics:
      level: none
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [salesforce]
      exporters: [otlphttp]
`, e.dir, e.sim.URL(), keyFile, e.sink.srv.URL, receiverExtra)
	require.NoError(t, os.WriteFile(e.config, []byte(cfg), 0o600))
	e.logFile, err = os.Create(filepath.Join(e.dir, "collector.log"))
	require.NoError(t, err)
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
	e.cmd = exec.Command(*collectorPath, "--config", e.config)
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
