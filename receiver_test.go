package salesforcereceiver

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
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

var bothStreams = []string{"LoginHistory", "SetupAuditTrail"}

func simConfig(sim *simulator.Server) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.LoginURL = sim.URL()
	cfg.Auth = AuthConfig{
		Flow: auth.FlowClientCredentials, ClientID: simulator.DefaultClientID,
		ClientSecret: simulator.DefaultClientSecret,
	}
	cfg.LoginHistory.PollInterval, cfg.SetupAuditTrail.PollInterval = time.Second, time.Second
	cfg.EventLogFile.Enabled = false
	return cfg
}

func startReceiver(t *testing.T, cfg *Config, next consumer.Logs, host component.Host, logger *zap.Logger) func() {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type) // the same storage client across restarts
	if logger != nil {
		set.Logger = logger
	}
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), host))
	return func() { require.NoError(t, rcv.Shutdown(context.Background())) }
}

// missingAndDup compares deliveries, by salesforce.record.id, with the
// simulator's ground truth for objects.
func missingAndDup(s *sftest.Sink, sim *simulator.Server, objects ...string) (missing, dup int) {
	return s.Missing(sftest.RecordID, sftest.Truth(sim, sftest.ByID, objects...))
}

// startObserved starts a receiver into a new sink, keeping its log at
// level in logs.
// streamLines waits until the connection test has logged a line for n
// streams, and returns the ones that see only part of their object.
func streamLines(t *testing.T, logs *observer.ObservedLogs, n int) []observer.LoggedEntry {
	t.Helper()
	const partial = "Stream ready, but it sees only part of its object"
	require.Eventually(t, func() bool {
		return logs.FilterMessage("Stream ready").Len()+logs.FilterMessage(partial).Len() == n
	}, 10*time.Second, 10*time.Millisecond)
	return logs.FilterMessage(partial).All()
}

func startObserved(t *testing.T, cfg *Config, host component.Host, level zapcore.Level) (*sftest.Sink, *observer.ObservedLogs, func()) {
	t.Helper()
	core, logs := observer.New(level)
	s := sftest.NewSink()
	return s, logs, startReceiver(t, cfg, s, host, zap.New(core))
}

func waitDelivered(t *testing.T, s *sftest.Sink, sim *simulator.Server, objects ...string) {
	t.Helper()
	require.Eventually(t, func() bool { m, _ := missingAndDup(s, sim, objects...); return m == 0 }, 30*time.Second, 10*time.Millisecond)
	_, dup := missingAndDup(s, sim, objects...)
	require.Zero(t, dup, "duplicates")
}

func TestEveryAuthFlowDelivers(t *testing.T) {
	key, keyPEM := sftest.RSAKey(t)
	flows := map[auth.Flow]AuthConfig{
		auth.FlowJWTBearer: {Flow: auth.FlowJWTBearer, ClientID: simulator.DefaultClientID, Username: simulator.DefaultUsername,
			PrivateKey: configopaque.String(keyPEM)},
		auth.FlowClientCredentials: {Flow: auth.FlowClientCredentials, ClientID: simulator.DefaultClientID,
			ClientSecret: simulator.DefaultClientSecret},
		auth.FlowRefreshToken: {Flow: auth.FlowRefreshToken, ClientID: simulator.DefaultClientID,
			ClientSecret: simulator.DefaultClientSecret, RefreshToken: simulator.DefaultRefreshToken},
		auth.FlowPassword: {Flow: auth.FlowPassword, ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
			Username: simulator.DefaultUsername, Password: simulator.DefaultPassword, SecurityToken: simulator.DefaultSecurityToken},
	}
	for name, a := range flows {
		t.Run(string(name), func(t *testing.T) {
			sim := simulator.NewTestServer(t, simulator.Options{JWTPublicKey: &key.PublicKey, SameTimestampRuns: true})
			cfg := simConfig(sim)
			cfg.Auth = a
			require.NoError(t, cfg.Validate())
			s, logs, stop := startObserved(t, cfg, componenttest.NewNopHost(), zap.InfoLevel)
			waitDelivered(t, s, sim, bothStreams...)
			stop()
			warned := logs.FilterMessageSnippet("Allow OAuth Username-Password Flows").Len()
			assert.Equal(t, name == auth.FlowPassword, warned == 1, "password flow warns at start, others do not")
		})
	}
}

// A restart with file storage resumes: rows that arrived meanwhile come
// once, nothing already delivered comes again.
func TestRestartResumesFromStorage(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Defaults())
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("file_storage", t.TempDir())
	cfg := simConfig(sim)
	id := storagetest.NewStorageID("file_storage")
	cfg.Storage = &id

	s := sftest.NewSink()
	stop := startReceiver(t, cfg, s, host, nil)
	waitDelivered(t, s, sim, bothStreams...)
	stop()

	sim.Arrive("LoginHistory", 20, time.Now())
	sim.Arrive("SetupAuditTrail", 3, time.Now())
	stop = startReceiver(t, cfg, s, host, nil)
	waitDelivered(t, s, sim, bothStreams...)
	time.Sleep(1500 * time.Millisecond) // another poll finds nothing new
	stop()
	m, dup := missingAndDup(s, sim, bothStreams...)
	assert.Zero(t, m)
	assert.Zero(t, dup)
}

func TestStartFailsOnMissingStorageAndKey(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{})
	cfg := simConfig(sim)
	missing := component.MustNewID("file_storage")
	cfg.Storage = &missing
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sftest.NewSink())
	require.NoError(t, err)
	require.ErrorContains(t, rcv.Start(context.Background(), componenttest.NewNopHost()), "storage")
	require.NoError(t, rcv.Shutdown(context.Background()))

	cfg = simConfig(sim)
	cfg.Auth = AuthConfig{Flow: auth.FlowJWTBearer, ClientID: "x", Username: "u", PrivateKeyFile: "/nonexistent/sf.key"}
	rcv, err = NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sftest.NewSink())
	require.NoError(t, err)
	require.ErrorContains(t, rcv.Start(context.Background(), componenttest.NewNopHost()), "auth.private_key_file")
	cfg.Auth.PrivateKeyFile, cfg.Auth.PrivateKey = "", "not a key"
	rcv, err = NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sftest.NewSink())
	require.NoError(t, err)
	require.ErrorContains(t, rcv.Start(context.Background(), componenttest.NewNopHost()), "auth")
}
