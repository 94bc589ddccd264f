package simulator

import (
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

func TestQueryPaging(t *testing.T) {
	opts := testOptions()
	opts.NoLoginHistory = true // the page sizes below assume the 500 generated rows
	s := NewTestServer(t, opts)
	tok := login(t, s)
	want := s.Records("LoginHistory")
	require.Len(t, want, 500)

	tests := []struct {
		batch int
		sizes []int
	}{
		{0, []int{500}},                // default 2000
		{200, []int{200, 200, 100}},    // smallest allowed
		{250, []int{250, 250}},         // exact multiple: no empty last page
		{50, []int{200, 200, 100}},     // clamped up to 200
		{5000, []int{500}},             // clamped down to 2000
		{499, []int{499, 1}},           // one left over
		{500, []int{500}},              // fits exactly
		{1000, []int{500}},             // larger than the result
		{300, []int{300, 200}},         // uneven
		{200 + 1, []int{201, 201, 98}}, // odd size
	}
	for _, tc := range tests {
		t.Run(itoa(tc.batch), func(t *testing.T) {
			recs, sizes := queryAll(t, s, tok, "SELECT Id, LoginTime FROM LoginHistory", tc.batch)
			require.Equal(t, tc.sizes, sizes)
			wantIDs := make([]string, len(want))
			for i, r := range want {
				wantIDs[i] = r.ID
			}
			require.Equal(t, wantIDs, ids(recs))
		})
	}

	t.Run("bad locators", func(t *testing.T) {
		qr := queryPage(t, s, tok, queryPath("SELECT Id FROM LoginHistory"), 200)
		for _, p := range []string{
			"/services/data/v66.0/query/01gSIM000000000AAA-200",
			"/services/data/v66.0/query/nonsense",
			strings.Replace(qr.NextRecordsURL, "-200", "-9999", 1),
		} {
			r := get(t, s, tok, p, nil)
			require.Equal(t, 400, r.status, p)
			require.Equal(t, "INVALID_QUERY_LOCATOR", r.errorCode(t))
		}
		// A page can be read again (a client retrying a cut-off response).
		a := queryPage(t, s, tok, qr.NextRecordsURL, 0)
		b := queryPage(t, s, tok, qr.NextRecordsURL, 0)
		require.Equal(t, ids(a.Records), ids(b.Records))
		s.ExpireLocators()
		require.Equal(t, "INVALID_QUERY_LOCATOR", get(t, s, tok, qr.NextRecordsURL, nil).errorCode(t))
	})
}

// Query locators live two days since API 56.0, and 15 idle minutes on
// older versions (App Limits Cheatsheet, "API Query Cursor Limits").
func TestLocatorTTL(t *testing.T) {
	tests := []struct {
		ver        string
		idle       time.Duration
		wantExpiry bool
	}{
		{"66.0", 16 * time.Minute, false},
		{"66.0", 47 * time.Hour, false},
		{"66.0", 49 * time.Hour, true},
		{"56.0", 24 * time.Hour, false},
		{"55.0", 14 * time.Minute, false},
		{"55.0", 16 * time.Minute, true},
	}
	for _, tc := range tests {
		t.Run(tc.ver+"/"+tc.idle.String(), func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(testNow.UnixNano())
			opts := testOptions()
			opts.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			s := NewTestServer(t, opts)
			tok := login(t, s)
			path := "/services/data/v" + tc.ver + "/query?q=" + url.QueryEscape("SELECT Id FROM LoginHistory")
			qr := queryPage(t, s, tok, path, 200)
			require.NotEmpty(t, qr.NextRecordsURL)
			clock.Add(int64(tc.idle))
			r := get(t, s, tok, qr.NextRecordsURL, nil)
			if tc.wantExpiry {
				require.Equal(t, "INVALID_QUERY_LOCATOR", r.errorCode(t))
				return
			}
			require.Equal(t, 200, r.status)
		})
	}
}

// Before API 56.0 a user kept at most 10 cursors open; since, any number.
func TestLocatorsPerUser(t *testing.T) {
	for _, tc := range []struct {
		ver       string
		firstGone bool
	}{{"55.0", true}, {"66.0", false}} {
		t.Run(tc.ver, func(t *testing.T) {
			s := NewTestServer(t, testOptions())
			tok := login(t, s)
			path := "/services/data/v" + tc.ver + "/query?q=" + url.QueryEscape("SELECT Id FROM LoginHistory")
			var first string
			for i := range 11 {
				qr := queryPage(t, s, tok, path, 200)
				if i == 0 {
					first = qr.NextRecordsURL
				}
			}
			r := get(t, s, tok, first, nil)
			if tc.firstGone {
				require.Equal(t, "INVALID_QUERY_LOCATOR", r.errorCode(t))
			} else {
				require.Equal(t, 200, r.status)
			}
		})
	}
}

func TestSnapshotStableWhileRecordsArrive(t *testing.T) {
	s, tok := signedIn(t)
	const soql = "SELECT Id, LoginTime FROM LoginHistory WHERE LoginTime >= 2024-04-28T12:00:00Z ORDER BY LoginTime, Id"
	first := queryPage(t, s, tok, queryPath(soql), 200)
	total := first.TotalSize
	got := first.Records
	next := first.NextRecordsURL
	arrived := 0
	for i := 0; next != ""; i++ {
		// New rows inside the queried range, including a same-timestamp run
		// and late-visible ones stamped in the past.
		s.Arrive("LoginHistory", 10, testNow.Add(-time.Duration(i+1)*time.Hour))
		arrived += 10
		qr := queryPage(t, s, tok, next, 0)
		require.Equal(t, total, qr.TotalSize)
		got = append(got, qr.Records...)
		next = qr.NextRecordsURL
	}
	require.Len(t, got, total)
	require.Positive(t, arrived)
	// A fresh query sees the arrivals.
	again := queryPage(t, s, tok, queryPath(soql), 2000)
	require.Equal(t, total+arrived, again.TotalSize)
}

// cmpRecords orders ground-truth records by LoginTime then Id.
func cmpRecords(timeDesc, idDesc bool) func(a, b Record) int {
	return func(a, b Record) int {
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
	s, tok := signedIn(t)
	// Make sure a long same-timestamp run exists.
	runAt := testNow.Add(-30 * time.Hour)
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
			recs, _ := queryAll(t, s, tok, "SELECT Id, LoginTime FROM LoginHistory ORDER BY "+tc.order, 200)
			want := slices.Clone(all)
			slices.SortFunc(want, cmpRecords(tc.timeDesc, tc.idDesc))
			wantIDs := make([]string, len(want))
			for i, r := range want {
				wantIDs[i] = r.ID
			}
			require.Equal(t, wantIDs, ids(recs))
		})
	}

	// The (LoginTime, Id) cursor a receiver would use, resumed inside a run.
	slices.SortFunc(all, cmpRecords(false, false))
	var mid Record
	for _, r := range all {
		if r.Fields["LoginTime"].(time.Time).Equal(runAt) {
			mid = r
		}
	}
	ts := FormatDateTime(runAt)
	for _, tc := range []struct {
		name  string
		where string
		keep  func(Record) bool
	}{
		{"after cursor", "LoginTime > " + runAt.Format(time.RFC3339) + " OR (LoginTime = " + ts[:19] + "Z AND Id > '" + mid.ID + "')",
			func(r Record) bool { return cmpRecords(false, false)(r, mid) > 0 }},
		{"at or before", "NOT (LoginTime > 2024-04-30T06:00:00.000+00:00)",
			func(r Record) bool { return !r.Fields["LoginTime"].(time.Time).After(runAt) }},
		{"window", "LoginTime >= 2024-04-29 AND LoginTime < 2024-04-30T00:00:00+0000",
			func(r Record) bool {
				lt := r.Fields["LoginTime"].(time.Time)
				return !lt.Before(time.Date(2024, 4, 29, 0, 0, 0, 0, time.UTC)) && lt.Before(time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC))
			}},
		{"id range", "Id >= '" + all[10].ID + "' AND Id <= '" + all[20].ID[:15] + "'",
			func(r Record) bool { return r.ID >= all[10].ID && r.ID <= all[20].ID }},
		{"status in", "Status IN ('Invalid Password', 'user locked out')",
			func(r Record) bool {
				return r.Fields["Status"] == "Invalid Password" || r.Fields["Status"] == "User Locked Out"
			}},
		{"status not in", "Status NOT IN ('Success')", func(r Record) bool { return r.Fields["Status"] != "Success" }},
		{"like", "Browser LIKE 'chrome%'", func(r Record) bool { return strings.HasPrefix(r.Fields["Browser"].(string), "Chrome") }},
		{"null", "ForwardedForIp != null", func(r Record) bool { return r.Fields["ForwardedForIp"] != nil }},
		{"bool", "OptionsIsGet = true", func(r Record) bool { return r.Fields["OptionsIsGet"] == true }},
		{"salesforce ip", "SourceIp = 'Salesforce.com IP'", func(r Record) bool { return r.Fields["SourceIp"] == "Salesforce.com IP" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, _ := queryAll(t, s, tok, "SELECT Id FROM LoginHistory WHERE "+tc.where+" ORDER BY LoginTime, Id", 2000)
			var want []string
			for _, r := range all {
				if tc.keep(r) {
					want = append(want, r.ID)
				}
			}
			require.NotEmpty(t, want, "test data should exercise the filter")
			require.Equal(t, want, ids(recs))
		})
	}
}

func TestQueryRendering(t *testing.T) {
	s, tok := signedIn(t)
	uid := s.AddRecord("User", map[string]any{"Username": "rel@x.test", "Name": "Rel", "IsActive": true})
	at := time.Date(2024, 5, 1, 11, 22, 33, 456e6, time.UTC)
	id := s.AddRecord("SetupAuditTrail", map[string]any{"Action": "changedPassword", "CreatedDate": at, "CreatedById": uid, "Display": `quote " and \ backslash`})
	orphan := s.AddRecord("SetupAuditTrail", map[string]any{"Action": "orphan", "CreatedDate": at})

	r := get(t, s, tok, queryPath("SELECT Id, Action, CreatedDate, CreatedBy.Username, createdby.name, DelegateUser FROM SetupAuditTrail WHERE Id = '"+id+"'"), nil)
	require.Equal(t, 200, r.status, string(r.body))
	require.JSONEq(t, `{"totalSize":1,"done":true,"records":[{
		"attributes":{"type":"SetupAuditTrail","url":"/services/data/v66.0/sobjects/SetupAuditTrail/`+id+`"},
		"Id":"`+id+`","Action":"changedPassword","CreatedDate":"2024-05-01T11:22:33.456+0000",
		"CreatedBy":{"attributes":{"type":"User","url":"/services/data/v66.0/sobjects/User/`+uid+`"},"Username":"rel@x.test","Name":"Rel"},
		"DelegateUser":null}]}`, string(r.body))
	// Field order follows the SELECT list.
	require.Less(t, strings.Index(string(r.body), `"Action"`), strings.Index(string(r.body), `"CreatedDate"`))

	r = get(t, s, tok, strings.Replace(queryPath("SELECT Id, CreatedBy.Username FROM SetupAuditTrail WHERE Id = '"+orphan+"'"), "v66.0", "v61.0", 1), nil)
	require.Equal(t, 200, r.status, string(r.body))
	require.Contains(t, string(r.body), `"CreatedBy":null`)
	require.Contains(t, string(r.body), `/services/data/v61.0/sobjects/`)

	for _, tc := range []struct{ soql, want string }{
		{"SELECT COUNT() FROM SetupAuditTrail WHERE Action = 'orphan'", `{"totalSize":1,"done":true,"records":[]}`},
		{"SELECT Id FROM SetupAuditTrail WHERE CreatedBy.Username = 'rel@x.test'", `"totalSize":1`},
		{"select id from setupaudittrail where Display = 'quote \\\" and \\\\ backslash'", `"totalSize":1`},
		{"SELECT Id FROM LoginHistory ORDER BY LoginTime DESC LIMIT 5", `"totalSize":5`},
		{"SELECT Id FROM LoginHistory LIMIT 5 OFFSET 499", `"totalSize":2`}, // 500 generated rows and the login's
		{"SELECT Id FROM User WHERE IsActive = false", `"totalSize":0`},
	} {
		t.Run(tc.soql, func(t *testing.T) {
			r := get(t, s, tok, queryPath(tc.soql), nil)
			require.Equal(t, 200, r.status, string(r.body))
			require.Contains(t, string(r.body), tc.want)
		})
	}
}

func TestQueryErrors(t *testing.T) {
	s, tok := signedIn(t)
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
			r := get(t, s, tok, queryPath(tc.soql), nil)
			require.Equal(t, 400, r.status)
			require.Equal(t, tc.code, r.errorCode(t))
			require.Contains(t, string(r.body), tc.msg)
		})
	}
	// The caret points at the token.
	_, err := parseSOQL("SELECT Id\nFROM LoginHistory WHERE x")
	require.ErrorContains(t, err, "\nFROM LoginHistory WHERE x\n                         ^\nERROR at Row:2:Column:26\nunexpected token: <EOF>")
}

func TestDateTimeLiterals(t *testing.T) {
	want := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	for _, lit := range []struct {
		text string
		want time.Time
	}{
		{"2024-05-01T12:34:56Z", want},
		{"2024-05-01T12:34:56.000Z", want},
		{"2024-05-01T12:34:56+00:00", want},
		{"2024-05-01T12:34:56.000+0000", want},
		{"2024-05-01T14:34:56+02:00", want},
		{"2024-05-01T12:34:56.123Z", want.Add(123 * time.Millisecond)},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(lit.text, func(t *testing.T) {
			toks, err := lex(lit.text)
			require.NoError(t, err)
			require.Len(t, toks, 2)
			require.True(t, lit.want.Equal(toks[0].tm), toks[0].tm)
		})
	}
}

func TestCompareValuesNullOrdering(t *testing.T) {
	q, err := parseSOQL("SELECT Id FROM LoginHistory ORDER BY ForwardedForIp DESC NULLS FIRST, Id")
	require.NoError(t, err)
	require.NoError(t, q.bind(org.NewRegistry()))
	rows := []*org.Row{
		{ID: "a", Fields: map[string]any{"ForwardedForIp": "1.1.1.1"}},
		{ID: "b", Fields: map[string]any{"ForwardedForIp": nil}},
		{ID: "c", Fields: map[string]any{"ForwardedForIp": "2.2.2.2"}},
	}
	got := q.run(rows)
	require.Equal(t, []string{"b", "c", "a"}, []string{got[0].ID, got[1].ID, got[2].ID})
}
