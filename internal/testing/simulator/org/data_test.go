package org_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

func TestGeneratedData(t *testing.T) {
	opts := simtest.Options()
	a, b := simulator.New(opts), simulator.New(opts)
	for _, obj := range []string{"User", "LoginHistory", "SetupAuditTrail"} {
		require.Equal(t, a.Records(obj), b.Records(obj), "same seed, same data: %s", obj)
	}
	opts.Seed++
	require.NotEqual(t, a.Records("LoginHistory"), simulator.New(opts).Records("LoginHistory"))

	for _, tc := range []struct {
		object, prefix, tsField string
		rows                    int
	}{
		{"LoginHistory", "0Ya", "LoginTime", 500},
		{"SetupAuditTrail", "0Ym", "CreatedDate", 200},
	} {
		t.Run(tc.object, func(t *testing.T) {
			recs := a.Records(tc.object)
			require.Len(t, recs, tc.rows)
			runs := map[time.Time]int{}
			var prevTS time.Time
			for i, r := range recs {
				require.Len(t, r.ID, 18)
				require.True(t, strings.HasPrefix(r.ID, tc.prefix))
				require.Equal(t, sfid.WithChecksum(r.ID[:15]), r.ID)
				require.Equal(t, r.ID, r.Fields["Id"])
				if i > 0 {
					require.Greater(t, r.ID, recs[i-1].ID)
				}
				ts := r.Fields[tc.tsField].(time.Time)
				require.False(t, ts.Before(prevTS), "ids increase with time in generated history")
				require.True(t, ts.After(simtest.Now.Add(-72*time.Hour)) || ts.Equal(simtest.Now.Add(-72*time.Hour)))
				require.True(t, ts.Before(simtest.Now))
				prevTS = ts
				runs[ts]++
			}
			longest := 0
			for _, n := range runs {
				longest = max(longest, n)
			}
			require.GreaterOrEqual(t, longest, 2, "same-timestamp runs")
			require.LessOrEqual(t, longest, 31)
		})
	}

	lh := a.Records("LoginHistory")
	failed, sfIP := 0, 0
	for _, r := range lh {
		if r.Fields["Status"] != "Success" {
			failed++
		}
		if r.Fields["SourceIp"] == "Salesforce.com IP" {
			sfIP++
		}
	}
	require.InDelta(t, 50, failed, 30, "about 10%% failures")
	require.Positive(t, sfIP)

	for _, r := range a.Records("SetupAuditTrail") {
		rel := r.Fields["CreatedBy"].(map[string]any)
		require.Equal(t, r.Fields["CreatedById"], rel["Id"])
		require.NotEmpty(t, rel["Username"])
	}
	users := a.Records("User")
	require.Equal(t, simulator.DefaultUserID, users[0].ID, "the integration user id sorts first")
	require.Equal(t, simulator.DefaultUsername, users[0].Fields["Username"])
}

func TestAddRecordAndArrive(t *testing.T) {
	s := simulator.New(simulator.Options{History: -1})
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	s.Arrive("LoginHistory", 3, at)
	id := s.AddRecord("LoginHistory", map[string]any{"loginTime": at.Add(-time.Hour), "Status": "Success"})
	recs := s.Records("LoginHistory")
	require.Len(t, recs, 4)
	require.Equal(t, id, recs[3].ID, "later records get larger ids even when stamped earlier")
	for _, r := range recs[:3] {
		require.Equal(t, at.Truncate(time.Millisecond), r.Fields["LoginTime"])
	}
	require.Nil(t, recs[3].Fields["Browser"])

	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"unknown object", func() { s.AddRecord("Nope", nil) }},
		{"unknown field", func() { s.AddRecord("LoginHistory", map[string]any{"Nope": 1}) }},
		{"wrong type", func() { s.AddRecord("LoginHistory", map[string]any{"LoginTime": 5}) }},
		{"duplicate id", func() { s.AddRecord("LoginHistory", map[string]any{"Id": id}) }},
		{"arrive without generator", func() { s.Arrive("User", 1, at) }},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Panics(t, tc.f) })
	}
}

func TestBigObjectHistory(t *testing.T) {
	s := simulator.New(simtest.Options())
	for _, tc := range []struct {
		object string
		rows   int
		fields []string
	}{
		{"LoginEvent", 400, []string{"Username", "SourceIp", "LoginKey", "Status", "LoginType", "Browser", "Platform", "Application"}},
		{"LogoutEvent", 200, []string{"Username", "SessionKey", "LoginKey", "SessionType"}},
		{"ApiEvent", 600, []string{"Operation", "QueriedEntities", "RowsProcessed", "ApiType", "Query"}},
	} {
		t.Run(tc.object, func(t *testing.T) {
			recs := s.Records(tc.object)
			require.Len(t, recs, tc.rows)
			perMilli, ids := map[time.Time]int{}, map[string]bool{}
			for _, r := range recs {
				ts := r.Fields["EventDate"].(time.Time)
				require.True(t, ts.Before(simtest.Now) && !ts.Before(simtest.Now.Add(-72*time.Hour)))
				perMilli[ts]++
				id := r.Fields["EventIdentifier"].(string)
				require.Len(t, id, 36)
				require.False(t, ids[id], "EventIdentifier is unique")
				ids[id] = true
				for _, f := range tc.fields {
					require.NotNil(t, r.Fields[f], f)
				}
			}
			shared := 0
			for _, n := range perMilli {
				if n > 1 {
					shared++
				}
			}
			require.Greater(t, shared, 2, "several events share a millisecond")
		})
	}
	require.IsType(t, float64(0), s.Records("ApiEvent")[0].Fields["RowsProcessed"])
	require.Len(t, s.Records("Security_Case__c"), 80)
}
