package rest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/rest"
)

func TestTokenFlows(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	opts := simtest.Options()
	opts.JWTPublicKey = &key.PublicKey
	s := simulator.NewTestServer(t, opts)
	o := s.Options()

	assertion := func(signer any, method jwt.SigningMethod, mutate func(jwt.MapClaims)) string {
		c := jwt.MapClaims{"iss": o.ClientID, "sub": o.Username, "aud": o.Audience, "exp": simtest.Now.Add(2 * time.Minute).Unix()}
		if mutate != nil {
			mutate(c)
		}
		tok, err := jwt.NewWithClaims(method, c).SignedString(signer)
		require.NoError(t, err)
		return tok
	}
	jwtForm := func(a string) url.Values {
		return url.Values{"grant_type": {rest.GrantJWTBearer}, "assertion": {a}}
	}
	base := url.Values{"client_id": {o.ClientID}, "client_secret": {o.ClientSecret}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	tests := []struct {
		name     string
		form     url.Values
		wantErr  string // "" = success
		wantDesc string
	}{
		{"password", with("grant_type", "password", "username", o.Username, "password", o.Password+o.SecurityToken), "", ""},
		{"password without security token", with("grant_type", "password", "username", o.Username, "password", o.Password), "invalid_grant", "authentication failure"},
		{"password wrong user", with("grant_type", "password", "username", "x@y.z", "password", o.Password+o.SecurityToken), "invalid_grant", "authentication failure"},
		{"password wrong secret", with("grant_type", "password", "client_secret", "nope", "username", o.Username, "password", o.Password+o.SecurityToken), "invalid_client", ""},
		{"client credentials", with("grant_type", "client_credentials"), "", ""},
		{"client credentials wrong id", with("grant_type", "client_credentials", "client_id", "nope"), "invalid_client", ""},
		{"refresh token", with("grant_type", "refresh_token", "refresh_token", o.RefreshToken), "", ""},
		{"refresh token without secret", url.Values{"grant_type": {"refresh_token"}, "client_id": {o.ClientID}, "refresh_token": {o.RefreshToken}}, "", ""},
		{"refresh token wrong", with("grant_type", "refresh_token", "refresh_token", "old"), "invalid_grant", "expired access/refresh token"},
		{"unsupported grant", with("grant_type", "authorization_code"), "unsupported_grant_type", ""},
		{"jwt", jwtForm(assertion(key, jwt.SigningMethodRS256, nil)), "", ""},
		{"jwt wrong key", jwtForm(assertion(otherKey, jwt.SigningMethodRS256, nil)), "invalid_grant", "invalid assertion"},
		{"jwt HS256", jwtForm(assertion([]byte("secret"), jwt.SigningMethodHS256, nil)), "invalid_grant", "invalid assertion"},
		{"jwt garbage", jwtForm("not.a.jwt"), "invalid_grant", "invalid assertion"},
		{"jwt expired", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["exp"] = simtest.Now.Add(-time.Minute).Unix() })), "invalid_grant", "expired authorization code"},
		{"jwt no exp", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { delete(c, "exp") })), "invalid_grant", "invalid assertion"},
		{"jwt exp too far", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["exp"] = simtest.Now.Add(time.Hour).Unix() })), "invalid_grant", "invalid assertion expiration"},
		{"jwt wrong aud", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["aud"] = "https://test.salesforce.com" })), "invalid_grant", "audience is invalid"},
		{"jwt aud array", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["aud"] = []string{o.Audience} })), "", ""},
		{"jwt wrong iss", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["iss"] = "other" })), "invalid_client_id", ""},
		{"jwt wrong sub", jwtForm(assertion(key, jwt.SigningMethodRS256, func(c jwt.MapClaims) { c["sub"] = "other@x.y" })), "invalid_grant", ""},
	}
	successes := 0
	for _, tc := range tests {
		if tc.wantErr == "" {
			successes++
		}
		t.Run(tc.name, func(t *testing.T) {
			r := simtest.PostForm(t, s, tc.form)
			var body map[string]string
			require.NoError(t, json.Unmarshal(r.Body, &body), string(r.Body))
			if tc.wantErr != "" {
				require.Equal(t, 400, r.Status)
				require.Equal(t, tc.wantErr, body["error"])
				if tc.wantDesc != "" {
					require.Equal(t, tc.wantDesc, body["error_description"])
				}
				return
			}
			require.Equal(t, 200, r.Status, string(r.Body))
			require.Equal(t, s.URL(), body["instance_url"])
			require.Equal(t, s.URL()+"/id/"+o.OrgID+"/"+o.UserID, body["id"])
			require.Equal(t, "Bearer", body["token_type"])
			require.Equal(t, strconv.FormatInt(simtest.Now.UnixMilli(), 10), body["issued_at"])
			require.NotEmpty(t, body["signature"])
			// The token works on the data API.
			require.Equal(t, 200, simtest.Get(t, s, body["access_token"], "/services/data/v66.0/limits", nil).Status)
		})
	}
	// Token calls are not API calls.
	used, _ := s.Usage()
	require.Equal(t, int64(successes), used) // one /limits call per successful flow
	require.Equal(t, int64(len(tests)), s.Calls().Token)
}

func TestJWTRejectedWithoutKey(t *testing.T) {
	s := simulator.NewTestServer(t, simtest.Options())
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	a, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": simulator.DefaultClientID, "sub": simulator.DefaultUsername, "aud": simulator.DefaultAudience, "exp": simtest.Now.Add(time.Minute).Unix(),
	}).SignedString(key)
	require.NoError(t, err)
	r := simtest.PostForm(t, s, url.Values{"grant_type": {rest.GrantJWTBearer}, "assertion": {a}})
	require.Equal(t, 400, r.Status)
}

func TestSessions(t *testing.T) {
	s := simulator.NewTestServer(t, simtest.Options())
	tests := []struct {
		name string
		auth func(tok string) string
		want int
	}{
		{"valid", func(tok string) string { return tok }, 200},
		{"missing", func(string) string { return "" }, 401},
		{"unknown", func(string) string { return "00D!nope" }, 401},
	}
	tok := simtest.Login(t, s)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := simtest.Get(t, s, tc.auth(tok), "/services/data/v66.0/limits", nil)
			require.Equal(t, tc.want, r.Status)
			require.Regexp(t, `^api-usage=\d+/100000$`, r.Header.Get("Sforce-Limit-Info"))
			if tc.want == 401 {
				require.Equal(t, "INVALID_SESSION_ID", r.ErrorCode(t))
			}
		})
	}

	t.Run("ExpireSessions", func(t *testing.T) {
		before, _ := s.Usage()
		s.ExpireSessions()
		r := simtest.Get(t, s, tok, "/services/data/v66.0/limits", nil)
		require.Equal(t, 401, r.Status)
		require.Equal(t, "INVALID_SESSION_ID", r.ErrorCode(t))
		after, _ := s.Usage()
		require.Equal(t, before, after, "401s are not charged")
		require.Equal(t, 200, simtest.Get(t, s, simtest.Login(t, s), "/services/data/v66.0/limits", nil).Status)
	})

	t.Run("identity", func(t *testing.T) {
		tok := simtest.Login(t, s)
		r := simtest.Get(t, s, tok, "/id/"+simulator.DefaultOrgID+"/"+simulator.DefaultUserID, nil)
		require.Equal(t, 200, r.Status)
		require.Contains(t, string(r.Body), `"organization_id":"`+simulator.DefaultOrgID+`"`)
	})
}
