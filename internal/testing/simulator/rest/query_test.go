package rest_test

import (
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

// Big objects and Event Log Objects answer the empty Id; Threat Detection
// stores their own.
func TestPlaceholderIDs(t *testing.T) {
	s, tok, _ := simtest.ELOServer(t, nil)
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
			recs, _ := simtest.QueryAll(t, s, tok, "SELECT Id FROM "+tc.object+" "+tc.where, 0)
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

func TestQueryPaging(t *testing.T) {
	opts := simtest.Options()
	opts.NoLoginHistory = true // the page sizes below assume the 500 generated rows
	s := simulator.NewTestServer(t, opts)
	tok := simtest.Login(t, s)
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
		t.Run(simtest.Itoa(tc.batch), func(t *testing.T) {
			recs, sizes := simtest.QueryAll(t, s, tok, "SELECT Id, LoginTime FROM LoginHistory", tc.batch)
			require.Equal(t, tc.sizes, sizes)
			wantIDs := make([]string, len(want))
			for i, r := range want {
				wantIDs[i] = r.ID
			}
			require.Equal(t, wantIDs, simtest.IDs(recs))
		})
	}

	t.Run("bad locators", func(t *testing.T) {
		qr := simtest.QueryPage(t, s, tok, simtest.QueryPath("SELECT Id FROM LoginHistory"), 200)
		for _, p := range []string{
			"/services/data/v66.0/query/01gSIM000000000AAA-200",
			"/services/data/v66.0/query/nonsense",
			strings.Replace(qr.NextRecordsURL, "-200", "-9999", 1),
		} {
			r := simtest.Get(t, s, tok, p, nil)
			require.Equal(t, 400, r.Status, p)
			require.Equal(t, "INVALID_QUERY_LOCATOR", r.ErrorCode(t))
		}
		// A page can be read again (a client retrying a cut-off response).
		a := simtest.QueryPage(t, s, tok, qr.NextRecordsURL, 0)
		b := simtest.QueryPage(t, s, tok, qr.NextRecordsURL, 0)
		require.Equal(t, simtest.IDs(a.Records), simtest.IDs(b.Records))
		s.ExpireLocators()
		require.Equal(t, "INVALID_QUERY_LOCATOR", simtest.Get(t, s, tok, qr.NextRecordsURL, nil).ErrorCode(t))
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
			clock.Store(simtest.Now.UnixNano())
			opts := simtest.Options()
			opts.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			s := simulator.NewTestServer(t, opts)
			tok := simtest.Login(t, s)
			path := "/services/data/v" + tc.ver + "/query?q=" + url.QueryEscape("SELECT Id FROM LoginHistory")
			qr := simtest.QueryPage(t, s, tok, path, 200)
			require.NotEmpty(t, qr.NextRecordsURL)
			clock.Add(int64(tc.idle))
			r := simtest.Get(t, s, tok, qr.NextRecordsURL, nil)
			if tc.wantExpiry {
				require.Equal(t, "INVALID_QUERY_LOCATOR", r.ErrorCode(t))
				return
			}
			require.Equal(t, 200, r.Status)
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
			s := simulator.NewTestServer(t, simtest.Options())
			tok := simtest.Login(t, s)
			path := "/services/data/v" + tc.ver + "/query?q=" + url.QueryEscape("SELECT Id FROM LoginHistory")
			var first string
			for i := range 11 {
				qr := simtest.QueryPage(t, s, tok, path, 200)
				if i == 0 {
					first = qr.NextRecordsURL
				}
			}
			r := simtest.Get(t, s, tok, first, nil)
			if tc.firstGone {
				require.Equal(t, "INVALID_QUERY_LOCATOR", r.ErrorCode(t))
			} else {
				require.Equal(t, 200, r.Status)
			}
		})
	}
}

func TestSnapshotStableWhileRecordsArrive(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	const soql = "SELECT Id, LoginTime FROM LoginHistory WHERE LoginTime >= 2024-04-28T12:00:00Z ORDER BY LoginTime, Id"
	first := simtest.QueryPage(t, s, tok, simtest.QueryPath(soql), 200)
	total := first.TotalSize
	got := first.Records
	next := first.NextRecordsURL
	arrived := 0
	for i := 0; next != ""; i++ {
		// New rows inside the queried range, including a same-timestamp run
		// and late-visible ones stamped in the past.
		s.Arrive("LoginHistory", 10, simtest.Now.Add(-time.Duration(i+1)*time.Hour))
		arrived += 10
		qr := simtest.QueryPage(t, s, tok, next, 0)
		require.Equal(t, total, qr.TotalSize)
		got = append(got, qr.Records...)
		next = qr.NextRecordsURL
	}
	require.Len(t, got, total)
	require.Positive(t, arrived)
	// A fresh query sees the arrivals.
	again := simtest.QueryPage(t, s, tok, simtest.QueryPath(soql), 2000)
	require.Equal(t, total+arrived, again.TotalSize)
}

func TestQueryRendering(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	uid := s.AddRecord("User", map[string]any{"Username": "rel@x.test", "Name": "Rel", "IsActive": true})
	at := time.Date(2024, 5, 1, 11, 22, 33, 456e6, time.UTC)
	id := s.AddRecord("SetupAuditTrail", map[string]any{"Action": "changedPassword", "CreatedDate": at, "CreatedById": uid, "Display": `quote " and \ backslash`})
	orphan := s.AddRecord("SetupAuditTrail", map[string]any{"Action": "orphan", "CreatedDate": at})

	r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id, Action, CreatedDate, CreatedBy.Username, createdby.name, DelegateUser FROM SetupAuditTrail WHERE Id = '"+id+"'"), nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	require.JSONEq(t, `{"totalSize":1,"done":true,"records":[{
		"attributes":{"type":"SetupAuditTrail","url":"/services/data/v66.0/sobjects/SetupAuditTrail/`+id+`"},
		"Id":"`+id+`","Action":"changedPassword","CreatedDate":"2024-05-01T11:22:33.456+0000",
		"CreatedBy":{"attributes":{"type":"User","url":"/services/data/v66.0/sobjects/User/`+uid+`"},"Username":"rel@x.test","Name":"Rel"},
		"DelegateUser":null}]}`, string(r.Body))
	// Field order follows the SELECT list.
	require.Less(t, strings.Index(string(r.Body), `"Action"`), strings.Index(string(r.Body), `"CreatedDate"`))

	r = simtest.Get(t, s, tok, strings.Replace(simtest.QueryPath("SELECT Id, CreatedBy.Username FROM SetupAuditTrail WHERE Id = '"+orphan+"'"), "v66.0", "v61.0", 1), nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"CreatedBy":null`)
	require.Contains(t, string(r.Body), `/services/data/v61.0/sobjects/`)

	for _, tc := range []struct{ soql, want string }{
		{"SELECT COUNT() FROM SetupAuditTrail WHERE Action = 'orphan'", `{"totalSize":1,"done":true,"records":[]}`},
		{"SELECT Id FROM SetupAuditTrail WHERE CreatedBy.Username = 'rel@x.test'", `"totalSize":1`},
		{"select id from setupaudittrail where Display = 'quote \\\" and \\\\ backslash'", `"totalSize":1`},
		{"SELECT Id FROM LoginHistory ORDER BY LoginTime DESC LIMIT 5", `"totalSize":5`},
		{"SELECT Id FROM LoginHistory LIMIT 5 OFFSET 499", `"totalSize":2`}, // 500 generated rows and the login's
		{"SELECT Id FROM User WHERE IsActive = false", `"totalSize":0`},
	} {
		t.Run(tc.soql, func(t *testing.T) {
			r := simtest.Get(t, s, tok, simtest.QueryPath(tc.soql), nil)
			require.Equal(t, 200, r.Status, string(r.Body))
			require.Contains(t, string(r.Body), tc.want)
		})
	}
}
