package salesforcereceiver

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/metadatatest"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// statusHost records the status events a component reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []componentstatus.Status
	errs   []error
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev.Status())
	h.errs = append(h.errs, ev.Err())
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]componentstatus.Status(nil), h.events...)
}

func (h *statusHost) last() componentstatus.Status {
	s := h.statuses()
	if len(s) == 0 {
		return componentstatus.StatusNone
	}
	return s[len(s)-1]
}

func newStatusHost() *statusHost { return &statusHost{Host: componenttest.NewNopHost()} }

// permanentWith waits for the status to turn permanent and for the one log
// line msg that says why (the status may come first: a stream's own poll
// can report before the connection test reaches it), and returns its
// fields.
func permanentWith(t *testing.T, host *statusHost, logs *observer.ObservedLogs, msg string) map[string]any {
	t.Helper()
	require.Eventually(t, func() bool { return host.last() == componentstatus.StatusPermanentError }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return logs.FilterMessage(msg).Len() >= 1 }, 5*time.Second, 10*time.Millisecond)
	lines := logs.FilterMessage(msg).All()
	require.Len(t, lines, 1)
	return lines[0].ContextMap()
}

func TestStatusWrongKeyIsPermanent(t *testing.T) {
	trusted, _ := sftest.RSAKey(t)
	_, other := sftest.RSAKey(t)
	sim := simulator.NewTestServer(t, simulator.Options{JWTPublicKey: &trusted.PublicKey})
	cfg := simConfig(sim)
	cfg.Auth = AuthConfig{Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername,
		PrivateKey: configopaque.String(other)}
	host := newStatusHost()
	_, logs, stop := startObserved(t, cfg, host, zap.InfoLevel)
	defer stop()
	line := permanentWith(t, host, logs, "Salesforce rejected the receiver's credentials")
	assert.Contains(t, line["fix"], "certificate matches private_key_file")
}

// A stream whose object the integration user cannot read makes the status
// permanent, and the connection test names the permission the README's
// checklist gives for that stream.
func TestStatusMissingPermissionIsPermanent(t *testing.T) {
	tests := []struct {
		object, stream, needs string
		enable                func(*Config)
	}{
		{"SetupAuditTrail", "setup_audit_trail", "View Setup and Configuration", func(*Config) {}},
		{"LoginHistory", "login_history", "Monitor Login History (or Manage Users)", func(*Config) {}},
		{"EventLogFile", "event_log_file", "View Event Log Files, API Enabled", func(c *Config) { c.EventLogFile.Enabled = true }},
		{"LoginEvent", "object/LoginEvent", "View Real-Time Event Monitoring Data", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "LoginEvent", TimestampField: "EventDate", PollInterval: time.Second, Backfill: time.Hour}}
		}},
		{"Account", "object/Account", "Read on Account", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "Account", TimestampField: "CreatedDate", PollInterval: time.Second, Backfill: time.Hour}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			sim := simulator.NewTestServer(t, simulator.Options{DeniedObjects: []string{tt.object}})
			cfg := simConfig(sim)
			tt.enable(cfg)
			host := newStatusHost()
			_, logs, stop := startObserved(t, cfg, host, zap.InfoLevel)
			defer stop()
			denied := permanentWith(t, host, logs, "Stream cannot read its object")
			assert.Equal(t, tt.stream, denied["stream"])
			assert.Equal(t, tt.needs, denied["needs"])
			assert.Contains(t, denied["fix"], strings.TrimSpace(strings.FieldsFunc(tt.needs, func(r rune) bool { return r == ',' || r == '(' })[0]))
			for _, ready := range logs.FilterMessage("Stream ready").All() {
				assert.NotEqual(t, tt.stream, ready.ContextMap()["stream"])
			}
			assert.Equal(t, 1, logs.FilterMessage("Connected to Salesforce").Len())
		})
	}
}

// An outage is recoverable and clears when Salesforce answers again.
func TestStatusRecoversAfterOutage(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{})
	// Every data call fails for a while: more than the client's retries.
	sim.InjectFault(simulator.Fault{Status: 503, ErrorCode: "SERVER_UNAVAILABLE", Message: "down for maintenance", Times: 12})
	host := newStatusHost()
	_, _, stop := startObserved(t, simConfig(sim), host, zap.InfoLevel)
	defer stop()
	require.Eventually(t, func() bool {
		for _, s := range host.statuses() {
			if s == componentstatus.StatusRecoverableError {
				return true
			}
		}
		return false
	}, 60*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return host.last() == componentstatus.StatusOK }, 60*time.Second, 10*time.Millisecond)
	assert.NotContains(t, host.statuses(), componentstatus.StatusPermanentError)
}

// The metrics against a run with known counts.
func TestMetricsMatchASimulatorRun(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{LoginHistoryRows: 300, SetupAuditTrailRows: 50, DailyLimit: 50_000})
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	set.ID = component.NewID(metadata.Type)
	s := sftest.NewSink()
	rcv, err := NewFactory().CreateLogs(context.Background(), set, simConfig(sim), s)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	waitDelivered(t, s, sim, bothStreams...)
	// Async gauges report while the receiver runs.
	defer func() { require.NoError(t, rcv.Shutdown(context.Background())) }()

	// The runner counts a page once ConsumeLogs returned, just after the
	// sink saw it: wait for the count to settle.
	require.Eventually(t, func() bool {
		m, err := tt.GetMetric("otelcol_receiver_salesforce_records_delivered")
		if err != nil {
			return false
		}
		got := map[string]int64{}
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			v, _ := dp.Attributes.Value("stream")
			got[v.AsString()] = dp.Value
		}
		return got["login_history"] == 300 && got["setup_audit_trail"] == 50
	}, 10*time.Second, 10*time.Millisecond)
	metadatatest.AssertEqualReceiverSalesforceRecordsDelivered(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("stream", "login_history")), Value: 300},
		{Attributes: attribute.NewSet(attribute.String("stream", "setup_audit_trail")), Value: 50},
	}, metricdatatestIgnore()...)

	// Every call the simulator charged shows up as an ok call (polls go
	// on meanwhile: read both at a quiet moment).
	require.Eventually(t, func() bool {
		before := len(sim.ChargeLog())
		time.Sleep(50 * time.Millisecond)
		return len(sim.ChargeLog()) == before
	}, 10*time.Second, time.Millisecond)
	calls, err := tt.GetMetric("otelcol_receiver_salesforce_api_calls")
	require.NoError(t, err)
	var ok int64
	for _, dp := range calls.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := dp.Attributes.Value("outcome"); v.AsString() == "ok" {
			ok += dp.Value
		}
	}
	assert.Equal(t, int64(len(sim.ChargeLog())), ok)

	_, limit := sim.Usage()
	metadatatest.AssertEqualReceiverSalesforceAPIMax(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("salesforce.org.id", simulator.DefaultOrgID)), Value: limit},
	}, metricdatatestIgnore()...)
	// The gauge shows the last reading: equal to the org's count once no
	// call is on its way (polls go on meanwhile).
	require.Eventually(t, func() bool {
		remaining, err := tt.GetMetric("otelcol_receiver_salesforce_api_remaining")
		require.NoError(t, err)
		used, limit := sim.Usage()
		return remaining.Data.(metricdata.Gauge[int64]).DataPoints[0].Value == limit-used
	}, 10*time.Second, 5*time.Millisecond)

	lag, err := tt.GetMetric("otelcol_receiver_salesforce_stream_lag")
	require.NoError(t, err)
	for _, dp := range lag.Data.(metricdata.Gauge[float64]).DataPoints {
		assert.Less(t, dp.Value, 72*3600.0, "caught up to the newest generated row")
		assert.GreaterOrEqual(t, dp.Value, 0.0)
	}
}

func metricdatatestIgnore() []metricdatatest.Option {
	return []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}
}

// Without Monitor Login History or Manage Users, Salesforce answers LoginHistory queries with the
// integration user's own logins only, and no error: the connection test
// notices and names the permission; an org that shows other users' logins
// gets no such line.
func TestConnectionTestNoticesOnlyOwnLoginHistory(t *testing.T) {
	for _, tt := range []struct {
		name string
		own  []string
		warn bool
	}{
		{"Monitor Login History granted", nil, false},
		{"without Monitor Login History", []string{"LoginHistory"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := simulator.NewTestServer(t, simulator.Options{OwnRowsOnly: tt.own})
			_, logs, stop := startObserved(t, simConfig(sim), newStatusHost(), zap.InfoLevel)
			defer stop()
			partial := streamLines(t, logs, 2)
			if !tt.warn {
				assert.Empty(t, partial)
				return
			}
			require.Len(t, partial, 1)
			ctx := partial[0].ContextMap()
			assert.Equal(t, "login_history", ctx["stream"])
			assert.Equal(t, "Monitor Login History (or Manage Users)", ctx["needs"])
			assert.Contains(t, ctx["why"], "only the integration user's own rows")
		})
	}
}

// Health follows the streams: each kind of stream is driven through a
// transient fault and back, and once records flow again the status is OK
// again (a subscription is one poll that never ends while it works, so
// its recovery is seen in its pages, not in a finished poll). Also the
// Pub/Sub endpoint refusing connections at start, as in make run before
// the simulator listens.
func TestStatusFollowsTheStreams(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{History: -1, PubSubKeepalive: time.Hour})
	cfg := simConfig(sim)
	cfg.SetupAuditTrail.Enabled = false
	cfg.PubSub.Endpoint = "127.0.0.1:1" // nothing listens yet
	cfg.PubSub.Topics = []TopicConfig{{Name: "/event/LoginEventStream", Replay: "latest"}}
	// The simulator's Pub/Sub port is known only once it listens: start
	// it on a port picked now, after the receiver failed to reach it.
	addr := sftest.FreeAddr(t)
	cfg.PubSub.Endpoint = addr
	host := newStatusHost()
	sink, _, stop := startObserved(t, cfg, host, zap.InfoLevel)
	defer stop()

	recoverable := func(from int) bool {
		return slices.Contains(host.statuses()[from:], componentstatus.StatusRecoverableError)
	}
	okWithin := func(what string, d time.Duration) {
		t.Helper()
		require.Eventually(t, func() bool { return host.last() == componentstatus.StatusOK }, d, 10*time.Millisecond,
			"%s: the status is back to OK (now %v)", what, host.last())
	}
	publishUntilDelivered := func(n int) {
		t.Helper()
		before := sink.Count()
		require.Eventually(t, func() bool {
			sim.Publish("/event/LoginEventStream", n)
			return sink.Count() > before
		}, 30*time.Second, 200*time.Millisecond)
	}

	// The endpoint is down at start.
	require.Eventually(t, func() bool { return recoverable(0) }, 15*time.Second, 10*time.Millisecond)
	_, err := sim.StartPubSub(addr)
	require.NoError(t, err)
	publishUntilDelivered(3)
	okWithin("Pub/Sub endpoint up", 30*time.Second)

	tests := []struct {
		name  string
		fault func()
	}{
		{"Pub/Sub UNAVAILABLE", func() {
			sim.InjectPubSubFault(simulator.PubSubFault{Code: codes.Unavailable, Times: 3})
			sim.Publish("/event/LoginEventStream", 1)
		}},
		{"Pub/Sub connection dropped", func() {
			sim.InjectPubSubFault(simulator.PubSubFault{Drop: true, Times: 2})
			sim.Publish("/event/LoginEventStream", 1)
		}},
		// TestStatusRecoversAfterOutage has an outage longer than the
		// client's retries.
		{"503s on the query", func() {
			sim.InjectFault(simulator.Fault{Path: "/query", Status: 503, Times: 4})
			sim.Arrive("LoginHistory", 5, time.Now())
		}},
	}
	for _, tc := range tests {
		from := len(host.statuses())
		tc.fault()
		require.Eventually(t, func() bool { return recoverable(from) }, 60*time.Second, 10*time.Millisecond, tc.name)
		sim.Arrive("LoginHistory", 2, time.Now())
		publishUntilDelivered(2)
		waitDelivered(t, sink, sim, "LoginHistory")
		okWithin(tc.name, 30*time.Second)
	}
	assert.NotContains(t, host.statuses(), componentstatus.StatusPermanentError)
}
