package salesforcereceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// allStreamsTruth is what the four kinds of stream should deliver from sim:
// LoginHistory, SetupAuditTrail, the daily log files' rows and LoginEvent.
func allStreamsTruth(t *testing.T, sim *simulator.Server) map[string]string {
	org := sim.Options().OrgID
	want := sftest.LogFileTruth(t, sim, func(r simulator.Record) bool { return r.Fields["Interval"] == "Daily" })
	for stream, o := range map[string]string{"login_history": "LoginHistory", "setup_audit_trail": "SetupAuditTrail"} {
		for _, r := range sim.Records(o) {
			want[convert.RecordUID(org, stream, r.ID)] = o + " " + r.ID
		}
	}
	for _, r := range sim.Records("LoginEvent") {
		id := r.Fields["EventIdentifier"].(string)
		want[convert.RecordUID(org, "object/LoginEvent", id)] = "LoginEvent " + id
	}
	return want
}

// allStreamsConfig enables every kind of stream, polling every second,
// reading all of sim's history.
func allStreamsConfig(sim *simulator.Server) *Config {
	cfg := simConfig(sim)
	cfg.LoginHistory.Backfill, cfg.SetupAuditTrail.Backfill = 96*time.Hour, 96*time.Hour
	cfg.EventLogFile.Enabled, cfg.EventLogFile.PollInterval, cfg.EventLogFile.Backfill = true, time.Second, 96*time.Hour
	cfg.Objects = []ObjectConfig{{Name: "LoginEvent", TimestampField: "EventDate", PollInterval: time.Second, Backfill: 96 * time.Hour}}
	return cfg
}

func newVarietySim(t *testing.T, opts simulator.Options) *simulator.Server {
	t.Helper()
	opts.SameTimestampRuns = true
	opts.NoLoginHistory = true // sign-ins would add LoginHistory rows while the truth is taken
	sim := simulator.NewTestServer(t, opts)
	now := time.Now().UTC()
	sim.SeedLogFiles(now.Add(-72*time.Hour), now.Add(-24*time.Hour), false, 20)
	return sim
}

// Real orgs show fewer fields than the receiver would like: hidden by
// field-level security, or newer than the configured api_version. Every
// stream still delivers everything, and each missing field is named once.
func TestEveryStreamDeliversWhatTheOrgShows(t *testing.T) {
	tests := []struct {
		name       string
		opts       simulator.Options
		apiVersion string
		missing    []string // LoginHistory fields named in the log and the connection test
	}{
		{
			name:    "field-level security hides two LoginHistory fields",
			opts:    simulator.Options{HiddenFields: map[string][]string{"LoginHistory": {"ForwardedForIp", "AuthMethodReference"}}},
			missing: []string{"AuthMethodReference", "ForwardedForIp"},
		},
		{
			name:       "an older api_version",
			apiVersion: "45.0",
			missing:    []string{"AuthMethodReference", "ForwardedForIp"},
		},
		{
			name:       "an org that serves only older versions, configured to match",
			opts:       simulator.Options{APIVersion: "52.0"},
			apiVersion: "52.0",
			missing:    []string{"ForwardedForIp"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := newVarietySim(t, tc.opts)
			cfg := allStreamsConfig(sim)
			if tc.apiVersion != "" {
				cfg.APIVersion = tc.apiVersion
			}
			require.NoError(t, cfg.Validate())
			want := allStreamsTruth(t, sim)
			s, logs, stop := startObserved(t, cfg, newStatusHost(), zap.InfoLevel)
			defer stop()
			require.Eventually(t, func() bool { m, _ := s.Missing(sftest.UID, want); return m == 0 }, 60*time.Second, 20*time.Millisecond,
				"every stream delivers everything")
			_, dup := s.Missing(sftest.UID, want)
			assert.Zero(t, dup)
			require.Eventually(t, func() bool { return logs.FilterMessage("Stream ready").Len() == 4 }, 10*time.Second, 10*time.Millisecond)
			time.Sleep(1500 * time.Millisecond) // more polls: nothing is named again
			for _, f := range tc.missing {
				assert.Equal(t, 1, logs.FilterMessage("LoginHistory: "+f+" is not visible to the integration user; records will lack it; grant field access to add it").Len(),
					"%s named once", f)
			}
			for _, l := range logs.FilterMessage("Stream ready").All() {
				if l.ContextMap()["stream"] == "login_history" {
					assert.Subset(t, l.ContextMap()["missing_fields"], tc.missing)
				}
			}
			assert.Zero(t, logs.FilterMessageSnippet("Poll failed").Len(), "%v", logs.FilterMessageSnippet("Poll failed").All())
		})
	}
}

// An api_version newer than the org serves is said plainly at start; the
// streams wait at their poll interval instead of failing fast.
func TestAPIVersionNewerThanTheOrgServes(t *testing.T) {
	sim := newVarietySim(t, simulator.Options{APIVersion: "58.0"})
	cfg := allStreamsConfig(sim) // api_version 66.0
	host := newStatusHost()
	s, logs, stop := startObserved(t, cfg, host, zap.InfoLevel)
	defer stop()
	require.Eventually(t, func() bool {
		return logs.FilterMessageSnippet("does not serve the configured api_version").Len() == 1
	}, 10*time.Second, 10*time.Millisecond)
	line := logs.FilterMessageSnippet("does not serve the configured api_version").All()[0]
	assert.Equal(t, "58.0", line.ContextMap()["newest_served"])
	assert.Contains(t, line.ContextMap()["error"], `set api_version to "58.0"`)
	require.Eventually(t, func() bool { return host.last() == componentstatus.StatusPermanentError }, 5*time.Second, 10*time.Millisecond)
	calls := sim.Calls()
	time.Sleep(2500 * time.Millisecond)
	assert.Zero(t, s.Count())
	assert.LessOrEqual(t, sim.Calls().Total-calls.Total, int64(0), "no call is made under a version the org does not serve")
}

// A refused credential is one paced sign-in for the whole receiver, and
// the password flow stops before Salesforce's lockout; fixing the
// credential and restarting recovers.
func TestRefusedCredentialsDoNotStorm(t *testing.T) {
	trusted, trustedPEM := sftest.RSAKey(t)
	_, otherPEM := sftest.RSAKey(t)
	password := func(pw string) AuthConfig {
		return AuthConfig{Flow: auth.FlowPassword, ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
			Username: simulator.DefaultUsername, Password: configopaque.String(pw), SecurityToken: simulator.DefaultSecurityToken}
	}
	jwt := func(keyPEM []byte) AuthConfig {
		return AuthConfig{Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername, PrivateKey: configopaque.String(keyPEM)}
	}
	tests := []struct {
		name       string
		wrong, fix AuthConfig
		fixText    string
	}{
		{"jwt_bearer with the wrong key", jwt(otherPEM), jwt(trustedPEM), "certificate matches private_key_file"},
		{"password flow with the wrong password", password("not-the-password"), password(simulator.DefaultPassword), "unlock the user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := newVarietySim(t, simulator.Options{JWTPublicKey: &trusted.PublicKey, LockoutAfter: 5})
			cfg := allStreamsConfig(sim)
			cfg.Auth = tc.wrong
			host := newStatusHost()
			_, logs, stop := startObserved(t, cfg, host, zap.InfoLevel)
			time.Sleep(60 * time.Second)
			stop()
			tokens := sim.Calls().Token
			t.Logf("token requests in 60s with four streams polling every second: %d", tokens)
			assert.LessOrEqual(t, tokens, int64(8))
			assert.GreaterOrEqual(t, tokens, int64(1))
			assert.False(t, sim.Locked(), "never locked out")
			assert.Equal(t, componentstatus.StatusPermanentError, host.last())
			host.mu.Lock()
			last := host.errs[len(host.errs)-1]
			host.mu.Unlock()
			assert.Contains(t, last.Error(), tc.fixText, "the status names the fix")
			assert.NotEmpty(t, logs.FilterMessageSnippet("Salesforce refused").All())

			cfg.Auth = tc.fix
			s := sftest.NewSink()
			stop = startReceiver(t, cfg, s, newStatusHost(), nil)
			defer stop()
			want := allStreamsTruth(t, sim)
			require.Eventually(t, func() bool { m, _ := s.Missing(sftest.UID, want); return m == 0 }, 60*time.Second, 20*time.Millisecond)
		})
	}
}
