package salesforcereceiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/budget"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// monitor turns what the streams do into the receiver's own metrics and
// its component status. It implements stream.Observer.
type monitor struct {
	tb     *metadata.TelemetryBuilder
	logger *zap.Logger
	// authFix is named in the status when Salesforce refuses the credentials.
	authFix string

	mu        sync.Mutex
	host      component.Host
	eventTime map[string]time.Time // stream -> cursor event time
	budgets   map[string]*budget.Budget
	permanent error            // sticky: wrong credentials, permissions or config
	failing   map[string]error // stream -> its last transient failure
	status    componentstatus.Status
}

func newMonitor(set component.TelemetrySettings) (*monitor, error) {
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	m := &monitor{
		tb: tb, logger: set.Logger, eventTime: map[string]time.Time{},
		budgets: map[string]*budget.Budget{}, failing: map[string]error{},
		status: componentstatus.StatusStarting,
	}
	err = errors.Join(
		tb.RegisterReceiverSalesforceStreamLagCallback(func(_ context.Context, o metric.Float64Observer) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			for s, t := range m.eventTime {
				o.Observe(time.Since(t).Seconds(), metric.WithAttributes(attribute.String("stream", s)))
			}
			return nil
		}),
		tb.RegisterReceiverSalesforceAPIRemainingCallback(m.observeBudgets(func(st budget.Status) int64 { return st.Max - st.Used })),
		tb.RegisterReceiverSalesforceAPIMaxCallback(m.observeBudgets(func(st budget.Status) int64 { return st.Max })),
		tb.RegisterReceiverSalesforceAPIAppRemainingCallback(m.observeApps(func(a sfapi.AppUsage) int64 { return a.Max - a.Used })),
		tb.RegisterReceiverSalesforceAPIAppMaxCallback(m.observeApps(func(a sfapi.AppUsage) int64 { return a.Max })),
		tb.RegisterReceiverSalesforceAPIOwnCallsCallback(func(_ context.Context, o metric.Int64Observer) error {
			for org, st := range m.budgetStatuses() {
				if st.MaxCallsPerDay > 0 {
					o.Observe(st.OwnCalls, metric.WithAttributes(attribute.String("salesforce.org.id", org)))
				}
			}
			return nil
		}),
		tb.RegisterReceiverSalesforceBudgetHeldBackCallback(func(_ context.Context, o metric.Float64Observer) error {
			for org, st := range m.budgetStatuses() {
				o.Observe(st.HeldTotal.Seconds(), metric.WithAttributes(attribute.String("salesforce.org.id", org)))
			}
			return nil
		}),
	)
	if err != nil {
		tb.Shutdown()
		return nil, err
	}
	return m, nil
}

func (m *monitor) observeBudgets(value func(budget.Status) int64) metric.Int64Callback {
	return func(_ context.Context, o metric.Int64Observer) error {
		for org, st := range m.budgetStatuses() {
			if st.HaveReading {
				o.Observe(value(st), metric.WithAttributes(attribute.String("salesforce.org.id", org)))
			}
		}
		return nil
	}
}

// observeApps reports the connected app's quota of every org whose
// answers carry one.
func (m *monitor) observeApps(value func(sfapi.AppUsage) int64) metric.Int64Callback {
	return func(_ context.Context, o metric.Int64Observer) error {
		for org, st := range m.budgetStatuses() {
			if st.App != nil {
				o.Observe(value(*st.App), metric.WithAttributes(attribute.String("salesforce.org.id", org),
					attribute.String("app", st.App.Name)))
			}
		}
		return nil
	}
}

func (m *monitor) budgetStatuses() map[string]budget.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]budget.Status, len(m.budgets))
	for org, b := range m.budgets {
		out[org] = b.Status()
	}
	return out
}

func (m *monitor) addBudget(org string, b *budget.Budget) {
	m.mu.Lock()
	m.budgets[org] = b
	m.mu.Unlock()
}

func (m *monitor) shutdown() { m.tb.Shutdown() }

func streamAttr(stream string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("stream", stream))
}

// apiCall counts one Salesforce request (sfapi.Config.OnCall). Failed
// attempts make the status recoverable at once, before the client's
// retries run out; the next good answer clears it.
func (m *monitor) apiCall(stream, outcome string) {
	m.tb.ReceiverSalesforceAPICalls.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String("stream", stream), attribute.String("outcome", outcome)))
	switch outcome {
	case "ok":
		m.mu.Lock()
		m.clearLocked(apiKey, connectionKey)
		m.mu.Unlock()
	case "server_error", "network_error":
		m.mu.Lock()
		m.failing[apiKey] = errors.New("salesforce answers with errors: " + outcome + " (" + stream + ")")
		m.reportLocked()
		m.mu.Unlock()
	}
}

// Keys of failures that are not a stream's own: failing requests, and a
// connection test that could not reach Salesforce. The next good answer
// clears both.
const (
	apiKey        = "salesforce api"
	connectionKey = "connection"
)

// clearLocked forgets the failures under keys and reports the status if
// that changed it.
func (m *monitor) clearLocked(keys ...string) {
	n := len(m.failing)
	for _, k := range keys {
		delete(m.failing, k)
	}
	if len(m.failing) != n {
		m.reportLocked()
	}
}

// Working implements stream.Observer: a page went through, so the
// stream's last failure is over.
func (m *monitor) Working(stream string) {
	m.mu.Lock()
	m.clearLocked(stream)
	m.mu.Unlock()
}

// Delivered implements stream.Observer.
func (m *monitor) Delivered(stream string, records int) {
	m.tb.ReceiverSalesforceRecordsDelivered.Add(context.Background(), int64(records), streamAttr(stream))
}

// Downloaded implements eventlog.Observer.
func (m *monitor) Downloaded(bytes int64, complete bool) {
	ctx := context.Background()
	m.tb.ReceiverSalesforceBytesDownloaded.Add(ctx, bytes)
	if complete {
		m.tb.ReceiverSalesforceFilesDownloaded.Add(ctx, 1)
	}
}

// ParseError implements eventlog.Observer.
func (m *monitor) ParseError(stream string) {
	m.tb.ReceiverSalesforceParseErrors.Add(context.Background(), 1, streamAttr(stream))
}

// EventsReceived implements pubsub.Observer.
func (m *monitor) EventsReceived(stream string, n int) {
	m.tb.ReceiverSalesforcePubsubEventsReceived.Add(context.Background(), int64(n), streamAttr(stream))
}

// Reconnected implements pubsub.Observer.
func (m *monitor) Reconnected(stream, cause string) {
	m.tb.ReceiverSalesforcePubsubReconnects.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String("stream", stream), attribute.String("cause", cause)))
}

// Gap implements pubsub.Observer.
func (m *monitor) Gap(stream string) {
	m.tb.ReceiverSalesforcePubsubGaps.Add(context.Background(), 1, streamAttr(stream))
}

// Advanced implements stream.Observer.
func (m *monitor) Advanced(stream string, eventTime time.Time) {
	m.mu.Lock()
	m.eventTime[stream] = eventTime
	m.mu.Unlock()
}

// PollDone implements stream.Observer: a failing stream makes the
// receiver's status recoverable until it passes again; a failure no retry
// can fix makes it permanent.
func (m *monitor) PollDone(stream string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err == nil:
		delete(m.failing, stream)
	case isPermanent(err):
		if m.permanent == nil {
			m.permanent = err
			if sfapi.Classify(err) == sfapi.ClassAuth && m.authFix != "" {
				m.permanent = fmt.Errorf("%w; fix: %s", err, m.authFix)
			}
		}
	default:
		m.failing[stream] = err
	}
	m.reportLocked()
}

// standby forgets the streams' transient failures once they stopped on a
// lost lease: a standby replica is healthy unless something permanent is
// wrong (credentials, permissions), and the next leader reports its own.
func (m *monitor) standby() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.failing)
	m.reportLocked()
}

// fail records a failure found outside a poll (the connection test); a
// transient one lasts until Salesforce answers a call again.
func (m *monitor) fail(err error) {
	m.PollDone(connectionKey, err)
}

func (m *monitor) setHost(h component.Host) {
	m.mu.Lock()
	m.host = h
	m.mu.Unlock()
}

func (m *monitor) reportLocked() {
	var ev *componentstatus.Event
	switch {
	case m.permanent != nil:
		if m.status == componentstatus.StatusPermanentError {
			return
		}
		ev = componentstatus.NewPermanentErrorEvent(m.permanent)
	case len(m.failing) > 0:
		if m.status == componentstatus.StatusRecoverableError {
			return
		}
		var first error
		for _, err := range m.failing {
			first = err
			break
		}
		ev = componentstatus.NewRecoverableErrorEvent(first)
	default:
		if m.status == componentstatus.StatusOK {
			return
		}
		ev = componentstatus.NewEvent(componentstatus.StatusOK)
	}
	m.status = ev.Status()
	if m.host != nil {
		componentstatus.ReportStatus(m.host, ev)
	}
}

// isPermanent tells failures that retrying cannot fix: rejected
// credentials, missing permissions, configuration Salesforce refuses.
func isPermanent(err error) bool { return sfapi.Classify(err).Permanent() }
