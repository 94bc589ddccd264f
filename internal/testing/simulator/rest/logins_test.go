package rest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/rest"
)

func passwordForm(o simulator.Options, username, password string) url.Values {
	return url.Values{
		"grant_type": {"password"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret},
		"username": {username}, "password": {password},
	}
}

func oauthErr(t *testing.T, r simtest.Response) (code, desc string) {
	t.Helper()
	var body map[string]string
	require.NoError(t, json.Unmarshal(r.Body, &body), string(r.Body))
	return body["error"], body["error_description"]
}

// loginRows returns the LoginHistory rows added at or after since.
func loginRows(s *simulator.Server, since time.Time) []simulator.Record {
	var out []simulator.Record
	for _, r := range s.Records("LoginHistory") {
		if lt, _ := r.Fields["LoginTime"].(time.Time); !lt.Before(since) && r.Fields["Application"] == "sfsim-collector" {
			out = append(out, r)
		}
	}
	return out
}

func TestLockout(t *testing.T) {
	opts := simtest.Options()
	opts.LockoutAfter = 3
	s := simulator.NewTestServer(t, opts)
	o := s.Options()
	good, wrong, noToken := o.Password+o.SecurityToken, "nope"+o.SecurityToken, o.Password

	steps := []struct {
		name       string
		user, pass string
		unlock     bool // call Unlock before the request
		want       int
		wantStatus string // the LoginHistory row's Status ("" = no row)
		locked     bool   // Locked() after the request
	}{
		{"first wrong password", o.Username, wrong, false, 400, "Invalid Password", false},
		{"missing security token", o.Username, noToken, false, 400, "Failed: API security token required", false},
		{"success resets the count", o.Username, good, false, 200, "Success", false},
		{"wrong 1", o.Username, wrong, false, 400, "Invalid Password", false},
		{"wrong 2", o.Username, wrong, false, 400, "Invalid Password", false},
		{"another user's failure does not count", "jane.doe@sfsim.example.com", wrong, false, 400, "Invalid Password", false},
		{"unknown user: no row", "ghost@x.test", wrong, false, 400, "", false},
		{"wrong 3 locks", o.Username, wrong, false, 400, "Invalid Password", true},
		{"locked: right password refused", o.Username, good, false, 400, "Password Lockout", true},
		{"locked: wrong password", o.Username, wrong, false, 400, "Password Lockout", true},
		{"unlocked", o.Username, good, true, 200, "Success", false},
		{"count starts over", o.Username, wrong, false, 400, "Invalid Password", false},
	}
	failed := 0
	for _, st := range steps {
		if st.unlock {
			s.Unlock()
		}
		before := len(s.Records("LoginHistory"))
		r := simtest.PostForm(t, s, passwordForm(o, st.user, st.pass))
		require.Equal(t, st.want, r.Status, "%s: %s", st.name, r.Body)
		if st.want != 200 {
			failed++
			code, desc := oauthErr(t, r)
			require.Equal(t, [2]string{"invalid_grant", "authentication failure"}, [2]string{code, desc}, st.name)
		}
		require.Equal(t, st.locked, s.Locked(), st.name)
		require.Equal(t, failed, s.FailedLogins(), st.name)
		recs := s.Records("LoginHistory")
		if st.wantStatus == "" {
			require.Len(t, recs, before, st.name)
			continue
		}
		require.Len(t, recs, before+1, st.name)
		// Ids grow, so the newest row is the last.
		row := recs[len(recs)-1].Fields
		require.Equal(t, st.wantStatus, row["Status"], st.name)
		require.Equal(t, "Remote Access 2.0", row["LoginType"], st.name)
		require.Equal(t, "OAuth Username-Password Flow", row["LoginSubType"], st.name)
		require.Equal(t, simtest.Now, row["LoginTime"], st.name)
		require.Equal(t, "127.0.0.1", row["SourceIp"], st.name)
		require.NotContains(t, row, "HttpMethod", "LoginHistory has no HttpMethod (catalog.yaml)")
		require.Equal(t, true, row["OptionsIsPost"], st.name)
		if st.user == o.Username {
			require.Equal(t, o.UserID, row["UserId"], st.name)
		} else {
			require.NotEqual(t, o.UserID, row["UserId"], st.name)
		}
	}
	require.Equal(t, int64(len(steps)), s.Calls().Token)

	// The rows are queryable like any other.
	tok := simtest.Login(t, s)
	qr := simtest.QueryPage(t, s, tok, simtest.QueryPath("SELECT Id, Status FROM LoginHistory WHERE Status = 'Password Lockout' AND LoginSubType = 'OAuth Username-Password Flow'"), 0)
	require.Equal(t, 2, qr.TotalSize)
}

func TestLoginHistoryRows(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	sign := func(k *rsa.PrivateKey, mutate func(jwt.MapClaims)) string {
		c := jwt.MapClaims{"iss": simulator.DefaultClientID, "sub": simulator.DefaultUsername, "aud": simulator.DefaultAudience, "exp": simtest.Now.Add(time.Minute).Unix()}
		if mutate != nil {
			mutate(c)
		}
		a, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(k)
		require.NoError(t, err)
		return a
	}
	jwtForm := func(a string) url.Values { return url.Values{"grant_type": {rest.GrantJWTBearer}, "assertion": {a}} }
	o := simulator.Defaults()
	tests := []struct {
		name       string
		form       url.Values
		noHistory  bool
		want       int
		wantStatus string // "" = no row
		wantFailed int
		subType    string
	}{
		{"password success", passwordForm(o, o.Username, o.Password+o.SecurityToken), false, 200, "Success", 0, "OAuth Username-Password Flow"},
		{"password wrong client: never reaches the user", url.Values{"grant_type": {"password"}, "client_id": {"x"}, "username": {o.Username}, "password": {"p"}}, false, 400, "", 0, ""},
		{"jwt success", jwtForm(sign(key, nil)), false, 200, "Success", 0, "OAuth JWT Bearer Flow"},
		{"jwt wrong key", jwtForm(sign(other, nil)), false, 400, "Failed: Invalid Signature", 1, "OAuth JWT Bearer Flow"},
		{"jwt expired", jwtForm(sign(key, func(c jwt.MapClaims) { c["exp"] = simtest.Now.Add(-time.Minute).Unix() })), false, 400, "Failed: Invalid Timestamp", 1, "OAuth JWT Bearer Flow"},
		{"jwt wrong audience", jwtForm(sign(key, func(c jwt.MapClaims) { c["aud"] = "https://test.salesforce.com" })), false, 400, "Failed: Invalid Audience", 1, "OAuth JWT Bearer Flow"},
		{"jwt other user", jwtForm(sign(key, func(c jwt.MapClaims) { c["sub"] = "li.wei@sfsim.example.com" })), false, 400, "Failed: OAuth Consumer Not Approved", 1, "OAuth JWT Bearer Flow"},
		{"jwt wrong issuer: a client error", jwtForm(sign(key, func(c jwt.MapClaims) { c["iss"] = "other" })), false, 400, "", 0, ""},
		{"jwt garbage names nobody", jwtForm("not.a.jwt"), false, 400, "", 0, ""},
		{"client credentials name no user", url.Values{"grant_type": {"client_credentials"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}}, false, 200, "", 0, ""},
		{"refresh token names no user", url.Values{"grant_type": {"refresh_token"}, "client_id": {o.ClientID}, "refresh_token": {o.RefreshToken}}, false, 200, "", 0, ""},
		{"NoLoginHistory", passwordForm(o, o.Username, "wrong"), true, 400, "", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := simtest.Options()
			opts.JWTPublicKey = &key.PublicKey
			opts.NoLoginHistory = tc.noHistory
			s := simulator.NewTestServer(t, opts)
			before := len(s.Records("LoginHistory"))
			r := simtest.PostForm(t, s, tc.form)
			require.Equal(t, tc.want, r.Status, string(r.Body))
			require.Equal(t, tc.wantFailed, s.FailedLogins())
			rows := loginRows(s, simtest.Now)
			if tc.wantStatus == "" {
				require.Empty(t, rows)
				require.Len(t, s.Records("LoginHistory"), before)
				return
			}
			require.Len(t, rows, 1)
			row := rows[0].Fields
			require.Equal(t, tc.wantStatus, row["Status"])
			require.Equal(t, tc.subType, row["LoginSubType"])
			require.Equal(t, "Remote Access 2.0", row["LoginType"])
			require.Equal(t, simtest.Now, row["LoginTime"])
			require.NotEmpty(t, row["UserId"])
		})
	}

	t.Run("X-Forwarded-For", func(t *testing.T) {
		s := simulator.NewTestServer(t, simtest.Options())
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/services/oauth2/token", nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
		req.Body = io.NopCloser(strings.NewReader(passwordForm(o, o.Username, o.Password+o.SecurityToken).Encode()))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		rows := loginRows(s, simtest.Now)
		require.Len(t, rows, 1)
		require.Equal(t, "203.0.113.7", rows[0].Fields["ForwardedForIp"])
	})
}

func TestRefuseTokens(t *testing.T) {
	tests := []struct {
		name, code, desc string
		wantDesc         string
	}{
		{"new connected app propagating", "invalid_client_id", "client identifier invalid", "client identifier invalid"},
		{"invalid grant", "invalid_grant", "authentication failure", "authentication failure"},
		{"default description", "invalid_client_id", "", "client identifier invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(simtest.Now.UnixNano())
			opts := simtest.Options()
			opts.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
			opts.LockoutAfter = 1
			s := simulator.NewTestServer(t, opts)
			o := s.Options()
			s.RefuseTokens(tc.code, tc.desc, time.Minute)
			forms := []url.Values{
				passwordForm(o, o.Username, o.Password+o.SecurityToken),
				passwordForm(o, o.Username, "wrong"), // refused before authentication: no lockout
				{"grant_type": {"client_credentials"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}},
				{"grant_type": {"refresh_token"}, "client_id": {o.ClientID}, "refresh_token": {o.RefreshToken}},
			}
			rowsBefore := len(s.Records("LoginHistory"))
			for i, f := range forms {
				r := simtest.PostForm(t, s, f)
				require.Equal(t, 400, r.Status, "form %d", i)
				code, desc := oauthErr(t, r)
				require.Equal(t, tc.code, code)
				require.Equal(t, tc.wantDesc, desc)
			}
			require.Zero(t, s.FailedLogins())
			require.False(t, s.Locked())
			require.Len(t, s.Records("LoginHistory"), rowsBefore)

			clock.Add(int64(59 * time.Second))
			require.Equal(t, 400, simtest.PostForm(t, s, forms[2]).Status, "still refusing")
			clock.Add(int64(time.Second))
			for i, f := range [][]url.Values{{forms[0]}, {forms[2]}, {forms[3]}} {
				require.Equal(t, 200, simtest.PostForm(t, s, f[0]).Status, "form %d after the refusal", i)
			}
			require.Equal(t, int64(len(forms)+1+3), s.Calls().Token)

			s.RefuseTokens(tc.code, tc.desc, time.Hour)
			require.Equal(t, 400, simtest.PostForm(t, s, forms[2]).Status)
			s.RefuseTokens(tc.code, tc.desc, 0) // ends it
			require.Equal(t, 200, simtest.PostForm(t, s, forms[2]).Status)
		})
	}
}

func TestTokenEndpointFaults(t *testing.T) {
	tests := []struct {
		name     string
		fault    simulator.Fault
		want     int // 0: a broken connection
		wantCode string
	}{
		{"503", simulator.Fault{Path: "oauth2/token", Status: 503}, 503, "SERVER_UNAVAILABLE"},
		{"500 with code", simulator.Fault{Path: "oauth2/token", Status: 500, ErrorCode: "unknown_error", Message: "retry"}, 500, "unknown_error"},
		{"drop", simulator.Fault{Path: "oauth2/token", Drop: true}, 0, ""},
		{"drop after bytes", simulator.Fault{Path: "oauth2/token", DropAfterBytes: 5}, 0, ""},
		{"delay", simulator.Fault{Path: "oauth2/token", Delay: 30 * time.Millisecond}, 200, ""},
		{"expire session", simulator.Fault{Path: "oauth2/token", ExpireSession: true}, 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := simulator.NewTestServer(t, simtest.Options())
			o := s.Options()
			s.InjectFault(tc.fault)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			post := func() (*http.Response, []byte, error) {
				resp, err := client.PostForm(s.URL()+"/services/oauth2/token", passwordForm(o, o.Username, o.Password+o.SecurityToken))
				if err != nil {
					return nil, nil, err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp, b, err
			}
			resp, body, err := post()
			if tc.want == 0 {
				require.Error(t, err)
				require.Equal(t, int64(1), s.Calls().Dropped)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.want, resp.StatusCode, string(body))
				if tc.wantCode != "" {
					var e map[string]string
					require.NoError(t, json.Unmarshal(body, &e))
					require.Equal(t, tc.wantCode, e["error"], "OAuth error shape")
				}
			}
			resp, body, err = post()
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode, string(body))
			require.Equal(t, int64(2), s.Calls().Token)
			require.Zero(t, s.PendingFaults())
			used, _ := s.Usage()
			require.Zero(t, used, "token requests are never charged")
		})
	}
}
