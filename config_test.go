package salesforcereceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/sfevents/salesforcereceiver/internal/schema"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	sub, err := cm.Sub("salesforce")
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))

	storage := component.MustNewID("file_storage")
	want := createDefaultConfig().(*Config)
	want.LoginURL = "https://acme.my.salesforce.com"
	want.Auth = AuthConfig{Flow: "jwt_bearer", ClientID: "3MVG9-client", Username: "integration@acme.com", PrivateKeyFile: "/etc/otelcol/sf.key"}
	want.Timeout = 30 * time.Second
	want.Storage = &storage
	want.APIBudget.ReservePercent = 20
	want.APIBudget.ProbeInterval = time.Minute
	want.APIBudget.MaxCallsPerDay = new(int64(20000))
	elector := component.MustNewID("k8s_leader_elector")
	want.LeaderElector = &elector
	want.Schema = schema.OCSF
	want.LoginHistory = StreamConfig{Enabled: true, PollInterval: 5 * time.Minute, Backfill: 24 * time.Hour}
	want.SetupAuditTrail.Enabled = false
	want.EventLogFile.LogInterval = "hourly"
	want.EventLogFile.EventTypes = []string{"Login", "API"}
	want.Objects = []ObjectConfig{
		{Name: "LoginEvent", TimestampField: "EventDate", PollInterval: 5 * time.Minute, Backfill: 24 * time.Hour},
		{Name: "Thing__c", TimestampField: "LastModifiedDate", PollInterval: time.Second, Backfill: time.Hour,
			Fields: []string{"Name", "Owner.Username"}, Where: "Status__c = 'Open'"},
	}
	want.PubSub = PubSubConfig{Endpoint: "api.pubsub.salesforce.com:7443", BatchSize: 50, Topics: []TopicConfig{
		{Name: "/event/LoginEventStream", Replay: "latest"}, {Name: "/data/AccountChangeEvent", Replay: "earliest"},
	}}
	want.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Hour, SnapshotInterval: 12 * time.Hour,
		Include:               []string{"oauth_tokens", "privileged_users"},
		PrivilegedPermissions: []string{"PermissionsModifyAllData", "PermissionsViewAllData", "PermissionsManageUsers"}}
	require.Equal(t, want, cfg)

	// The key file is read at validation: the example's path names the field
	// where it does not exist, and a readable RSA key passes.
	if _, err := os.Stat(cfg.Auth.PrivateKeyFile); err != nil {
		require.ErrorContains(t, confmap.Validate(cfg), "auth.private_key_file: open /etc/otelcol/sf.key")
	}
	cfg.Auth.PrivateKeyFile = keyFile(t, pkcs8KeyPEM(t))
	require.NoError(t, confmap.Validate(cfg))
}

func validConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Auth = AuthConfig{Flow: "jwt_bearer", ClientID: "id", Username: "u@example.com", PrivateKey: configopaque.String(testKeyPEM())}
	return cfg
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"plain http to a remote host", func(c *Config) { c.LoginURL = "http://login.salesforce.com" }, "login_url"},
		{"not a URL", func(c *Config) { c.LoginURL = "login.salesforce.com" }, "login_url"},
		{"api version", func(c *Config) { c.APIVersion = "v66" }, "api_version"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"proxy", func(c *Config) { c.ProxyURL = "::" }, "proxy_url: not an absolute URL"},
		{"proxy scheme", func(c *Config) { c.ProxyURL = "ftp://proxy.example.com" }, `proxy_url: scheme "ftp"`},
		{"tls ca_file", func(c *Config) { c.TLS.CAFile = "/nonexistent/ca.pem" }, "tls: failed to load TLS config"},
		{"tls min_version", func(c *Config) { c.TLS.MinVersion = "1.9" }, "tls:"},
		{"no flow", func(c *Config) { c.Auth.Flow = "" }, "auth.flow"},
		{"unknown flow", func(c *Config) { c.Auth.Flow = "saml" }, "auth.flow"},
		{"unknown schema", func(c *Config) { c.Schema = "elastic" }, `schema: "elastic" is not one of ecs, ocsf, cim`},
		{"schema's case", func(c *Config) { c.Schema = "ECS" }, `schema: "ECS" is not one of`},
		{"no client id", func(c *Config) { c.Auth.ClientID = "" }, "auth.client_id: required for flow jwt_bearer"},
		{"jwt without username", func(c *Config) { c.Auth.Username = "" }, "auth.username: required for flow jwt_bearer"},
		{"jwt without key", func(c *Config) { c.Auth.PrivateKey = "" }, "auth.private_key_file: set exactly one"},
		{"jwt with two keys", func(c *Config) { c.Auth.PrivateKeyFile = "/k" }, "auth.private_key_file: set exactly one"},
		{"jwt inline key not PEM", func(c *Config) { c.Auth.PrivateKey = "pem" }, "auth.private_key: not PEM encoded"},
		{"jwt key file missing", func(c *Config) { c.Auth.PrivateKey, c.Auth.PrivateKeyFile = "", "/nonexistent/sf.key" }, "auth.private_key_file: open /nonexistent/sf.key"},
		{"jwt audience", func(c *Config) { c.Auth.Audience = "login.salesforce.com" }, "auth.audience"},
		{"client credentials secret", func(c *Config) {
			c.LoginURL = "https://acme.my.salesforce.com"
			c.Auth = AuthConfig{Flow: "client_credentials", ClientID: "id"}
		}, "auth.client_secret"},
		{"client credentials needs My Domain", func(c *Config) {
			c.Auth = AuthConfig{Flow: "client_credentials", ClientID: "id", ClientSecret: "s"}
		}, "auth.flow: client_credentials needs login_url to be your My Domain"},
		{"refresh token", func(c *Config) { c.Auth = AuthConfig{Flow: "refresh_token", ClientID: "id"} }, "auth.refresh_token"},
		{"password", func(c *Config) {
			c.Auth = AuthConfig{Flow: "password", ClientID: "id", ClientSecret: "s", Username: "u"}
		}, "auth.password: required for flow password"},
		{"password secret", func(c *Config) {
			c.Auth = AuthConfig{Flow: "password", ClientID: "id", Username: "u", Password: "p"}
		}, "auth.client_secret: required for flow password"},
		{"reserve", func(c *Config) { c.APIBudget.ReservePercent = 100 }, "api_budget.reserve_percent"},
		{"probe", func(c *Config) { c.APIBudget.ProbeInterval = 0 }, "api_budget.probe_interval"},
		{"concurrency", func(c *Config) { c.APIBudget.MaxConcurrent = 0 }, "api_budget.max_concurrent"},
		{"leader election without storage", func(c *Config) {
			id := component.MustNewID("k8s_leader_elector")
			c.LeaderElector = &id
			c.Storage = nil
		},
			"k8s_leader_elector: needs storage"},
		{"call cap 0", func(c *Config) { c.APIBudget.MaxCallsPerDay = new(int64(0)) }, "api_budget.max_calls_per_day: must be ≥ 1"},
		{"call cap negative", func(c *Config) { c.APIBudget.MaxCallsPerDay = new(int64(-5)) }, "api_budget.max_calls_per_day: must be ≥ 1 (leave it out for no cap), got -5"},
		{"poll interval", func(c *Config) { c.LoginHistory.PollInterval = 10 * time.Millisecond }, "login_history.poll_interval"},
		{"backfill", func(c *Config) { c.SetupAuditTrail.Backfill = -time.Hour }, "setup_audit_trail.backfill"},
		{"log interval", func(c *Config) { c.EventLogFile.LogInterval = "weekly" }, "event_log_file.log_interval"},
		{"event type", func(c *Config) { c.EventLogFile.EventTypes = []string{"Login'"} }, "event_log_file.event_types[0]"},
		{"object name", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "Login Event", TimestampField: "EventDate", PollInterval: time.Minute}}
		}, "objects[0].name"},
		{"object timestamp", func(c *Config) { c.Objects = []ObjectConfig{{Name: "Case", PollInterval: time.Minute}} },
			"objects[0].timestamp_field: required for Case, an object the receiver does not know (e.g. CreatedDate)"},
		{"object timestamp not a field", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "LoginEvent", TimestampField: "Event Date", PollInterval: time.Minute}}
		}, "objects[0].timestamp_field"},
		{"event log objects backfill", func(c *Config) {
			c.EventLogObjects = EventLogObjectsConfig{StreamConfig: StreamConfig{Enabled: true, PollInterval: time.Hour, Backfill: 800 * time.Hour}}
		}, "event_log_objects.backfill: Salesforce keeps Event Log Object rows 30 days; at most 720h, got 800h0m0s"},
		{"event log objects not one", func(c *Config) {
			c.EventLogObjects = EventLogObjectsConfig{StreamConfig: StreamConfig{Enabled: true, PollInterval: time.Hour}, Objects: []string{"LoginEvent"}}
		}, "event_log_objects.objects[0]: \"LoginEvent\" is not an Event Log Object such as AuraRequestEventLog"},
		{"event log objects poll", func(c *Config) {
			c.EventLogObjects = EventLogObjectsConfig{StreamConfig: StreamConfig{Enabled: true, PollInterval: time.Millisecond}}
		}, "event_log_objects.poll_interval"},
		{"object field", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "LoginEvent", TimestampField: "EventDate", PollInterval: time.Minute, Fields: []string{"a b"}}}
		}, "objects[0].fields[0]"},
		{"object field holding a secret", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "OauthToken", PollInterval: time.Minute, Fields: []string{"AppName", "AccessToken"}}}
		}, "objects[0].fields[1]: AccessToken holds a secret"},
		{"object condition on a secret", func(c *Config) {
			c.Objects = []ObjectConfig{{Name: "OauthToken", PollInterval: time.Minute, Where: "DeleteToken != null"}}
		}, "objects[0].where: names DeleteToken, which holds a secret"},
		{"object twice", func(c *Config) {
			o := ObjectConfig{Name: "LoginEvent", TimestampField: "EventDate", PollInterval: time.Minute}
			c.Objects = []ObjectConfig{o, o}
		}, "objects[1].name"},
		{"inventory poll", func(c *Config) {
			c.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Millisecond, SnapshotInterval: time.Hour}
		}, "inventory.poll_interval: must be at least 1s"},
		{"inventory snapshot shorter than a poll", func(c *Config) {
			c.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Hour, SnapshotInterval: time.Minute}
		}, "inventory.snapshot_interval: must be at least poll_interval (1h0m0s), got 1m0s"},
		{"inventory part", func(c *Config) {
			c.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Hour, SnapshotInterval: 24 * time.Hour, Include: []string{"oauth_tokens", "tokens"}}
		}, `inventory.include[1]: "tokens" is not one of oauth_tokens, connected_apps, privileged_users`},
		{"inventory part twice", func(c *Config) {
			c.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Hour, SnapshotInterval: 24 * time.Hour, Include: []string{"connected_apps", "connected_apps"}}
		}, `inventory.include[1]: "connected_apps" is already listed at inventory.include[0]`},
		{"inventory permission", func(c *Config) {
			c.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Hour, SnapshotInterval: 24 * time.Hour, PrivilegedPermissions: []string{"ModifyAllData"}}
		}, `inventory.privileged_permissions[0]: "ModifyAllData" is not a PermissionSet permission field`},
		{"nothing enabled", func(c *Config) {
			c.LoginHistory.Enabled, c.SetupAuditTrail.Enabled, c.EventLogFile.Enabled = false, false, false
		}, "no stream is enabled"},
		{"topic not /event or /data", func(c *Config) {
			c.PubSub.Topics = []TopicConfig{{Name: "/event/LoginEventStream", Replay: "latest"}, {Name: "/topic/Foo", Replay: "latest"}}
		}, "pubsub.topics[1].name: \"/topic/Foo\" is not a topic"},
		{"topic without slash", func(c *Config) { c.PubSub.Topics = []TopicConfig{{Name: "LoginEventStream", Replay: "latest"}} }, "pubsub.topics[0].name"},
		{"topic twice", func(c *Config) {
			c.PubSub.Topics = []TopicConfig{{Name: "/event/LoginEventStream", Replay: "latest"}, {Name: "/event/LoginEventStream", Replay: "earliest"}}
		}, "pubsub.topics[1].name: \"/event/LoginEventStream\" is already configured at pubsub.topics[0]"},
		{"topic replay", func(c *Config) { c.PubSub.Topics = []TopicConfig{{Name: "/event/X__e", Replay: "custom"}} }, "pubsub.topics[0].replay"},
		{"batch size 0", func(c *Config) { c.PubSub.BatchSize = 0 }, "pubsub.batch_size: must be in 1..100, got 0"},
		{"batch size 101", func(c *Config) { c.PubSub.BatchSize = 101 }, "pubsub.batch_size: must be in 1..100, got 101"},
		{"endpoint without port", func(c *Config) { c.PubSub.Endpoint = "api.pubsub.salesforce.com" }, "pubsub.endpoint"},
		{"endpoint as URL", func(c *Config) { c.PubSub.Endpoint = "https://api.pubsub.salesforce.com:7443" }, "pubsub.endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.mutate(cfg)
			require.ErrorContains(t, confmap.Validate(cfg), tt.want)
		})
	}
}

// The catalog's objects take their timestamp field from it; Event Log
// Objects alone are a stream.
func TestCatalogDefaults(t *testing.T) {
	cfg := validConfig()
	cfg.LoginHistory.Enabled, cfg.SetupAuditTrail.Enabled, cfg.EventLogFile.Enabled = false, false, false
	cfg.Objects = []ObjectConfig{{Name: "UniversalAnomalyEventStore", PollInterval: time.Minute}, {Name: "AuraRequestEventLog", PollInterval: time.Minute}}
	require.NoError(t, confmap.Validate(cfg))
	cfg.Objects = nil
	cfg.EventLogObjects.Enabled = true
	require.NoError(t, confmap.Validate(cfg))
	cfg.EventLogObjects.Objects = []string{"AuraRequestEventLog", "SomeNewerEventLog"}
	require.NoError(t, confmap.Validate(cfg))
}

func TestPubSubTopicsAloneAreAStream(t *testing.T) {
	cfg := validConfig()
	cfg.LoginHistory.Enabled, cfg.SetupAuditTrail.Enabled, cfg.EventLogFile.Enabled = false, false, false
	cfg.PubSub.Topics = []TopicConfig{{Name: "/event/LoginEventStream", Replay: "latest"}}
	require.NoError(t, confmap.Validate(cfg))
	cfg.PubSub.Endpoint = "127.0.0.1:7443"
	require.NoError(t, confmap.Validate(cfg))
}

func TestValidateAcceptsEveryFlow(t *testing.T) {
	for _, a := range []AuthConfig{
		{Flow: "jwt_bearer", ClientID: "id", Username: "u", PrivateKeyFile: keyFile(t, testKeyPEM())},
		{Flow: "client_credentials", ClientID: "id", ClientSecret: "s"},
		{Flow: "refresh_token", ClientID: "id", RefreshToken: "r"},
		{Flow: "password", ClientID: "id", ClientSecret: "s", Username: "u", Password: "p"},
	} {
		cfg := validConfig()
		cfg.LoginURL = "https://acme.my.salesforce.com"
		cfg.Auth = a
		require.NoError(t, confmap.Validate(cfg), a.Flow)
	}
	cfg := validConfig()
	cfg.LoginURL = "http://127.0.0.1:8443" // the simulator
	require.NoError(t, confmap.Validate(cfg))
}

// The inventory alone is a stream, and its defaults validate.
func TestInventoryAloneIsAStream(t *testing.T) {
	cfg := validConfig()
	cfg.LoginHistory.Enabled, cfg.SetupAuditTrail.Enabled, cfg.EventLogFile.Enabled = false, false, false
	require.ErrorContains(t, confmap.Validate(cfg), "no stream is enabled")
	cfg.Inventory.Enabled = true
	require.NoError(t, confmap.Validate(cfg))
	require.Equal(t, time.Hour, cfg.Inventory.PollInterval)
	require.Equal(t, 24*time.Hour, cfg.Inventory.SnapshotInterval)
}
