package soql_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/soql"
)

// cmpRecords orders ground-truth records by LoginTime then Id.
func cmpRecords(timeDesc, idDesc bool) func(a, b simulator.Record) int {
	return func(a, b simulator.Record) int {
		c := a.Fields["LoginTime"].(time.Time).Compare(b.Fields["LoginTime"].(time.Time))
		if timeDesc {
			c = -c
		}
		if c != 0 {
			return c
		}
		c = strings.Compare(a.ID, b.ID)
		if idDesc {
			c = -c
		}
		return c
	}
}

func TestOrderByAndCursorFilters(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	// Make sure a long same-timestamp run exists.
	runAt := simtest.Now.Add(-30 * time.Hour)
	s.Arrive("LoginHistory", 25, runAt)
	all := s.Records("LoginHistory")

	for _, tc := range []struct {
		order            string
		timeDesc, idDesc bool
	}{
		{"LoginTime, Id", false, false},
		{"LoginTime ASC, Id ASC", false, false},
		{"LoginTime DESC, Id DESC", true, true},
		{"LoginTime ASC, Id DESC", false, true},
		{"logintime desc, id asc", true, false},
	} {
		t.Run(tc.order, func(t *testing.T) {
			recs, _ := simtest.QueryAll(t, s, tok, "SELECT Id, LoginTime FROM LoginHistory ORDER BY "+tc.order, 200)
			want := slices.Clone(all)
			slices.SortFunc(want, cmpRecords(tc.timeDesc, tc.idDesc))
			wantIDs := make([]string, len(want))
			for i, r := range want {
				wantIDs[i] = r.ID
			}
			require.Equal(t, wantIDs, simtest.IDs(recs))
		})
	}

	// The (LoginTime, Id) cursor a receiver would use, resumed inside a run.
	slices.SortFunc(all, cmpRecords(false, false))
	var mid simulator.Record
	for _, r := range all {
		if r.Fields["LoginTime"].(time.Time).Equal(runAt) {
			mid = r
		}
	}
	ts := simulator.FormatDateTime(runAt)
	for _, tc := range []struct {
		name  string
		where string
		keep  func(simulator.Record) bool
	}{
		{"after cursor", "LoginTime > " + runAt.Format(time.RFC3339) + " OR (LoginTime = " + ts[:19] + "Z AND Id > '" + mid.ID + "')",
			func(r simulator.Record) bool { return cmpRecords(false, false)(r, mid) > 0 }},
		{"at or before", "NOT (LoginTime > 2024-04-30T06:00:00.000+00:00)",
			func(r simulator.Record) bool { return !r.Fields["LoginTime"].(time.Time).After(runAt) }},
		{"window", "LoginTime >= 2024-04-29 AND LoginTime < 2024-04-30T00:00:00+0000",
			func(r simulator.Record) bool {
				lt := r.Fields["LoginTime"].(time.Time)
				return !lt.Before(time.Date(2024, 4, 29, 0, 0, 0, 0, time.UTC)) && lt.Before(time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC))
			}},
		{"id range", "Id >= '" + all[10].ID + "' AND Id <= '" + all[20].ID[:15] + "'",
			func(r simulator.Record) bool { return r.ID >= all[10].ID && r.ID <= all[20].ID }},
		{"status in", "Status IN ('Invalid Password', 'user locked out')",
			func(r simulator.Record) bool {
				return r.Fields["Status"] == "Invalid Password" || r.Fields["Status"] == "User Locked Out"
			}},
		{"status not in", "Status NOT IN ('Success')", func(r simulator.Record) bool { return r.Fields["Status"] != "Success" }},
		{"like", "Browser LIKE 'chrome%'", func(r simulator.Record) bool { return strings.HasPrefix(r.Fields["Browser"].(string), "Chrome") }},
		{"null", "ForwardedForIp != null", func(r simulator.Record) bool { return r.Fields["ForwardedForIp"] != nil }},
		{"bool", "OptionsIsGet = true", func(r simulator.Record) bool { return r.Fields["OptionsIsGet"] == true }},
		{"salesforce ip", "SourceIp = 'Salesforce.com IP'", func(r simulator.Record) bool { return r.Fields["SourceIp"] == "Salesforce.com IP" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, _ := simtest.QueryAll(t, s, tok, "SELECT Id FROM LoginHistory WHERE "+tc.where+" ORDER BY LoginTime, Id", 2000)
			var want []string
			for _, r := range all {
				if tc.keep(r) {
					want = append(want, r.ID)
				}
			}
			require.NotEmpty(t, want, "test data should exercise the filter")
			require.Equal(t, want, simtest.IDs(recs))
		})
	}
}

func TestQueryErrors(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	for _, tc := range []struct {
		soql, code, msg string
	}{
		{"", "MALFORMED_QUERY", "A query string has to be specified"},
		{"SELECT FROM LoginHistory", "MALFORMED_QUERY", "unexpected token: FROM"},
		{"SELECT Id LoginHistory", "MALFORMED_QUERY", "unexpected token: LoginHistory"},
		{"SELECT Id FROM LoginHistory WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"},
		{"SELECT Id FROM LoginHistory WHERE LoginTime > 2024-05-01T00:00:00", "MALFORMED_QUERY", "Column:"},
		{"SELECT Id FROM LoginHistory WHERE Status = 'x", "MALFORMED_QUERY", "mismatched character"},
		{"SELECT Id FROM LoginHistory WHERE Status = 'a\\qb'", "MALFORMED_QUERY", "Illegal character sequence"},
		{"SELECT Id FROM LoginHistory ORDER BY LoginTime SIDEWAYS", "MALFORMED_QUERY", "unexpected token: SIDEWAYS"},
		{"SELECT Id FROM LoginHistory LIMIT -1", "MALFORMED_QUERY", "unexpected token"},
		{"SELECT Id FROM LoginHistory WHERE Status # 'x'", "MALFORMED_QUERY", "no viable alternative at character '#'"},
		{"SELECT Id FROM LoginHistory GROUP BY Status", "MALFORMED_QUERY", "unexpected token: GROUP"},
		{"SELECT Id, Foo FROM LoginHistory", "INVALID_FIELD", "No such column 'Foo' on entity 'LoginHistory'."},
		{"SELECT Id FROM LoginHistory ORDER BY Bar", "INVALID_FIELD", "No such column 'Bar'"},
		{"SELECT Id FROM SetupAuditTrail WHERE Owner.Name = 'x'", "INVALID_FIELD", "Didn't understand relationship 'Owner'"},
		{"SELECT CreatedBy.Nope FROM SetupAuditTrail", "INVALID_FIELD", "No such column 'Nope' on entity 'User'"},
		{"SELECT Id FROM LoginHistory WHERE LoginTime > '2024-05-01T00:00:00Z'", "INVALID_FIELD", "must be of type dateTime and should not be enclosed in quotes"},
		{"SELECT Id FROM LoginHistory WHERE Status = 5", "INVALID_FIELD", "must be of type string and should be enclosed in quotes"},
		{"SELECT Id FROM LoginHistory WHERE LoginTime LIKE 'x'", "INVALID_FIELD", "invalid operator"},
		{"SELECT Id FROM LoginHistory WHERE Id > 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"},
		{"SELECT Id FROM Foo", "INVALID_TYPE", "sObject type 'Foo' is not supported."},
	} {
		t.Run(tc.soql, func(t *testing.T) {
			r := simtest.Get(t, s, tok, simtest.QueryPath(tc.soql), nil)
			require.Equal(t, 400, r.Status)
			require.Equal(t, tc.code, r.ErrorCode(t))
			require.Contains(t, string(r.Body), tc.msg)
		})
	}
	// The caret points at the token.
	_, err := soql.Parse("SELECT Id\nFROM LoginHistory WHERE x")
	require.ErrorContains(t, err, "\nFROM LoginHistory WHERE x\n                         ^\nERROR at Row:2:Column:26\nunexpected token: <EOF>")
}
