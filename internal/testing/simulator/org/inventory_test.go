package org

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// pairs is every (AppName, AppMenuItemId) the org's tokens hold.
func pairs(s *Org) map[[2]string]bool {
	out := map[[2]string]bool{}
	for _, r := range s.Records("OauthToken") {
		out[[2]string{r.Fields["AppName"].(string), r.Fields["AppMenuItemId"].(string)}] = true
	}
	return out
}

// holders is every user assigned a permission set granting Modify All
// Data or View All Data.
func holders(s *Org) map[string]bool {
	sets := map[string]bool{}
	for _, r := range s.Records("PermissionSet") {
		if r.Fields["PermissionsModifyAllData"] == true || r.Fields["PermissionsViewAllData"] == true {
			sets[r.ID] = true
		}
	}
	out := map[string]bool{}
	for _, r := range s.Records("PermissionSetAssignment") {
		if sets[r.Fields["PermissionSetId"].(string)] {
			out[r.Fields["AssigneeId"].(string)] = true
		}
	}
	return out
}

// The clean org's routine changes never look like the inventory's
// incidents: no app (name and App Picker item) its tokens did not hold
// before, nobody newly holding Modify All Data or View All Data.
func TestInventoryChurnIsClean(t *testing.T) {
	s := New(testConfig())
	apps, admins := pairs(s), holders(s)
	tokens := len(s.Records("OauthToken"))
	require.Equal(t, 5, s.InventoryChurn())
	require.Len(t, s.Records("OauthToken"), tokens+2, "three authorized, one revoked")
	for p := range pairs(s) {
		require.True(t, apps[p], "a new app: %v", p)
	}
	require.Equal(t, admins, holders(s))
	for _, r := range s.Records("OauthToken") {
		require.Nil(t, r.Fields["Id"])
		for _, f := range []string{"AccessToken", "RequestToken", "DeleteToken"} {
			require.Regexp(t, `^5Aep861[A-Za-z0-9]{80}$`, r.Fields[f])
		}
	}
}

// oauth_app_authorized adds two tokens of apps the org never had, one
// under a known tool's name; privilege_grant gives a user Modify All Data
// who had neither it nor View All Data.
func TestInventoryIncidents(t *testing.T) {
	s := New(testConfig())
	apps, admins := pairs(s), holders(s)
	names, items := map[string]bool{}, map[string]bool{}
	for p := range apps {
		names[p[0]], items[p[1]] = true, true
	}
	inc, err := s.Inject(IncidentOAuthAppAuthorized)
	require.NoError(t, err)
	require.Equal(t, []string{"Data Loader", "Acme Sync Connector"}, inc.Apps)
	require.Len(t, inc.Records["OauthToken"], 2)
	var added [][2]string
	for p := range pairs(s) {
		if !apps[p] {
			added = append(added, p)
		}
	}
	require.Len(t, added, 2)
	for _, p := range added {
		require.Contains(t, inc.Apps, p[0])
		require.False(t, items[p[1]], "an App Picker item no token held before")
	}
	require.True(t, names["Dataloader Partner"], "the org uses the genuine Data Loader")

	inc, err = s.Inject(IncidentPrivilegeGrant)
	require.NoError(t, err)
	require.False(t, admins[inc.UserID])
	require.True(t, holders(s)[inc.UserID])
	require.Len(t, inc.Records["PermissionSetAssignment"], 1)
	require.Equal(t, "admin@sfsim.example.com", inc.ActorUsername)
}
