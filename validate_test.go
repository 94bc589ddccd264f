package salesforcereceiver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// testRSAKey is one RSA key for the package's validation tests.
var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testKeyPEM is testRSAKey as PKCS#1 PEM.
func testKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testRSAKey())})
}

// pkcs8KeyPEM is testRSAKey as unencrypted PKCS#8 PEM.
func pkcs8KeyPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(testRSAKey())
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// ecKeyPEM is a P-256 key as PKCS#8 PEM.
func ecKeyPEM(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// encryptedKeyPEM is shaped like `openssl pkcs8 -topk8 -v2 aes256` output: an
// EncryptedPrivateKeyInfo (PBES2) in an ENCRYPTED PRIVATE KEY block.
func encryptedKeyPEM(t *testing.T) []byte {
	t.Helper()
	ciphertext := make([]byte, 1232)
	_, err := rand.Read(ciphertext)
	require.NoError(t, err)
	der, err := asn1.Marshal(struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}}, ciphertext})
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
}

// keyFile writes b to a private file and returns its path.
func keyFile(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sf.key")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

// startError starts a receiver for cfg as the collector would (without
// validating it first), shuts it down and returns Start's error.
func startError(t *testing.T, cfg *Config) error {
	t.Helper()
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sftest.NewSink())
	require.NoError(t, err)
	startErr := rcv.Start(context.Background(), componenttest.NewNopHost())
	require.NoError(t, rcv.Shutdown(context.Background()))
	return startErr
}

// Every config that Start refuses, Validate refuses first (so `otelcol
// validate` catches it), naming the field and showing no secret.
func TestValidateRejectsWhatStartRejects(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{JWTPublicKey: &testRSAKey().PublicKey})
	const proxyPassword = "PX-5e1d-proxy-password"
	keyPEM := testKeyPEM()
	jwt := func(c *Config) *AuthConfig {
		c.Auth = AuthConfig{Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername}
		return &c.Auth
	}
	password := func(c *Config) *AuthConfig {
		c.Auth = AuthConfig{Flow: auth.FlowPassword, ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
			Username: simulator.DefaultUsername, Password: simulator.DefaultPassword, SecurityToken: simulator.DefaultSecurityToken}
		return &c.Auth
	}
	tests := []struct {
		name   string
		mutate func(t *testing.T, c *Config)
		field  string // Validate's error names it as "<field>: "
		start  string // in Start's error; "" means field too
	}{
		{"password without client_secret", func(_ *testing.T, c *Config) { password(c).ClientSecret = "" }, "auth.client_secret", ""},
		{"password without password", func(_ *testing.T, c *Config) { password(c).Password = "" }, "auth.password", ""},
		{"password without username", func(_ *testing.T, c *Config) { password(c).Username = "" }, "auth.username", ""},
		{"jwt_bearer key file missing", func(t *testing.T, c *Config) {
			jwt(c).PrivateKeyFile = filepath.Join(t.TempDir(), "missing.key")
		}, "auth.private_key_file", ""},
		{"jwt_bearer key file is a directory", func(t *testing.T, c *Config) { jwt(c).PrivateKeyFile = t.TempDir() }, "auth.private_key_file", ""},
		{"jwt_bearer key file not PEM", func(t *testing.T, c *Config) {
			jwt(c).PrivateKeyFile = keyFile(t, []byte("MIIEowIBAAKCAQEA not a PEM key"))
		}, "auth.private_key_file", ""},
		{"jwt_bearer inline key not PEM", func(_ *testing.T, c *Config) { jwt(c).PrivateKey = "not a key" }, "auth.private_key", ""},
		{"jwt_bearer EC key file", func(t *testing.T, c *Config) { jwt(c).PrivateKeyFile = keyFile(t, ecKeyPEM(t)) }, "auth.private_key_file", ""},
		{"jwt_bearer inline EC key", func(t *testing.T, c *Config) { jwt(c).PrivateKey = configopaque.String(ecKeyPEM(t)) }, "auth.private_key", ""},
		{"jwt_bearer encrypted PKCS#8 key file", func(t *testing.T, c *Config) {
			jwt(c).PrivateKeyFile = keyFile(t, encryptedKeyPEM(t))
		}, "auth.private_key_file", ""},
		{"jwt_bearer key set twice", func(t *testing.T, c *Config) {
			a := jwt(c)
			a.PrivateKeyFile, a.PrivateKey = keyFile(t, keyPEM), configopaque.String(keyPEM)
		}, "auth.private_key_file", ""},
		{"jwt_bearer without key", func(_ *testing.T, c *Config) { jwt(c) }, "auth.private_key_file", ""},
		{"jwt_bearer without username", func(_ *testing.T, c *Config) {
			a := jwt(c)
			a.PrivateKey, a.Username = configopaque.String(keyPEM), ""
		}, "auth.username", ""},
		{"jwt_bearer audience not https", func(_ *testing.T, c *Config) {
			a := jwt(c)
			a.PrivateKey, a.Audience = configopaque.String(keyPEM), "login.salesforce.com"
		}, "auth.audience", ""},
		{"refresh_token without refresh_token", func(_ *testing.T, c *Config) {
			c.Auth = AuthConfig{Flow: auth.FlowRefreshToken, ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret}
		}, "auth.refresh_token", ""},
		{"client_credentials without client_secret", func(_ *testing.T, c *Config) { c.Auth.ClientSecret = "" }, "auth.client_secret", ""},
		{"without client_id", func(_ *testing.T, c *Config) { c.Auth.ClientID = "" }, "auth.client_id", ""},
		{"unknown flow", func(_ *testing.T, c *Config) { c.Auth.Flow = "saml" }, "auth.flow", ""},
		{"no flow", func(_ *testing.T, c *Config) { c.Auth.Flow = "" }, "auth.flow", ""},
		{"login_url not absolute", func(_ *testing.T, c *Config) { c.LoginURL = "login.salesforce.com" }, "login_url", ""},
		{"login_url plain http", func(_ *testing.T, c *Config) { c.LoginURL = "http://login.salesforce.com" }, "login_url", "loopback"},
		{"tls ca_file missing", func(t *testing.T, c *Config) { c.TLS.CAFile = filepath.Join(t.TempDir(), "ca.pem") }, "tls", ""},
		{"tls ca_file not a certificate", func(t *testing.T, c *Config) { c.TLS.CAFile = keyFile(t, []byte("junk")) }, "tls", ""},
		{"tls cert_file without key_file", func(t *testing.T, c *Config) { c.TLS.CertFile = keyFile(t, []byte("junk")) }, "tls", ""},
		{"tls min_version", func(_ *testing.T, c *Config) { c.TLS.MinVersion = "1.9" }, "tls", ""},
		{"tls cipher suite", func(_ *testing.T, c *Config) { c.TLS.CipherSuites = []string{"TLS_NOPE"} }, "tls", ""},
		{"proxy_url not a URL", func(_ *testing.T, c *Config) { c.ProxyURL = "::" }, "proxy_url", ""},
		{"proxy_url with a password, not a URL", func(_ *testing.T, c *Config) {
			c.ProxyURL = "http://user:" + proxyPassword + "@[::1"
		}, "proxy_url", ""},
		{"api_version", func(_ *testing.T, c *Config) { c.APIVersion = "v66" }, "api_version", "API version"},
	}
	secrets := []string{simulator.DefaultClientSecret, simulator.DefaultPassword, simulator.DefaultSecurityToken,
		simulator.DefaultRefreshToken, proxyPassword}
	for _, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := simConfig(sim)
			tt.mutate(t, cfg)
			verr := cfg.Validate()
			require.ErrorContains(t, verr, tt.field+": ")
			require.ErrorContains(t, confmap.Validate(cfg), tt.field+": ", "the collector's validation (otelcol validate)")

			serr := startError(t, cfg)
			want := tt.start
			if want == "" {
				want = tt.field + ": "
			}
			require.ErrorContains(t, serr, want, "Start refuses it too")
			for _, s := range secrets {
				require.NotContains(t, verr.Error(), s)
				require.NotContains(t, serr.Error(), s)
			}
		})
	}
}

// Every flow's valid config, and the transport settings, validate and start:
// Start returns at once and the receiver reaches the org.
func TestValidConfigStarts(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{JWTPublicKey: &testRSAKey().PublicKey})
	httpsURL, caFile := tlsFront(t, sim)

	// A forward proxy in front of the simulator, counting what it carries.
	var proxied atomic.Int64
	pxTransport := &http.Transport{}
	px := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { proxied.Add(1); r.Out.URL = r.In.URL },
		Transport: pxTransport,
	})
	t.Cleanup(func() { px.Close(); pxTransport.CloseIdleConnections() })

	keyPath := keyFile(t, pkcs8KeyPEM(t))
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"jwt_bearer inline PKCS#1 key", func(c *Config) {
			c.Auth = AuthConfig{Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername,
				PrivateKey: configopaque.String(testKeyPEM())}
		}},
		{"jwt_bearer PKCS#8 key file and audience", func(c *Config) {
			c.Auth = AuthConfig{Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername,
				PrivateKeyFile: keyPath, Audience: simulator.DefaultAudience}
		}},
		{"client_credentials", func(*Config) {}},
		{"refresh_token", func(c *Config) {
			c.Auth = AuthConfig{Flow: auth.FlowRefreshToken, ClientID: simulator.DefaultClientID,
				ClientSecret: simulator.DefaultClientSecret, RefreshToken: simulator.DefaultRefreshToken}
		}},
		{"refresh_token without client_secret", func(c *Config) {
			c.Auth = AuthConfig{Flow: auth.FlowRefreshToken, ClientID: simulator.DefaultClientID, RefreshToken: simulator.DefaultRefreshToken}
		}},
		{"password", func(c *Config) {
			c.Auth = AuthConfig{Flow: auth.FlowPassword, ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
				Username: simulator.DefaultUsername, Password: simulator.DefaultPassword, SecurityToken: simulator.DefaultSecurityToken}
		}},
		{"tls ca_file", func(c *Config) { c.LoginURL, c.TLS.CAFile = httpsURL, caFile }},
		{"proxy_url", func(c *Config) { c.ProxyURL = px.URL }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := simConfig(sim)
			cfg.SetupAuditTrail.Enabled = false
			tt.mutate(cfg)
			require.NoError(t, cfg.Validate())
			require.NoError(t, confmap.Validate(cfg))

			before := proxied.Load()
			began := time.Now()
			_, logs, stop := startObserved(t, cfg, componenttest.NewNopHost(), zap.InfoLevel)
			require.Less(t, time.Since(began), 5*time.Second, "Start returns at once")
			require.Eventually(t, func() bool { return logs.FilterMessage("Connected to Salesforce").Len() == 1 },
				15*time.Second, 10*time.Millisecond, "the receiver reaches the org")
			stop()
			require.Zero(t, logs.FilterLevelExact(zap.ErrorLevel).Len(), "no error logged: %v", logs.FilterLevelExact(zap.ErrorLevel).All())
			if cfg.ProxyURL != "" {
				require.Greater(t, proxied.Load(), before, "requests went through proxy_url")
			}
		})
	}
}
