// Package sfapi is the Salesforce REST client shared by every stream: auth,
// API budget, retries and response decoding live here.
package sfapi

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	// Gunzips EventLogFile downloads about 1.4x faster than compress/gzip
	// (BenchmarkGunzip).
	"github.com/klauspost/compress/gzip"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/retry"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// TokenSource supplies access tokens; *auth.Source implements it.
type TokenSource interface {
	Token(ctx context.Context) (*auth.Token, error)
	Refresh(ctx context.Context, stale *auth.Token) (*auth.Token, error)
}

// Budget is the seam for the org's API allowance. Acquire blocks until one call
// of that priority may be made and returns a release func to call when the
// response is done; Observe gets every usage reading (a response's
// Sforce-Limit-Info header, the /limits body); Unread hears of a call
// answered without a header the client could read, so the budget counts
// it and reads /limits instead; Refused hears of every 403
// REQUEST_LIMIT_EXCEEDED, by the limit it reports.
type Budget interface {
	Acquire(ctx context.Context, prio Priority) (release func(), err error)
	Observe(LimitInfo)
	Unread()
	Refused(LimitKind)
}

// Priority orders calls when the org's allowance runs short: the budget
// serves higher priorities first and stops lower ones further above the
// reserve.
type Priority int

const (
	PriorityBulk     Priority = iota // event log file downloads and backfills
	PriorityNormal                   // configured objects, real-time gap reads
	PrioritySecurity                 // login history, audit trail, the receiver's own checks
)

// Caller is who makes a call: the stream named in telemetry, and the
// priority the budget gives it.
type Caller struct {
	Stream   string
	Priority Priority
}

// CallerLimits makes the connection test's read of the org's limits.
var CallerLimits = Caller{Stream: "_limits", Priority: PrioritySecurity}

// RetryPolicy shapes a call's retries (layer 1 of package retry, which
// states every layer's worst case); zero fields take the defaults.
type RetryPolicy struct {
	InitialInterval time.Duration // default 500ms
	MaxInterval     time.Duration // default 30s
	MaxElapsedTime  time.Duration // default 5m
	MaxTries        int           // default 8, counting the first try
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.InitialInterval <= 0 {
		p.InitialInterval = 500 * time.Millisecond
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 30 * time.Second
	}
	if p.MaxElapsedTime <= 0 {
		p.MaxElapsedTime = 5 * time.Minute
	}
	if p.MaxTries <= 0 {
		p.MaxTries = 8
	}
	return p
}

// Config configures a Client.
type Config struct {
	HTTPClient *http.Client // required; built by the caller (confighttp)
	Tokens     TokenSource  // required
	APIVersion string       // e.g. "66.0"
	// BudgetFor returns the budget of an org; nil means no budget. Called
	// once per org id, with the client's Probe for the budget to read the
	// org's usage while it holds calls back.
	BudgetFor func(orgID string, probe func(context.Context) error) Budget
	Logger    *zap.Logger
	Retry     RetryPolicy
	// OnCall, when set, hears the outcome of every request sent: "ok",
	// "auth_error", "limit_exceeded", "client_error", "server_error" or
	// "network_error".
	OnCall func(stream, outcome string)
	// Timeout bounds each request: a JSON call must finish within it; a
	// download must start within it and never stall longer between reads
	// (a whole file may take far longer). Zero means 60s.
	Timeout time.Duration
}

// Client calls the Salesforce REST API. It is safe for concurrent use.
type Client struct {
	hc        *http.Client
	tokens    TokenSource
	dataPath  string
	budgetFor func(string, func(context.Context) error) Budget
	log       *zap.Logger
	retry     RetryPolicy
	timeout   time.Duration
	onCall    func(stream, outcome string)

	mu      sync.Mutex
	budgets map[string]Budget
	// unreadOnce: an unreadable limit header is named once per client.
	unreadOnce sync.Once
	lastApp    atomic.Value // string: the app of the last per-app-api-usage

	apiVersion string
	verMu      sync.Mutex
	verDone    bool
	verErr     error
	verRetry   time.Time
}

// apiVersionRE is the one API-version rule: Salesforce's versions are
// whole numbers, written NN.0.
var apiVersionRE = regexp.MustCompile(`^[1-9][0-9]*\.0$`)

// ValidAPIVersion reports whether v is an API version such as "66.0".
func ValidAPIVersion(v string) bool { return apiVersionRE.MatchString(v) }

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.HTTPClient == nil {
		return nil, errors.New("sfapi: HTTP client is required")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("sfapi: token source is required")
	}
	if !ValidAPIVersion(cfg.APIVersion) {
		return nil, fmt.Errorf("sfapi: API version %q must look like 66.0", cfg.APIVersion)
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Client{
		hc:         cfg.HTTPClient,
		tokens:     cfg.Tokens,
		dataPath:   "/services/data/v" + cfg.APIVersion,
		budgetFor:  cfg.BudgetFor,
		log:        log,
		retry:      cfg.Retry.withDefaults(),
		budgets:    map[string]Budget{},
		timeout:    cmp.Or(cfg.Timeout, 60*time.Second),
		onCall:     cfg.OnCall,
		apiVersion: cfg.APIVersion,
	}, nil
}

// Identity returns the org id and instance URL of the current token.
func (c *Client) Identity(ctx context.Context) (orgID, instanceURL string, err error) {
	tok, err := withRetries(ctx, c, "token", func() (*auth.Token, error) {
		t, err := c.tokens.Token(ctx)
		return t, classifyTokenErr(ctx, err)
	})
	if err != nil {
		return "", "", err
	}
	return tok.OrgID, tok.InstanceURL, nil
}

// Org is the org of the current token, as records carry it.
func (c *Client) Org(ctx context.Context) (convert.Resource, error) {
	org, instance, err := c.Identity(ctx)
	return convert.Resource{OrgID: org, InstanceURL: instance}, err
}

// The interfaces below are what each kind of stream needs of the client,
// one per need, all here: *Client has every one and tests fake them.

// Describer is what choosing a stream's fields needs.
type Describer interface {
	Describe(ctx context.Context, c Caller, object string) (*Describe, error)
}

// Querier is what a SOQL stream needs (soqlstream, bigobject, objects).
type Querier interface {
	Describer
	Query(ctx context.Context, c Caller, soql string, batchSize int) (*QueryResult, error)
	QueryMore(ctx context.Context, c Caller, nextRecordsURL string, batchSize int) (*QueryResult, error)
}

// FileReader is what the EventLogFile stream needs: its rows (keyset
// pages under LIMIT, so no QueryMore), and their log files opened as
// streams.
type FileReader interface {
	Describer
	Query(ctx context.Context, c Caller, soql string, batchSize int) (*QueryResult, error)
	Open(ctx context.Context, c Caller, path string) (*http.Response, error)
}

// Discoverer is what a stream over every object of a kind needs: the
// org's global describe, then SOQL on each object.
type Discoverer interface {
	Querier
	DescribeGlobal(ctx context.Context, c Caller) (*Global, error)
}

var (
	_ FileReader = (*Client)(nil)
	_ Discoverer = (*Client)(nil)
)

// QueryResult is one page of a SOQL query, its records decoded straight
// from the response body (sobject.DecodePage).
type QueryResult = sobject.Page

// Query runs soql and returns its first page. batchSize is a hint Salesforce
// clamps to 200..2000; 0 leaves it to Salesforce.
// A query naming a secret field (SecretFieldIn) is never sent.
func (c *Client) Query(ctx context.Context, caller Caller, soql string, batchSize int) (*QueryResult, error) {
	if f := SecretFieldIn(soql); f != "" {
		return nil, &SecretError{Field: f}
	}
	return c.query(ctx, caller, c.dataPath+"/query?"+url.Values{"q": {soql}}.Encode(), batchSize)
}

// QueryMore fetches the page at nextRecordsURL (a path, as Salesforce returns it).
func (c *Client) QueryMore(ctx context.Context, caller Caller, nextRecordsURL string, batchSize int) (*QueryResult, error) {
	return c.query(ctx, caller, nextRecordsURL, batchSize)
}

func (c *Client) query(ctx context.Context, caller Caller, path string, batchSize int) (*QueryResult, error) {
	hdr := http.Header{}
	if batchSize > 0 {
		hdr.Set("Sforce-Query-Options", "batchSize="+strconv.Itoa(min(max(batchSize, 200), 2000)))
	}
	return getJSON[QueryResult](ctx, c, request{caller: caller, path: path, hdr: hdr})
}

// Limits is the part of /limits the receiver uses.
type Limits struct {
	DailyAPIRequests DailyAPIRequests `json:"DailyApiRequests"`
}

// DailyAPIRequests is the org's daily allowance (REST API Developer
// Guide, "List Org Limits":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_limits.htm)
// and, beside Max and Remaining, one {"Max","Remaining"} entry per
// connected app ("Ant Migration Tool": {"Max": 0, "Remaining": 0}, ...),
// where a Max above 0 is the app's quota. The guide's example leaves the
// app entries out; real orgs' answers have them (recorded in
// influxdata/telegraf's plugins/inputs/salesforce tests), so any other key
// is read as one, and one that is not an object is skipped.
type DailyAPIRequests struct {
	Max, Remaining int64
	Apps           map[string]AppLimit
}

// AppLimit is one connected app's entry under DailyApiRequests.
type AppLimit struct {
	Max, Remaining int64
}

// UnmarshalJSON reads Max, Remaining and the per-app entries, skipping
// anything else.
func (d *DailyAPIRequests) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*d = DailyAPIRequests{}
	for k, v := range raw {
		switch k {
		case "Max":
			_ = json.Unmarshal(v, &d.Max)
		case "Remaining":
			_ = json.Unmarshal(v, &d.Remaining)
		default:
			var app AppLimit
			if json.Unmarshal(v, &app) == nil {
				if d.Apps == nil {
					d.Apps = map[string]AppLimit{}
				}
				d.Apps[k] = app
			}
		}
	}
	return nil
}

// Reading is the org's usage as a LimitInfo, with app's quota when the
// org reports one for it; ok is false for a body without a usable Max.
func (d DailyAPIRequests) Reading(app string) (LimitInfo, bool) {
	if d.Max <= 0 || d.Remaining < 0 {
		return LimitInfo{}, false
	}
	li := LimitInfo{Used: max(d.Max-d.Remaining, 0), Max: d.Max, AppUnknown: true}
	if a, ok := d.Apps[app]; ok && app != "" && a.Max > 0 {
		li.App = &AppUsage{Name: app, Used: max(a.Max-a.Remaining, 0), Max: a.Max}
		li.AppUnknown = false
	}
	return li, true
}

// Limits reads the org's limits, within the budget (the connection test).
func (c *Client) Limits(ctx context.Context) (*Limits, error) {
	return getJSON[Limits](ctx, c, request{caller: CallerLimits, path: c.dataPath + "/limits"})
}

// Probe is the budget's own read of the org's usage while it holds the
// streams back, or while responses carry no header it can read: the same
// GET /limits, made without asking the budget (which rate-limits and
// counts its probes itself). Its body is the reading, whatever the
// header says: a hold ends as soon as the org has room again.
func (c *Client) Probe(ctx context.Context) error {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return classifyTokenErr(ctx, err)
	}
	l, err := getJSON[Limits](ctx, c, request{caller: CallerLimits, path: c.dataPath + "/limits", unbudgeted: true})
	if err != nil {
		return err
	}
	li, ok := l.DailyAPIRequests.Reading(c.appName())
	if !ok {
		return fmt.Errorf("salesforce: /limits has no DailyApiRequests Max")
	}
	c.budget(tok.OrgID).Observe(li)
	return nil
}

// appName is the connected app whose quota the last header reported.
func (c *Client) appName() string {
	if v, ok := c.lastApp.Load().(string); ok {
		return v
	}
	return ""
}

// request is one GET the client makes.
type request struct {
	caller Caller
	path   string
	hdr    http.Header
	// idle: the timeout runs between reads of the body rather than over
	// the whole exchange (downloads).
	idle bool
	// unbudgeted: the budget's own probe, which the budget accounts for
	// and repeats at its own pace: made once, never retried here.
	unbudgeted bool
}

// Open GETs path for streaming (EventLogFile LogFile downloads). Retries, auth and
// budget apply up to the response headers; the caller must close the body, which
// is transparently gunzipped.
func (c *Client) Open(ctx context.Context, caller Caller, path string) (*http.Response, error) {
	// Setting Accept-Encoding ourselves turns off the transport's own gunzip, so we
	// see Content-Encoding and must decompress.
	req := request{caller: caller, path: path, hdr: http.Header{"Accept-Encoding": {"gzip"}}, idle: true}
	return withRetries(ctx, c, path, func() (*http.Response, error) {
		resp, err := c.exchange(ctx, req)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
			return resp, nil
		}
		rec := &readRecorder{r: resp.Body}
		zr, err := gzip.NewReader(rec)
		switch {
		case errors.Is(err, io.EOF): // empty body
			resp.Body = struct {
				io.Reader
				io.Closer
			}{http.NoBody, resp.Body}
		case err != nil:
			resp.Body.Close()
			return nil, readErr(ctx, rec, urlPath(path), err)
		default:
			resp.Body = &gzipBody{Reader: zr, body: resp.Body}
		}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		return resp, nil
	})
}

type gzipBody struct {
	*gzip.Reader
	body io.ReadCloser
}

func (g *gzipBody) Close() error {
	_ = g.Reader.Close()
	return g.body.Close()
}

// getJSON GETs path and decodes a fresh T per attempt, so a retried or
// half-read body never leaves stale data behind.
func getJSON[T any](ctx context.Context, c *Client, req request) (*T, error) {
	path, tries := req.path, 0
	if req.unbudgeted {
		tries = 1 // the budget's probe: the budget probes again in its own time
	}
	return withTries(ctx, c, path, tries, func() (*T, error) {
		resp, err := c.exchange(ctx, req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		rec := &readRecorder{r: resp.Body}
		v := new(T)
		if p, ok := any(v).(*sobject.Page); ok {
			body, err := io.ReadAll(rec)
			if err == nil {
				err = sobject.DecodePage(body, p)
			}
			if err != nil {
				return nil, readErr(ctx, rec, urlPath(path), err)
			}
			return v, nil
		}
		if err := json.NewDecoder(rec).Decode(v); err != nil {
			return nil, readErr(ctx, rec, urlPath(path), err)
		}
		return v, nil
	})
}

// readErr tells a connection that broke mid-body (retry) from a body that is
// simply not what we expected (permanent).
func readErr(ctx context.Context, rec *readRecorder, path string, err error) error {
	if ctx.Err() != nil {
		return backoff.Permanent(ctx.Err())
	}
	if rec.err != nil {
		return fmt.Errorf("salesforce: reading response of %s: %w", path, rec.err)
	}
	return backoff.Permanent(fmt.Errorf("salesforce: decoding response of %s: %w", path, err))
}

// readRecorder remembers the first transport error seen while reading a body.
type readRecorder struct {
	r   io.Reader
	err error
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

func withRetries[T any](ctx context.Context, c *Client, path string, op func() (T, error)) (T, error) {
	return withTries(ctx, c, path, 0, op)
}

// withTries is withRetries with at most tries tries (0: the client's policy).
func withTries[T any](ctx context.Context, c *Client, path string, tries int, op func() (T, error)) (T, error) {
	p := c.retry
	if tries > 0 {
		p.MaxTries = tries
	}
	b := retry.Policy{Initial: p.InitialInterval, Max: p.MaxInterval}.New(0)
	attempt := 0
	return backoff.Retry(ctx, func() (T, error) {
		attempt++
		return op()
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(p.MaxTries)), backoff.WithMaxElapsedTime(p.MaxElapsedTime),
		backoff.WithNotify(func(err error, wait time.Duration) {
			lvl := zap.WarnLevel
			if attempt == 1 {
				lvl = zap.DebugLevel
			}
			c.log.Log(lvl, "Salesforce request failed, retrying", zap.String("path", urlPath(path)),
				zap.Int("attempt", attempt), zap.Duration("backoff", wait), zap.Error(err))
		}))
}

// exchange sends one GET, repeating it once with a refreshed token after a 401.
// It returns a 2xx response whose body releases the budget when read or closed;
// anything else is an error, wrapped in backoff.Permanent unless retrying may help.
// idle says the timeout runs between reads of the body rather than over
// the whole exchange.
func (c *Client) exchange(ctx context.Context, r request) (*http.Response, error) {
	path := r.path
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		// Only ever send the bearer token to the instance the token names.
		return nil, backoff.Permanent(fmt.Errorf("salesforce: path %q must start with a single /", urlPath(path)))
	}
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, classifyTokenErr(ctx, err)
	}
	if err := c.checkVersion(ctx, tok); err != nil {
		return nil, err
	}
	for refreshed := false; ; refreshed = true {
		resp, budget, err := c.send(ctx, r, tok)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		apiErr := parseAPIError(resp.StatusCode, body)
		if resp.StatusCode == http.StatusUnauthorized && !refreshed {
			// Repeat the same URL (not the whole query) once with a new session.
			c.log.Debug("Salesforce session rejected, refreshing token", zap.String("path", urlPath(path)),
				zap.String("code", apiErr.Code))
			if tok, err = c.tokens.Refresh(ctx, tok); err != nil {
				return nil, classifyTokenErr(ctx, err)
			}
			continue
		}
		if kind := apiErr.Limit(); kind != LimitNone {
			budget.Refused(kind)
			if kind == LimitUnknown {
				c.log.Warn("Salesforce refused a call with a REQUEST_LIMIT_EXCEEDED the receiver does not know; retrying it as a short-lived limit",
					zap.String("path", urlPath(path)), zap.String("message", apiErr.Message))
			}
		}
		c.report(r.caller.Stream, apiErr.outcome())
		if apiErr.retryable() {
			return nil, apiErr
		}
		return nil, backoff.Permanent(apiErr)
	}
}

// send makes one HTTP request within the org's budget and reports its limit header.
func (c *Client) send(ctx context.Context, r request, tok *auth.Token) (*http.Response, Budget, error) {
	path, stream := r.path, r.caller.Stream
	// The bearer token goes only to an https instance (plain http only
	// on loopback, the simulator), as to the login URL.
	if err := auth.CheckURL(tok.InstanceURL); err != nil {
		return nil, nil, backoff.Permanent(fmt.Errorf("salesforce: the token's instance URL is unusable: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(tok.InstanceURL, "/")+path, nil)
	if err != nil {
		return nil, nil, backoff.Permanent(fmt.Errorf("salesforce: bad request path %q: %w", urlPath(path), err))
	}
	for k, v := range r.hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")

	budget := c.budget(tok.OrgID)
	release := func() {}
	if !r.unbudgeted {
		if release, err = budget.Acquire(ctx, r.caller.Priority); err != nil {
			return nil, nil, backoff.Permanent(err)
		}
	}
	// The clock starts once the budget granted the call: time held back
	// is not the request's.
	reqCtx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(c.timeout, cancel)
	resp, err := c.hc.Do(req.WithContext(reqCtx))
	if err != nil {
		timer.Stop()
		cancel()
		release()
		if ctx.Err() == nil {
			c.report(stream, "network_error")
		}
		return nil, nil, classifyTransportErr(ctx, err)
	}
	if resp.StatusCode < 300 {
		c.report(stream, "ok") // refusals are named once their body is read (exchange)
	}
	c.observe(budget, resp)
	done := func() {
		timer.Stop()
		cancel()
		release()
	}
	rb := &releaseBody{ReadCloser: resp.Body, release: done}
	if r.idle {
		rb.onRead = func() { timer.Reset(c.timeout) }
	}
	resp.Body = rb
	return resp, budget, nil
}

func (c *Client) report(stream, outcome string) {
	if c.onCall != nil {
		c.onCall(stream, outcome)
	}
}

// observe feeds the budget the usage reading of a response: the org's,
// and the connected app's when Salesforce reports one. A response without
// a header it can read still spent a call: the budget counts it and reads
// /limits instead, and the header is named once.
func (c *Client) observe(budget Budget, resp *http.Response) {
	h := resp.Header.Get("Sforce-Limit-Info")
	if li, ok := ParseLimitInfo(h); ok {
		if li.App != nil && li.App.Name != c.appName() {
			c.lastApp.Store(li.App.Name)
		}
		budget.Observe(li)
		return
	}
	budget.Unread()
	if h != "" || resp.StatusCode < 300 {
		c.unreadOnce.Do(func() {
			c.log.Warn("Cannot read Salesforce's Sforce-Limit-Info header; the API budget counts its own calls and reads the org's usage from /limits instead",
				zap.String("header", truncate(h, maxErrorText)), zap.Int("status", resp.StatusCode))
		})
	}
}

// outcome names a refused call for telemetry.
func (e *APIError) outcome() string {
	switch {
	case e.Limit() != LimitNone:
		return "limit_exceeded"
	case e.Status == http.StatusUnauthorized:
		return "auth_error"
	case e.Status < 500:
		return "client_error"
	default:
		return "server_error"
	}
}

func (c *Client) budget(orgID string) Budget {
	if c.budgetFor == nil {
		return noBudget{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.budgets[orgID]
	if !ok {
		b = c.budgetFor(orgID, c.Probe)
		if b == nil {
			b = noBudget{}
		}
		c.budgets[orgID] = b
	}
	return b
}

type noBudget struct{}

func (noBudget) Acquire(context.Context, Priority) (func(), error) { return func() {}, nil }
func (noBudget) Observe(LimitInfo)                                 {}
func (noBudget) Unread()                                           {}
func (noBudget) Refused(LimitKind)                                 {}

// releaseBody returns the budget slot once the body is fully read or closed.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
	onRead  func() // restarts an idle timeout
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.onRead != nil {
		b.onRead()
	}
	if err == io.EOF {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

func classifyTokenErr(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return backoff.Permanent(ctx.Err())
	case auth.IsPermanent(err), errors.Is(err, auth.ErrBadResponse):
		return backoff.Permanent(err)
	default: // 5xx, 429 or the network: worth another try
		return err
	}
}

func classifyTransportErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return backoff.Permanent(ctx.Err())
	}
	var (
		verifyErr  *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return backoff.Permanent(err) // a misconfiguration; retrying will not fix it
	}
	return err // timeouts, refused/reset connections, EOF
}

// urlPath strips the query (SOQL can be long) for logs and messages.
func urlPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
