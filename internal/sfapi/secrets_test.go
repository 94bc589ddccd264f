package sfapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecretFieldIn(t *testing.T) {
	for _, tt := range []struct {
		soql, want string
	}{
		{"SELECT UserId, AppName, CreatedDate FROM OauthToken", ""},
		{"SELECT UserId, AccessToken FROM OauthToken", "AccessToken"},
		{"select userid,requesttoken from oauthtoken", "RequestToken"},
		{"SELECT Id FROM OauthToken WHERE DeleteToken != null", "DeleteToken"},
		{"SELECT Id FROM OauthToken ORDER BY AccessToken", "AccessToken"},
		{"SELECT Id, (SELECT AccessToken FROM OauthTokens) FROM User", "AccessToken"},
		{"SELECT User.AccessToken FROM OauthToken", "AccessToken"},
		// In a string literal it is a value, not a field.
		{"SELECT Id FROM SetupAuditTrail WHERE Display LIKE '%AccessToken%'", ""},
		{`SELECT Id FROM SetupAuditTrail WHERE Display = 'it\'s AccessToken'`, ""},
		// Another field that only contains the word is not one.
		{"SELECT AccessToken__c, MyAccessTokenCount FROM Thing__c", ""},
	} {
		assert.Equal(t, tt.want, SecretFieldIn(tt.soql), tt.soql)
	}
}

// A query naming a secret never leaves the client, and the refusal is one
// only configuration can fix.
func TestQueryRefusesSecretFields(t *testing.T) {
	e := newEnv(t, func(_ *env, w http.ResponseWriter, _ *http.Request, _ int) {
		writeJSON(w, 200, map[string]any{"totalSize": 0, "done": true, "records": []any{}})
	})
	_, err := e.client.Query(context.Background(), testCaller, "SELECT UserId, AccessToken FROM OauthToken", 0)
	var se *SecretError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "AccessToken", se.Field)
	assert.Equal(t, ClassQuery, Classify(err))
	assert.Zero(t, e.hitsOf(queryPath), "nothing was sent")
	_, err = e.client.Query(context.Background(), testCaller, "SELECT UserId, AppName FROM OauthToken", 0)
	require.NoError(t, err)
	assert.Equal(t, 1, e.hitsOf(queryPath))
}
