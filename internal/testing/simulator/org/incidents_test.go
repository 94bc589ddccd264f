package org

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Each incident adds its records, about its user, on every source that
// sees it, and through Options.Incidents as through Inject.
func TestInjectIncidents(t *testing.T) {
	o := testConfig()
	o.Incidents = IncidentNames()
	s := New(o)
	got := s.Incidents()
	require.Len(t, got, len(IncidentNames()))
	user := func(id string) string {
		for _, u := range s.Records("User") {
			if u.ID == id {
				return u.Fields["Username"].(string)
			}
		}
		return ""
	}
	for i, tc := range []struct {
		name    string
		objects map[string]int // records per object (EventLogFile: files)
		elfRows int            // rows of its log files
		check   func(t *testing.T, inc Incident)
	}{
		{IncidentFailedLoginBurst, map[string]int{"LoginHistory": 12, "LoginEvent": 12, "EventLogFile": 1}, 12, nil},
		{IncidentPasswordSpray, map[string]int{"LoginHistory": 14, "LoginEvent": 14, "EventLogFile": 1}, 14, func(t *testing.T, inc Incident) {
			users := map[any]bool{}
			for _, r := range records(s, "LoginHistory", inc) {
				users[r.Fields["UserId"]] = true
				require.Equal(t, sprayIP, r.Fields["SourceIp"])
			}
			require.Len(t, users, 7)
		}},
		{IncidentNewCountry, map[string]int{"LoginHistory": 1, "LoginEvent": 1}, 0, func(t *testing.T, inc Incident) {
			require.NotEqual(t, inc.HomeCountry, inc.Country)
			for _, obj := range []string{"LoginHistory", "LoginEvent"} {
				r := records(s, obj, inc)[0]
				require.Equal(t, inc.Country, r.Fields["CountryIso"])
				require.Equal(t, "Success", r.Fields["Status"])
			}
		}},
		{IncidentLoginAs, map[string]int{"SetupAuditTrail": 2, "LoginAsEvent": 1, "EventLogFile": 1}, 3, func(t *testing.T, inc Incident) {
			require.Equal(t, "admin@sfsim.example.com", inc.ActorUsername)
			r := records(s, "LoginAsEvent", inc)[0]
			require.Equal(t, inc.ActorUsername, r.Fields["DelegatedUsername"])
			require.Equal(t, inc.UserID, r.Fields["UserId"])
		}},
		{IncidentPermissionChange, map[string]int{"SetupAuditTrail": 3}, 0, nil},
		{IncidentMassReportExport, map[string]int{"ReportEvent": 3, "EventLogFile": 1}, 25, nil},
		{IncidentAPIAnomaly, map[string]int{"ApiAnomalyEventStore": 1}, 0, nil},
		{IncidentMassAPIExport, map[string]int{"EventLogFile": 5}, 24 + 12 + 40 + 30 + 40, func(t *testing.T, inc Incident) {
			// Each source that counts rows is far above 50,000 in the hour.
			rows := map[string]int{}
			for _, f := range elfRows(s, inc) {
				for _, col := range []string{"ROWS_PROCESSED", "RECORDS_PROCESSED"} {
					if v := f.cell(col); v != "" {
						n, err := strconv.Atoi(v)
						require.NoError(t, err)
						rows[f.typ] += n
					}
				}
				require.Equal(t, inc.UserID[:15], f.cell("USER_ID"), f.typ)
				require.Equal(t, inc.IP, f.cell("CLIENT_IP"), f.typ)
				require.Equal(t, inc.At.Truncate(15*time.Minute).Add(-14*time.Minute).Truncate(time.Hour),
					f.time(t).Truncate(time.Hour), "%s: one hour's export", f.typ)
				if f.typ == "RestApi" || f.typ == "ApiTotalUsage" {
					require.Equal(t, inc.AppID, f.cell("CONNECTED_APP_ID"), "the app behind the export")
				}
			}
			require.Equal(t, map[string]int{"BulkApi2": 300_000, "BulkApi": 120_000, "RestApi": 80_000, "API": 60_000}, rows)
			require.Equal(t, "Acme Chat Connector", inc.App)
		}},
		{IncidentNewAPIClient, map[string]int{"ApiEvent": 3, "EventLogFile": 3}, 2 + 3 + 3, func(t *testing.T, inc Incident) {
			require.Equal(t, []string{"python-requests/2.32.4", "Salesforce-Multi-Org-Fetcher/1.0", "DataLoaderBulkUI/60.0.2"}, inc.Clients)
			for _, r := range records(s, "ApiEvent", inc) {
				require.Equal(t, "Salesforce-Multi-Org-Fetcher/1.0", r.Fields["UserAgent"])
				require.Contains(t, r.Fields["Query"], "SELECT COUNT() FROM ")
			}
			for _, f := range elfRows(s, inc) {
				switch f.typ {
				case "Login":
					require.Equal(t, "i", f.cell("LOGIN_TYPE"), "Remote Access 2.0")
					require.Equal(t, "python-requests/2.32.4", f.cell("BROWSER_TYPE"))
				default:
					require.Equal(t, "DataLoaderBulkUI/60.0.2", f.cell("CLIENT_NAME"), f.typ)
				}
			}
		}},
		{IncidentRefreshTokenNewAddress, map[string]int{"LoginHistory": 3, "LoginEvent": 3}, 0, func(t *testing.T, inc Incident) {
			for _, obj := range []string{"LoginHistory", "LoginEvent"} {
				for _, r := range records(s, obj, inc) {
					require.Equal(t, "Remote Access 2.0", r.Fields["LoginType"])
					require.Equal(t, "OAuth Refresh Token", r.Fields["LoginSubType"])
					require.Equal(t, inc.App, r.Fields["Application"])
					require.Equal(t, inc.IP, r.Fields["SourceIp"])
					require.Equal(t, "Success", r.Fields["Status"])
					home, _, _, _ := homeCity(simUser{id: inc.UserID})
					require.Equal(t, home, r.Fields["CountryIso"], "from home: not a new country")
				}
			}
			require.NotContains(t, appEgress[inc.App], inc.IP)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := got[i]
			require.Equal(t, tc.name, inc.Name)
			require.Equal(t, testNow, inc.At)
			if tc.name != IncidentPasswordSpray { // a spray is about an IP, not a user
				require.NotEmpty(t, user(inc.UserID), "the incident's user is a user of the org")
				require.Equal(t, user(inc.UserID), inc.Username)
			}
			counts := map[string]int{}
			for obj, ids := range inc.Records {
				counts[obj] = len(ids)
			}
			require.Equal(t, tc.objects, counts)
			rows := 0
			for _, id := range inc.Records["EventLogFile"] {
				rows += s.LogFileRowCount(id)
			}
			require.Equal(t, tc.elfRows, rows)
			for obj := range tc.objects {
				if obj == "EventLogFile" {
					continue
				}
				for _, r := range records(s, obj, inc) {
					ts := r.Fields[s.reg.Lookup(obj).TimestampField].(time.Time)
					require.False(t, ts.After(inc.At.Add(-5*time.Minute)), "%s at %v: within readers' reach", obj, ts)
					require.False(t, ts.Before(inc.At.Add(-30*time.Minute)), "%s at %v", obj, ts)
				}
			}
			if tc.name != IncidentRefreshTokenNewAddress {
				for _, obj := range []string{"LoginHistory", "LoginEvent"} {
					for _, r := range records(s, obj, inc) {
						require.NotEqual(t, subTypeRefreshToken, r.Fields["LoginSubType"], "%s: an app's login in a user's incident", obj)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, inc)
			}
		})
	}
	_, err := s.Inject("no_such_incident")
	require.ErrorContains(t, err, "unknown incident")
}

// elfRow is one row of an incident's log files.
type elfRow struct {
	typ   string
	names []string
	row   []string
}

func (r elfRow) cell(col string) string {
	if j := slices.Index(r.names, col); j >= 0 {
		return r.row[j]
	}
	return ""
}

func (r elfRow) time(t *testing.T) time.Time {
	ts, err := time.Parse("2006-01-02T15:04:05.000Z", r.cell("TIMESTAMP_DERIVED"))
	require.NoError(t, err)
	return ts
}

func elfRows(s *Org, inc Incident) []elfRow {
	var out []elfRow
	for _, f := range records(s, "EventLogFile", inc) {
		typ := f.Fields["EventType"].(string)
		names := strings.Split(f.Fields["LogFileFieldNames"].(string), ",")
		for _, row := range s.LogFileRows(f.ID) {
			out = append(out, elfRow{typ: typ, names: names, row: row})
		}
	}
	return out
}

func records(s *Org, object string, inc Incident) []Record {
	var out []Record
	for _, r := range s.Records(object) {
		if slices.Contains(inc.Records[object], r.ID) {
			out = append(out, r)
		}
	}
	return out
}

// Clean data keeps below every detection's threshold: what the thresholds
// in docs/detections.md rely on.
func TestCleanDataHasNoIncidents(t *testing.T) {
	o := testConfig()
	s := New(o)
	s.SeedLogFiles(testNow.Add(-72*time.Hour), testNow, true, 40)
	require.Empty(t, s.Incidents())

	// Every user logs in from one country, on both login sources.
	countries := map[any]map[any]bool{}
	for _, obj := range []string{"LoginHistory", "LoginEvent"} {
		for _, r := range s.Records(obj) {
			if countries[r.Fields["UserId"]] == nil {
				countries[r.Fields["UserId"]] = map[any]bool{}
			}
			countries[r.Fields["UserId"]][r.Fields["CountryIso"]] = true
		}
	}
	require.NotEmpty(t, countries)
	for u, c := range countries {
		require.Len(t, c, 1, "user %v logs in from %v", u, c)
	}
	// No login-as, no admin-level grant, no anomaly, no big export.
	for _, r := range s.Records("SetupAuditTrail") {
		a, d := r.Fields["Action"].(string), r.Fields["Display"].(string)
		require.False(t, strings.HasPrefix(a, "su"), a)
		require.NotContains(t, d, "Administrator", a)
		// Changes of what a profile or permission set grants.
		require.NotContains(t, []string{"PermSetEnableUserPerm", "PermSetEntityPermChanged", "profilePermChangedCustom", "profilePermChangedStandard"}, a)
	}
	for _, r := range s.Records("EventLogFile") {
		require.NotEqual(t, "LoginAs", r.Fields["EventType"])
	}
	require.Empty(t, s.Records("LoginAsEvent"))
	require.Empty(t, s.Records("ApiAnomalyEventStore"))
	reports := s.Records("ReportEvent")
	require.NotEmpty(t, reports)
	for _, r := range reports {
		require.LessOrEqual(t, r.Fields["RowsProcessed"].(float64), 1500.0)
	}

	// An app refreshes its token only from its own servers, and every one
	// of them is in the history (the baseline refresh_token_new_address
	// compares with).
	seen := map[string]map[any]bool{}
	for _, obj := range []string{"LoginHistory", "LoginEvent"} {
		for _, r := range s.Records(obj) {
			if r.Fields["LoginSubType"] != subTypeRefreshToken {
				continue
			}
			require.Equal(t, loginTypeOAuth2, r.Fields["LoginType"])
			app := r.Fields["Application"].(string)
			require.Contains(t, appEgress[app], r.Fields["SourceIp"], "%s: %s refreshed from elsewhere", obj, app)
			if seen[obj+"/"+app] == nil {
				seen[obj+"/"+app] = map[any]bool{}
			}
			seen[obj+"/"+app][r.Fields["SourceIp"]] = true
		}
	}
	for app, ips := range appEgress {
		for _, obj := range []string{"LoginHistory", "LoginEvent"} {
			require.Len(t, seen[obj+"/"+app], len(ips), "%s: %s's addresses", obj, app)
		}
	}

	// A user's API client is its app's, on ApiEvent as in the log files,
	// and none is a client the 2025 advisories name.
	clients := map[any]map[string]bool{}
	for _, r := range s.Records("ApiEvent") {
		if clients[r.Fields["UserId"]] == nil {
			clients[r.Fields["UserId"]] = map[string]bool{}
		}
		clients[r.Fields["UserId"]][fmt.Sprint(r.Fields["UserAgent"], "|", r.Fields["Client"], "|", r.Fields["Application"])] = true
	}
	require.NotEmpty(t, clients)
	for u, c := range clients {
		require.Len(t, c, 1, "user %v uses %v", u, c)
	}
	iocs := []string{uaPythonRequests, uaMultiOrgFetcher, "Salesforce-CLI/1.0", "Python/3.11 aiohttp/3.12.15"}

	// Row counts of every log file stay far below mass_api_export's 50,000
	// rows per user or app, hour and source.
	perHour := map[string]int{}
	for _, f := range s.Records("EventLogFile") {
		typ := f.Fields["EventType"].(string)
		names := strings.Split(f.Fields["LogFileFieldNames"].(string), ",")
		for _, row := range s.LogFileRows(f.ID) {
			r := elfRow{typ: typ, names: names, row: row}
			for _, col := range []string{"BROWSER_TYPE", "CLIENT_NAME", "USER_AGENT"} {
				require.NotContains(t, iocs, r.cell(col))
			}
			who := "user:" + r.cell("USER_ID")
			if app := r.cell("CONNECTED_APP_ID"); app != "" {
				who = "app:" + app
			}
			for _, col := range []string{"ROWS_PROCESSED", "RECORDS_PROCESSED"} {
				if v := r.cell(col); v != "" {
					n, err := strconv.Atoi(v)
					require.NoError(t, err)
					perHour[typ+"/"+who+"/"+r.time(t).Truncate(time.Hour).String()] += n
				}
			}
		}
	}
	require.NotEmpty(t, perHour)
	largest := 0
	for k, n := range perHour {
		require.Less(t, n, 25_000, k)
		largest = max(largest, n)
	}
	t.Logf("clean data: at most %d rows per user or app, hour and source", largest)
}
