package simulator_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

// Every org of a fleet is its own: org id, integration user, data,
// allowance and tokens, all on one listener.
func TestFleetOrgsAreTheirOwn(t *testing.T) {
	f := simulator.NewFleet(3, func(i int) simulator.Options {
		return simulator.Options{DailyLimit: int64(1000 * (i + 1)), LoginHistoryRows: 10 * (i + 1), NoLoginHistory: true}
	})
	require.NoError(t, f.Start("127.0.0.1:0"))
	t.Cleanup(f.Close)

	toks := make([]string, f.Len())
	for i := range f.Len() {
		org := f.Org(i)
		assert.Equal(t, simulator.FleetOrgID(i), org.Options().OrgID)
		assert.Equal(t, f.OrgURL(i), org.URL())
		toks[i] = simtest.Login(t, org)
		r := simtest.Get(t, org, toks[i], "/services/data/v66.0/limits", nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		var lim map[string]struct{ Max, Remaining int64 }
		require.NoError(t, json.Unmarshal(r.Body, &lim))
		assert.Equal(t, int64(1000*(i+1)), lim["DailyApiRequests"].Max)
		recs, _ := simtest.QueryAll(t, org, toks[i], "SELECT Id FROM LoginHistory", 2000)
		assert.Len(t, recs, 10*(i+1))
	}
	assert.NotEqual(t, f.Org(0).Options().UserID, f.Org(1).Options().UserID)
	// One org's token is nothing to another, and its calls are its own.
	assert.Equal(t, http.StatusUnauthorized, simtest.Get(t, f.Org(1), toks[0], "/services/data/v66.0/limits", nil).Status)
	used0, _ := f.Org(0).Usage()
	used2, _ := f.Org(2).Usage()
	for range 5 {
		simtest.Get(t, f.Org(0), toks[0], "/services/data/v66.0/limits", nil)
	}
	after0, _ := f.Org(0).Usage()
	after2, _ := f.Org(2).Usage()
	assert.Equal(t, used0+5, after0)
	assert.Equal(t, used2, after2)
	resp, err := http.Get(f.OrgURL(9) + "/services/data/") // the fleet has no org 9
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
