package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	golangjwt "github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecret   = "s3cr3t-client-secret"
	testPassword = "p@ss word"
	testSecTok   = "SECTOKEN123"
	testRefresh  = "5Aep861-refresh-token"
	testIdentity = "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func pkcs1PEM(t *testing.T) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey(t))})
}

func pkcs8PEM(t *testing.T) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(rsaKey(t))
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
}

// tokenServer is a token endpoint that checks each request's form with check
// and answers with a fresh access token per request.
type tokenServer struct {
	*httptest.Server
	fetches atomic.Int32
	gate    atomic.Pointer[chan struct{}] // if set, each request waits for it
}

func newTokenServer(t *testing.T, check func(t *testing.T, form url.Values)) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/services/oauth2/token" || r.Method != http.MethodPost {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if g := ts.gate.Load(); g != nil {
			<-*g
		}
		assert.NoError(t, r.ParseForm())
		if check != nil {
			check(t, r.PostForm)
		}
		n := ts.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"access_token": fmt.Sprintf("00D!at-%d", n),
			"instance_url": "https://example.my.salesforce.com",
			"id":           testIdentity,
			"token_type":   "Bearer",
			"issued_at":    "1714566896000",
			"signature":    "sig",
		})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestFlows(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		check func(t *testing.T, form url.Values)
	}{
		{
			name: "jwt_bearer pkcs1",
			cfg:  Config{Flow: FlowJWTBearer, ClientID: "cid", Username: "u@example.com", PrivateKeyPEM: pkcs1PEM(t)},
			check: func(t *testing.T, f url.Values) {
				checkAssertion(t, f, "https://login.salesforce.com")
			},
		},
		{
			name: "jwt_bearer pkcs8 custom audience",
			cfg: Config{Flow: FlowJWTBearer, ClientID: "cid", Username: "u@example.com", PrivateKeyPEM: pkcs8PEM(t),
				Audience: "https://test.salesforce.com"},
			check: func(t *testing.T, f url.Values) {
				checkAssertion(t, f, "https://test.salesforce.com")
			},
		},
		{
			name: "client_credentials",
			cfg:  Config{Flow: FlowClientCredentials, ClientID: "cid", ClientSecret: testSecret},
			check: func(t *testing.T, f url.Values) {
				assert.Equal(t, "client_credentials", f.Get("grant_type"))
				assert.Equal(t, "cid", f.Get("client_id"))
				assert.Equal(t, testSecret, f.Get("client_secret"))
			},
		},
		{
			name: "refresh_token",
			cfg:  Config{Flow: FlowRefreshToken, ClientID: "cid", ClientSecret: testSecret, RefreshToken: testRefresh},
			check: func(t *testing.T, f url.Values) {
				assert.Equal(t, "refresh_token", f.Get("grant_type"))
				assert.Equal(t, "cid", f.Get("client_id"))
				assert.Equal(t, testSecret, f.Get("client_secret"))
				assert.Equal(t, testRefresh, f.Get("refresh_token"))
			},
		},
		{
			name: "password with security token",
			cfg: Config{Flow: FlowPassword, ClientID: "cid", ClientSecret: testSecret, Username: "u@example.com",
				Password: testPassword, SecurityToken: testSecTok},
			check: func(t *testing.T, f url.Values) {
				assert.Equal(t, "password", f.Get("grant_type"))
				assert.Equal(t, "cid", f.Get("client_id"))
				assert.Equal(t, testSecret, f.Get("client_secret"))
				assert.Equal(t, "u@example.com", f.Get("username"))
				assert.Equal(t, testPassword+testSecTok, f.Get("password"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, tt.check)
			cfg := tt.cfg
			cfg.LoginURL = ts.URL + "/"
			cfg.HTTPClient = ts.Client()
			s, err := NewSource(cfg)
			require.NoError(t, err)
			tok, err := s.Token(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "00D!at-1", tok.AccessToken)
			assert.Equal(t, "https://example.my.salesforce.com", tok.InstanceURL)
			assert.Equal(t, testIdentity, tok.IdentityURL)
			assert.Equal(t, "00Dxx0000001gPLEAY", tok.OrgID)
			assert.Equal(t, "005xx000001SwiUAAS", tok.UserID)
			assert.Equal(t, time.UnixMilli(1714566896000), tok.IssuedAt)
			assert.Equal(t, int32(1), ts.fetches.Load())
		})
	}
}

func checkAssertion(t *testing.T, f url.Values, aud string) {
	t.Helper()
	assert.Equal(t, "urn:ietf:params:oauth:grant-type:jwt-bearer", f.Get("grant_type"))
	var claims golangjwt.RegisteredClaims
	tok, err := golangjwt.ParseWithClaims(f.Get("assertion"), &claims,
		func(*golangjwt.Token) (any, error) { return &rsaKey(t).PublicKey, nil },
		golangjwt.WithValidMethods([]string{"RS256"}), golangjwt.WithAudience(aud),
		golangjwt.WithIssuer("cid"), golangjwt.WithSubject("u@example.com"), golangjwt.WithExpirationRequired())
	require.NoError(t, err)
	require.True(t, tok.Valid)
	left := time.Until(claims.ExpiresAt.Time)
	assert.LessOrEqual(t, left, 3*time.Minute)
	assert.Greater(t, left, 2*time.Minute)
}

func TestNewSourceValidation(t *testing.T) {
	base := func(f Flow) Config {
		return Config{Flow: f, LoginURL: "https://login.salesforce.com", ClientID: "cid", ClientSecret: testSecret,
			Username: "u", Password: testPassword, RefreshToken: testRefresh, PrivateKeyPEM: pkcs8PEM(t)}
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	require.NoError(t, err)
	sec1DER, err := x509.MarshalECPrivateKey(ecKey)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	require.NoError(t, err)
	rsaDER, err := x509.MarshalPKCS8PrivateKey(rsaKey(t))
	require.NoError(t, err)
	pemOf := func(typ string, der []byte, headers map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
	}
	tests := []struct {
		name      string
		mutate    func(*Config)
		flow      Flow
		wantField string // "" means valid
		wantMsg   string
	}{
		{"jwt ok", nil, FlowJWTBearer, "", ""},
		{"jwt ok pkcs1", func(c *Config) { c.PrivateKeyPEM = pkcs1PEM(t) }, FlowJWTBearer, "", ""},
		{"jwt ok audience", func(c *Config) { c.Audience = "https://test.salesforce.com" }, FlowJWTBearer, "", ""},
		{"cc ok", nil, FlowClientCredentials, "", ""},
		{"refresh ok without secret", func(c *Config) { c.ClientSecret = "" }, FlowRefreshToken, "", ""},
		{"password ok", nil, FlowPassword, "", ""},
		{"password ok without security token", func(c *Config) { c.SecurityToken = "" }, FlowPassword, "", ""},
		{"no flow", nil, "", "flow", "required, one of jwt_bearer"},
		{"unknown flow", nil, "saml", "flow", `"saml" is not one of`},
		{"no login url", func(c *Config) { c.LoginURL = "" }, FlowClientCredentials, "login_url", "required"},
		{"relative login url", func(c *Config) { c.LoginURL = "login.salesforce.com" }, FlowClientCredentials, "login_url", "absolute"},
		{"no client id", func(c *Config) { c.ClientID = "" }, FlowClientCredentials, "client_id", "required for flow client_credentials"},
		{"jwt no username", func(c *Config) { c.Username = "" }, FlowJWTBearer, "username", "required for flow jwt_bearer"},
		{"jwt no key", func(c *Config) { c.PrivateKeyPEM = nil }, FlowJWTBearer, "private_key", "required for flow jwt_bearer"},
		{"jwt not pem", func(c *Config) { c.PrivateKeyPEM = []byte("nope") }, FlowJWTBearer, "private_key", "not PEM"},
		{"jwt garbage pkcs8", func(c *Config) { c.PrivateKeyPEM = pemOf("PRIVATE KEY", []byte("garbage"), nil) }, FlowJWTBearer, "private_key", "PKCS"},
		{"jwt ec pkcs8", func(c *Config) { c.PrivateKeyPEM = pemOf("PRIVATE KEY", ecDER, nil) }, FlowJWTBearer, "private_key", "EC key"},
		{"jwt ec sec1", func(c *Config) { c.PrivateKeyPEM = pemOf("EC PRIVATE KEY", sec1DER, nil) }, FlowJWTBearer, "private_key", "EC key"},
		{"jwt ed25519", func(c *Config) { c.PrivateKeyPEM = pemOf("PRIVATE KEY", edDER, nil) }, FlowJWTBearer, "private_key", "Ed25519"},
		{"jwt encrypted pkcs8", func(c *Config) { c.PrivateKeyPEM = pemOf("ENCRYPTED PRIVATE KEY", rsaDER, nil) }, FlowJWTBearer, "private_key", "encrypted"},
		{"jwt encrypted pkcs1", func(c *Config) {
			c.PrivateKeyPEM = pemOf("RSA PRIVATE KEY", rsaDER, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"})
		}, FlowJWTBearer, "private_key", "encrypted"},
		{"jwt certificate", func(c *Config) { c.PrivateKeyPEM = pemOf("CERTIFICATE", []byte("x"), nil) }, FlowJWTBearer, "private_key", `"CERTIFICATE"`},
		{"jwt audience", func(c *Config) { c.Audience = "login.salesforce.com" }, FlowJWTBearer, "audience", "https URL"},
		{"cc no secret", func(c *Config) { c.ClientSecret = "" }, FlowClientCredentials, "client_secret", "required for flow client_credentials"},
		{"refresh no token", func(c *Config) { c.RefreshToken = "" }, FlowRefreshToken, "refresh_token", "required for flow refresh_token"},
		{"password no password", func(c *Config) { c.Password = "" }, FlowPassword, "password", "required for flow password"},
		{"password no username", func(c *Config) { c.Username = "" }, FlowPassword, "username", "required for flow password"},
		{"password no secret", func(c *Config) { c.ClientSecret = "" }, FlowPassword, "client_secret", "required for flow password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base(tt.flow)
			if tt.mutate != nil {
				tt.mutate(&cfg)
			}
			verr := cfg.Validate()
			_, err := NewSource(cfg)
			if tt.wantField == "" {
				require.NoError(t, verr)
				require.NoError(t, err)
				return
			}
			require.Equal(t, verr, err, "NewSource refuses what Validate does, with the same error")
			fe := fieldErrors(t, err)
			require.Len(t, fe, 1, "%v", err)
			assert.Equal(t, tt.wantField, fe[0].Field)
			assert.Contains(t, fe[0].Msg, tt.wantMsg)
			assertNoSecrets(t, err.Error())
		})
	}
}

// fieldErrors returns the *FieldError values err joins, failing on anything else.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	j, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "an errors.Join: %v", err)
	var out []*FieldError
	for _, e := range j.Unwrap() {
		var fe *FieldError
		require.ErrorAs(t, e, &fe, "a *FieldError: %v", e)
		out = append(out, fe)
	}
	return out
}

// Every problem is reported at once, each naming its field.
func TestValidateReportsEveryField(t *testing.T) {
	err := Config{Flow: FlowPassword, LoginURL: "https://login.salesforce.com"}.Validate()
	var fields []string
	for _, fe := range fieldErrors(t, err) {
		fields = append(fields, fe.Field)
		assert.Equal(t, "required for flow password", fe.Msg)
	}
	assert.Equal(t, []string{"client_id", "client_secret", "username", "password"}, fields)
	assert.EqualError(t, &FieldError{Field: "client_id", Msg: "required"}, "client_id: required")

	err = Config{Flow: "saml"}.Validate()
	fields = nil
	for _, fe := range fieldErrors(t, err) {
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"flow", "login_url", "client_id"}, fields)
}

func TestDefaultAudience(t *testing.T) {
	tests := map[string]string{
		"https://login.salesforce.com":                     AudienceProduction,
		"https://test.salesforce.com":                      AudienceSandbox,
		"https://TEST.salesforce.com/":                     AudienceSandbox,
		"https://acme--dev.sandbox.my.salesforce.com":      AudienceSandbox, // enhanced domains
		"https://acme--uat.my.salesforce.com":              AudienceSandbox, // legacy My Domain of a sandbox
		"https://cs42.salesforce.com":                      AudienceSandbox, // a sandbox instance
		"https://cs101.my.salesforce.com":                  AudienceSandbox,
		"https://cs7.force.com":                            AudienceSandbox,
		"https://usa2s.sfdc-y37hzm.salesforce.com":         AudienceSandbox, // Hyperforce sandbox instance
		"https://acme.my.salesforce.com":                   AudienceProduction,
		"https://na42.salesforce.com":                      AudienceProduction,
		"https://usa2.sfdc-y37hzm.salesforce.com":          AudienceProduction,
		"https://acme-dev.my.salesforce.com":               AudienceProduction, // one hyphen is any My Domain
		"https://evil-sandbox.my.salesforce.com.evil.test": AudienceProduction,
		"https://x.sandbox.my.salesforce.com.evil.test":    AudienceProduction,
		"https://cs42.salesforce.com.evil.test":            AudienceProduction,
		"http://127.0.0.1:8080":                            AudienceProduction,
		"::not a url":                                      AudienceProduction,
	}
	for in, want := range tests {
		assert.Equal(t, want, DefaultAudience(in), in)
	}
}

// A My Domain whose name says nothing is followed in DNS, as Salesforce's
// CLI did: a CNAME to a sandbox host makes it a sandbox.
func TestSandboxByDNS(t *testing.T) {
	cnames := map[string]string{
		"acme-uat.my.salesforce.com":  "acme--uat.sandbox.my.salesforce.com.",
		"acme-prod.my.salesforce.com": "acme-prod.my.salesforce.com.",
	}
	old := lookupCNAME
	lookupCNAME = func(_ context.Context, host string) (string, error) {
		if c, ok := cnames[host]; ok {
			return c, nil
		}
		return "", errors.New("no such host")
	}
	t.Cleanup(func() { lookupCNAME = old })
	ctx := context.Background()
	assert.True(t, sandboxByDNS(ctx, "https://acme-uat.my.salesforce.com"))
	assert.False(t, sandboxByDNS(ctx, "https://acme-prod.my.salesforce.com"))
	assert.False(t, sandboxByDNS(ctx, "https://unknown.my.salesforce.com"), "a failed lookup says no")
	assert.False(t, sandboxByDNS(ctx, "https://login.salesforce.com"), "only My Domains are looked up")
}

func newCC(t *testing.T, ts *tokenServer) *Source {
	s, err := NewSource(Config{Flow: FlowClientCredentials, LoginURL: ts.URL, ClientID: "cid", ClientSecret: testSecret,
		HTTPClient: ts.Client()})
	require.NoError(t, err)
	return s
}

func TestTokenCachedAcrossConcurrentCallers(t *testing.T) {
	ts := newTokenServer(t, nil)
	s := newCC(t, ts)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			tok, err := s.Token(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, "00D!at-1", tok.AccessToken)
		})
	}
	wg.Wait()
	_, err := s.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int32(1), ts.fetches.Load())
}

func TestRefreshSingleFlight(t *testing.T) {
	ts := newTokenServer(t, nil)
	s := newCC(t, ts)
	stale, err := s.Token(context.Background())
	require.NoError(t, err)

	gate := make(chan struct{})
	ts.gate.Store(&gate)
	const n = 30
	results := make(chan *Token, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			tok, err := s.Refresh(context.Background(), stale)
			assert.NoError(t, err)
			results <- tok
		})
	}
	// Let the callers pile up behind the one fetch before releasing it.
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(results)
	for tok := range results {
		assert.Equal(t, "00D!at-2", tok.AccessToken)
	}
	assert.Equal(t, int32(2), ts.fetches.Load())

	// A late caller with the old token gets the newer one without a fetch.
	tok, err := s.Refresh(context.Background(), stale)
	require.NoError(t, err)
	assert.Equal(t, "00D!at-2", tok.AccessToken)
	assert.Equal(t, int32(2), ts.fetches.Load())

	// Refreshing the current token does fetch.
	tok, err = s.Refresh(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "00D!at-3", tok.AccessToken)
}

func TestRefreshTokenRotation(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		seen = append(seen, r.PostForm.Get("refresh_token"))
		n := len(seen)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"access_token": fmt.Sprintf("at-%d", n), "refresh_token": fmt.Sprintf("rotated-refresh-%d", n),
			"instance_url": "https://x.my.salesforce.com", "id": testIdentity,
		})
	}))
	defer srv.Close()
	s, err := NewSource(Config{Flow: FlowRefreshToken, LoginURL: srv.URL, ClientID: "cid", RefreshToken: testRefresh})
	require.NoError(t, err)
	tok, err := s.Token(context.Background())
	require.NoError(t, err)
	_, err = s.Refresh(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, []string{testRefresh, "rotated-refresh-1"}, seen)
}

func TestWaiterCancellation(t *testing.T) {
	ts := newTokenServer(t, nil)
	gate := make(chan struct{})
	ts.gate.Store(&gate)
	defer close(gate)
	s := newCC(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Token(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestErrorTyping(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		ctype     string
		wantTyped bool
		permanent bool
		code      string
		desc      string
		contains  string
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"authentication failure"}`, "application/json",
			true, true, "invalid_grant", "authentication failure", "salesforce oauth: 400 invalid_grant: authentication failure"},
		{"invalid_client 401", 401, `{"error":"invalid_client_id","error_description":"client identifier invalid"}`, "application/json",
			true, true, "invalid_client_id", "client identifier invalid", "401 invalid_client_id"},
		{"unavailable", 503, `<html>maintenance</html>`, "text/html", true, false, "", "", "salesforce oauth: 503"},
		{"rate limited", 429, `{"error":"rate_limited"}`, "application/json", true, false, "rate_limited", "", "429"},
		{"missing instance_url", 200, `{"access_token":"x","id":"` + testIdentity + `"}`, "application/json",
			false, false, "", "", "no instance_url"},
		{"missing id", 200, `{"access_token":"x","instance_url":"https://x"}`, "application/json", false, false, "", "", "no id"},
		{"bad id", 200, `{"access_token":"x","instance_url":"https://x","id":"https://x/"}`, "application/json",
			false, false, "", "", "no org and user id"},
	}
	for _, tt := range tests {
		for _, flow := range []Flow{FlowJWTBearer, FlowClientCredentials, FlowRefreshToken, FlowPassword} {
			t.Run(tt.name+"/"+string(flow), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", tt.ctype)
					w.WriteHeader(tt.status)
					_, _ = io.WriteString(w, tt.body)
				}))
				defer srv.Close()
				s, err := NewSource(allFlowsConfig(t, flow, srv.URL))
				require.NoError(t, err)
				_, err = s.Token(context.Background())
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.contains)
				var ae *Error
				require.Equal(t, tt.wantTyped, errors.As(err, &ae), "%v", err)
				assert.Equal(t, tt.permanent, IsPermanent(err))
				assert.Equal(t, tt.status == 200, errors.Is(err, ErrBadResponse))
				if tt.wantTyped {
					assert.Equal(t, tt.status, ae.Status)
					assert.Equal(t, tt.code, ae.Code)
					assert.Equal(t, tt.desc, ae.Description)
				}
			})
		}
	}
}

func TestNetworkErrorIsNotPermanent(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	s, err := NewSource(allFlowsConfig(t, FlowPassword, url))
	require.NoError(t, err)
	_, err = s.Token(context.Background())
	require.Error(t, err)
	assert.False(t, IsPermanent(err))
	var ae *Error
	assert.NotErrorAs(t, err, &ae)
	assertNoSecrets(t, err.Error())
}

func allFlowsConfig(t *testing.T, flow Flow, loginURL string) Config {
	return Config{Flow: flow, LoginURL: loginURL, ClientID: "cid", ClientSecret: testSecret, Username: "u@example.com",
		Password: testPassword, SecurityToken: testSecTok, RefreshToken: testRefresh, PrivateKeyPEM: pkcs8PEM(t)}
}

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testSecret, testPassword, url.QueryEscape(testPassword), testSecTok, testRefresh,
		"00D!at-", "PRIVATE KEY", string(pkcs8PEM(t)[40:80])} {
		assert.NotContains(t, s, secret)
	}
}

// The endpoint echoing the request back (as some proxies and error pages do)
// must not leak the credentials through our errors.
func TestErrorsContainNoSecrets(t *testing.T) {
	echoes := []struct {
		name   string
		status int
		ctype  string
		body   func(form string) string
	}{
		{"oauth error echo", 400, "application/json", func(f string) string {
			b, _ := json.Marshal(map[string]string{"error": "invalid_grant " + f, "error_description": f})
			return string(b)
		}},
		{"html echo", 500, "text/html", func(f string) string { return "<pre>" + f + "</pre>" }},
		{"bad token json", 200, "application/json", func(f string) string { return `{"access_token":"00D!at-1` + f }},
	}
	for _, e := range echoes {
		for _, flow := range []Flow{FlowJWTBearer, FlowClientCredentials, FlowRefreshToken, FlowPassword} {
			t.Run(e.name+"/"+string(flow), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					form, _ := url.ParseQuery(string(b))
					w.Header().Set("Content-Type", e.ctype)
					w.WriteHeader(e.status)
					_, _ = io.WriteString(w, e.body(string(b)+" "+fmt.Sprint(form)))
				}))
				defer srv.Close()
				s, err := NewSource(allFlowsConfig(t, flow, srv.URL))
				require.NoError(t, err)
				_, err = s.Token(context.Background())
				require.Error(t, err)
				assertNoSecrets(t, err.Error())
				assertNoSecrets(t, fmt.Sprintf("%v %+v", err, err))
			})
		}
	}
}

func TestTokenFormattingRedacts(t *testing.T) {
	tok := &Token{AccessToken: "00D!at-secret", InstanceURL: "https://x", OrgID: "00D", UserID: "005"}
	for _, s := range []string{
		fmt.Sprint(tok), fmt.Sprint(*tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%#v", *tok),
		fmt.Sprintf("%s", tok), fmt.Sprintf("%v", []*Token{tok}), //nolint:staticcheck // the %s verb is what is tested
	} {
		assert.NotContains(t, s, "at-secret")
		assert.Contains(t, s, "[redacted]")
	}
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "at-secret")
	assert.Contains(t, tok.String(), `OrgID: "00D"`)
}
