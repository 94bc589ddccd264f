package rest_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

func TestLimitEnforcement(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	s.SetUsage(99998)

	r := simtest.Get(t, s, tok, "/services/data/v66.0/limits", nil)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "api-usage=99999/100000", r.Header.Get("Sforce-Limit-Info"))
	var lim map[string]struct{ Max, Remaining int64 }
	require.NoError(t, json.Unmarshal(r.Body, &lim))
	require.Equal(t, int64(100000), lim["DailyApiRequests"].Max)
	require.Equal(t, int64(1), lim["DailyApiRequests"].Remaining)

	r = simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM User"), nil)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "api-usage=100000/100000", r.Header.Get("Sforce-Limit-Info"))

	for range 3 {
		r = simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM User"), nil)
		require.Equal(t, 403, r.Status)
		require.Equal(t, "REQUEST_LIMIT_EXCEEDED", r.ErrorCode(t))
		require.Contains(t, string(r.Body), "TotalRequests Limit exceeded.")
		require.Equal(t, "api-usage=100000/100000", r.Header.Get("Sforce-Limit-Info"))
	}
	used, limit := s.Usage()
	require.Equal(t, [2]int64{100000, 100000}, [2]int64{used, limit})
	// Tokens are still issued: they are not API calls.
	simtest.Login(t, s)

	s.AddUsage(-10)
	require.Equal(t, 200, simtest.Get(t, s, tok, "/services/data/v66.0/limits", nil).Status)
	c := s.Calls()
	require.Equal(t, int64(3), c.Forbidden)
	require.Equal(t, int64(6), c.Total)
	require.Equal(t, int64(2), c.Limits)
	require.Equal(t, int64(4), c.Query)
}

// With an app quota the header takes the form Salesforce documents, with
// "; " between its parts; /limits names the app under DailyApiRequests;
// and calls stop at the quota even with the org's allowance to spare.
func TestAppQuota(t *testing.T) {
	opts := simtest.Options()
	opts.AppQuota, opts.AppName = 250, "sample-connected-app"
	s := simulator.NewTestServer(t, opts)
	tok := simtest.Login(t, s)
	s.SetUsage(24)
	s.SetAppUsage(248)

	r := simtest.Get(t, s, tok, "/services/data/v66.0/limits", nil)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "api-usage=25/100000; per-app-api-usage=249/250(appName=sample-connected-app)", r.Header.Get("Sforce-Limit-Info"))
	var lim struct {
		DailyAPIRequests map[string]json.RawMessage `json:"DailyApiRequests"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &lim))
	require.JSONEq(t, `{"Max":250,"Remaining":1}`, string(lim.DailyAPIRequests["sample-connected-app"]))
	require.JSONEq(t, `{"Max":0,"Remaining":0}`, string(lim.DailyAPIRequests["Ant Migration Tool"]))

	require.Equal(t, 200, simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM User"), nil).Status)
	r = simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM User"), nil)
	require.Equal(t, 403, r.Status)
	require.Equal(t, "REQUEST_LIMIT_EXCEEDED", r.ErrorCode(t))
	require.Contains(t, string(r.Body), simulator.MessageAppQuota)
	used, _ := s.Usage()
	appUsed, quota := s.AppUsage()
	require.Equal(t, [3]int64{26, 250, 250}, [3]int64{used, appUsed, quota}, "the refused call is not counted")
}
