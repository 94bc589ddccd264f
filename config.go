package salesforcereceiver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/inventory"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/pubsub"
	"github.com/sfevents/salesforcereceiver/internal/schema"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// Config is the receiver's configuration; docs/configuration.md documents every key.
type Config struct {
	LoginURL   string        `mapstructure:"login_url"`
	APIVersion string        `mapstructure:"api_version"`
	Auth       AuthConfig    `mapstructure:"auth"`
	Timeout    time.Duration `mapstructure:"timeout"`
	// TLS and ProxyURL go to confighttp's client, which builds the transport.
	TLS      configtls.ClientConfig `mapstructure:"tls"`
	ProxyURL string                 `mapstructure:"proxy_url"`
	// Storage names a storage extension for checkpoints; nil keeps them in memory.
	Storage *component.ID `mapstructure:"storage"`
	// LeaderElector names an extension with SetCallBackFuncs (contrib's
	// k8s_leader_elector): the receiver then polls only while it leads.
	LeaderElector *component.ID `mapstructure:"k8s_leader_elector"`

	APIBudget       BudgetConfig          `mapstructure:"api_budget"`
	LoginHistory    StreamConfig          `mapstructure:"login_history"`
	SetupAuditTrail StreamConfig          `mapstructure:"setup_audit_trail"`
	EventLogFile    EventLogFileConfig    `mapstructure:"event_log_file"`
	Objects         []ObjectConfig        `mapstructure:"objects"`
	EventLogObjects EventLogObjectsConfig `mapstructure:"event_log_objects"`
	PubSub          PubSubConfig          `mapstructure:"pubsub"`
	Inventory       InventoryConfig       `mapstructure:"inventory"`
	// Schema maps every record to a SIEM's schema (ecs, ocsf, cim); empty
	// keeps the receiver's own records (docs/schemas.md).
	Schema schema.Name `mapstructure:"schema"`

	_ struct{}
}

// AuthConfig selects an OAuth flow and holds its credentials.
type AuthConfig struct {
	Flow           auth.Flow           `mapstructure:"flow"`
	ClientID       string              `mapstructure:"client_id"`
	Username       string              `mapstructure:"username"`
	PrivateKeyFile string              `mapstructure:"private_key_file"`
	PrivateKey     configopaque.String `mapstructure:"private_key"`
	Audience       string              `mapstructure:"audience"`
	ClientSecret   configopaque.String `mapstructure:"client_secret"`
	RefreshToken   configopaque.String `mapstructure:"refresh_token"`
	Password       configopaque.String `mapstructure:"password"`
	SecurityToken  configopaque.String `mapstructure:"security_token"`
}

// BudgetConfig bounds what the receiver spends of the org's daily API allowance.
type BudgetConfig struct {
	ReservePercent float64       `mapstructure:"reserve_percent"`
	ProbeInterval  time.Duration `mapstructure:"probe_interval"`
	// MaxConcurrent caps requests in flight per org (Salesforce limits
	// long-running concurrent requests).
	MaxConcurrent int `mapstructure:"max_concurrent"`
	// MaxCallsPerDay caps this collector's own calls for the org in any
	// rolling 24 hours, beside the org-wide reserve; nil: no cap.
	MaxCallsPerDay *int64 `mapstructure:"max_calls_per_day"`
}

// StreamConfig is what every polled stream has.
type StreamConfig struct {
	Enabled      bool          `mapstructure:"enabled"`
	PollInterval time.Duration `mapstructure:"poll_interval"`
	Backfill     time.Duration `mapstructure:"backfill"`
}

// EventLogFileConfig configures the Event Monitoring log file stream.
type EventLogFileConfig struct {
	StreamConfig `mapstructure:",squash"`
	LogInterval  string   `mapstructure:"log_interval"`
	EventTypes   []string `mapstructure:"event_types"`
}

// EventLogObjectsConfig configures the Event Log Objects stream.
type EventLogObjectsConfig struct {
	StreamConfig `mapstructure:",squash"`
	// Objects to read; empty: every Event Log Object the org shows.
	Objects []string `mapstructure:"objects"`
}

// InventoryConfig configures the inventory: who holds OAuth tokens, which
// connected apps the org has, who holds powerful permissions.
type InventoryConfig struct {
	Enabled      bool          `mapstructure:"enabled"`
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// SnapshotInterval is how often every item is delivered again.
	SnapshotInterval time.Duration `mapstructure:"snapshot_interval"`
	// Include lists the parts to read (inventory.Parts); empty: all.
	Include []string `mapstructure:"include"`
	// PrivilegedPermissions are the PermissionSet fields that make an
	// assignment privileged; empty: inventory.DefaultPermissions.
	PrivilegedPermissions []string `mapstructure:"privileged_permissions"`
}

// maxEventLogObjectBackfill is how long Salesforce keeps Event Log Object
// rows ("Log data is retained for up to 30 days").
const maxEventLogObjectBackfill = 30 * 24 * time.Hour

// ObjectConfig configures one queried object (Real-Time Event Monitoring
// storage objects, Event Log Objects or any SOQL object).
type ObjectConfig struct {
	Name           string        `mapstructure:"name"`
	TimestampField string        `mapstructure:"timestamp_field"`
	PollInterval   time.Duration `mapstructure:"poll_interval"`
	Backfill       time.Duration `mapstructure:"backfill"`
	Fields         []string      `mapstructure:"fields"`
	Where          string        `mapstructure:"where"`
}

// Unmarshal gives each listed object the defaults a list entry cannot get
// from createDefaultConfig.
func (o *ObjectConfig) Unmarshal(conf *confmap.Conf) error {
	*o = ObjectConfig{PollInterval: 5 * time.Minute, Backfill: 24 * time.Hour}
	return conf.Unmarshal(o)
}

// PubSubConfig configures the real-time streams: Pub/Sub API topics.
type PubSubConfig struct {
	// Endpoint is host:port; TLS always, except on a loopback host.
	Endpoint string `mapstructure:"endpoint"`
	// BatchSize is the most events requested at a time (1..100).
	BatchSize int           `mapstructure:"batch_size"`
	Topics    []TopicConfig `mapstructure:"topics"`
}

// TopicConfig is one subscribed topic.
type TopicConfig struct {
	Name string `mapstructure:"name"`
	// Replay is where a first start begins: latest or earliest.
	Replay string `mapstructure:"replay"`
}

// Unmarshal gives each listed topic the defaults a list entry cannot get
// from createDefaultConfig.
func (t *TopicConfig) Unmarshal(conf *confmap.Conf) error {
	*t = TopicConfig{Replay: pubsub.ReplayLatest}
	return conf.Unmarshal(t)
}

const (
	minPollInterval = time.Second
)

var (
	// identRE accepts standard and custom object and field names (Foo__c, ns__Bar__e).
	identRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	// topicRE accepts platform event, RTEM, custom channel and CDC topics.
	topicRE = regexp.MustCompile(`^/(event|data)/[A-Za-z][A-Za-z0-9_]*$`)
	// permissionRE accepts PermissionSet's permission fields.
	permissionRE = regexp.MustCompile(`^Permissions[A-Za-z0-9_]+$`)
)

func createDefaultConfig() component.Config {
	stream := func(interval, backfill time.Duration) StreamConfig {
		return StreamConfig{Enabled: true, PollInterval: interval, Backfill: backfill}
	}
	return &Config{
		LoginURL:        "https://login.salesforce.com",
		APIVersion:      "66.0",
		Timeout:         60 * time.Second,
		APIBudget:       BudgetConfig{ReservePercent: 10, ProbeInterval: 5 * time.Minute, MaxConcurrent: 4},
		PubSub:          PubSubConfig{Endpoint: pubsub.DefaultEndpoint, BatchSize: 100},
		LoginHistory:    stream(15*time.Minute, 1440*time.Hour),
		SetupAuditTrail: stream(15*time.Minute, 1440*time.Hour),
		EventLogFile: EventLogFileConfig{
			StreamConfig: stream(time.Hour, 720*time.Hour),
			LogInterval:  "daily",
		},
		EventLogObjects: EventLogObjectsConfig{StreamConfig: StreamConfig{PollInterval: time.Hour, Backfill: 72 * time.Hour}},
		Inventory:       InventoryConfig{PollInterval: time.Hour, SnapshotInterval: inventory.DefaultSnapshotEvery},
	}
}

// Validate checks the whole configuration; every error names its field.
func (cfg *Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}

	// Stricter than what sfapi.New accepts (digits.digits), so Start never refuses it.
	if !sfapi.ValidAPIVersion(cfg.APIVersion) {
		add("api_version", "%q is not a Salesforce API version such as \"66.0\"", cfg.APIVersion)
	}
	if cfg.Timeout <= 0 {
		add("timeout", "must be positive, got %s", cfg.Timeout)
	}
	// What confighttp's ToClient refuses at Start: the TLS files and settings
	// it loads, and the proxy URL it parses.
	if _, err := cfg.TLS.LoadTLSConfig(context.Background()); err != nil {
		add("tls", "%v", err)
	}
	if err := checkProxyURL(cfg.ProxyURL); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Auth.validate(cfg.LoginURL)...)

	b := cfg.APIBudget
	if b.ReservePercent < 0 || b.ReservePercent >= 100 {
		add("api_budget.reserve_percent", "must be in [0, 100), got %v", b.ReservePercent)
	}
	if b.ProbeInterval <= 0 {
		add("api_budget.probe_interval", "must be positive, got %s", b.ProbeInterval)
	}
	if b.MaxConcurrent < 1 {
		add("api_budget.max_concurrent", "must be at least 1, got %d", b.MaxConcurrent)
	}
	if cfg.LeaderElector != nil && cfg.Storage == nil {
		// In-memory cursors are per replica: each new leader would read the
		// whole backfill again.
		add("k8s_leader_elector", "needs storage: set storage to an extension every replica reaches (redis_storage, db_storage)")
	}
	if b.MaxCallsPerDay != nil && *b.MaxCallsPerDay < 1 {
		add("api_budget.max_calls_per_day", "must be ≥ 1 (leave it out for no cap), got %d", *b.MaxCallsPerDay)
	}

	errs = append(errs, cfg.LoginHistory.validate("login_history")...)
	errs = append(errs, cfg.SetupAuditTrail.validate("setup_audit_trail")...)
	errs = append(errs, cfg.EventLogFile.validate()...)
	errs = append(errs, cfg.EventLogObjects.validate()...)
	names := map[string]int{}
	for i, o := range cfg.Objects {
		errs = append(errs, o.validate(fmt.Sprintf("objects[%d]", i))...)
		if j, dup := names[strings.ToLower(o.Name)]; dup && o.Name != "" {
			add(fmt.Sprintf("objects[%d].name", i), "%q is already configured at objects[%d]", o.Name, j)
		}
		names[strings.ToLower(o.Name)] = i
	}
	errs = append(errs, cfg.PubSub.validate()...)
	if !cfg.Schema.Valid() {
		add("schema", "%q is not one of ecs, ocsf, cim (or empty for the receiver's own records)", cfg.Schema)
	}
	errs = append(errs, cfg.Inventory.validate()...)
	if !cfg.LoginHistory.Enabled && !cfg.SetupAuditTrail.Enabled && !cfg.EventLogFile.Enabled && !cfg.EventLogObjects.Enabled &&
		!cfg.Inventory.Enabled && len(cfg.Objects) == 0 && len(cfg.PubSub.Topics) == 0 {
		errs = append(errs, errors.New("no stream is enabled: enable login_history, setup_audit_trail, event_log_file, event_log_objects or inventory, or list objects or pubsub.topics"))
	}
	return errors.Join(errs...)
}

// validate checks the auth settings: internal/auth's rules (Config.Validate,
// which NewSource applies at Start), each reported under the name the user
// writes, plus the rules only the receiver knows.
func (a *AuthConfig) validate(loginURL string) []error {
	var errs []error
	ac, err := a.authConfig(loginURL)
	var skip []string
	if err != nil {
		errs = append(errs, err)
		skip = append(skip, "private_key") // already reported, more precisely
	}
	errs = append(errs, a.authErrors(ac.Validate(), skip...)...)
	if a.Flow == auth.FlowClientCredentials && isGenericLoginHost(loginURL) {
		errs = append(errs, errors.New("auth.flow: client_credentials needs login_url to be your My Domain URL (https://<domain>.my.salesforce.com), not login/test.salesforce.com"))
	}
	return errs
}

// authConfig is the auth.Config these settings stand for, with the
// jwt_bearer key read from private_key_file or taken from private_key; its
// error (the key is missing, set twice or unreadable) names the setting.
// HTTPClient is left for the caller.
func (a *AuthConfig) authConfig(loginURL string) (auth.Config, error) {
	key, err := a.privateKey()
	return auth.Config{
		Flow:          a.Flow,
		LoginURL:      loginURL,
		ClientID:      a.ClientID,
		ClientSecret:  string(a.ClientSecret),
		Username:      a.Username,
		Password:      string(a.Password),
		SecurityToken: string(a.SecurityToken),
		RefreshToken:  string(a.RefreshToken),
		PrivateKeyPEM: key,
		Audience:      a.Audience,
	}, err
}

// keyField is the setting the jwt_bearer key comes from.
func (a *AuthConfig) keyField() string {
	if a.PrivateKey != "" && a.PrivateKeyFile == "" {
		return "auth.private_key"
	}
	return "auth.private_key_file"
}

// authErrors renames each *auth.FieldError in err to the setting's full
// name (auth.<field>, login_url; the key as private_key_file or private_key,
// where it came from), dropping the fields in skip.
func (a *AuthConfig) authErrors(err error, skip ...string) []error {
	if err == nil {
		return nil
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	var out []error
	for _, e := range list {
		var fe *auth.FieldError
		if !errors.As(e, &fe) {
			out = append(out, fmt.Errorf("auth: %w", e))
			continue
		}
		if slices.Contains(skip, fe.Field) {
			continue
		}
		name := "auth." + fe.Field
		switch fe.Field {
		case "login_url":
			name = fe.Field
		case "private_key":
			name = a.keyField()
		}
		out = append(out, fmt.Errorf("%s: %s", name, fe.Msg))
	}
	return out
}

// authError is authErrors joined, for NewSource's error at Start.
func (a *AuthConfig) authError(err error) error { return errors.Join(a.authErrors(err)...) }

// checkProxyURL accepts what confighttp parses (url.ParseRequestURI) and
// net/http can dial through. The message never quotes the URL: it may hold
// the proxy's password.
func checkProxyURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil || u.Host == "" {
		return errors.New("proxy_url: not an absolute URL such as http://proxy.example.com:3128")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return nil
	}
	return fmt.Errorf("proxy_url: scheme %q is not http, https, socks5 or socks5h", u.Scheme)
}

func isGenericLoginHost(loginURL string) bool {
	u, err := url.Parse(loginURL)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == "login.salesforce.com" || h == "test.salesforce.com"
}

func (s *StreamConfig) validate(prefix string) []error {
	if !s.Enabled {
		return nil
	}
	return validateSchedule(prefix, s.PollInterval, s.Backfill)
}

func validateSchedule(prefix string, interval, backfill time.Duration) []error {
	var errs []error
	if interval < minPollInterval {
		errs = append(errs, fmt.Errorf("%s.poll_interval: must be at least %s, got %s", prefix, minPollInterval, interval))
	}
	if backfill < 0 {
		errs = append(errs, fmt.Errorf("%s.backfill: must not be negative, got %s", prefix, backfill))
	}
	return errs
}

func (e *EventLogFileConfig) validate() []error {
	errs := e.StreamConfig.validate("event_log_file")
	if !e.Enabled {
		return errs
	}
	if e.LogInterval != "daily" && e.LogInterval != "hourly" {
		errs = append(errs, fmt.Errorf("event_log_file.log_interval: %q is not daily or hourly", e.LogInterval))
	}
	for i, t := range e.EventTypes {
		if !identRE.MatchString(t) {
			errs = append(errs, fmt.Errorf("event_log_file.event_types[%d]: %q is not an event type name such as Login", i, t))
		}
	}
	return errs
}

func (o *ObjectConfig) validate(prefix string) []error {
	var errs []error
	if !identRE.MatchString(o.Name) {
		errs = append(errs, fmt.Errorf("%s.name: %q is not an object name such as LoginEvent", prefix, o.Name))
	}
	switch {
	case o.TimestampField == "" && objects.DefaultTimestamp(o.Name) == "" && identRE.MatchString(o.Name):
		errs = append(errs, fmt.Errorf("%s.timestamp_field: required for %s, an object the receiver does not know (e.g. CreatedDate)", prefix, o.Name))
	case o.TimestampField != "" && !identRE.MatchString(o.TimestampField):
		errs = append(errs, fmt.Errorf("%s.timestamp_field: %q is not a field name such as EventDate", prefix, o.TimestampField))
	}
	for i, f := range o.Fields {
		switch secret := sfapi.SecretFieldIn(f); {
		case !validFieldPath(f):
			errs = append(errs, fmt.Errorf("%s.fields[%d]: %q is not a field name", prefix, i, f))
		case secret != "":
			errs = append(errs, fmt.Errorf("%s.fields[%d]: %s holds a secret (a refresh token or revocation handle); the receiver never reads it", prefix, i, secret))
		}
	}
	if secret := sfapi.SecretFieldIn(o.Where); secret != "" {
		errs = append(errs, fmt.Errorf("%s.where: names %s, which holds a secret (a refresh token or revocation handle); the receiver never reads it", prefix, secret))
	}
	return append(errs, validateSchedule(prefix, o.PollInterval, o.Backfill)...)
}

func (e *EventLogObjectsConfig) validate() []error {
	errs := e.StreamConfig.validate("event_log_objects")
	if !e.Enabled {
		return errs
	}
	if e.Backfill > maxEventLogObjectBackfill {
		errs = append(errs, fmt.Errorf("event_log_objects.backfill: Salesforce keeps Event Log Object rows 30 days; at most 720h, got %s", e.Backfill))
	}
	for i, o := range e.Objects {
		if !identRE.MatchString(o) || !catalog.IsEventLogObject(o) {
			errs = append(errs, fmt.Errorf("event_log_objects.objects[%d]: %q is not an Event Log Object such as AuraRequestEventLog", i, o))
		}
	}
	return errs
}

func (c *InventoryConfig) validate() []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if c.PollInterval < minPollInterval {
		errs = append(errs, fmt.Errorf("inventory.poll_interval: must be at least %s, got %s", minPollInterval, c.PollInterval))
	}
	if c.SnapshotInterval < c.PollInterval {
		errs = append(errs, fmt.Errorf("inventory.snapshot_interval: must be at least poll_interval (%s), got %s", c.PollInterval, c.SnapshotInterval))
	}
	seen := map[string]int{}
	for i, p := range c.Include {
		if j, dup := seen[p]; dup {
			errs = append(errs, fmt.Errorf("inventory.include[%d]: %q is already listed at inventory.include[%d]", i, p, j))
			continue
		}
		seen[p] = i
		if !slices.Contains(inventory.Parts, p) {
			errs = append(errs, fmt.Errorf("inventory.include[%d]: %q is not one of %s", i, p, strings.Join(inventory.Parts, ", ")))
		}
	}
	for i, p := range c.PrivilegedPermissions {
		if !permissionRE.MatchString(p) {
			errs = append(errs, fmt.Errorf("inventory.privileged_permissions[%d]: %q is not a PermissionSet permission field such as PermissionsModifyAllData", i, p))
		}
	}
	return errs
}

func (p *PubSubConfig) validate() []error {
	var errs []error
	if err := pubsub.CheckEndpoint(p.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("pubsub.endpoint: %w", err))
	}
	if p.BatchSize < 1 || p.BatchSize > 100 {
		errs = append(errs, fmt.Errorf("pubsub.batch_size: must be in 1..100, got %d", p.BatchSize))
	}
	names := map[string]int{}
	for i, t := range p.Topics {
		prefix := fmt.Sprintf("pubsub.topics[%d]", i)
		if !topicRE.MatchString(t.Name) {
			errs = append(errs, fmt.Errorf("%s.name: %q is not a topic such as /event/LoginEventStream, /event/My_Event__e or /data/AccountChangeEvent", prefix, t.Name))
		} else if j, dup := names[strings.ToLower(t.Name)]; dup {
			errs = append(errs, fmt.Errorf("%s.name: %q is already configured at pubsub.topics[%d]", prefix, t.Name, j))
		} else {
			names[strings.ToLower(t.Name)] = i
		}
		if t.Replay != pubsub.ReplayLatest && t.Replay != pubsub.ReplayEarliest {
			errs = append(errs, fmt.Errorf("%s.replay: %q is not latest or earliest", prefix, t.Replay))
		}
	}
	return errs
}

// validFieldPath accepts Field and Relationship.Field paths.
func validFieldPath(f string) bool {
	for part := range strings.SplitSeq(f, ".") {
		if !identRE.MatchString(part) {
			return false
		}
	}
	return true
}
