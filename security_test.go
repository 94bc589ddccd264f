package salesforcereceiver

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/metadata"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// logText renders every observed entry, message and fields, as JSON.
func logText(t *testing.T, logs *observer.ObservedLogs) string {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewDevelopmentEncoderConfig())
	var b strings.Builder
	for _, e := range logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		require.NoError(t, err)
		b.Write(buf.Bytes())
		buf.Free()
	}
	return b.String()
}

// Every flow's secrets, and the access tokens Salesforce issues, stay out
// of the logs at every level, through expired sessions, failed logins,
// server errors and retries.
func TestSecretsNeverLogged(t *testing.T) {
	key, pemBytes := sftest.RSAKey(t)
	keyPEM := string(pemBytes)
	const (
		clientSecret  = "CS-0d7e4f2a1b-secret"
		password      = "PW-8c2f1e9d-password"
		securityToken = "ST-3b6a0c5e-token"
		refreshToken  = "RT-e1f4a7c2-refresh"
		wrongSecret   = "WS-77aa11bb-wrong"
	)
	opts := simulator.Options{LoginHistoryRows: 300, SetupAuditTrailRows: 50, JWTPublicKey: &key.PublicKey,
		ClientSecret: clientSecret, Password: password, SecurityToken: securityToken, RefreshToken: refreshToken}
	flows := map[string]AuthConfig{
		string(auth.FlowJWTBearer): {Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername,
			PrivateKey: configopaque.String(keyPEM)},
		string(auth.FlowClientCredentials): {Flow: auth.FlowClientCredentials, ClientID: simulator.DefaultClientID, ClientSecret: clientSecret},
		string(auth.FlowRefreshToken): {Flow: auth.FlowRefreshToken, ClientID: simulator.DefaultClientID, ClientSecret: clientSecret,
			RefreshToken: refreshToken},
		string(auth.FlowPassword): {Flow: auth.FlowPassword, ClientID: simulator.DefaultClientID, ClientSecret: clientSecret,
			Username: simulator.DefaultUsername, Password: password, SecurityToken: securityToken},
		"wrong_secret": {Flow: auth.FlowClientCredentials, ClientID: simulator.DefaultClientID, ClientSecret: wrongSecret},
	}
	secrets := []string{clientSecret, password, securityToken, refreshToken, wrongSecret,
		// and the key joined by the password flow's request
		password + securityToken}
	for _, line := range strings.Split(keyPEM, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	tokenRE := regexp.MustCompile(regexp.QuoteMeta(simulator.DefaultOrgID[:15]) + `!AR[A-Z2-7]{10,}`)

	for name, a := range flows {
		t.Run(name, func(t *testing.T) {
			sim := simulator.NewTestServer(t, opts)
			sim.InjectFault(simulator.Fault{Path: "/query", Skip: 1, ExpireSession: true})
			sim.InjectFault(simulator.Fault{Path: "/query", Skip: 1, Status: 503})
			sim.InjectFault(simulator.Fault{Path: "oauth2/token", Skip: 1, Status: 500})
			cfg := simConfig(sim)
			cfg.Auth = a
			require.NoError(t, cfg.Validate())
			s, logs, stop := startObserved(t, cfg, componenttest.NewNopHost(), zap.DebugLevel)
			if name == "wrong_secret" {
				require.Eventually(t, func() bool { return strings.Contains(logText(t, logs), "invalid_client") },
					10*time.Second, 20*time.Millisecond, "the failed login is logged")
			} else {
				waitDelivered(t, s, sim, bothStreams...)
				sim.ExpireSessions()
				sim.Arrive("LoginHistory", 3, time.Now())
				waitDelivered(t, s, sim, bothStreams...)
			}
			stop()
			text := logText(t, logs)
			if name != "wrong_secret" {
				require.NotEmpty(t, logs.FilterLevelExact(zap.DebugLevel).All(), "debug entries were observed")
			}
			for _, secret := range secrets {
				require.NotContains(t, text, secret)
			}
			require.False(t, tokenRE.MatchString(text), "access token in the log: %s", tokenRE.FindString(text))
		})
	}
}

// tlsFront is an HTTPS server with a self-signed certificate in front of
// the simulator's login endpoint; it returns the URL and a CA file.
func tlsFront(t *testing.T, sim *simulator.Server) (loginURL, caFile string) {
	t.Helper()
	u, err := url.Parse(sim.URL())
	require.NoError(t, err)
	ts := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(ts.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600))
	return ts.URL, caFile
}

// TLS certificates are verified unless the configuration says otherwise: a
// self-signed login endpoint is refused, and accepted with its CA or with
// insecure_skip_verify.
func TestTLSVerifiedUnlessTurnedOff(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{LoginHistoryRows: 100, SetupAuditTrailRows: 20})
	loginURL, caFile := tlsFront(t, sim)

	t.Run("self-signed is refused", func(t *testing.T) {
		cfg := simConfig(sim)
		cfg.LoginURL = loginURL
		s, logs, stop := startObserved(t, cfg, componenttest.NewNopHost(), zap.DebugLevel)
		require.Eventually(t, func() bool {
			return strings.Contains(logText(t, logs), "certificate signed by unknown authority")
		}, 15*time.Second, 20*time.Millisecond)
		stop()
		require.Zero(t, s.Count(), "nothing is read over an unverified connection")
	})
	for name, trust := range map[string]func(*Config){
		"ca_file":              func(cfg *Config) { cfg.TLS.CAFile = caFile },
		"insecure_skip_verify": func(cfg *Config) { cfg.TLS.InsecureSkipVerify = true },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := simConfig(sim)
			cfg.LoginURL = loginURL
			trust(cfg)
			s := sftest.NewSink()
			stop := startReceiver(t, cfg, s, componenttest.NewNopHost(), nil)
			waitDelivered(t, s, sim, bothStreams...)
			stop()
		})
	}
}

// Shutdown in the middle of a large EventLogFile download, and while a
// refused page waits for its next attempt, returns promptly; the package's
// TestMain (goleak) then checks that no goroutine outlived it.
func TestShutdownDuringLargeDownloadIsPrompt(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		name := "downloading"
		if refuse {
			name = "holding a refused page"
		}
		t.Run(name, func(t *testing.T) {
			sim := simulator.NewTestServer(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1})
			id := sim.AddLogFile(simulator.LogFile{EventType: "API", LogDate: time.Now().UTC().Add(-30 * time.Hour).Truncate(24 * time.Hour),
				GenBytes: 24 << 20})
			rows := sim.LogFileRowCount(id)
			cfg := simConfig(sim)
			cfg.LoginHistory.Enabled, cfg.SetupAuditTrail.Enabled = false, false
			cfg.EventLogFile.Enabled, cfg.EventLogFile.PollInterval, cfg.EventLogFile.Backfill = true, time.Second, 72*time.Hour
			s := sftest.NewSink()
			if refuse {
				s.SetRefuse(func(sftest.Delivery) error { return errors.New("downstream refuses") })
			}
			core, logs := observer.New(zap.InfoLevel)
			set := startReceiverShutdown(t, cfg, s, zap.New(core))
			if refuse {
				require.Eventually(t, func() bool {
					return logs.FilterMessageSnippet("Next consumer refused records").Len() > 0
				}, 20*time.Second, 10*time.Millisecond)
			} else {
				require.Eventually(t, func() bool { return s.Count() > 0 }, 20*time.Second, 5*time.Millisecond)
			}
			began := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, set(ctx), "Shutdown must finish within 5s")
			took := time.Since(began)
			assert.Less(t, s.Count(), rows, "shut down mid-file (of %d rows)", rows)
			t.Logf("shutdown took %s with %d of %d rows delivered", took.Round(time.Millisecond), s.Count(), rows)
		})
	}
}

// startReceiverShutdown starts a receiver and returns its Shutdown.
func startReceiverShutdown(t *testing.T, cfg *Config, next consumer.Logs, logger *zap.Logger) func(context.Context) error {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = logger
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	return rcv.Shutdown
}
