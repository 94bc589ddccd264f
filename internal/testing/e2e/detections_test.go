//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
// every row it returns must be about that incident (match), and its rows
// together must come from every source that saw it (sources:
// salesforce.event_type, else event_name).
var detectionWants = map[string]struct {
	incident string
	match    []fieldIn
	sources  []string
}{
	"failed_login_burst_user": {simulator.IncidentFailedLoginBurst,
		[]fieldIn{{"user.id", userID}}, []string{"salesforce.login_history", "LoginEvent", "Login"}},
	"failed_login_burst_ip": {simulator.IncidentPasswordSpray,
		[]fieldIn{{"client.address", ip}}, []string{"salesforce.login_history", "LoginEvent", "Login"}},
	"new_country_login": {simulator.IncidentNewCountry,
		[]fieldIn{{"user.id", userID}, {"CountryIso", func(i simulator.Incident) []string { return []string{i.Country} }}},
		[]string{"salesforce.login_history", "LoginEvent"}},
	"login_as": {simulator.IncidentLoginAs,
		// The audit trail names the admin, the other sources the user.
		[]fieldIn{{"user.id", func(i simulator.Incident) []string { return []string{i.UserID, i.ActorID} }}},
		[]string{"salesforce.setup_audit_trail", "LoginAs", "LoginAsEvent"}},
	"permission_change": {simulator.IncidentPermissionChange,
		[]fieldIn{{"user.id", func(i simulator.Incident) []string { return []string{i.ActorID} }}},
		[]string{"salesforce.setup_audit_trail"}},
	"mass_report_export": {simulator.IncidentMassReportExport,
		[]fieldIn{{"user.id", userID}}, []string{"ReportEvent", "ReportExport"}},
	"api_anomaly": {simulator.IncidentAPIAnomaly,
		[]fieldIn{{"user.id", userID}, {"client.address", ip}}, []string{"ApiAnomalyEventStore"}},
	// The 2025 campaigns: a row per source, about the exporting app (REST)
	// or its user (Bulk, SOAP); the user's new clients; the app's new
	// address.
	"mass_api_export": {simulator.IncidentMassAPIExport,
		[]fieldIn{{"principal", func(i simulator.Incident) []string { return []string{"app " + i.AppID, "user " + i.UserID} }}},
		[]string{"BulkApi2", "BulkApi", "RestApi", "API"}},
	"new_api_client": {simulator.IncidentNewAPIClient,
		[]fieldIn{{"user.id", userID}, {"client", func(i simulator.Incident) []string { return i.Clients }}},
		[]string{"Login", "ApiEvent", "API", "ApiTotalUsage"}},
	"refresh_token_new_address": {simulator.IncidentRefreshTokenNewAddress,
		[]fieldIn{{"Application", func(i simulator.Incident) []string { return []string{i.App} }}, {"client.address", ip}},
		[]string{"salesforce.login_history", "LoginEvent"}},
}

func userID(i simulator.Incident) []string { return []string{i.UserID} }
func ip(i simulator.Incident) []string     { return []string{i.IP} }

// The Real-Time Event Monitoring objects the detections read.
const detectionObjects = `    objects:
      - {name: LoginEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: LoginAsEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: ReportEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: ApiAnomalyEventStore, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}
      - {name: ApiEvent, timestamp_field: EventDate, poll_interval: 1s, backfill: 96h}`

// Every query of docs/detections.md finds its injected incident, and only
// it, in VictoriaLogs; over the same org without incidents none returns
// anything.
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

	t.Run("incidents", func(t *testing.T) {
		v, e := detectionsOrg(t, simulator.IncidentNames())
		incidents := map[string]simulator.Incident{}
		for _, inc := range e.sim.Incidents() {
			incidents[inc.Name] = inc
		}
		for _, d := range dets {
			w := detectionWants[d.id]
			inc := incidents[w.incident]
			rows, err := v.queryUntil(context.Background(), d.query, "")
			require.NoError(t, err, d.id)
			t.Logf("DETECTION %s with incidents: %d rows", d.id, len(rows))
			require.NotEmpty(t, rows, "%s found nothing of %s", d.id, w.incident)
			var sources []string
			for _, r := range rows {
				for _, m := range w.match {
					require.Contains(t, m.values(inc), r[m.field], "%s: a row not about %s: %v", d.id, w.incident, r)
				}
				sources = append(sources, cmp.Or(r["salesforce.event_type"], r["event_name"]))
			}
			for _, s := range w.sources {
				require.Contains(t, sources, s, "%s: nothing from %s", d.id, s)
			}
		}
	})

	t.Run("clean", func(t *testing.T) {
		v, _ := detectionsOrg(t, nil)
		// The new-country query looks at the last hour: it must have
		// logins to judge.
		// The queries that compare a recent window with the month before
		// must have something to judge: recent logins (new country),
		// recent refresh-token logins of apps, recent API clients, and
		// log files with row counts.
		for what, q := range map[string]string{
			"recent logins": `_time:1h (event_name:=salesforce.login_history or "salesforce.event_type":=LoginEvent) Status:=Success`,
			"recent refresh-token logins": `_time:1h (event_name:=salesforce.login_history or "salesforce.event_type":=LoginEvent)
				LoginSubType:="OAuth Refresh Token" Application:*`,
			"recent API clients":   `_time:1d "salesforce.event_type":=ApiEvent user_agent.original:*`,
			"rows of API requests": `"salesforce.event_type":in(API, RestApi, BulkApi, BulkApi2) (ROWS_PROCESSED:>0 or RECORDS_PROCESSED:>0)`,
		} {
			rows, err := v.queryUntil(context.Background(), q+` | stats count() as n`, "")
			require.NoError(t, err)
			require.NotEqual(t, "0", rows[0]["n"], "clean data has no %s", what)
		}
		for _, d := range dets {
			rows, err := v.queryUntil(context.Background(), d.query, "")
			require.NoError(t, err, d.id)
			t.Logf("DETECTION %s on clean data: %d rows", d.id, len(rows))
			require.Empty(t, rows, "%s fired on clean data", d.id)
		}
	})
}

// detectionsOrg runs the collector against an org with these incidents
// (and the same clean data either way: 72 h of history, Event Monitoring
// files, recent logins) into a new VictoriaLogs, and waits until it
// holds every record.
func detectionsOrg(t *testing.T, incidents []string) (*victoriaLogs, *env) {
	v := startVictoriaLogs(t)
	e := newEnvWith(t, simulator.Options{Incidents: incidents, SameTimestampRuns: true},
		envConfig{EventLogFile: elfDaily, Receiver: detectionObjects, LogsEndpoint: v.base + "/insert/opentelemetry/v1/logs"})
	now := time.Now().UTC()
	// Daily files up to the day before yesterday: every one published
	// (CreatedDate is the day after its LogDate, plus 3 h).
	e.sim.SeedLogFiles(now.Add(-72*time.Hour), now.Add(-27*time.Hour), false, 40)
	e.sim.Arrive("LoginHistory", 30, now.Add(-10*time.Minute))
	e.sim.Arrive("LoginEvent", 30, now.Add(-10*time.Minute))
	e.start()

	want := map[string]int{
		"salesforce.login_history":     len(e.sim.Records("LoginHistory")),
		"salesforce.setup_audit_trail": len(e.sim.Records("SetupAuditTrail")),
	}
	for _, f := range e.sim.Records("EventLogFile") {
		want["salesforce.event_log_file"] += e.sim.LogFileRowCount(f.ID)
	}
	for _, o := range []string{"LoginEvent", "LoginAsEvent", "ReportEvent", "ApiAnomalyEventStore", "ApiEvent"} {
		want["salesforce.object"] += len(e.sim.Records(o))
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		_, uniq := v.counts(t)
		if maps.Equal(uniq, want) || time.Now().After(deadline) {
			require.Equal(t, want, uniq, "distinct records per event name in VictoriaLogs")
			t.Logf("VictoriaLogs holds %v (incidents: %s)", uniq, strings.Join(incidents, ","))
			return v, e
		}
		time.Sleep(500 * time.Millisecond)
	}
}
