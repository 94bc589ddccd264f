package salesforcereceiver

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/budget"
	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/eventlog"
	"github.com/sfevents/salesforcereceiver/internal/eventlogobjects"
	"github.com/sfevents/salesforcereceiver/internal/inventory"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/pubsub"
	"github.com/sfevents/salesforcereceiver/internal/schema"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/soqlstream"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

type salesforceReceiver struct {
	set  receiver.Settings
	cfg  *Config
	next consumer.Logs

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	storage storage.Client

	monitor *monitor
	streams streams
	// obs reports deliveries as the collector's standard receiver metrics.
	obs *receiverhelper.ObsReport

	mu sync.Mutex
	// leaveBudgets withdraws this receiver from the shared per-org
	// budgets and sign-ins it joined.
	leaveBudgets []func()
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*salesforceReceiver, error) {
	m, err := newMonitor(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	m.authFix = cfg.Auth.Flow.Fix()
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "https", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &salesforceReceiver{set: set, cfg: cfg, next: next, monitor: m, obs: obs}, nil
}

// Start wires config to streams and returns at once: tokens are fetched
// and streams polled in the background, so a slow or unreachable org never
// holds up the collector.
func (r *salesforceReceiver) Start(ctx context.Context, host component.Host) error {
	logger := r.set.Logger
	r.monitor.setHost(host)
	elector, err := r.findElector(host)
	if err != nil {
		return err
	}
	// The store first: the API budget keeps its own-call count there.
	store, err := r.openStore(ctx, host)
	if err != nil {
		return err
	}
	client, err := r.newClient(ctx, host, store)
	if err != nil {
		return err
	}
	if r.cfg.Auth.Flow == auth.FlowPassword {
		logger.Warn("The username-password OAuth flow is on its way out: orgs created since Summer '23 block it until an admin allows it (Setup, OAuth and OpenID Connect Settings, Allow OAuth Username-Password Flows), External Client Apps never offer it, and Salesforce is retiring it for connected apps; move to jwt_bearer or client_credentials",
			zap.String("refused_as", "invalid_grant: authentication failure, the same answer as a wrong password"))
	}

	mapper, err := schema.New(r.cfg.Schema)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	w := &wiring{r: r, client: client, store: store}
	if mapper != nil {
		w.mapRecords = mapper.Map
	}
	// userID is the integration user's: LoginHistory and OauthToken show
	// a user without the right permission only their own rows.
	userID := func(ctx context.Context) (string, error) {
		s, err := client.Session(ctx)
		return s.UserID, err
	}
	soql := func(backfill time.Duration) soqlstream.Options {
		return soqlstream.Options{Backfill: backfill, Overlap: soqlstream.DefaultOverlap, APIVersion: r.cfg.APIVersion, Logger: logger,
			UserID: userID}
	}
	for _, s := range []struct {
		on   StreamConfig
		spec soqlstream.Spec
	}{{r.cfg.LoginHistory, soqlstream.LoginHistory}, {r.cfg.SetupAuditTrail, soqlstream.SetupAuditTrail}} {
		if s.on.Enabled {
			run(w, s.spec.Stream, s.on.PollInterval, soqlstream.New(client, s.spec, soql(s.on.Backfill)))
		}
	}
	if c := r.cfg.EventLogFile; c.Enabled {
		run(w, eventlog.Descriptor, c.PollInterval, eventlog.New(client, eventlog.Options{
			LogInterval: c.LogInterval, EventTypes: c.EventTypes, Backfill: c.Backfill,
			APIVersion: r.cfg.APIVersion, Logger: logger, Observer: r.monitor,
		}))
	}
	for _, o := range r.cfg.Objects {
		run(w, objects.Descriptor(o.Name, o.TimestampField), o.PollInterval, objects.New(client, objects.Config{
			Name: o.Name, TimestampField: o.TimestampField, Fields: o.Fields, Where: o.Where,
		}, objects.Options{Backfill: o.Backfill, APIVersion: r.cfg.APIVersion, Logger: logger}))
	}
	if c := r.cfg.EventLogObjects; c.Enabled {
		run(w, eventlogobjects.Descriptor, c.PollInterval, eventlogobjects.New(client, eventlogobjects.Options{
			Objects: c.Objects, Backfill: c.Backfill, APIVersion: r.cfg.APIVersion, Logger: logger,
		}))
	}
	if c := r.cfg.Inventory; c.Enabled {
		src := inventory.New(client, inventory.Options{
			Parts: c.Include, SnapshotEvery: c.SnapshotInterval, Permissions: c.PrivilegedPermissions,
			APIVersion: r.cfg.APIVersion, Logger: logger, UserID: userID,
		})
		launch(w, inventory.Descriptor, c.PollInterval, src)
		for _, ck := range src.Checks() { // one line per object
			w.checks = append(w.checks, streamCheck{stream: ck.Stream, checker: ck})
		}
	}
	if ps := r.cfg.PubSub; len(ps.Topics) > 0 {
		tlsCfg, err := r.cfg.TLS.LoadTLSConfig(ctx)
		if err != nil {
			cancel()
			return fmt.Errorf("tls: %w", err)
		}
		conn, err := pubsub.Dial(pubsub.ConnConfig{Endpoint: ps.Endpoint, TLS: tlsCfg}, client)
		if err != nil {
			cancel()
			return fmt.Errorf("pubsub.endpoint: %w", err)
		}
		r.wg.Go(func() { <-runCtx.Done(); _ = conn.Close() })
		gaps := &pubsub.BigObjectGaps{Client: client, APIVersion: r.cfg.APIVersion, Logger: logger}
		for _, t := range ps.Topics {
			src := pubsub.New(conn, pubsub.Topic{Name: t.Name, Replay: t.Replay}, pubsub.Options{BatchSize: ps.BatchSize, Gap: gaps, Observer: r.monitor, Logger: logger})
			run(w, src.Descriptor(), time.Second, src) // a stream, not a poll: the interval paces reconnects
		}
	}
	r.wg.Go(func() { r.checkConnection(runCtx, client, w.checks) })
	if elector == nil {
		r.streams.start(runCtx, nil)
	} else {
		if r.cfg.Storage.Type().String() == "file_storage" {
			logger.Warn("k8s_leader_elector with file_storage: the cursors are this replica's own, so a new leader reads again what another delivered; use a storage every replica reaches (redis_storage, db_storage)",
				zap.String("storage", r.cfg.Storage.String()))
		}
		// Last: the elector may call back at once when this replica leads.
		r.follow(runCtx, elector)
	}
	return nil
}

// wiring is what every stream of a receiver shares.
type wiring struct {
	r      *salesforceReceiver
	client *sfapi.Client
	store  *checkpoint.Store
	checks []streamCheck
	// mapRecords maps each page to the configured schema (nil: none).
	mapRecords func(plog.Logs)
}

// checkedSource is a stream's source, which can also try its query.
type checkedSource[C any] interface {
	stream.Source[C]
	stream.Checker
}

// run adds one stream to the receiver's streams and enrolls it in the
// connection test. Each start gets a new runner, which loads the stored
// cursor: after a change of leader it is where the other replica left it.
func run[C any](w *wiring, d stream.Descriptor, interval time.Duration, src checkedSource[C]) {
	w.checks = append(w.checks, streamCheck{stream: d, checker: src})
	launch(w, d, interval, src)
}

// launch adds one stream to the receiver's streams; its connection test is
// the caller's to enroll.
func launch[C any](w *wiring, d stream.Descriptor, interval time.Duration, src stream.Source[C]) {
	w.r.streams.launches = append(w.r.streams.launches, func(ctx context.Context) {
		runner := &stream.Runner[C]{
			Stream: d, Interval: interval, Source: src,
			Consumer: w.r.next, Store: w.store, Org: w.client.Org,
			Logger: w.r.set.Logger, Observer: w.r.monitor, Obs: w.r.obs,
			Map: w.mapRecords,
		}
		runner.Run(ctx)
	})
}

// Shutdown stops every stream, waits for in-flight pages to settle and
// closes the checkpoint storage.
func (r *salesforceReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
	}
	done := make(chan struct{})
	go func() { r.streams.close(); r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	r.mu.Lock()
	for _, leave := range r.leaveBudgets {
		leave()
	}
	r.leaveBudgets = nil
	r.mu.Unlock()
	r.monitor.shutdown()
	if r.storage != nil {
		return r.storage.Close(ctx)
	}
	return nil
}

func (r *salesforceReceiver) newClient(ctx context.Context, host component.Host, store *checkpoint.Store) (*sfapi.Client, error) {
	httpCfg := confighttp.NewDefaultClientConfig()
	httpCfg.TLS = r.cfg.TLS
	httpCfg.ProxyURL = r.cfg.ProxyURL
	// Config.Validate checks the proxy URL the same way; confighttp's own
	// error would quote it, password and all.
	if err := checkProxyURL(r.cfg.ProxyURL); err != nil {
		return nil, err
	}
	httpClient, err := httpCfg.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	// The same auth.Config, and the same field names, as Config.Validate.
	a := &r.cfg.Auth
	ac, err := a.authConfig(r.cfg.LoginURL)
	if err != nil {
		return nil, err
	}
	ac.HTTPClient = httpClient
	// One sign-in per set of credentials, shared by every stream and
	// every receiver using them, paced after refusals (auth.Guard).
	tokens, leave, err := auth.Shared.Get(ac, r.set.Logger)
	if err != nil {
		return nil, a.authError(err)
	}
	r.mu.Lock()
	r.leaveBudgets = append(r.leaveBudgets, leave)
	r.mu.Unlock()
	return sfapi.New(sfapi.Config{
		HTTPClient: httpClient,
		Tokens:     tokens,
		APIVersion: r.cfg.APIVersion,
		Timeout:    r.cfg.Timeout,
		Logger:     r.set.Logger,
		OnCall:     r.monitor.apiCall,
		BudgetFor: func(orgID string, probe func(context.Context) error) sfapi.Budget {
			b, leave := budget.Shared.For(orgID, budget.Settings{
				ReservePercent: r.cfg.APIBudget.ReservePercent,
				ProbeInterval:  r.cfg.APIBudget.ProbeInterval,
				MaxConcurrent:  r.cfg.APIBudget.MaxConcurrent,
				MaxCallsPerDay: r.maxCallsPerDay(),
				Ledger:         store,
				Logger:         r.set.Logger,
			})
			b.SetProber(probe)
			r.mu.Lock()
			r.leaveBudgets = append(r.leaveBudgets, leave)
			r.mu.Unlock()
			r.monitor.addBudget(orgID, b)
			return b
		},
	})
}

// maxCallsPerDay is api_budget.max_calls_per_day, 0 when unset.
func (r *salesforceReceiver) maxCallsPerDay() int64 {
	if c := r.cfg.APIBudget.MaxCallsPerDay; c != nil {
		return *c
	}
	return 0
}

// privateKey returns the jwt_bearer key from private_key or private_key_file
// (exactly one must be set); its error names the setting and never holds the key.
func (a *AuthConfig) privateKey() ([]byte, error) {
	if a.Flow != auth.FlowJWTBearer {
		return nil, nil
	}
	if (a.PrivateKeyFile == "") == (a.PrivateKey == "") {
		return nil, fmt.Errorf("auth.private_key_file: set exactly one of private_key_file and private_key for flow %s", a.Flow)
	}
	if a.PrivateKey != "" {
		return []byte(a.PrivateKey), nil
	}
	b, err := os.ReadFile(a.PrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("auth.private_key_file: %w", err)
	}
	return b, nil
}

func (r *salesforceReceiver) openStore(ctx context.Context, host component.Host) (*checkpoint.Store, error) {
	if r.cfg.Storage == nil {
		r.set.Logger.Info("No storage extension configured: cursors live in memory and a restart backfills again")
		return checkpoint.New(nil), nil
	}
	ext, ok := host.GetExtensions()[*r.cfg.Storage]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not configured", r.cfg.Storage)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", r.cfg.Storage)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, r.set.ID, "")
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	r.storage = client
	return checkpoint.New(client), nil
}
