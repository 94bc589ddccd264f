package simulator

import (
	"context"
	"crypto/rsa"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/pubsub"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/rest"
)

// Defaults for Options fields left zero.
const (
	DefaultOrgID         = org.DefaultOrgID
	DefaultUserID        = "0055g0000SimUsrAQE"
	DefaultAPIVersion    = org.DefaultAPIVersion
	DefaultDailyLimit    = 100000
	DefaultClientID      = "sfsim-client-id"
	DefaultClientSecret  = "sfsim-client-secret"
	DefaultUsername      = "integration@sfsim.example.com"
	DefaultPassword      = "sfsim-password"
	DefaultSecurityToken = "sfsimSecurityToken"
	DefaultRefreshToken  = "sfsim-refresh-token"
	DefaultAudience      = "https://login.salesforce.com"
)

// Options configure a simulated org. Zero fields take the defaults above.
type Options struct {
	OrgID  string
	UserID string // the integration user every token acts as
	// APIVersion is the newest version the org serves: it serves every
	// version from 20.0 up to it, lists them at GET /services/data/ and
	// answers 404 NOT_FOUND under a /services/data/vNN.N/ outside that
	// range (an org on an older release, or a client asking for a version
	// that does not exist yet).
	APIVersion string
	DailyLimit int64 // DailyApiRequests max
	// NoLimitHeader leaves Sforce-Limit-Info out of every answer, as a
	// proxy that drops unknown headers would: /limits is then the only
	// reading of the org's usage.
	NoLimitHeader bool
	// AppQuota, when > 0, gives the connected app a quota of its own (a
	// pilot Salesforce documents in the Limit Info header): every answer's
	// header carries per-app-api-usage, /limits an entry for AppName, and
	// calls past it are refused. AppName defaults to "sfsim-connected-app".
	AppQuota int64
	AppName  string

	// Credentials the token endpoint accepts.
	ClientID, ClientSecret, Username, Password, SecurityToken, RefreshToken string
	JWTPublicKey                                                            *rsa.PublicKey // nil: jwt_bearer rejected
	Audience                                                                string         // accepted JWT aud

	Now  func() time.Time
	Seed int64

	// Generated history before Now. Negative values mean none.
	History                               time.Duration // default 72h
	LoginHistoryRows, SetupAuditTrailRows int           // defaults 500 and 200
	// SameTimestampRuns: some timestamps are shared by runs of 2..30 records.
	// A bool cannot default to true, so New(Options{}) leaves it off and
	// Defaults() turns it on.
	SameTimestampRuns bool
	// ArrivalEvery: when > 0, a running server (Start or NewTestServer) adds
	// new rows on this tick.
	ArrivalEvery time.Duration
	// DeniedObjects are objects the integration user may not read: as in
	// Salesforce, queries on them answer INVALID_TYPE.
	DeniedObjects []string
	// OwnRowsOnly are objects of which the integration user sees only its
	// own rows (the UserId field): LoginHistory without Manage Users,
	// OauthToken without Customize Application. As in Salesforce, nothing
	// says so; the rows are just fewer.
	OwnRowsOnly []string
	// HiddenFields maps an object name to fields field-level security hides
	// from the integration user (names case-insensitive). As in Salesforce,
	// a hidden field does not exist for the user: describe omits it and SOQL
	// naming it answers INVALID_FIELD "No such column". See also HideField.
	HiddenFields map[string][]string
	// LockoutAfter locks the integration user after that many consecutive
	// failed password logins (0: never); see Unlock.
	LockoutAfter int
	// PasswordFlowBlocked refuses every password grant, as orgs created
	// since Summer '23 do until an admin turns on "Allow OAuth
	// Username-Password Flows" (Setup, OAuth and OpenID Connect Settings):
	// 400 invalid_grant "authentication failure", the same answer as a
	// wrong password, with the reason only in Login History.
	PasswordFlowBlocked bool
	// NoLoginHistory stops token requests from adding LoginHistory rows
	// (by default every password or jwt_bearer token request naming a user
	// of the org adds one, as in Salesforce).
	NoLoginHistory bool
	// DownloadBytesPerSecond caps how fast each LogFile download is served
	// (0: as fast as the client reads). Real orgs serve log files at the
	// network's pace, far below a loopback's; see SetDownloadRate.
	DownloadBytesPerSecond int64

	// EventLogObjectRows: rows generated per Event Log Object (by name,
	// see EventLogObjects) over History; none by default.
	EventLogObjectRows map[string]int
	// EventLogObjectDelay is how long after its Timestamp an Event Log
	// Object row becomes queryable: 0 (the default) a random 25 to 45
	// minutes per row, as Salesforce documents; NoEventLogObjectDelay
	// (negative) at once; a positive value exactly that.
	EventLogObjectDelay time.Duration

	// Incidents are injected at New, at Now (see Inject and IncidentNames).
	// The inventory's (InventoryIncident) are then part of the org's first
	// picture: inject them with Inject after a collector's first reading.
	Incidents []string

	// The Pub/Sub API (simulator/pubsub). PubSub makes NewTestServer also serve it
	// on a loopback port (PubSubAddr); otherwise StartPubSub does.
	PubSub bool
	// DeniedTopics are topics the integration user may not subscribe to:
	// GetTopic says can_subscribe false, Subscribe answers PERMISSION_DENIED.
	DeniedTopics []string
	// PublishEvery: when > 0, a server serving Pub/Sub publishes
	// LoginEventStream events (and their LoginEvent rows) on this tick.
	PublishEvery time.Duration
	// PubSubKeepalive (default 270s) is how often a Subscribe stream with
	// requests pending and no events gets an empty FetchResponse;
	// PubSubIdleTimeout (default 60s) how long a stream with nothing pending
	// waits for a FetchRequest before it closes (status OK);
	// PubSubRetention (default 72h) how long events stay replayable.
	PubSubKeepalive, PubSubIdleTimeout, PubSubRetention time.Duration
}

// Defaults returns the default options, with SameTimestampRuns on.
func Defaults() Options {
	o := Options{SameTimestampRuns: true}
	return o.withDefaults()
}

func (o Options) withDefaults() Options {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.OrgID, DefaultOrgID)
	def(&o.UserID, DefaultUserID)
	def(&o.APIVersion, DefaultAPIVersion)
	def(&o.ClientID, DefaultClientID)
	def(&o.ClientSecret, DefaultClientSecret)
	def(&o.Username, DefaultUsername)
	def(&o.Password, DefaultPassword)
	def(&o.SecurityToken, DefaultSecurityToken)
	def(&o.RefreshToken, DefaultRefreshToken)
	def(&o.Audience, DefaultAudience)
	def(&o.AppName, "sfsim-connected-app")
	if o.DailyLimit == 0 {
		o.DailyLimit = DefaultDailyLimit
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.History == 0 {
		o.History = 72 * time.Hour
	}
	if o.LoginHistoryRows == 0 {
		o.LoginHistoryRows = 500
	}
	if o.SetupAuditTrailRows == 0 {
		o.SetupAuditTrailRows = 200
	}
	if o.PubSubKeepalive <= 0 {
		o.PubSubKeepalive = DefaultPubSubKeepalive
	}
	if o.PubSubIdleTimeout <= 0 {
		o.PubSubIdleTimeout = DefaultPubSubIdleTimeout
	}
	if o.PubSubRetention <= 0 {
		o.PubSubRetention = DefaultPubSubRetention
	}
	return o
}

// Server is a simulated org; it is an http.Handler safe for concurrent use.
type Server struct {
	opts Options
	org  *org.Org       // the org's data (simulator/org)
	rest *rest.Server   // the REST API and the token endpoint (simulator/rest)
	ps   *pubsub.Server // the Pub/Sub API (simulator/pubsub)

	urlMu   sync.RWMutex
	url     string
	closers []func()
}

// New builds an org and generates its history, deterministically from Seed.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	if v, ok := org.ParseAPIVersion(opts.APIVersion); !ok || v.Compare(rest.OldestAPIVersion) < 0 {
		panic("simulator: APIVersion " + strconv.Quote(opts.APIVersion) + " is not a version (NN.N) of at least " + rest.OldestAPIVersion.String())
	}
	s := &Server{opts: opts}
	s.org = org.New(org.Config{
		OrgID: opts.OrgID, UserID: opts.UserID, Username: opts.Username, APIVersion: opts.APIVersion,
		Now: opts.Now, Seed: opts.Seed,
		History: opts.History, LoginHistoryRows: opts.LoginHistoryRows, SetupAuditTrailRows: opts.SetupAuditTrailRows,
		SameTimestampRuns: opts.SameTimestampRuns, HiddenFields: opts.HiddenFields,
		EventLogObjectRows: opts.EventLogObjectRows, EventLogObjectDelay: opts.EventLogObjectDelay,
		Incidents: opts.Incidents,
	})
	s.rest = rest.New(rest.Config{
		OrgID: opts.OrgID, UserID: opts.UserID, APIVersion: opts.APIVersion,
		DailyLimit: opts.DailyLimit, NoLimitHeader: opts.NoLimitHeader, AppQuota: opts.AppQuota, AppName: opts.AppName,
		ClientID: opts.ClientID, ClientSecret: opts.ClientSecret, Username: opts.Username, Password: opts.Password,
		SecurityToken: opts.SecurityToken, RefreshToken: opts.RefreshToken, JWTPublicKey: opts.JWTPublicKey, Audience: opts.Audience,
		Now: opts.Now, DeniedObjects: opts.DeniedObjects, OwnRowsOnly: opts.OwnRowsOnly,
		LockoutAfter: opts.LockoutAfter, PasswordFlowBlocked: opts.PasswordFlowBlocked, NoLoginHistory: opts.NoLoginHistory,
		DownloadBytesPerSecond: opts.DownloadBytesPerSecond,
		URL:                    s.URL,
		SessionsExpired:        func() { s.ps.AuthChanged() }, // open Subscribe streams end UNAUTHENTICATED
	}, s.org)
	s.ps = pubsub.New(pubsub.Config{
		OrgID: opts.OrgID, Seed: opts.Seed, Now: opts.Now, DeniedTopics: opts.DeniedTopics,
		Keepalive: opts.PubSubKeepalive, IdleTimeout: opts.PubSubIdleTimeout, Retention: opts.PubSubRetention,
		ValidToken: s.rest.ValidToken, InstanceURL: s.URL,
	}, s.org)
	return s
}

// NewTestServer serves a new org on a loopback httptest server that
// t.Cleanup closes.
func NewTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	ts := httptest.NewUnstartedServer(s)
	// The URL must be known before the first request (instance_url).
	s.setURL("http://" + ts.Listener.Addr().String())
	ts.Start()
	s.addCloser(ts.Close)
	s.startArrivals()
	t.Cleanup(s.Close)
	if opts.PubSub {
		if _, err := s.StartPubSub("127.0.0.1:0"); err != nil {
			t.Fatalf("simulator: Pub/Sub API: %v", err)
		}
	}
	return s
}

// Start serves the org on addr (e.g. 127.0.0.1:8443) until Close.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.setURL("http://" + ln.Addr().String())
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	s.addCloser(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	})
	s.startArrivals()
	return nil
}

// Close stops the listener and the arrival ticker started by Start or
// NewTestServer. It is safe to call more than once.
func (s *Server) Close() {
	s.urlMu.Lock()
	cl := s.closers
	s.closers = nil
	s.urlMu.Unlock()
	for i := len(cl) - 1; i >= 0; i-- {
		cl[i]()
	}
}

func (s *Server) addCloser(f func()) {
	s.urlMu.Lock()
	s.closers = append(s.closers, f)
	s.urlMu.Unlock()
}

func (s *Server) startArrivals() {
	s.every(s.opts.ArrivalEvery, s.org.Tick)
}

// every runs tick every d (never when d <= 0) until the server closes.
func (s *Server) every(d time.Duration, tick func()) {
	if d <= 0 {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(d)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				tick()
			}
		}
	}()
	s.addCloser(func() { close(stop); <-done })
}

// URL is the base URL the server is reachable at ("" for a bare handler).
func (s *Server) URL() string {
	s.urlMu.RLock()
	defer s.urlMu.RUnlock()
	return s.url
}

func (s *Server) setURL(u string) {
	s.urlMu.Lock()
	s.url = u
	s.urlMu.Unlock()
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }
