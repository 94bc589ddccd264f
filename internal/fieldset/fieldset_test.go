package fieldset

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

func TestChoose(t *testing.T) {
	lh := sftest.Describe("LoginHistory", "Id", "LoginTime", "UserId", "SourceIp", "Status")
	sat := sftest.Describe("SetupAuditTrail", "Id", "CreatedDate", "Action", "CreatedBy.Username")
	tok := sftest.Describe("OauthToken", "Id", "UserId", "AccessToken", "AppName", "RequestToken", "DeleteToken", "CreatedDate")
	std := &sfapi.Describe{Name: "LoginEvent", Fields: []sfapi.DescribeField{
		{Name: "EventIdentifier", Type: "string"}, {Name: "EventDate", Type: "datetime"},
		{Name: "Username", Type: "string"}, {Name: "Flag__c", Type: "string", Custom: true},
		{Name: "Old", Type: "string", DeprecatedAndHidden: true}, {Name: "Addr", Type: "address"},
		{Name: "Blob", Type: "base64"},
	}}
	tests := []struct {
		name        string
		d           *sfapi.Describe
		want        Want
		fields      []string
		missing     []string
		errContains string
	}{
		{
			name: "all visible, required first, duplicates folded", d: lh,
			want:   Want{Object: "LoginHistory", Required: []string{"Id", "LoginTime"}, Fields: []string{"userid", "Status", "Id"}},
			fields: []string{"Id", "LoginTime", "userid", "Status"},
		},
		{
			name: "hidden fields left out and named", d: lh,
			want:    Want{Object: "LoginHistory", Required: []string{"Id", "LoginTime"}, Fields: []string{"UserId", "ForwardedForIp", "SourceIp", "AuthMethodReference"}},
			fields:  []string{"Id", "LoginTime", "UserId", "SourceIp"},
			missing: []string{"ForwardedForIp", "AuthMethodReference"},
		},
		{
			name: "relationship path checked by its relationship", d: sat,
			want:    Want{Object: "SetupAuditTrail", Required: []string{"Id", "CreatedDate"}, Fields: []string{"CreatedBy.Username", "Owner.Name"}},
			fields:  []string{"Id", "CreatedDate", "CreatedBy.Username"},
			missing: []string{"Owner.Name"},
		},
		{
			name: "a hidden cursor field is fatal", d: lh,
			want:        Want{Object: "LoginHistory", APIVersion: "40.0", Required: []string{"Id", "EventDate"}, Fields: []string{"UserId"}},
			errContains: "LoginHistory: EventDate is not a field the integration user can see at API version 40.0",
		},
		{
			name: "a listed field that is not there names it", d: lh,
			want:        Want{Object: "LoginHistory", Required: []string{"Id", "LoginTime"}, Fields: []string{"UserId", "Bogus__c"}, Listed: true},
			errContains: "Bogus__c is not a field the integration user can see",
		},
		{
			name: "standard fields from the describe", d: std,
			want:   Want{Object: "LoginEvent", Required: []string{"EventIdentifier", "EventDate"}, Standard: true},
			fields: []string{"EventIdentifier", "EventDate", "Username"},
		},
		{
			name: "standard fields never include a secret", d: tok,
			want:   Want{Object: "OauthToken", Required: []string{"UserId"}, Standard: true},
			fields: []string{"UserId", "Id", "AppName", "CreatedDate"},
		},
		{
			name: "a listed secret is refused by name", d: tok,
			want:        Want{Object: "OauthToken", Required: []string{"UserId"}, Fields: []string{"AppName", "DeleteToken"}, Listed: true},
			errContains: "names DeleteToken, a field holding a secret",
		},
		{
			name: "a wanted secret is never selected, listed or not", d: tok,
			want:   Want{Object: "OauthToken", Required: []string{"UserId"}, Fields: []string{"AppName", "RequestToken"}},
			fields: []string{"UserId", "AppName"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Choose(tc.d, tc.want)
			if tc.errContains != "" {
				require.ErrorContains(t, err, tc.errContains)
				assert.ErrorIs(t, err, sfapi.ErrNotReadable)
				assert.Equal(t, sfapi.ClassQuery, sfapi.Classify(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.fields, set.Fields)
			assert.Equal(t, tc.missing, set.Missing)
		})
	}
}

// fakeDescriber counts describes and shows the fields it is given.
type fakeDescriber struct {
	d     *sfapi.Describe
	calls int
}

func (f *fakeDescriber) Describe(context.Context, sfapi.Caller, string) (*sfapi.Describe, error) {
	f.calls++
	return f.d, nil
}

func TestResolverDescribesOnceAndAgainAfterInvalidField(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	fd := &fakeDescriber{d: sftest.Describe("LoginHistory", "Id", "LoginTime", "UserId", "SourceIp")}
	r := NewResolver(fd, Want{Caller: sfapi.Caller{Stream: "login_history"}, Object: "LoginHistory", Required: []string{"Id", "LoginTime"},
		Fields: []string{"UserId", "SourceIp", "ForwardedForIp"}, APIVersion: "66.0"}, zap.New(core))
	ctx := context.Background()
	for range 3 {
		set, err := r.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"Id", "LoginTime", "UserId", "SourceIp"}, set.Fields)
	}
	assert.Equal(t, 1, fd.calls, "one describe per start")
	warn := logs.FilterMessageSnippet("ForwardedForIp is not visible to the integration user").All()
	require.Len(t, warn, 1)
	assert.Equal(t, "LoginHistory: ForwardedForIp is not visible to the integration user; records will lack it; grant field access to add it", warn[0].Message)

	// Salesforce refuses SourceIp although the describe showed it.
	assert.False(t, r.Invalidate(&sfapi.APIError{Status: 400, Code: sfapi.CodeMalformedQuery}))
	assert.True(t, r.Invalidate(&sfapi.APIError{Status: 400, Code: sfapi.CodeInvalidField,
		Message: "No such column 'SourceIp' on entity 'LoginHistory'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name."}))
	set, err := r.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, fd.calls, "described again after INVALID_FIELD")
	assert.Equal(t, []string{"Id", "LoginTime", "UserId"}, set.Fields)
	assert.Equal(t, []string{"SourceIp", "ForwardedForIp"}, set.Missing, "in the order wanted")
	assert.Equal(t, 1, logs.FilterMessageSnippet("ForwardedForIp").Len(), "named once")
	assert.Equal(t, 1, logs.FilterMessageSnippet("SourceIp").Len())
}

// With runs a query again once after INVALID_FIELD, with the field
// Salesforce named left out, and not a third time.
func TestWithRetriesOnceAfterInvalidField(t *testing.T) {
	fd := &fakeDescriber{d: sftest.Describe("LoginHistory", "Id", "LoginTime", "SourceIp")}
	r := NewResolver(fd, Want{Object: "LoginHistory", Required: []string{"Id", "LoginTime"}, Fields: []string{"SourceIp"}}, nil)
	refuse := &sfapi.APIError{Status: 400, Code: sfapi.CodeInvalidField, Message: "No such column 'SourceIp' on entity 'LoginHistory'."}
	var runs [][]string
	set, err := r.With(context.Background(), func(s Set) error {
		runs = append(runs, s.Fields)
		return refuse
	})
	require.ErrorIs(t, err, refuse)
	assert.Equal(t, [][]string{{"Id", "LoginTime", "SourceIp"}, {"Id", "LoginTime"}}, runs)
	assert.Equal(t, []string{"SourceIp"}, set.Missing)
	assert.Equal(t, 2, fd.calls)

	other := errors.New("down")
	_, err = r.With(context.Background(), func(Set) error { return other })
	require.ErrorIs(t, err, other)
}
