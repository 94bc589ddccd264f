package simulator

import (
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
