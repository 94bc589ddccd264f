package rest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

// OauthToken as its page documents it: Id always null, no retrieve(),
// pages of 500 rows and no more than 2,500 in all, whatever the header
// asks; relationship fields through User.
func TestOauthTokenQueries(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	users := s.Records("User")
	for i := range 2600 {
		_, err := s.AuthorizeApp(users[1+i%6].ID, "App "+simtest.Itoa(i/6))
		require.NoError(t, err)
	}
	total := len(s.Records("OauthToken"))
	require.Greater(t, total, 2600)
	// Five approvals per user and app: a sixth revokes the oldest.
	for range 6 {
		_, err := s.AuthorizeApp(users[1].ID, "Slack")
		require.NoError(t, err)
	}
	slack := 0
	for _, r := range s.Records("OauthToken") {
		if r.Fields["UserId"] == users[1].ID && r.Fields["AppName"] == "Slack" {
			slack++
		}
	}
	require.Equal(t, 5, slack)
	total = len(s.Records("OauthToken"))

	recs, sizes := simtest.QueryAll(t, s, tok, "SELECT Id, UserId, User.Username, AppName FROM OauthToken", 2000)
	require.Len(t, recs, 2500, "no more records are returned after 2500")
	require.Equal(t, []int{500, 500, 500, 500, 500}, sizes)
	for _, r := range recs[:3] {
		require.Nil(t, r["Id"], "OauthToken.Id is always null")
		require.NotContains(t, r["attributes"], "url")
		require.NotEmpty(t, r["User"].(map[string]any)["Username"])
	}
	count := simtest.QueryPage(t, s, tok, simtest.QueryPath("SELECT COUNT() FROM OauthToken"), 0)
	require.Equal(t, total, count.TotalSize, "COUNT() is not capped")
	// Paging by UserId under the cap reads them all.
	page := simtest.QueryPage(t, s, tok, simtest.QueryPath("SELECT UserId FROM OauthToken WHERE UserId >= '"+users[3].ID+"' ORDER BY UserId LIMIT 2000"), 0)
	require.Len(t, page.Records, 500)
	require.Equal(t, users[3].ID, page.Records[0]["UserId"])

	id := s.Records("OauthToken")[0].ID
	r := simtest.Get(t, s, tok, "/services/data/v66.0/sobjects/OauthToken/"+id, nil)
	require.Equal(t, 404, r.Status, "OauthToken supports no retrieve()")
	require.Contains(t, simtest.DescribeFields(t, s, tok, "66.0", "OauthToken"), "AccessToken",
		"the describe lists the secret fields, as Salesforce's does")
}

// Without Customize Application the integration user sees its own tokens
// only, with no error; PermissionSetAssignment without View Setup and
// Configuration is not there at all.
func TestInventoryAccessRules(t *testing.T) {
	opts := simtest.Options()
	opts.OwnRowsOnly = []string{"OauthToken"}
	opts.DeniedObjects = []string{"PermissionSetAssignment"}
	s := simulator.NewTestServer(t, opts)
	tok := simtest.Login(t, s)
	recs, _ := simtest.QueryAll(t, s, tok, "SELECT UserId, AppName FROM OauthToken", 0)
	require.NotEmpty(t, recs)
	for _, r := range recs {
		require.Equal(t, opts.UserID, r["UserId"])
	}
	require.Greater(t, len(s.Records("OauthToken")), len(recs))
	r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM PermissionSetAssignment"), nil)
	simtest.Answered(t, r, "INVALID_TYPE")
}

// Users holding a powerful permission, found through the PermissionSet
// relationship; an assignment and its removal show at once.
func TestPrivilegedAssignments(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	q := "SELECT Id, AssigneeId, Assignee.Username, Assignee.IsActive, PermissionSet.Name, PermissionSet.IsOwnedByProfile " +
		"FROM PermissionSetAssignment WHERE (PermissionSet.PermissionsModifyAllData = true OR PermissionSet.PermissionsViewAllData = true) ORDER BY Id"
	before, _ := simtest.QueryAll(t, s, tok, q, 0)
	require.Len(t, before, 1, "the admin, through the System Administrator profile")
	require.Equal(t, true, before[0]["PermissionSet"].(map[string]any)["IsOwnedByProfile"])
	user := s.Records("User")[4].ID
	id, err := s.AssignPermissionSet(user, simulator.PermSetModifyAllData)
	require.NoError(t, err)
	after, _ := simtest.QueryAll(t, s, tok, q, 0)
	require.Len(t, after, 2)
	require.Equal(t, id, after[1]["Id"])
	require.Equal(t, "Modify_All_Data_Access", after[1]["PermissionSet"].(map[string]any)["Name"])
	_, err = s.UnassignPermissionSet(user, simulator.PermSetModifyAllData)
	require.NoError(t, err)
	again, _ := simtest.QueryAll(t, s, tok, q, 0)
	require.Equal(t, simtest.IDs(before), simtest.IDs(again))
	r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM ExternalClientApplication"), nil)
	simtest.Answered(t, r, "INVALID_TYPE")
	require.True(t, strings.HasPrefix(s.Records("ConnectedApplication")[0].ID, "0H4"))
}
