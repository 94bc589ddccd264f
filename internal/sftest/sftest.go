package sftest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/simulator"
)

// Client is a Salesforce client signed in to sim with the password flow,
// retrying fast, as every package's simulator tests use it.
func Client(t testing.TB, sim *simulator.Server) *sfapi.Client {
	t.Helper()
	tokens, err := auth.NewSource(auth.Config{
		Flow: auth.FlowPassword, LoginURL: sim.URL(),
		ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
		Username: simulator.DefaultUsername, Password: simulator.DefaultPassword, SecurityToken: simulator.DefaultSecurityToken,
	})
	require.NoError(t, err)
	client, err := sfapi.New(sfapi.Config{
		HTTPClient: &http.Client{}, Tokens: tokens, APIVersion: simulator.DefaultAPIVersion, Timeout: 10 * time.Second,
		Retry: sfapi.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond},
	})
	require.NoError(t, err)
	return client
}

// Sink is the next consumer of tests: it keeps every accepted record by
// log.record.uid and can refuse deliveries.
type Sink struct {
	mu      sync.Mutex
	uids    map[string]int
	records []plog.LogRecord
	pages   int
	// Refuse, when set, is asked before each delivery with the number of
	// pages accepted so far; an error refuses the page.
	Refuse func(accepted int) error
}

// NewSink returns an empty Sink.
func NewSink() *Sink { return &Sink{uids: map[string]int{}} }

// ConsumeLogs implements consumer.Logs.
func (s *Sink) ConsumeLogs(_ context.Context, l plog.Logs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Refuse != nil {
		if err := s.Refuse(s.pages); err != nil {
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
				uid, _ := lr.Attributes().Get("log.record.uid")
				s.uids[uid.Str()]++
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

// Records is a copy of every accepted record, in order.
func (s *Sink) Records() []plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]plog.LogRecord(nil), s.records...)
}

// Times is how often uid was accepted.
func (s *Sink) Times(uid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uids[uid]
}

// Missing counts the uids of want never accepted, and the repeats of those
// accepted more than once.
func (s *Sink) Missing(want map[string]bool) (missing, dup int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid := range want {
		switch c := s.uids[uid]; {
		case c == 0:
			missing++
		case c > 1:
			dup += c - 1
		}
	}
	return missing, dup
}
