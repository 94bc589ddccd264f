package sftest

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// A ClientOption changes the client Client builds.
type ClientOption func(*sfapi.Config)

// DefaultPacing keeps sfapi's own retry policy and request timeout, for
// tests that measure what the client does as configured in production.
func DefaultPacing(c *sfapi.Config) { c.Retry, c.Timeout = sfapi.RetryPolicy{}, 0 }

// Client is a Salesforce client signed in to sim with the password flow,
// retrying fast, as every package's simulator tests use it.
func Client(t testing.TB, sim *simulator.Server, opts ...ClientOption) *sfapi.Client {
	t.Helper()
	tokens, err := auth.NewSource(auth.Config{
		Flow: auth.FlowPassword, LoginURL: sim.URL(),
		ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
		Username: simulator.DefaultUsername, Password: simulator.DefaultPassword, SecurityToken: simulator.DefaultSecurityToken,
	})
	require.NoError(t, err)
	cfg := sfapi.Config{
		HTTPClient: &http.Client{}, Tokens: tokens, APIVersion: simulator.DefaultAPIVersion, Timeout: 10 * time.Second,
		Retry: sfapi.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond},
	}
	for _, o := range opts {
		o(&cfg)
	}
	client, err := sfapi.New(cfg)
	require.NoError(t, err)
	return client
}

// A Delivery is what a Sink's refusal is asked about.
type Delivery struct {
	Attempt int // this delivery's number, from 1, refused ones included
	Pages   int // deliveries accepted before this one
	Records int // records accepted before this one
	Refused int // deliveries refused before this one
	Logs    plog.Logs
}

// Sink is the next consumer of tests: it keeps a copy of every accepted
// record, counts them by log.record.uid, and can refuse deliveries.
type Sink struct {
	mu       sync.Mutex
	uids     map[string]int
	records  []plog.LogRecord
	attempts int
	pages    int
	refuse   func(Delivery) error
}

// NewSink returns an empty Sink that accepts everything.
func NewSink() *Sink { return &Sink{uids: map[string]int{}} }

// SetRefuse makes the sink ask refuse before each delivery; an error
// refuses it. refuse runs under the sink's lock: it must not call the
// sink. nil accepts everything again.
func (s *Sink) SetRefuse(refuse func(Delivery) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

// ConsumeLogs implements consumer.Logs.
func (s *Sink) ConsumeLogs(_ context.Context, l plog.Logs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.refuse != nil {
		d := Delivery{Attempt: s.attempts, Pages: s.pages, Records: len(s.records), Refused: s.attempts - 1 - s.pages, Logs: l}
		if err := s.refuse(d); err != nil {
			return err
		}
	}
	s.pages++
	for i := 0; i < l.ResourceLogs().Len(); i++ {
		sls := l.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := plog.NewLogRecord()
				lrs.At(k).CopyTo(lr)
				s.uids[UID(lr)]++
				s.records = append(s.records, lr)
			}
		}
	}
	return nil
}

// Capabilities implements consumer.Logs.
func (*Sink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

var _ consumer.Logs = (*Sink)(nil)

// Count is how many records were accepted, repeats included.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// Pages is how many deliveries were accepted.
func (s *Sink) Pages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages
}

// Attempts is how many deliveries were offered, refused ones included.
func (s *Sink) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Refused is how many deliveries were refused.
func (s *Sink) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts - s.pages
}

// Records is every accepted record, in order. The records are the sink's
// own copies: read them, do not change them.
func (s *Sink) Records() []plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.records)
}

// Times is how often uid was accepted.
func (s *Sink) Times(uid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uids[uid]
}

// A Key names a record: by an attribute, or a field of its body.
type Key func(plog.LogRecord) string

// Attr names a record by its attribute name ("" without one).
func Attr(name string) Key {
	return func(lr plog.LogRecord) string {
		v, _ := lr.Attributes().Get(name)
		return v.Str()
	}
}

// Body names a record by the field of its body ("" without one).
func Body(field string) Key {
	return func(lr plog.LogRecord) string {
		v, _ := lr.Body().Map().Get(field)
		return v.Str()
	}
}

var (
	// UID names a record by its log.record.uid.
	UID = Attr(semconv.AttrLogRecordUID)
	// RecordID names a record by its salesforce.record.id.
	RecordID = Attr(semconv.AttrRecordID)
)

// Counts is how often each key was accepted.
func (s *Sink) Counts(key Key) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, lr := range s.records {
		n[key(lr)]++
	}
	return n
}

// By is the last accepted record of each key.
func (s *Sink) By(key Key) map[string]plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]plog.LogRecord{}
	for _, lr := range s.records {
		m[key(lr)] = lr
	}
	return m
}

// Missing counts the keys of want never accepted, and the repeats of those
// accepted more than once.
func (s *Sink) Missing(key Key, want map[string]string) (missing, dup int) {
	got := s.Counts(key)
	for k := range want {
		switch c := got[k]; {
		case c == 0:
			missing++
		case c > 1:
			dup += c - 1
		}
	}
	return missing, dup
}

// ExactlyOnce requires that s and more, taken together, accepted every key
// of want once and nothing else. want maps each key to what it names, for
// the failure message.
func (s *Sink) ExactlyOnce(t testing.TB, key Key, want map[string]string, more ...*Sink) {
	t.Helper()
	got := s.Counts(key)
	for _, o := range more {
		for k, n := range o.Counts(key) {
			got[k] += n
		}
	}
	var missing, dup, extra []string
	for k, name := range want {
		switch n := got[k]; {
		case n == 0:
			missing = append(missing, name)
		case n > 1:
			dup = append(dup, name+" ×"+strconv.Itoa(n))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(dup)
	slices.Sort(extra)
	require.Empty(t, missing, "never delivered")
	require.Empty(t, dup, "delivered more than once")
	require.Empty(t, extra, "delivered, but not expected")
}

// ByID names a simulator record by its Id.
func ByID(r simulator.Record) string { return r.ID }

// ByField names a simulator record by its field.
func ByField(field string) func(simulator.Record) string {
	return func(r simulator.Record) string { return r.Fields[field].(string) }
}

// Truth is the ground truth of objects in sim: each record, named by name,
// mapped to "object name".
func Truth(sim *simulator.Server, name func(simulator.Record) string, objects ...string) map[string]string {
	want := map[string]string{}
	for _, o := range objects {
		for _, r := range sim.Records(o) {
			want[name(r)] = o + " " + name(r)
		}
	}
	return want
}

// LogFileTruth maps the log.record.uid of every row of sim's log files that
// keep holds to "fileID/row".
func LogFileTruth(t testing.TB, sim *simulator.Server, keep func(simulator.Record) bool) map[string]string {
	t.Helper()
	want := map[string]string{}
	for _, r := range sim.Records("EventLogFile") {
		if !keep(r) {
			continue
		}
		n := sim.LogFileRowCount(r.ID)
		require.GreaterOrEqual(t, n, 0, r.ID)
		for i := 1; i <= n; i++ {
			key := r.ID + "/" + strconv.Itoa(i)
			want[convert.RecordUID(sim.Options().OrgID, "event_log_file", key)] = key
		}
	}
	return want
}

// A Runner runs until its context ends, as stream.Runner does.
type Runner interface{ Run(context.Context) }

// Start runs r until the test ends or stop is called; stop waits for Run
// to return, and may be called more than once.
func Start(t testing.TB, r Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// RunUntil runs rs until cond holds, failing the test if it does not
// within the given time, then stops them.
func RunUntil(t testing.TB, within time.Duration, cond func() bool, rs ...Runner) {
	t.Helper()
	stops := make([]func(), 0, len(rs))
	for _, r := range rs {
		stops = append(stops, Start(t, r))
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	require.Eventually(t, cond, within, time.Millisecond)
}

// FreeAddr is a loopback address nothing listens on, for a server a test
// starts later.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sftest: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// MapOne maps one record of fields with m (at a fixed time, keyed "k")
// and returns the log record, for tests of a mapping's rules.
func MapOne(t testing.TB, m convert.Mapping, fields ...sobject.Field) plog.LogRecord {
	t.Helper()
	b := convert.NewBatch(convert.Resource{OrgID: "00D000000000001"}, 1)
	rec := &sobject.Record{Fields: append([]sobject.Field{{Name: "EventDate", Value: "2026-01-01T00:00:00.000+0000"}}, fields...)}
	m.Append(b, rec, convert.Origin{Key: "k", Observed: time.Unix(1_800_000_000, 0)})
	return b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
}
