//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/inventory"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// detectionsDoc holds the queries under test: every ```logsql <id> block.
const detectionsDoc = "../../../docs/detections.md"

var logsqlBlock = regexp.MustCompile("(?s)```logsql ([a-z_]+)\n(.*?)\n```")

type detection struct{ id, query string }

func loadDetections(t *testing.T) []detection {
	t.Helper()
	b, err := os.ReadFile(detectionsDoc)
	require.NoError(t, err)
	var out []detection
	for _, m := range logsqlBlock.FindAllStringSubmatch(string(b), -1) {
		out = append(out, detection{id: m[1], query: m[2]})
	}
	require.NotEmpty(t, out, "no ```logsql blocks in %s", detectionsDoc)
	return out
}

// fieldIn requires a result row's field to hold one of the values the
// incident gives.
type fieldIn struct {
	field  string
	values func(simulator.Incident) []string
}

// detectionWants says, per detection id, which incident it must find:
// every row it returns must be about that incident (match), its rows
// together must come from every source that saw it (sources:
// salesforce.event_type, else event_name) and hold every value cover
// gives; breaks are deliberate breaks of the query, each of which the
// test must notice (a query with one of them finds nothing of its
// incident, or something else, or fires on clean data).
var detectionWants = map[string]struct {
	incident string
	match    []fieldIn
	sources  []string
	cover    []fieldIn
	breaks   []queryBreak
}{
	"failed_login_burst_user": {incident: simulator.IncidentFailedLoginBurst,
		match: []fieldIn{{"user.id", userID}}, sources: []string{"salesforce.login_history", "LoginEvent", "Login"}},
	"failed_login_burst_ip": {incident: simulator.IncidentPasswordSpray,
		match: []fieldIn{{"client.address", ip}}, sources: []string{"salesforce.login_history", "LoginEvent", "Login"}},
	"new_country_login": {incident: simulator.IncidentNewCountry,
		match:   []fieldIn{{"user.id", userID}, {"CountryIso", func(i simulator.Incident) []string { return []string{i.Country} }}},
		sources: []string{"salesforce.login_history", "LoginEvent"}},
	"login_as": {incident: simulator.IncidentLoginAs,
		// The audit trail names the admin, the other sources the user.
		match:   []fieldIn{{"user.id", func(i simulator.Incident) []string { return []string{i.UserID, i.ActorID} }}},
		sources: []string{"salesforce.setup_audit_trail", "LoginAs", "LoginAsEvent"}},
	"permission_change": {incident: simulator.IncidentPermissionChange,
		match:   []fieldIn{{"user.id", func(i simulator.Incident) []string { return []string{i.ActorID} }}},
		sources: []string{"salesforce.setup_audit_trail"}},
	"mass_report_export": {incident: simulator.IncidentMassReportExport,
		match: []fieldIn{{"user.id", userID}}, sources: []string{"ReportEvent", "ReportExport"}},
	"api_anomaly": {incident: simulator.IncidentAPIAnomaly,
		match: []fieldIn{{"user.id", userID}, {"client.address", ip}}, sources: []string{"ApiAnomalyEventStore"}},
	// The 2025 campaigns: a row per source, about the exporting app (REST)
	// or its user (Bulk, SOAP); the user's new clients; the app's new
	// address.
	"mass_api_export": {incident: simulator.IncidentMassAPIExport,
		match:   []fieldIn{{"principal", func(i simulator.Incident) []string { return []string{"app " + i.AppID, "user " + i.UserID} }}},
		sources: []string{"BulkApi2", "BulkApi", "RestApi", "API"},
		breaks: []queryBreak{
			{"Bulk API 2.0 left out", `"salesforce.event_type":in(API, RestApi, BulkApi, BulkApi2)`, `"salesforce.event_type":in(API, RestApi, BulkApi)`},
			// A REST or SOAP page holds at most 2,000 rows.
			{"a request's rows, not the hour's", "sum(ROWS_PROCESSED, RECORDS_PROCESSED) as rows", "max(ROWS_PROCESSED, RECORDS_PROCESSED) as rows"},
		}},
	"new_api_client": {incident: simulator.IncidentNewAPIClient,
		match:   []fieldIn{{"user.id", userID}, {"client", func(i simulator.Incident) []string { return i.Clients }}},
		sources: []string{"Login", "ApiEvent", "API", "ApiTotalUsage"},
		breaks: []queryBreak{
			{"API logins left out", `_time:1d (("salesforce.event_type":=Login LOGIN_TYPE:in(i, 6, I, R))
  or "salesforce.event_type":in(ApiEvent, ApiTotalUsage, API, RestApi))`, `_time:1d "salesforce.event_type":in(ApiEvent, ApiTotalUsage, API, RestApi)`},
			{"an empty baseline: every pair of the day is new", "-user_client:in(_time:30d -_time:1d", "-user_client:in(_time:30d -_time:30d"},
		}},
	"refresh_token_new_address": {incident: simulator.IncidentRefreshTokenNewAddress,
		match:   []fieldIn{{"Application", func(i simulator.Incident) []string { return []string{i.App} }}, {"client.address", ip}},
		sources: []string{"salesforce.login_history", "LoginEvent"},
		breaks: []queryBreak{
			{"an empty baseline: every address is new", "-app_address:in(_time:30d -_time:1h", "-app_address:in(_time:30d -_time:30d"},
			// The simulator returns picklist labels, as the UI shows them.
			{"the picklist value alone", `LoginSubType:in("OAuth Refresh Token", OauthRefreshToken)`, "LoginSubType:=OauthRefreshToken"},
		}},
	// The inventory's: the incident authorizes "Data Loader" under an app
	// of its own (Apps[0]) and an app the org never had (Apps[1]); the
	// clean org's churn authorizes apps it already had (Data Loader's own
	// among them) and gives an admin another all-data permission set.
	"new_oauth_app": {incident: simulator.IncidentOAuthAppAuthorized,
		match: []fieldIn{{"AppName", apps}}, sources: []string{"OauthToken"}, cover: []fieldIn{{"AppName", apps}},
		breaks: []queryBreak{
			{"no baseline: every app added", "| filter first_added:* first_seen:eq_field(first_added)", "| filter first_added:*"},
			{"any record, not an addition", `min(_time) if (_time:1h "salesforce.inventory.change":=added) as first_added`, `min(_time) if (_time:1h) as first_added`},
		}},
	"known_tool_new_app_id": {incident: simulator.IncidentOAuthAppAuthorized,
		match: []fieldIn{{"AppName", func(i simulator.Incident) []string { return i.Apps[:1] }}}, sources: []string{"OauthToken"},
		breaks: []queryBreak{
			{"any app's name", `"salesforce.inventory.change":=added
      AppName:~"(?i)data ?loader|salesforce cli|sfdx|workbench|my ticket portal|ticket dashboard")`, `"salesforce.inventory.change":=added)`},
			{"no baseline", "| filter first_added:* first_seen:eq_field(first_added)", "| filter first_added:*"},
		}},
	"new_all_data_user": {incident: simulator.IncidentPrivilegeGrant,
		match: []fieldIn{{"user.id", userID}}, sources: []string{"PermissionSetAssignment"},
		breaks: []queryBreak{
			{"no baseline: an admin's second grant counts", "| filter first_granted:* first_seen:eq_field(first_granted)", "| filter first_granted:*"},
			{"removals, not grants", `"salesforce.inventory.change":in(added, changed)) as first_granted`, `"salesforce.inventory.change":=removed) as first_granted`},
		}},
}

// queryBreak is a deliberate break of a query: old replaced by new.
type queryBreak struct{ name, old, new string }

func apps(i simulator.Incident) []string { return i.Apps }

func userID(i simulator.Incident) []string { return []string{i.UserID} }
func ip(i simulator.Incident) []string     { return []string{i.IP} }

// The Real-Time Event Monitoring objects the detections read, and the
// inventory, read every second.
const detectionObjects = `    objects:
      - {name: LoginEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: LoginAsEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: ReportEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: ApiAnomalyEventStore, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: ApiEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
    inventory:
      enabled: true
      poll_interval: 1s`

// Every query of docs/detections.md finds its injected incident, and only
// it, in VictoriaLogs; over the same org without incidents none returns
// anything; and each deliberate break of a query is noticed.
func TestDetections(t *testing.T) {
	dets := loadDetections(t)
	var ids []string
	for _, d := range dets {
		ids = append(ids, d.id)
	}
	var want []string
	for id := range detectionWants {
		want = append(want, id)
	}
	require.ElementsMatch(t, want, ids, "every detection in %s is tested, and only those", detectionsDoc)

	withIncidents, e := detectionsOrg(t, simulator.IncidentNames())
	incidents := map[string]simulator.Incident{}
	for _, inc := range e.sim.Incidents() {
		incidents[inc.Name] = inc
	}
	clean, _ := detectionsOrg(t, nil)
	// The queries that compare a recent window with the month before
	// must have something to judge: recent logins (new country), recent
	// refresh-token logins of apps, recent API clients, and log files
	// with row counts.
	for what, q := range map[string]string{
		"recent logins": `_time:1h (event_name:=salesforce.login_history or "salesforce.event_type":=LoginEvent) Status:=Success`,
		"recent refresh-token logins": `_time:1h (event_name:=salesforce.login_history or "salesforce.event_type":=LoginEvent)
			LoginSubType:="OAuth Refresh Token" Application:*`,
		"recent API clients":   `_time:1d "salesforce.event_type":=ApiEvent user_agent.original:*`,
		"rows of API requests": `"salesforce.event_type":in(API, RestApi, BulkApi, BulkApi2) (ROWS_PROCESSED:>0 or RECORDS_PROCESSED:>0)`,
	} {
		rows, err := clean.queryUntil(context.Background(), q+` | stats count() as n`, "")
		require.NoError(t, err)
		require.NotEqual(t, "0", rows[0]["n"], "clean data has no %s", what)
	}

	// finds says why d's rows over v are not its incident's ("" when
	// they are).
	finds := func(v *victoriaLogs, d detection) string {
		w := detectionWants[d.id]
		inc := incidents[w.incident]
		rows, err := v.queryUntil(context.Background(), d.query, "")
		if err != nil {
			return err.Error()
		}
		if len(rows) == 0 {
			return "found nothing of " + w.incident
		}
		var sources []string
		got := map[string][]string{}
		for _, r := range rows {
			for _, m := range w.match {
				if !slices.Contains(m.values(inc), r[m.field]) {
					return fmt.Sprintf("a row not about %s: %v", w.incident, r)
				}
			}
			for _, c := range w.cover {
				got[c.field] = append(got[c.field], r[c.field])
			}
			sources = append(sources, cmp.Or(r["salesforce.event_type"], r["event_name"]))
		}
		for _, src := range w.sources {
			if !slices.Contains(sources, src) {
				return "nothing from " + src
			}
		}
		for _, c := range w.cover {
			for _, v := range c.values(inc) {
				if !slices.Contains(got[c.field], v) {
					return fmt.Sprintf("no row with %s %s", c.field, v)
				}
			}
		}
		return ""
	}
	quiet := func(v *victoriaLogs, d detection) string {
		rows, err := v.queryUntil(context.Background(), d.query, "")
		switch {
		case err != nil:
			return err.Error()
		case len(rows) > 0:
			return fmt.Sprintf("fired on clean data: %v", rows[0])
		}
		return ""
	}

	t.Run("incidents", func(t *testing.T) {
		for _, d := range dets {
			why := finds(withIncidents, d)
			t.Logf("DETECTION %s with incidents: %s", d.id, cmp.Or(why, "found"))
			require.Empty(t, why, d.id)
		}
	})
	t.Run("clean", func(t *testing.T) {
		for _, d := range dets {
			why := quiet(clean, d)
			t.Logf("DETECTION %s on clean data: %s", d.id, cmp.Or(why, "nothing"))
			require.Empty(t, why, d.id)
		}
	})
	t.Run("breaks", func(t *testing.T) {
		for _, d := range dets {
			for _, b := range detectionWants[d.id].breaks {
				require.Contains(t, d.query, b.old, "%s: the break %q no longer applies", d.id, b.name)
				broken := detection{id: d.id, query: strings.Replace(d.query, b.old, b.new, 1)}
				why := cmp.Or(finds(withIncidents, broken), quiet(clean, broken))
				t.Logf("DETECTION %s broken (%s): %s", d.id, b.name, cmp.Or(why, "NOT NOTICED"))
				require.NotEmpty(t, why, "%s: breaking it (%s) went unnoticed", d.id, b.name)
			}
		}
	})
}

// detectionsOrg runs the collector against an org with these incidents
// (and the same clean data either way: 72 h of history, Event Monitoring
// files, recent logins, the inventory's routine churn) into a new
// VictoriaLogs, and waits until it holds every record. The inventory's
// incidents are changes: they are injected, with the churn, once the
// inventory's first snapshot is in.
func detectionsOrg(t *testing.T, incidents []string) (*victoriaLogs, *env) {
	v := startVictoriaLogs(t)
	atStart := slices.DeleteFunc(slices.Clone(incidents), simulator.InventoryIncident)
	later := slices.DeleteFunc(slices.Clone(incidents), func(n string) bool { return !simulator.InventoryIncident(n) })
	e := newEnvWith(t, simulator.Options{Incidents: atStart, SameTimestampRuns: true},
		envConfig{EventLogFile: elfDaily, Receiver: detectionObjects, LogsEndpoint: v.base + "/insert/opentelemetry/v1/logs"})
	now := time.Now().UTC()
	// Daily files up to the day before yesterday: every one published
	// (CreatedDate is the day after its LogDate, plus 3 h).
	e.sim.SeedLogFiles(now.Add(-72*time.Hour), now.Add(-27*time.Hour), false, 40)
	e.sim.Arrive("LoginHistory", 30, now.Add(-10*time.Minute))
	e.sim.Arrive("LoginEvent", 30, now.Add(-10*time.Minute))
	snapshot := inventoryItems(e.sim)
	e.start()

	want := map[string]int{
		"salesforce.login_history":     len(e.sim.Records("LoginHistory")),
		"salesforce.setup_audit_trail": len(e.sim.Records("SetupAuditTrail")),
		"salesforce.inventory":         snapshot,
	}
	for _, f := range e.sim.Records("EventLogFile") {
		want["salesforce.event_log_file"] += e.sim.LogFileRowCount(f.ID)
	}
	for _, o := range []string{"LoginEvent", "LoginAsEvent", "ReportEvent", "ApiAnomalyEventStore", "ApiEvent"} {
		want["salesforce.object"] += len(e.sim.Records(o))
	}
	require.Eventually(t, func() bool { _, uniq := v.counts(t); return uniq["salesforce.inventory"] >= snapshot },
		120*time.Second, 500*time.Millisecond, "the inventory's first snapshot")
	want["salesforce.inventory"] += e.sim.InventoryChurn()
	for _, name := range later {
		inc, err := e.sim.Inject(name)
		require.NoError(t, err)
		for _, ids := range inc.Records { // one change record per token or assignment
			want["salesforce.inventory"] += len(ids)
		}
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		_, uniq := v.counts(t)
		if maps.Equal(uniq, want) || time.Now().After(deadline) {
			require.Equal(t, want, uniq, "distinct records per event name in VictoriaLogs")
			t.Logf("VictoriaLogs holds %v (incidents: %s)", uniq, strings.Join(incidents, ","))
			e.stop(syscall.SIGTERM) // the queries need only VictoriaLogs
			return v, e
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// inventoryItems is how many items the inventory's snapshot of sim holds:
// every token and connected app, and the assignments of a permission set
// granting one of the default privileged permissions.
func inventoryItems(sim *simulator.Server) int {
	privileged := map[any]bool{}
	for _, r := range sim.Records("PermissionSet") {
		for _, p := range inventory.DefaultPermissions {
			if r.Fields[p] == true {
				privileged[r.ID] = true
			}
		}
	}
	n := len(sim.Records("OauthToken")) + len(sim.Records("ConnectedApplication"))
	for _, r := range sim.Records("PermissionSetAssignment") {
		if privileged[r.Fields["PermissionSetId"]] {
			n++
		}
	}
	return n
}
