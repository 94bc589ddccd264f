package simulator

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// eloServer serves Event Log Object rows at once (no delay) on a clock the
// test moves.
func eloServer(t *testing.T, set func(o *Options)) (*Server, string, *atomic.Int64) {
	t.Helper()
	var clock atomic.Int64
	clock.Store(testNow.UnixNano())
	o := testOptions()
	o.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	o.EventLogObjectDelay = NoEventLogObjectDelay
	o.EventLogObjectRows = map[string]int{"LoginEventLog": 300, "ApiTotalUsageEventLog": 50}
	if set != nil {
		set(&o)
	}
	s := NewTestServer(t, o)
	return s, login(t, s), &clock
}

func soqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// The query restrictions of "Best Practices and Considerations for
// Leveraging Event Log Object Data", each refused and accepted as
// documented.
func TestEventLogObjectRestrictions(t *testing.T) {
	s, tok, _ := eloServer(t, nil)
	at := func(d time.Duration) string { return soqlTime(testNow.Add(d)) }
	day := 24 * time.Hour
	tests := []struct {
		name, where string // appended to SELECT Timestamp, UserIdentifier FROM LoginEventLog
		code        string // "": accepted
	}{
		{"no filter", "", ""},
		{"range within 15 days", "WHERE Timestamp >= " + at(-2*day) + " AND Timestamp <= " + at(0), ""},
		{"range of exactly 15 days", "WHERE Timestamp >= " + at(-15*day) + " AND Timestamp <= " + at(0), ""},
		{"two points with OR", "WHERE Timestamp = " + at(-time.Hour) + " OR Timestamp = " + at(-2*time.Hour), ""},
		{"two points with IN", "WHERE Timestamp IN (" + at(-time.Hour) + ", " + at(-2*time.Hour) + ")", ""},
		{"one-sided range", "WHERE Timestamp > " + at(-day), ""},
		{"DAY_ONLY", "WHERE DAY_ONLY(Timestamp) = 2024-05-01", ""},
		{"DAY_ONLY range", "WHERE DAY_ONLY(Timestamp) >= 2024-04-29 AND DAY_ONLY(Timestamp) <= 2024-05-01", ""},
		{"other fields filter freely", "WHERE LoginStatus != 'LOGIN_NO_ERROR' AND Timestamp > " + at(-day) + " ORDER BY Timestamp DESC", ""},
		{"order either way", "ORDER BY Timestamp ASC, UserIdentifier DESC LIMIT 10", ""},
		{"OFFSET", "LIMIT 5 OFFSET 5", "MALFORMED_QUERY"},
		{"HAVING", "GROUP BY UserIdentifier HAVING COUNT(Timestamp) > 1", "MALFORMED_QUERY"},
		{"three Timestamp filters", "WHERE Timestamp > " + at(-day) + " AND Timestamp < " + at(0) + " AND Timestamp = " + at(-time.Hour), "MALFORMED_QUERY"},
		{"three Timestamp filters, IN", "WHERE Timestamp IN (" + at(-time.Hour) + ", " + at(-2*time.Hour) + ", " + at(-3*time.Hour) + ")", "MALFORMED_QUERY"},
		{"not equal", "WHERE Timestamp != " + at(-time.Hour), "INVALID_QUERY_FILTER_OPERATOR"},
		{"not", "WHERE NOT Timestamp = " + at(-time.Hour), "INVALID_QUERY_FILTER_OPERATOR"},
		{"other date function", "WHERE HOUR_IN_DAY(Timestamp) = 3", "MALFORMED_QUERY"},
		{"range over 15 days", "WHERE Timestamp >= " + at(-16*day) + " AND Timestamp <= " + at(0), "MALFORMED_QUERY"},
		// The guide's invalid examples.
		{"equal and bound over 15 days", "WHERE Timestamp = 2021-10-26T17:18:15.553Z AND Timestamp < 2024-10-27T17:18:15.553Z", "MALFORMED_QUERY"},
		{"range OR point", "WHERE Timestamp > 2024-09-27T17:18:15.553Z OR Timestamp = 2024-10-27T17:18:15.553Z", "MALFORMED_QUERY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, tok, queryPath("SELECT Timestamp, UserIdentifier FROM LoginEventLog "+tc.where), nil)
			if answered(t, r, tc.code) {
				return
			}
			require.Contains(t, string(r.body), "ERROR at Row:1:Column:", "Salesforce-style caret message")
		})
	}
	// No relationship queries: an Event Log Object has no relationship.
	r := get(t, s, tok, queryPath("SELECT UserIdentifier.Username FROM LoginEventLog"), nil)
	answered(t, r, "INVALID_FIELD")
}

// Timestamp windows: the last 15 days without a filter, 15 days toward a
// one-sided range's missing bound; retention 30 days.
func TestEventLogObjectWindowsAndRetention(t *testing.T) {
	s, tok, _ := eloServer(t, func(o *Options) { o.EventLogObjectRows = nil })
	day := 24 * time.Hour
	for _, a := range []struct {
		ago time.Duration
		n   int
	}{{time.Hour, 2}, {10 * day, 3}, {20 * day, 4}, {31 * day, 5}} {
		s.Arrive("LoginEventLog", a.n, testNow.Add(-a.ago))
	}
	count := func(where string) int {
		recs, _ := queryAll(t, s, tok, "SELECT Timestamp FROM LoginEventLog "+where, 0)
		return len(recs)
	}
	at := func(d time.Duration) string { return soqlTime(testNow.Add(-d)) }
	tests := []struct {
		name, where string
		want        int
	}{
		{"no filter: the last 15 days", "", 2 + 3},
		{"a range 15 to 25 days back", "WHERE Timestamp >= " + at(25*day) + " AND Timestamp <= " + at(11*day), 4},
		{"lower bound only: 15 days forward", "WHERE Timestamp > " + at(21*day), 4 + 3},
		{"upper bound only: 15 days back", "WHERE Timestamp < " + at(9*day), 3 + 4},
		{"beyond retention", "WHERE Timestamp >= " + at(32*day) + " AND Timestamp <= " + at(30*day), 0},
		{"a point", "WHERE Timestamp = " + at(20*day), 4},
		{"DAY_ONLY", "WHERE DAY_ONLY(Timestamp) = " + testNow.Add(-10*day).Format(time.DateOnly), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, count(tc.where))
		})
	}
}

// Rows become queryable 25 to 45 minutes after their Timestamp.
func TestEventLogObjectDelay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		// visible after each wait since the rows' Timestamp
		at map[time.Duration]bool
	}{
		{"documented 25 to 45 minutes", 0, map[time.Duration]bool{0: false, 24 * time.Minute: false, 46 * time.Minute: true}},
		{"fixed", 10 * time.Minute, map[time.Duration]bool{9 * time.Minute: false, 10 * time.Minute: true}},
		{"none", NoEventLogObjectDelay, map[time.Duration]bool{0: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, tok, clock := eloServer(t, func(o *Options) {
				o.EventLogObjectRows, o.EventLogObjectDelay = nil, tc.delay
			})
			s.Arrive("ApiTotalUsageEventLog", 50, testNow)
			waits := slices.Sorted(maps.Keys(tc.at))
			for _, w := range waits {
				clock.Store(testNow.Add(w).UnixNano())
				recs, _ := queryAll(t, s, tok, "SELECT Timestamp FROM ApiTotalUsageEventLog", 0)
				if tc.at[w] {
					require.Len(t, recs, 50, "after %v", w)
				} else {
					require.Empty(t, recs, "after %v", w)
				}
			}
		})
	}
	// The default delays differ per row, within the documented span.
	s, tok, clock := eloServer(t, func(o *Options) { o.EventLogObjectRows, o.EventLogObjectDelay = nil, 0 })
	s.Arrive("ApiTotalUsageEventLog", 200, testNow)
	clock.Store(testNow.Add(35 * time.Minute).UnixNano())
	recs, _ := queryAll(t, s, tok, "SELECT Timestamp FROM ApiTotalUsageEventLog", 0)
	require.NotEmpty(t, recs)
	require.Less(t, len(recs), 200)
}

// Big objects and Event Log Objects answer the empty Id; Threat Detection
// stores their own.
func TestPlaceholderIDs(t *testing.T) {
	s, tok, _ := eloServer(t, nil)
	s.Publish("/event/UniversalAnomalyEvent", 3)
	for _, tc := range []struct {
		object, where string
		placeholder   bool
	}{
		{"LoginEvent", "", true},
		{"ApiEvent", "WHERE EventDate > 2024-04-30T00:00:00Z", true},
		{"LoginEventLog", "", true},
		{"ApiTotalUsageEventLog", "WHERE Timestamp > 2024-04-30T00:00:00Z", true},
		{"UniversalAnomalyEventStore", "", false},
		{"LoginHistory", "", false},
	} {
		t.Run(tc.object, func(t *testing.T) {
			recs, _ := queryAll(t, s, tok, "SELECT Id FROM "+tc.object+" "+tc.where, 0)
			require.NotEmpty(t, recs)
			seen := map[string]bool{}
			for _, r := range recs {
				id := r["Id"].(string)
				url := r["attributes"].(map[string]any)["url"].(string)
				require.True(t, strings.HasSuffix(url, "/sobjects/"+tc.object+"/"+id), url)
				if tc.placeholder {
					require.Equal(t, catalog.PlaceholderID, id)
				} else {
					require.Len(t, id, 18)
					require.False(t, catalog.IsPlaceholderID(id))
					require.False(t, seen[id], "unique")
				}
				seen[id] = true
			}
		})
	}
}

// Describe of an Event Log Object: its catalog fields, no Id; not there
// before the object's version.
func TestEventLogObjectDescribe(t *testing.T) {
	s, tok, _ := eloServer(t, nil)
	for _, e := range catalog.OfKind(catalog.KindEventLogObject) {
		t.Run(e.Name, func(t *testing.T) {
			r := get(t, s, tok, "/services/data/v66.0/sobjects/"+e.Name+"/describe", nil)
			require.Equal(t, 200, r.status, string(r.body))
			var d struct {
				Name      string
				KeyPrefix *string
				Fields    []struct{ Name, Type string }
			}
			require.NoError(t, json.Unmarshal(r.body, &d))
			require.Nil(t, d.KeyPrefix)
			var names []string
			for _, f := range d.Fields {
				names = append(names, f.Name)
				want := describeType(org.CatalogType(e.Field(f.Name).Type))
				if f.Name == "Timestamp" {
					want = "datetime"
				}
				require.Equal(t, want, f.Type, f.Name)
			}
			require.Equal(t, e.FieldNames(), names)
			older, _ := org.ParseAPIVersion(e.Since)
			older.Major--
			r = get(t, s, tok, "/services/data/v"+older.String()+"/sobjects/"+e.Name+"/describe", nil)
			require.Equal(t, 404, r.status)
			r = get(t, s, tok, "/services/data/v"+older.String()+"/query?q=SELECT+Timestamp+FROM+"+e.Name, nil)
			answered(t, r, "INVALID_TYPE")
		})
	}
}

// Global describe lists what the org has at the request's version.
func TestDescribeGlobal(t *testing.T) {
	s := NewTestServer(t, func() Options { o := testOptions(); o.DeniedObjects = []string{"SetupAuditTrail"}; return o }())
	tok := login(t, s)
	type global struct {
		Encoding     string
		MaxBatchSize int
		Sobjects     []struct {
			Name      string
			Queryable bool
			Urls      map[string]string
		}
	}
	read := func(ver string) map[string]bool {
		r := get(t, s, tok, "/services/data/v"+ver+"/sobjects/", nil)
		require.Equal(t, 200, r.status, string(r.body))
		var g global
		require.NoError(t, json.Unmarshal(r.body, &g))
		require.Equal(t, "UTF-8", g.Encoding)
		require.Equal(t, 200, g.MaxBatchSize)
		out := map[string]bool{}
		for _, o := range g.Sobjects {
			require.True(t, o.Queryable, o.Name)
			require.Equal(t, "/services/data/v"+ver+"/sobjects/"+o.Name+"/describe", o.Urls["describe"])
			out[o.Name] = true
		}
		return out
	}
	tests := []struct {
		ver         string
		has, hasNot []string
	}{
		{"66.0", []string{"LoginHistory", "EventLogFile", "LoginEvent", "UniversalAnomalyEventStore", "LoginEventLog", "BulkApiRequestEventLog", "User", "Security_Case__c"}, []string{"SetupAuditTrail"}},
		{"64.0", []string{"LoginAnomalyEventStore", "DatabaseSaveEventLog"}, []string{"UniversalAnomalyEventStore", "BulkApiRequestEventLog"}},
		{"60.0", []string{"GuestUserAnomalyEventStore", "RestApiEventLog"}, []string{"LoginEventLog", "LoginAnomalyEventStore"}},
		{"40.0", []string{"LoginEvent", "EventLogFile", "LoginHistory"}, []string{"LoginAsEvent", "RestApiEventLog", "ApiAnomalyEventStore"}},
		{"31.0", []string{"LoginHistory"}, []string{"EventLogFile", "LoginEvent"}},
	}
	for _, tc := range tests {
		t.Run(tc.ver, func(t *testing.T) {
			got := read(tc.ver)
			for _, n := range tc.has {
				require.True(t, got[n], n)
			}
			for _, n := range tc.hasNot {
				require.False(t, got[n], n)
			}
		})
	}
	r := get(t, s, tok, "/services/data/v66.0/sobjects", nil)
	require.Equal(t, 200, r.status, "without the trailing slash too")
}
