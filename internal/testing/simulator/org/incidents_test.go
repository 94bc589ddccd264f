package org

import (
	"slices"
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
			if tc.check != nil {
				tc.check(t, inc)
			}
		})
	}
	_, err := s.Inject("no_such_incident")
	require.ErrorContains(t, err, "unknown incident")
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
}
