// Package simulator is a stand-in Salesforce org for tests and demos: the
// OAuth token endpoint, the REST query API with query locators, the limits
// resource and API-usage accounting, over a generic record store with a
// SOQL subset, plus fault injection.
package simulator

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/pubsub"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/soql"
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
	// own rows (the UserId field): LoginHistory without Manage Users. As in
	// Salesforce, nothing says so; the rows are just fewer.
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
	org  *org.Org // the org's data

	locMu    sync.Mutex // guards locators
	locators map[string]*locator
	locSeq   uint64

	authMu sync.Mutex
	tokens map[string]struct{}

	faultMu sync.Mutex
	faults  []*Fault

	loginMu sync.Mutex
	login   loginState // logins.go

	downloadRate atomic.Int64 // bytes/s per LogFile download, 0: unpaced

	statsMu   sync.Mutex
	used      int64
	appUsed   int64
	calls     CallStats
	chargeLog []ChargedCall

	urlMu   sync.RWMutex
	url     string
	closers []func()

	ps *pubsub.Server // the Pub/Sub API
}

// New builds an org and generates its history, deterministically from Seed.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	if v, ok := org.ParseAPIVersion(opts.APIVersion); !ok || v.Compare(oldestAPIVersion) < 0 {
		panic("simulator: APIVersion " + strconv.Quote(opts.APIVersion) + " is not a version (NN.N) of at least " + oldestAPIVersion.String())
	}
	s := &Server{
		opts:     opts,
		locators: map[string]*locator{},
		tokens:   map[string]struct{}{},
	}
	s.downloadRate.Store(opts.DownloadBytesPerSecond)
	s.org = org.New(org.Config{
		OrgID: opts.OrgID, UserID: opts.UserID, Username: opts.Username, APIVersion: opts.APIVersion,
		Now: opts.Now, Seed: opts.Seed,
		History: opts.History, LoginHistoryRows: opts.LoginHistoryRows, SetupAuditTrailRows: opts.SetupAuditTrailRows,
		SameTimestampRuns: opts.SameTimestampRuns, HiddenFields: opts.HiddenFields,
		EventLogObjectRows: opts.EventLogObjectRows, EventLogObjectDelay: opts.EventLogObjectDelay,
		Incidents: opts.Incidents,
	})
	s.ps = pubsub.New(pubsub.Config{
		OrgID: opts.OrgID, Seed: opts.Seed, Now: opts.Now, DeniedTopics: opts.DeniedTopics,
		Keepalive: opts.PubSubKeepalive, IdleTimeout: opts.PubSubIdleTimeout, Retention: opts.PubSubRetention,
		ValidToken: s.validToken, InstanceURL: s.URL,
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

// baseURL falls back to the request's host when used as a bare handler.
func (s *Server) baseURL(r *http.Request) string {
	if u := s.URL(); u != "" {
		return u
	}
	return "http://" + r.Host
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// ---- HTTP ----

var dataPathRe = regexp.MustCompile(`^/services/data/v(\d+\.\d)(/.*)?$`)

// statusWriter remembers the status for Calls; Unwrap keeps Hijack/Flush
// reachable through http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.countStatus(sw.status) }()
	path := r.URL.Path
	switch {
	case path == "/services/oauth2/token":
		s.count(func(c *CallStats) { c.Token++ })
		serve := func(w http.ResponseWriter) { s.handleToken(w, r) }
		if f := s.takeFault(r, false); f != nil && s.applyFault(sw, r, f, serve) {
			return
		}
		serve(sw)
	case path == "/services/data" || path == "/services/data/":
		// The Versions resource needs no session and is not an API call.
		s.count(func(c *CallStats) { c.Versions++ })
		serve := func(w http.ResponseWriter) { s.handleVersions(w, r) }
		if f := s.takeFault(r, false); f != nil && s.applyFault(sw, r, f, serve) {
			return
		}
		serve(sw)
	case strings.HasPrefix(path, "/id/"):
		s.handleIdentity(sw, r)
	case path == "/services/data" || strings.HasPrefix(path, "/services/data/"):
		s.handleData(sw, r)
	default:
		writeJSON(sw, http.StatusNotFound, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
	}
}

func (s *Server) handleData(w http.ResponseWriter, r *http.Request) {
	m := dataPathRe.FindStringSubmatch(r.URL.Path)
	ver, rest := "", ""
	if m != nil {
		ver, rest = m[1], strings.TrimSuffix(m[2], "/")
	}
	s.count(func(c *CallStats) {
		c.Total++
		switch {
		case rest == "/limits":
			c.Limits++
		case rest == "/query" || rest == "/queryAll":
			c.Query++
		case strings.HasPrefix(rest, "/query/") || strings.HasPrefix(rest, "/queryAll/"):
			c.QueryMore++
		default:
			c.Other++
		}
	})
	if !s.validToken(bearer(r)) {
		s.setLimitHeader(w)
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if ver != "" && !s.servesVersion(ver) {
		// Not charged: the org has no such resource.
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if refusal := s.charge(r.URL.Path); refusal != "" {
		s.setLimitHeader(w)
		writeErrors(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", refusal)
		return
	}
	serve := func(w http.ResponseWriter) {
		s.setLimitHeader(w)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,HEAD")
			return
		}
		s.route(w, r, ver, rest)
	}
	if f := s.takeFault(r, true); f != nil && s.applyFault(w, r, f, serve) {
		return
	}
	serve(w)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, ver, rest string) {
	switch {
	case ver == "":
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	case rest == "/limits":
		s.handleLimits(w)
	case rest == "/query" || rest == "/queryAll":
		s.handleQuery(w, r, ver)
	case strings.HasPrefix(rest, "/query/") || strings.HasPrefix(rest, "/queryAll/"):
		s.handleQueryMore(w, ver, rest[strings.LastIndexByte(rest, '/')+1:])
	case rest == "/sobjects":
		s.handleDescribeGlobal(w, ver)
	case strings.HasPrefix(rest, "/sobjects/") && strings.HasSuffix(rest, "/describe") && strings.Count(rest, "/") == 3:
		s.handleDescribe(w, ver, strings.Split(rest, "/")[2])
	case isLogFilePath(rest): // elf.go
		s.handleLogFile(w, r, rest)
	case strings.HasPrefix(rest, "/sobjects/"):
		s.handleSObject(w, ver, strings.Split(strings.TrimPrefix(rest, "/sobjects/"), "/"))
	default:
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

// ---- query ----

// locator is a snapshot of a query result, as Salesforce's query cursor:
// later pages come from it even while records arrive.
type locator struct {
	sel      selection
	rows     []*org.Row
	batch    int
	ver      string
	seq      uint64 // creation order, to break ties of lastUsed
	created  time.Time
	lastUsed time.Time
}

// How long a query locator lives (App Limits Cheatsheet, "API Query Cursor
// Limits":
// https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-apicursors.html;
// help 000384958): since API 56.0, two days after the query ran, with no
// limit on open cursors; before, 15 minutes without use, and at most 10
// per user.
const (
	locatorLife     = 48 * time.Hour
	locatorIdleOld  = 15 * time.Minute
	locatorsPerUser = 10
	// maxLocators bounds the simulator's own memory, not Salesforce's rule.
	maxLocators = 1000
)

// expired says whether l is gone at now.
func (l *locator) expired(now time.Time) bool {
	if v, ok := org.ParseAPIVersion(l.ver); ok && v.Compare(org.APIVersion{Major: 56, Minor: 0}) >= 0 {
		return now.Sub(l.created) > locatorLife
	}
	return now.Sub(l.lastUsed) > locatorIdleOld
}

// batchSize reads the Sforce-Query-Options header: batchSize from 200 to
// 2,000, default 2,000 (REST API Developer Guide, "Query Options Header":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm).
// A value out of range is clamped: the simulator's choice (the page says
// the number of records returned may differ from the requested size).
func batchSize(h http.Header) int {
	for opt := range strings.SplitSeq(h.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return min(max(n, 200), 2000)
		}
	}
	return 2000
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, ver string) {
	q, err := soql.Parse(r.URL.Query().Get("q"))
	if err == nil {
		reg := s.org.Schemas()
		if s.denied(q.Object()) {
			reg = org.Registry{} // without permission, Salesforce denies the object exists
		}
		err = q.Bind(reg, s.org.View(ver))
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	batch := batchSize(r.Header)
	name := q.Schema().Name
	var rows []*org.Row
	s.org.Locked(func(tx org.Tx) { rows = q.Run(s.ownRows(name, tx.Rows(name)), s.opts.Now()) })
	sel := selection{sch: q.Schema(), cols: q.Columns()}
	id := ""
	if !q.Count() && len(rows) > batch {
		s.locMu.Lock()
		id = s.newLocatorLocked(&locator{sel: sel, rows: rows, batch: batch, ver: ver})
		s.locMu.Unlock()
	}
	if q.Count() {
		writeRaw(w, http.StatusOK, []byte(`{"totalSize":`+strconv.Itoa(len(rows))+`,"done":true,"records":[]}`))
		return
	}
	writeRaw(w, http.StatusOK, renderPage(sel, rows, 0, batch, ver, id))
}

// ownRows is rows as the integration user may see them (Options.OwnRowsOnly).
func (s *Server) ownRows(object string, rows []*org.Row) []*org.Row {
	if !slices.ContainsFunc(s.opts.OwnRowsOnly, func(o string) bool { return strings.EqualFold(o, object) }) {
		return rows
	}
	var own []*org.Row
	for _, r := range rows {
		if id, _ := r.Fields["UserId"].(string); len(id) >= 15 && id[:15] == s.opts.UserID[:15] {
			own = append(own, r)
		}
	}
	return own
}

func (s *Server) newLocatorLocked(l *locator) string {
	now := s.opts.Now()
	l.created, l.lastUsed = now, now
	for id, old := range s.locators {
		if old.expired(now) {
			delete(s.locators, id)
		}
	}
	limit := maxLocators
	if v, ok := org.ParseAPIVersion(l.ver); ok && v.Compare(org.APIVersion{Major: 56, Minor: 0}) < 0 {
		limit = locatorsPerUser // one integration user: the old per-user cap
	}
	for len(s.locators) >= limit {
		var oldest string
		for id, old := range s.locators {
			if o := s.locators[oldest]; oldest == "" || old.lastUsed.Before(o.lastUsed) ||
				old.lastUsed.Equal(o.lastUsed) && old.seq < o.seq {
				oldest = id
			}
		}
		delete(s.locators, oldest)
	}
	s.locSeq++
	l.seq = s.locSeq
	id := sfid.New("01g", s.locSeq)
	id = sfid.WithChecksum("01gSIM" + id[6:15])
	s.locators[id] = l
	return id
}

func (s *Server) handleQueryMore(w http.ResponseWriter, ver, ref string) {
	invalid := func() { writeErrors(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator") }
	id, offStr, ok := strings.Cut(ref, "-")
	off, err := strconv.Atoi(offStr)
	if !ok || err != nil || off < 0 {
		invalid()
		return
	}
	s.locMu.Lock()
	l := s.locators[id]
	now := s.opts.Now()
	if l != nil && l.expired(now) {
		delete(s.locators, id)
		l = nil
	}
	if l == nil || off > len(l.rows) {
		s.locMu.Unlock()
		invalid()
		return
	}
	// Pages stay re-readable while the locator lives, so a client can retry
	// a page whose response was cut off.
	l.lastUsed = now
	s.locMu.Unlock()
	writeRaw(w, http.StatusOK, renderPage(l.sel, l.rows, off, l.batch, ver, id))
}

// ExpireLocators invalidates every open query locator, as when Salesforce
// drops idle cursors.
func (s *Server) ExpireLocators() {
	s.locMu.Lock()
	clear(s.locators)
	s.locMu.Unlock()
}

// handleSObject answers GET /sobjects/{name}/{id} with every field the
// request may see (REST API Developer Guide, "sObject Rows":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm).
// Big objects and Event Log Objects support no retrieve() (their pages list
// describeSObjects() and query() only): their rows answer 404.
func (s *Server) handleSObject(w http.ResponseWriter, ver string, parts []string) {
	sch := s.org.Schema(parts[0])
	view := s.org.View(ver)
	if sch == nil || len(parts) != 2 || !view.ObjectVisible(sch) || sch.PlaceholderID() {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	var rw *org.Row
	s.org.Locked(func(tx org.Tx) { rw = tx.Row(sch.Name, parts[1]) })
	if rw == nil {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	sel := selection{sch: sch}
	for _, f := range view.Fields(sch) {
		sel.cols = append(sel.cols, &soql.Column{Path: f.Name, Field: f})
	}
	var buf bytes.Buffer
	renderRecord(&buf, sel, rw, ver)
	writeRaw(w, http.StatusOK, buf.Bytes())
}

// ---- rendering ----

// selection is what an answer renders of each row: the object's
// attributes and the selected fields.
type selection struct {
	sch  *org.Schema
	cols []*soql.Column // in SELECT order
}

// renderPage is a Query resource answer: totalSize, done, nextRecordsUrl
// while more remain, and records with their attributes (REST API Developer
// Guide, "Query" and "Execute a SOQL Query":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm,
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm).
// The locator's form (01g..., then "-" and the offset) is what real orgs
// send; the docs only say to follow nextRecordsUrl.
func renderPage(sel selection, rows []*org.Row, off, batch int, ver, locatorID string) []byte {
	end := min(off+batch, len(rows))
	var buf bytes.Buffer
	buf.WriteString(`{"totalSize":`)
	buf.WriteString(strconv.Itoa(len(rows)))
	buf.WriteString(`,"done":`)
	buf.WriteString(strconv.FormatBool(end >= len(rows)))
	if end < len(rows) {
		buf.WriteString(`,"nextRecordsUrl":`)
		writeJSONString(&buf, "/services/data/v"+ver+"/query/"+locatorID+"-"+strconv.Itoa(end))
	}
	buf.WriteString(`,"records":[`)
	for i, rw := range rows[off:end] {
		if i > 0 {
			buf.WriteByte(',')
		}
		renderRecord(&buf, sel, rw, ver)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

func writeAttributes(buf *bytes.Buffer, object, id, ver string) {
	buf.WriteString(`{"attributes":{"type":`)
	writeJSONString(buf, object)
	buf.WriteString(`,"url":`)
	writeJSONString(buf, "/services/data/v"+ver+"/sobjects/"+object+"/"+id)
	buf.WriteString(`}`)
}

// renderRecord writes selected fields in SELECT order, with the fields of a
// relationship grouped into one nested object as Salesforce does.
func renderRecord(buf *bytes.Buffer, sel selection, rw *org.Row, ver string) {
	id := rw.ID
	if sel.sch.PlaceholderID() {
		id = catalog.PlaceholderID // big objects, Event Log Objects
	}
	writeAttributes(buf, sel.sch.Name, id, ver)
	done := map[string]bool{}
	for _, ref := range sel.cols {
		if ref.Rel == "" {
			if done[ref.Path] {
				continue
			}
			done[ref.Path] = true
			buf.WriteByte(',')
			writeJSONString(buf, ref.Field.Name)
			buf.WriteByte(':')
			writeValue(buf, rw.Fields[ref.Field.Name])
			continue
		}
		if done[ref.Rel] {
			continue
		}
		done[ref.Rel] = true
		buf.WriteByte(',')
		writeJSONString(buf, ref.Rel)
		buf.WriteByte(':')
		rel, _ := rw.Fields[ref.Rel].(map[string]any)
		if rel == nil {
			buf.WriteString("null")
			continue
		}
		relID, _ := rel["Id"].(string)
		writeAttributes(buf, ref.RelTo, relID, ver)
		seen := map[string]bool{}
		for _, other := range sel.cols {
			if other.Rel != ref.Rel || seen[other.Field.Name] {
				continue
			}
			seen[other.Field.Name] = true
			buf.WriteByte(',')
			writeJSONString(buf, other.Field.Name)
			buf.WriteByte(':')
			writeValue(buf, rel[other.Field.Name])
		}
		buf.WriteByte('}')
	}
	buf.WriteByte('}')
}

// FormatDateTime renders a time the way the REST API does (REST API
// Developer Guide, "Valid Date and DateTime Formats":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_valid_date_formats.htm).
func FormatDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func writeValue(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case string:
		writeJSONString(buf, v)
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case float64:
		buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case time.Time:
		writeJSONString(buf, FormatDateTime(v))
	default:
		buf.Write(marshal(v))
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	buf.Write(marshal(s))
}

// marshal is json.Marshal without HTML escaping: Salesforce sends < and >
// as they are (e.g. in "<EOF>" of query errors).
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ---- responses ----

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, marshal(v))
}

// writeErrors writes the REST API's error shape: [{"message","errorCode"}]
// (REST API Developer Guide, "Status Codes and Error Responses":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
// The error codes are Salesforce's (the SOAP API's ExceptionCode list:
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm);
// the docs give no message texts: "Session expired or invalid", "The
// requested resource does not exist", "invalid query locator" and
// "HTTP Method 'X' not allowed. Allowed are GET,HEAD" are the texts real
// orgs send, and where a handler says so, the text is the simulator's own.
func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []map[string]string{{"message": msg, "errorCode": code}})
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *soql.Error
	if errors.As(err, &ae) {
		writeErrors(w, ae.Status, ae.Code, ae.Message)
		return
	}
	writeErrors(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
}
