package soql_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

// The query restrictions of "Best Practices and Considerations for
// Leveraging Event Log Object Data", each refused and accepted as
// documented.
func TestEventLogObjectRestrictions(t *testing.T) {
	s, tok, _ := simtest.ELOServer(t, nil)
	at := func(d time.Duration) string { return simtest.SOQLTime(simtest.Now.Add(d)) }
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
			r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT Timestamp, UserIdentifier FROM LoginEventLog "+tc.where), nil)
			if simtest.Answered(t, r, tc.code) {
				return
			}
			require.Contains(t, string(r.Body), "ERROR at Row:1:Column:", "Salesforce-style caret message")
		})
	}
	// No relationship queries: an Event Log Object has no relationship.
	r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT UserIdentifier.Username FROM LoginEventLog"), nil)
	simtest.Answered(t, r, "INVALID_FIELD")
}

// Timestamp windows: the last 15 days without a filter, 15 days toward a
// one-sided range's missing bound; retention 30 days.
func TestEventLogObjectWindowsAndRetention(t *testing.T) {
	s, tok, _ := simtest.ELOServer(t, func(o *simulator.Options) { o.EventLogObjectRows = nil })
	day := 24 * time.Hour
	for _, a := range []struct {
		ago time.Duration
		n   int
	}{{time.Hour, 2}, {10 * day, 3}, {20 * day, 4}, {31 * day, 5}} {
		s.Arrive("LoginEventLog", a.n, simtest.Now.Add(-a.ago))
	}
	count := func(where string) int {
		recs, _ := simtest.QueryAll(t, s, tok, "SELECT Timestamp FROM LoginEventLog "+where, 0)
		return len(recs)
	}
	at := func(d time.Duration) string { return simtest.SOQLTime(simtest.Now.Add(-d)) }
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
		{"DAY_ONLY", "WHERE DAY_ONLY(Timestamp) = " + simtest.Now.Add(-10*day).Format(time.DateOnly), 3},
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
		{"none", simulator.NoEventLogObjectDelay, map[time.Duration]bool{0: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, tok, clock := simtest.ELOServer(t, func(o *simulator.Options) {
				o.EventLogObjectRows, o.EventLogObjectDelay = nil, tc.delay
			})
			s.Arrive("ApiTotalUsageEventLog", 50, simtest.Now)
			waits := slices.Sorted(maps.Keys(tc.at))
			for _, w := range waits {
				clock.Store(simtest.Now.Add(w).UnixNano())
				recs, _ := simtest.QueryAll(t, s, tok, "SELECT Timestamp FROM ApiTotalUsageEventLog", 0)
				if tc.at[w] {
					require.Len(t, recs, 50, "after %v", w)
				} else {
					require.Empty(t, recs, "after %v", w)
				}
			}
		})
	}
	// The default delays differ per row, within the documented span.
	s, tok, clock := simtest.ELOServer(t, func(o *simulator.Options) { o.EventLogObjectRows, o.EventLogObjectDelay = nil, 0 })
	s.Arrive("ApiTotalUsageEventLog", 200, simtest.Now)
	clock.Store(simtest.Now.Add(35 * time.Minute).UnixNano())
	recs, _ := simtest.QueryAll(t, s, tok, "SELECT Timestamp FROM ApiTotalUsageEventLog", 0)
	require.NotEmpty(t, recs)
	require.Less(t, len(recs), 200)
}
