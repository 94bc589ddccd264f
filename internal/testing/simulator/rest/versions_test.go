package rest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

func TestAPIVersions(t *testing.T) {
	opts := simtest.Options()
	opts.APIVersion = "58.0"
	s := simulator.NewTestServer(t, opts)
	tok := simtest.Login(t, s)

	for _, path := range []string{"/services/data/", "/services/data"} {
		r := simtest.Get(t, s, "", path, nil) // no session needed
		require.Equal(t, 200, r.Status, string(r.Body))
		var list []struct{ Label, URL, Version string }
		require.NoError(t, json.Unmarshal(r.Body, &list))
		require.Len(t, list, 58-20+1)
		require.Equal(t, "20.0", list[0].Version)
		require.Equal(t, "Winter '11", list[0].Label)
		require.Equal(t, "/services/data/v20.0", list[0].URL)
		require.Equal(t, "58.0", list[len(list)-1].Version)
		require.Equal(t, "Summer '23", list[len(list)-1].Label)
		for i := 1; i < len(list); i++ {
			require.True(t, org.VersionAtMost(list[i-1].Version, list[i].Version) && list[i-1].Version != list[i].Version, "ascending")
		}
	}
	used, _ := s.Usage()
	require.Zero(t, used, "the listing is not charged")
	c := s.Calls()
	require.Equal(t, int64(2), c.Versions)
	require.Zero(t, c.Total, "the listing is not an API call")

	notFound := `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`
	tests := []struct {
		path string
		want int
	}{
		{"/services/data/v58.0/limits", 200},
		{"/services/data/v20.0/limits", 200},
		{"/services/data/v59.0/limits", 404},
		{"/services/data/v66.0/limits", 404},
		{"/services/data/v100.0/limits", 404},
		{"/services/data/v19.0/limits", 404},
		{"/services/data/v9.0/limits", 404},
		{simtest.VersionedQuery("66.0", "SELECT Id FROM LoginHistory"), 404},
		{simtest.VersionedQuery("58.0", "SELECT Id, ForwardedForIp FROM LoginHistory"), 200},
		{"/services/data/v66.0/sobjects/LoginHistory/describe", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			before, _ := s.Usage()
			r := simtest.Get(t, s, tok, tc.path, nil)
			require.Equal(t, tc.want, r.Status, string(r.Body))
			after, _ := s.Usage()
			if tc.want == 404 {
				require.JSONEq(t, notFound, string(r.Body))
				require.Equal(t, before, after, "not charged")
			} else {
				require.Equal(t, before+1, after)
			}
		})
	}
	// Without a session the version does not matter: 401 first.
	require.Equal(t, 401, simtest.Get(t, s, "", "/services/data/v66.0/limits", nil).Status)

	t.Run("default is 66.0", func(t *testing.T) {
		d := simulator.NewTestServer(t, simtest.Options())
		r := simtest.Get(t, d, "", "/services/data/", nil)
		require.Equal(t, 200, r.Status)
		var list []struct{ Label, Version string }
		require.NoError(t, json.Unmarshal(r.Body, &list))
		require.Equal(t, struct{ Label, Version string }{"Spring '26", "66.0"}, list[len(list)-1])
	})

	t.Run("faults", func(t *testing.T) {
		d := simulator.NewTestServer(t, simtest.Options())
		d.InjectFault(simulator.Fault{Status: 503}) // empty Path: data API calls only
		require.Equal(t, 200, simtest.Get(t, d, "", "/services/data/", nil).Status)
		require.Equal(t, 1, d.PendingFaults())
		d.InjectFault(simulator.Fault{Path: "/services/data/", Drop: true})
		d.SetUsage(5)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		_, err := client.Get(d.URL() + "/services/data/")
		require.Error(t, err)
		used, _ := d.Usage()
		require.Equal(t, int64(5), used, "a dropped listing refunds nothing")
	})

	for _, bad := range []string{"v66.0", "66", "19.0", "sixty"} {
		o := simtest.Options()
		o.APIVersion = bad
		require.Panics(t, func() { simulator.New(o) }, bad)
	}
}
