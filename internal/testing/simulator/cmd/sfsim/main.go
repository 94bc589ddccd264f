// Command sfsim runs the Salesforce simulator as a program, so a collector
// can poll it (make run). Plain HTTP on loopback: it holds no real secrets.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		log.Fatalf("sfsim: %v", err)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sfsim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8443", "listen address (plain http)")
	keyOut := fs.String("private-key-out", "", "write a fresh RSA private key (PEM) here and trust it for jwt_bearer")
	clientID := fs.String("client-id", simulator.DefaultClientID, "accepted OAuth client_id")
	username := fs.String("username", simulator.DefaultUsername, "integration username")
	dailyLimit := fs.Int64("daily-limit", simulator.DefaultDailyLimit, "DailyApiRequests max")
	arrivalEvery := fs.Duration("arrival-every", 5*time.Second, "new rows arrive on this tick (0: none)")
	history := fs.Duration("history", 72*time.Hour, "generated history before start")
	seed := fs.Int64("seed", 1, "data generator seed")
	logFileRows := fs.Int("log-file-rows", 40, "rows in each generated daily EventLogFile over the history (0: no files)")
	apiVersion := fs.String("api-version", simulator.DefaultAPIVersion, "newest API version the org serves (it serves 20.0 up to it; newer paths answer 404)")
	hide := fs.String("hide", "", "fields hidden by field-level security, as Object.Field,... (e.g. LoginHistory.ForwardedForIp,LoginHistory.AuthMethodReference)")
	deny := fs.String("deny", "", "objects the integration user may not read, comma-separated (queries answer INVALID_TYPE)")
	ownRows := fs.String("own-rows-only", "", "objects of which the integration user sees only its own rows, comma-separated (LoginHistory: no Manage Users)")
	lockoutAfter := fs.Int("lockout-after", 0, "lock the integration user after this many consecutive failed password logins (0: never)")
	pubsubAddr := fs.String("pubsub-addr", "", "also serve the Pub/Sub API (plaintext gRPC) on this address, e.g. 127.0.0.1:7443 (empty: off)")
	orgs := fs.Int("orgs", 1, "serve this many orgs, each under <addr>/org/<n> with its own org id, integration user (integration@org<n>.sfsim.example.com), data and allowance")
	publishEvery := fs.Duration("publish-every", 0, "with -pubsub-addr: publish LoginEventStream events (and their LoginEvent rows) on this tick (0: none)")
	downloadRate := fs.Int64("download-rate", 0, "serve each EventLogFile download at most this many bytes/s on the wire, as a real org's network would (0: unpaced)")
	eloRows := fs.Int("event-log-object-rows", 0, "rows of each Event Log Object ("+strconv.Itoa(len(simulator.EventLogObjects()))+" objects, e.g. LoginEventLog) over the history, and a few more on every arrival tick; each becomes queryable 25 to 45 minutes after its Timestamp, as in Salesforce (0: none)")
	incidents := fs.String("incidents", "", "inject security incidents at start, as name,... or all ("+strings.Join(simulator.IncidentNames(), ", ")+"); docs/detections.md finds them")
	inventoryAfter := fs.Duration("inventory-incidents-after", 2*time.Minute, "inject the -incidents that change the inventory ("+simulator.IncidentOAuthAppAuthorized+", "+simulator.IncidentPrivilegeGrant+") this long after start: they are changes, which a collector sees only after its first reading (0: at start, as part of the org's first picture)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	hidden, err := parseHidden(*hide)
	if err != nil {
		return err
	}
	opts := simulator.Defaults()
	if opts.Incidents, err = parseIncidents(*incidents); err != nil {
		return err
	}
	var later []string // inventory incidents, injected after -inventory-incidents-after
	if *inventoryAfter > 0 {
		later = slices.DeleteFunc(slices.Clone(opts.Incidents), func(n string) bool { return !simulator.InventoryIncident(n) })
		opts.Incidents = slices.DeleteFunc(opts.Incidents, simulator.InventoryIncident)
	}

	opts.ClientID, opts.Username, opts.DailyLimit = *clientID, *username, *dailyLimit
	opts.ArrivalEvery, opts.History, opts.Seed = *arrivalEvery, *history, *seed
	opts.APIVersion, opts.HiddenFields, opts.LockoutAfter = *apiVersion, hidden, *lockoutAfter
	opts.PublishEvery, opts.DownloadBytesPerSecond = *publishEvery, *downloadRate
	opts.DeniedObjects, opts.OwnRowsOnly = splitList(*deny), splitList(*ownRows)
	if *eloRows < 0 {
		return fmt.Errorf("-event-log-object-rows: must not be negative, got %d", *eloRows)
	}
	if *eloRows > 0 {
		opts.EventLogObjectRows = map[string]int{}
		for _, name := range simulator.EventLogObjects() {
			opts.EventLogObjectRows[name] = *eloRows
		}
	}
	if *history == 0 {
		opts.History = -1 // Options treats 0 as "default"
	}
	if *keyOut != "" {
		pub, err := writeKey(*keyOut)
		if err != nil {
			return err
		}
		opts.JWTPublicKey = pub
	}

	if *orgs != 1 {
		return runFleet(*orgs, *addr, *pubsubAddr, *logFileRows, opts)
	}
	srv, err := newServer(opts)
	if err != nil {
		return err
	}
	if *logFileRows > 0 && opts.History > 0 {
		now := time.Now()
		srv.SeedLogFiles(now.Add(-opts.History), now, false, *logFileRows)
	}
	if err := srv.Start(*addr); err != nil {
		return err
	}
	if *pubsubAddr != "" {
		a, err := srv.StartPubSub(*pubsubAddr)
		if err != nil {
			srv.Close()
			return fmt.Errorf("-pubsub-addr: %w", err)
		}
		log.Printf("sfsim: Pub/Sub API (plaintext gRPC) at %s, topics %s", a, strings.Join(srv.PubSubTopics(), " "))
	}
	for _, inc := range srv.Incidents() {
		logIncident(inc)
	}
	if len(later) > 0 {
		log.Printf("sfsim: injecting %s in %s", strings.Join(later, ", "), *inventoryAfter)
		timer := time.AfterFunc(*inventoryAfter, func() {
			for _, name := range later {
				if inc, err := srv.Inject(name); err == nil {
					logIncident(inc)
				}
			}
		})
		defer timer.Stop()
	}
	o := srv.Options()
	log.Printf("sfsim: Salesforce simulator at %s (org %s) — client_id=%q client_secret=%q username=%q password=%q security_token=%q refresh_token=%q audience=%q private_key_file=%q api_version=%q (newest served)",
		srv.URL(), o.OrgID, o.ClientID, o.ClientSecret, o.Username, o.Password, o.SecurityToken, o.RefreshToken, o.Audience, *keyOut, o.APIVersion)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	srv.Close()
	return nil
}

// runFleet serves n orgs as simulator.Fleet does, until interrupted.
func runFleet(n int, addr, pubsubAddr string, logFileRows int, opts simulator.Options) (err error) {
	if n < 1 {
		return fmt.Errorf("-orgs: must be at least 1, got %d", n)
	}
	if pubsubAddr != "" {
		return errors.New("-pubsub-addr: not served with -orgs above 1")
	}
	defer func() {
		if r := recover(); r != nil { // simulator.New's panics on bad options
			err = fmt.Errorf("%v", r)
		}
	}()
	// Each org its own org id and integration user (Defaults filled them in).
	opts.OrgID, opts.UserID, opts.Username = "", "", ""
	fleet := simulator.NewFleet(n, func(i int) simulator.Options {
		o := opts
		o.Seed += int64(i)
		return o
	})
	if err := fleet.Start(addr); err != nil {
		return err
	}
	for i := range n {
		org := fleet.Org(i)
		if logFileRows > 0 && opts.History > 0 {
			now := time.Now()
			org.SeedLogFiles(now.Add(-opts.History), now, false, logFileRows)
		}
		o := org.Options()
		log.Printf("sfsim: org %d at %s (org %s, username %q, daily limit %d)", i, fleet.OrgURL(i), o.OrgID, o.Username, o.DailyLimit)
	}
	log.Printf("sfsim: %d orgs; every org accepts client_id=%q client_secret=%q password=%q security_token=%q", n, opts.ClientID, opts.ClientSecret, opts.Password, opts.SecurityToken)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fleet.Close()
	return nil
}

func logIncident(inc simulator.Incident) {
	log.Printf("sfsim: incident %s injected: user %q, actor %q, address %q, country %q, apps %q", inc.Name, inc.Username, inc.ActorUsername, inc.IP, inc.Country, inc.Apps)
}

// writeKey generates an RSA key, writes it as PKCS#8 PEM (0600) and returns
// its public half.
func writeKey(path string) (*rsa.PublicKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	// Remove first so an existing file with looser permissions is not reused.
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("private key: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return &key.PublicKey, nil
}

// splitList reads a comma-separated flag; empty items are dropped.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseHidden reads -hide: comma-separated Object.Field names.
func parseHidden(s string) (map[string][]string, error) {
	out := map[string][]string{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		object, field, ok := strings.Cut(item, ".")
		if !ok || object == "" || field == "" || strings.Contains(field, ".") {
			return nil, fmt.Errorf("-hide: %q is not Object.Field", item)
		}
		out[object] = append(out[object], field)
	}
	return out, nil
}

// parseIncidents reads -incidents: comma-separated incident names, or all.
func parseIncidents(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return simulator.IncidentNames(), nil
	}
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(simulator.IncidentNames(), name) {
			return nil, fmt.Errorf("-incidents: unknown incident %q (known: %s)", name, strings.Join(simulator.IncidentNames(), ", "))
		}
		out = append(out, name)
	}
	return out, nil
}

// newServer is simulator.New, with its panics on bad options (an unknown
// hidden field, a malformed API version) turned into errors.
func newServer(opts simulator.Options) (srv *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return simulator.New(opts), nil
}
