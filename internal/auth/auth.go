// Package auth obtains and caches Salesforce OAuth access tokens.
package auth

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"
)

// Flow names an OAuth flow.
type Flow string

const (
	FlowJWTBearer         Flow = "jwt_bearer"
	FlowClientCredentials Flow = "client_credentials"
	FlowRefreshToken      Flow = "refresh_token"
	FlowPassword          Flow = "password"
)

// jwtLifetime is the assertion lifetime; Salesforce rejects an exp more than 3 minutes ahead.
const jwtLifetime = 3 * time.Minute

// Config selects a flow and holds its credentials.
type Config struct {
	Flow          Flow
	LoginURL      string // e.g. https://login.salesforce.com, a My Domain URL, or a loopback simulator URL
	ClientID      string
	ClientSecret  string
	Username      string
	Password      string
	SecurityToken string // appended to Password for the password flow
	RefreshToken  string
	PrivateKeyPEM []byte // jwt_bearer: PEM RSA key, PKCS#1 or PKCS#8
	Audience      string // jwt_bearer; "" means DefaultAudience(LoginURL), checked by DNS
	HTTPClient    *http.Client
}

// The two audiences of Salesforce's JWT bearer flow ("OAuth 2.0 JWT Bearer
// Flow for Server-to-Server Integration":
// https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_jwt_flow.htm).
const (
	AudienceProduction = "https://login.salesforce.com"
	AudienceSandbox    = "https://test.salesforce.com"
)

// sandboxHostRE is how Salesforce's CLI told a sandbox by its host until it
// gave up on hosts and tried every audience in turn (forcedotcom/sfdx-core,
// src/util/sfdcUrl.ts, isSandboxUrl, removed in v4.0.1): enhanced-domain
// sandboxes (x--uat.sandbox.my.salesforce.com), legacy My Domain sandboxes
// (x--uat.my.salesforce.com), cs<N> instances (cs42.salesforce.com,
// cs42.my.salesforce.com, cs42.force.com) and Hyperforce ("Falcon")
// sandbox instances (usa2s.sfdc-xyz.salesforce.com).
var sandboxHostRE = regexp.MustCompile(`(?i)(^|\.)(` +
	`test\.salesforce\.com|` +
	`[^.]+\.sandbox\.my\.salesforce\.com|` +
	`[^.]+--[^.]+\.my\.salesforce\.com|` +
	`cs[0-9]+(\.my)?\.salesforce\.com|` +
	`cs[0-9]+\.force\.com|` +
	`[a-z]{3}[0-9]+s\.sfdc-[^.]+\.(salesforce|force)\.com` +
	`)$`)

// IsSandboxHost reports whether host names a sandbox by its form.
func IsSandboxHost(host string) bool { return sandboxHostRE.MatchString(strings.TrimSuffix(host, ".")) }

// DefaultAudience is the JWT audience Salesforce expects for a login URL,
// by the URL's form: test.salesforce.com for sandboxes, login.salesforce.com
// for everything else. A My Domain whose form says nothing may still be a
// sandbox: Source also follows its DNS name (the CLI's CNAME check) and,
// refused with "audience is invalid", tries the other audience once.
func DefaultAudience(loginURL string) string {
	if u, err := url.Parse(loginURL); err == nil && IsSandboxHost(u.Hostname()) {
		return AudienceSandbox
	}
	return AudienceProduction
}

// otherAudience is the audience to try once after "audience is invalid".
func otherAudience(aud string) string {
	if strings.EqualFold(strings.TrimRight(aud, "/"), AudienceSandbox) {
		return AudienceProduction
	}
	return AudienceSandbox
}

// isAudienceRefusal tells Salesforce refusing the assertion's aud: its
// token endpoint says "audience is invalid"; its documentation's example
// says "Audience validation failed"
// (https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_flow_errors.htm).
func isAudienceRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "invalid_grant" && strings.Contains(strings.ToLower(e.Description), "audience")
}

// lookupCNAME is the DNS lookup of the CLI's CNAME check; tests replace it.
var lookupCNAME = func(ctx context.Context, host string) (string, error) {
	return net.DefaultResolver.LookupCNAME(ctx, host)
}

// sandboxByDNS reports whether a My Domain host is another name of a
// sandbox host, as the CLI's MyDomainResolver checked. Any DNS failure
// says no: the audience retry still covers it.
func sandboxByDNS(ctx context.Context, loginURL string) bool {
	u, err := url.Parse(loginURL)
	if err != nil || !strings.HasSuffix(strings.ToLower(u.Hostname()), ".my.salesforce.com") || IsSandboxHost(u.Hostname()) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cname, err := lookupCNAME(ctx, u.Hostname())
	return err == nil && IsSandboxHost(cname)
}

// Token is an access token with the identity Salesforce returned alongside it.
type Token struct {
	AccessToken string `json:"-"`
	InstanceURL string
	IdentityURL string
	OrgID       string
	UserID      string
	IssuedAt    time.Time
}

// String never shows the access token, so a token may be logged or printed safely.
func (t Token) String() string {
	return fmt.Sprintf("auth.Token{AccessToken: [redacted], InstanceURL: %q, OrgID: %q, UserID: %q, IssuedAt: %s}",
		t.InstanceURL, t.OrgID, t.UserID, t.IssuedAt.UTC().Format(time.RFC3339))
}

// GoString keeps %#v from printing the access token too.
func (t Token) GoString() string { return t.String() }

// Error is a failure reported by the token endpoint.
type Error struct {
	Status      int
	Code        string // OAuth "error", e.g. invalid_grant
	Description string // OAuth "error_description", scrubbed of known secrets

	err error
}

func (e *Error) Error() string {
	return FormatError("salesforce oauth", e.Status, e.Code, e.Description)
}

// FormatError is the text of an error response: "prefix: status code: detail",
// leaving out an empty code or detail.
func FormatError(prefix string, status int, code, detail string) string {
	s := prefix + ": " + strconv.Itoa(status)
	if code != "" {
		s += " " + code
	}
	if detail != "" {
		s += ": " + detail
	}
	return s
}

// Unwrap gives access to the underlying *oauth2.RetrieveError.
func (e *Error) Unwrap() error { return e.err }

// Permanent reports whether retrying cannot help: the endpoint rejected the
// credentials or request (4xx other than 429).
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests
}

// IsPermanent reports whether err is a token endpoint rejection that retrying cannot fix.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent()
}

// ErrBadResponse marks a 2xx token response that lacks what Salesforce always sends;
// retrying is unlikely to help.
var ErrBadResponse = errors.New("salesforce oauth: malformed token response")

// scrubbedError carries an error whose message had secrets removed, keeping the chain
// for errors.Is/As (e.g. net errors, context.Canceled).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Source fetches a token on first use, caches it, and refreshes it on demand.
type Source struct {
	cfg      Config
	tokenURL string
	hc       *http.Client
	secrets  []string
	log      *zap.Logger // set by NewGuard

	audOnce  sync.Once // the DNS check of a default audience, at first use
	audience string    // guarded by mu once audOnce ran

	mu           sync.Mutex
	cur          *Token
	inflight     *call
	refreshToken string // latest; Salesforce may rotate it
}

// call is one token fetch shared by every caller that waits for it.
type call struct {
	done    chan struct{}
	cancel  context.CancelFunc
	waiters int
	tok     *Token
	err     error
}

// FieldError is a problem with one setting. Field is the setting's name as
// the user writes it under auth: (flow, client_id, client_secret, username,
// password, refresh_token, private_key, audience) or login_url; Msg never
// holds a secret or the key's content.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

const flowList = "jwt_bearer, client_credentials, refresh_token, password"

// Validate checks cfg for its flow and returns an errors.Join of
// *FieldError, one per problem; nil if cfg is usable. HTTPClient is not checked.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	known := true
	switch c.Flow {
	case FlowJWTBearer, FlowClientCredentials, FlowRefreshToken, FlowPassword:
	case "":
		known = false
		bad("flow", "required, one of %s", flowList)
	default:
		known = false
		bad("flow", "%q is not one of %s", c.Flow, flowList)
	}
	need := func(field string, set bool) {
		switch {
		case set:
		case known:
			bad(field, "required for flow %s", c.Flow)
		default:
			bad(field, "required")
		}
	}

	if c.LoginURL == "" {
		bad("login_url", "required")
	} else if err := CheckURL(c.LoginURL); err != nil {
		bad("login_url", "%v", err)
	}
	need("client_id", c.ClientID != "")
	switch c.Flow {
	case FlowJWTBearer:
		need("username", c.Username != "")
		if len(c.PrivateKeyPEM) == 0 {
			need("private_key", false)
		} else if _, err := parseRSAKey(c.PrivateKeyPEM); err != nil {
			bad("private_key", "%v", err)
		}
		if c.Audience != "" {
			if u, err := url.Parse(c.Audience); err != nil || u.Scheme != "https" || u.Host == "" {
				bad("audience", "%q is not an https URL", c.Audience)
			}
		}
	case FlowClientCredentials:
		need("client_secret", c.ClientSecret != "")
	case FlowRefreshToken:
		// The secret is optional: connected apps may waive it for refresh.
		need("refresh_token", c.RefreshToken != "")
	case FlowPassword:
		// Salesforce's username-password flow needs the app's secret too.
		need("client_secret", c.ClientSecret != "")
		need("username", c.Username != "")
		need("password", c.Password != "")
	}
	return errors.Join(errs...)
}

// NewSource validates cfg (see Config.Validate) and returns its token source.
func NewSource(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	s := &Source{
		cfg:          cfg,
		tokenURL:     strings.TrimRight(cfg.LoginURL, "/") + "/services/oauth2/token",
		audience:     cfg.Audience,
		hc:           cfg.HTTPClient,
		refreshToken: cfg.RefreshToken,
		log:          zap.NewNop(),
	}
	if s.audience == "" {
		s.audience = DefaultAudience(cfg.LoginURL)
	}
	if s.hc == nil {
		s.hc = http.DefaultClient
	}
	for _, v := range []string{cfg.ClientSecret, cfg.Password, cfg.Password + cfg.SecurityToken, cfg.SecurityToken, cfg.RefreshToken} {
		if len(v) >= 4 { // shorter strings would mangle ordinary text and reveal little
			s.secrets = append(s.secrets, v, url.QueryEscape(v))
		}
	}
	return s, nil
}

// parseRSAKey reads the first PEM block as the PKCS#1 or unencrypted PKCS#8
// RSA key that oauth2/jwt signs with. Its errors never quote the key.
func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not PEM encoded: want a PEM RSA key, PKCS#1 or PKCS#8")
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errors.New("the key is encrypted: the receiver needs it unencrypted (e.g. openssl pkcs8 -in KEY -out PLAIN), kept in a file only it can read")
	}
	if block.Type == "EC PRIVATE KEY" {
		return nil, errors.New("an EC key: the JWT bearer flow needs an RSA key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if block.Type != "RSA PRIVATE KEY" && block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("the PEM block is %q, not an RSA key (PKCS#1 or PKCS#8)", block.Type)
		}
		return nil, errors.New("neither a PKCS#1 nor an unencrypted PKCS#8 RSA key")
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey, *ecdh.PrivateKey:
		return nil, errors.New("an EC key: the JWT bearer flow needs an RSA key")
	case ed25519.PrivateKey:
		return nil, errors.New("an Ed25519 key: the JWT bearer flow needs an RSA key")
	default:
		return nil, fmt.Errorf("a %T key: the JWT bearer flow needs an RSA key", k)
	}
}

// Token returns the cached token, fetching one if there is none.
func (s *Source) Token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	if t := s.cur; t != nil {
		s.mu.Unlock()
		return t, nil
	}
	c := s.joinLocked(ctx)
	s.mu.Unlock()
	return s.wait(ctx, c)
}

// Refresh discards stale and fetches a new token. Callers holding the same stale
// token share one fetch; if the cached token already differs from stale it is
// returned as is. A nil stale forces a fetch (joining one in flight).
func (s *Source) Refresh(ctx context.Context, stale *Token) (*Token, error) {
	s.mu.Lock()
	if t := s.cur; t != nil && stale != nil && t.AccessToken != stale.AccessToken {
		s.mu.Unlock()
		return t, nil
	}
	s.cur = nil
	c := s.joinLocked(ctx)
	s.mu.Unlock()
	return s.wait(ctx, c)
}

// joinLocked returns the fetch in flight, starting one if needed. The fetch runs
// detached from any single caller so one caller giving up does not fail the
// others; it is canceled once every waiter has gone.
func (s *Source) joinLocked(ctx context.Context) *call {
	if c := s.inflight; c != nil {
		c.waiters++
		return c
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &call{done: make(chan struct{}), cancel: cancel, waiters: 1}
	s.inflight = c
	go func() {
		tok, err := s.fetch(fctx)
		cancel()
		s.mu.Lock()
		if s.inflight == c { // else abandoned: a newer fetch owns the cache
			s.inflight = nil
			if err == nil {
				s.cur = tok
			}
		}
		c.tok, c.err = tok, err
		close(c.done)
		s.mu.Unlock()
	}()
	return c
}

func (s *Source) wait(ctx context.Context, c *call) (*Token, error) {
	select {
	case <-c.done:
		return c.tok, c.err
	case <-ctx.Done():
		s.mu.Lock()
		c.waiters--
		if c.waiters == 0 && s.inflight == c {
			c.cancel()
			s.inflight = nil
		}
		s.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (s *Source) fetch(ctx context.Context) (*Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.hc)
	var (
		ot  *oauth2.Token
		err error
	)
	switch s.cfg.Flow {
	case FlowJWTBearer:
		ot, err = s.jwtToken(ctx)
	case FlowClientCredentials:
		cc := &clientcredentials.Config{
			ClientID:     s.cfg.ClientID,
			ClientSecret: s.cfg.ClientSecret,
			TokenURL:     s.tokenURL,
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		ot, err = cc.Token(ctx)
	case FlowRefreshToken:
		s.mu.Lock()
		rt := s.refreshToken
		s.mu.Unlock()
		// A fresh TokenSource with no access token always hits the endpoint;
		// Salesforce sends no expires_in, so a reused one would never refresh.
		ot, err = s.oauthConfig().TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
		if err == nil && ot.RefreshToken != "" && ot.RefreshToken != rt {
			s.mu.Lock()
			s.refreshToken = ot.RefreshToken
			s.secrets = append(s.secrets, ot.RefreshToken, url.QueryEscape(ot.RefreshToken))
			s.mu.Unlock()
		}
	case FlowPassword:
		ot, err = s.oauthConfig().PasswordCredentialsToken(ctx, s.cfg.Username, s.cfg.Password+s.cfg.SecurityToken)
	}
	if err != nil {
		return nil, s.wrapErr(err)
	}
	return tokenFrom(ot)
}

// jwtToken signs in with a JWT assertion. Refused for its audience, it
// tries the other audience once and, when that one works, keeps it and
// says so: Salesforce's CLI tries several in turn for the same reason (a
// My Domain's name rarely says whether it is a sandbox).
func (s *Source) jwtToken(ctx context.Context) (*oauth2.Token, error) {
	s.audOnce.Do(func() {
		if s.cfg.Audience == "" && sandboxByDNS(ctx, s.cfg.LoginURL) {
			s.mu.Lock()
			s.audience = AudienceSandbox
			s.mu.Unlock()
		}
	})
	s.mu.Lock()
	aud := s.audience
	s.mu.Unlock()
	ot, err := s.jwtAttempt(ctx, aud)
	if err == nil || !isAudienceRefusal(s.wrapErr(err)) {
		return ot, err
	}
	other := otherAudience(aud)
	ot, err2 := s.jwtAttempt(ctx, other)
	if err2 != nil {
		return nil, err // the first refusal names the configured audience
	}
	s.mu.Lock()
	s.audience = other
	s.mu.Unlock()
	s.log.Warn("Salesforce refused the JWT audience and accepted the other one; signing in with it from now on",
		zap.String("refused", aud), zap.String("accepted", other),
		zap.String("fix", "set auth.audience: "+other+" to sign in at the first attempt"))
	return ot, nil
}

func (s *Source) jwtAttempt(ctx context.Context, aud string) (*oauth2.Token, error) {
	// oauth2/jwt posts without the context, so bind it in the transport to
	// keep cancellation working.
	hc := *s.hc
	hc.Transport = ctxTransport{ctx: ctx, base: s.hc.Transport}
	jc := &jwt.Config{
		Email:      s.cfg.ClientID,
		Subject:    s.cfg.Username,
		PrivateKey: s.cfg.PrivateKeyPEM,
		TokenURL:   s.tokenURL,
		Audience:   aud,
		Expires:    jwtLifetime,
	}
	return jc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, &hc)).Token()
}

func (s *Source) oauthConfig() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     s.cfg.ClientID,
		ClientSecret: s.cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: s.tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

func tokenFrom(ot *oauth2.Token) (*Token, error) {
	str := func(k string) string { v, _ := ot.Extra(k).(string); return v }
	t := &Token{AccessToken: ot.AccessToken, InstanceURL: str("instance_url"), IdentityURL: str("id"), IssuedAt: time.Now()}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access_token", ErrBadResponse)
	}
	if t.InstanceURL == "" {
		return nil, fmt.Errorf("%w: no instance_url", ErrBadResponse)
	}
	if t.IdentityURL == "" {
		return nil, fmt.Errorf("%w: no id", ErrBadResponse)
	}
	var parts []string
	if u, err := url.Parse(t.IdentityURL); err == nil {
		parts = strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	}
	if len(parts) < 2 || parts[len(parts)-1] == "" || parts[len(parts)-2] == "" {
		return nil, fmt.Errorf("%w: id %q has no org and user id", ErrBadResponse, t.IdentityURL)
	}
	t.OrgID, t.UserID = parts[len(parts)-2], parts[len(parts)-1]
	// issued_at is milliseconds since the epoch, as a string.
	if ms, err := strconv.ParseInt(str("issued_at"), 10, 64); err == nil && ms > 0 {
		t.IssuedAt = time.UnixMilli(ms)
	}
	return t, nil
}

// wrapErr types endpoint errors and strips every configured secret from messages.
func (s *Source) wrapErr(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Code: re.ErrorCode, Description: re.ErrorDescription, err: re}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		if e.Code == "" { // oauth2/jwt does not parse the body
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if json.Unmarshal(re.Body, &body) == nil {
				e.Code, e.Description = body.Error, body.Description
			}
		}
		e.Code, e.Description = s.scrub(e.Code), s.scrub(e.Description)
		return e
	}
	return &scrubbedError{msg: "salesforce oauth: " + s.scrub(err.Error()), err: err}
}

func (s *Source) scrub(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.secrets {
		msg = strings.ReplaceAll(msg, v, "[redacted]")
	}
	return msg
}

// ctxTransport attaches a context to requests made without one.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r.WithContext(t.ctx))
}
