//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// Every flow's secrets, set to distinctive values, never appear in the
// built collector's debug-level log: not at start, not on token refreshes
// after expired sessions, not on failed logins, not on retries.
func TestSecretsNeverInDebugLog(t *testing.T) {
	const (
		clientSecret  = "CS-7f3a91c0e2d4-secret"
		password      = "PW-5b8e22a9-password"
		securityToken = "ST-c41d9e07-token"
		refreshToken  = "RT-9a0b7c6d-refresh"
		wrongPassword = "WP-e83f12b6-wrong"
	)
	opts := simulator.Options{LoginHistoryRows: 400, SetupAuditTrailRows: -1,
		ClientSecret: clientSecret, Password: password, SecurityToken: securityToken, RefreshToken: refreshToken}
	e := newEnvWith(t, opts, envConfig{LogLevel: "debug"})
	keyFile := filepath.Join(e.dir, "sf.key")
	keyPEM, err := os.ReadFile(keyFile)
	require.NoError(t, err)

	inlineKey := "        " + strings.ReplaceAll(strings.TrimSpace(string(keyPEM)), "\n", "\n        ")
	common := `    login_url: %s
    storage: file_storage
    login_history:
      poll_interval: 1s
      backfill: 2400h
    setup_audit_trail:
      enabled: false
    event_log_file:
      enabled: false
`
	recv := func(name, auth string) string {
		return "  salesforce/" + name + ":\n" + fmt.Sprintf(common, e.sim.URL()) + "    auth:\n" + auth
	}
	cfg := "extensions:\n  file_storage:\n    directory: " + e.dir + "/storage\nreceivers:\n" +
		recv("jwt", "      flow: jwt_bearer\n      client_id: e2e-client\n      username: integration@e2e.example.com\n      private_key_file: "+keyFile+"\n") +
		recv("jwt_inline", "      flow: jwt_bearer\n      client_id: e2e-client\n      username: integration@e2e.example.com\n      private_key: |\n"+inlineKey+"\n") +
		recv("cc", "      flow: client_credentials\n      client_id: e2e-client\n      client_secret: "+clientSecret+"\n") +
		recv("rt", "      flow: refresh_token\n      client_id: e2e-client\n      client_secret: "+clientSecret+"\n      refresh_token: "+refreshToken+"\n") +
		recv("pw", "      flow: password\n      client_id: e2e-client\n      client_secret: "+clientSecret+"\n      username: integration@e2e.example.com\n      password: "+password+"\n      security_token: "+securityToken+"\n") +
		recv("pw_wrong", "      flow: password\n      client_id: e2e-client\n      client_secret: "+clientSecret+"\n      username: integration@e2e.example.com\n      password: "+wrongPassword+"\n      security_token: "+securityToken+"\n") +
		`exporters:
  otlphttp:
    endpoint: ` + e.sink.srv.URL + `
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
service:
  telemetry:
    logs:
      level: debug
    metrics:
      level: none
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [salesforce/jwt, salesforce/jwt_inline, salesforce/cc, salesforce/rt, salesforce/pw, salesforce/pw_wrong]
      exporters: [otlphttp]
`
	require.NoError(t, os.WriteFile(e.config, []byte(cfg), 0o600))

	// Sessions expire mid-run and some calls fail, so refreshes and retries
	// are logged too.
	e.sim.InjectFault(simulator.Fault{Path: "/query", Skip: 2, ExpireSession: true, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "/query", Skip: 3, Status: 503, Times: 2})
	e.sim.InjectFault(simulator.Fault{Path: "oauth2/token", Skip: 3, Status: 500})
	e.start()
	want := len(e.sim.Records("LoginHistory"))
	require.Eventually(t, func() bool { return e.sink.total() >= 5*want }, 90*time.Second, 100*time.Millisecond,
		"every receiver with good credentials delivers")
	e.sim.ExpireSessions() // one more refresh for every receiver
	e.sim.Arrive("LoginHistory", 5, time.Now().UTC())
	require.Eventually(t, func() bool { return e.sink.total() >= 5*(want+5) }, 60*time.Second, 100*time.Millisecond)
	e.stop(syscall.SIGTERM)

	log := e.log()
	require.Regexp(t, `\tdebug\t`, log, "the log is at debug level")
	require.Contains(t, log, "Salesforce session rejected, refreshing token", "the receiver's own debug lines are in")
	require.Regexp(t, `salesforce/pw_wrong.*(invalid_grant|authentication failure)`, log, "the failing login was logged")
	secrets := map[string]string{
		"client_secret": clientSecret, "password": password, "security_token": securityToken,
		"refresh_token": refreshToken, "wrong password": wrongPassword,
	}
	// The private key: every line of its body.
	for i, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets[fmt.Sprintf("private key line %d", i)] = line
		}
	}
	for what, s := range secrets {
		require.NotContains(t, log, s, "%s leaked into the log", what)
	}
	// Access tokens the simulator issued: <org id 15>!AR<26 base32>.
	org := e.sim.Options().OrgID[:15]
	tok := regexp.MustCompile(regexp.QuoteMeta(org) + `!AR[A-Z2-7]{10,}`)
	require.False(t, tok.MatchString(log), "an access token leaked into the log: %s", tok.FindString(log))
	t.Logf("RELIABILITY scenario=%q %d log lines at debug level, %d secret values checked, 0 found",
		"secrets in the debug log", strings.Count(log, "\n"), len(secrets)+1)
}

// OauthToken's refresh tokens, authorization codes and revocation handles
// reach nothing: the built collector reads the inventory, and OauthToken as
// an `objects:` entry with its standard fields (which include them), at
// debug level, through a token authorized and one revoked; no query names
// the fields, and no record, log line or stored checkpoint holds a value.
// Failures count values, never print them.
func TestTokenValuesReachNothing(t *testing.T) {
	e := newEnvWith(t, simulator.Options{History: -1}, envConfig{LogLevel: "debug", Receiver: `    objects:
      - {name: OauthToken, timestamp_field: CreatedDate, poll_interval: 1s, backfill: 87600h}
    inventory:
      enabled: true
      poll_interval: 1s`})
	e.sink.keepRecords()
	secrets := map[string]bool{}
	collect := func() {
		for _, r := range e.sim.Records("OauthToken") {
			for _, f := range []string{"AccessToken", "RequestToken", "DeleteToken"} {
				secrets[r.Fields[f].(string)] = true
			}
		}
	}
	collect()
	tokens := len(e.sim.Records("OauthToken"))
	e.start()
	count := func(event, change string) int {
		n := 0
		for _, r := range e.sink.records() {
			if r.Event == event && (change == "" || r.Attrs["salesforce.inventory.change"] == change) {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool {
		return count("salesforce.inventory", "snapshot") >= tokens && count("salesforce.object", "") >= tokens
	}, 60*time.Second, 100*time.Millisecond, "the inventory's snapshot and every token as an object")
	users := e.sim.Records("User")
	_, err := e.sim.AuthorizeForeignApp(users[2].ID, "Data Loader")
	require.NoError(t, err)
	collect()
	require.Eventually(t, func() bool {
		return count("salesforce.object", "") > tokens && count("salesforce.inventory", "added") == 1
	},
		60*time.Second, 100*time.Millisecond, "the new token, as an object and as a change")
	_, err = e.sim.RevokeToken(users[2].ID, "Data Loader")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return count("salesforce.inventory", "removed") == 1 }, 60*time.Second, 100*time.Millisecond)
	e.stop(syscall.SIGTERM)

	values := slices.Collect(maps.Keys(secrets))
	require.Len(t, values, 3*(tokens+1))
	found := func(text string) int {
		n := 0
		for _, v := range values {
			if strings.Contains(text, v) {
				n++
			}
		}
		return n
	}
	for _, q := range e.sim.Queries() {
		require.Empty(t, sfapi.SecretFieldIn(q), q)
	}
	require.Regexp(t, `\tdebug\t`, e.log(), "the log is at debug level")
	require.Zero(t, found(e.log()), "token values in the collector's log")
	recs := e.sink.records()
	for i, r := range recs {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		require.Zero(t, found(string(b)), "token values in record %d (%s %v)", i, r.Event, r.Attrs["salesforce.event_type"])
		for _, f := range []string{"AccessToken", "RequestToken", "DeleteToken"} {
			require.NotContains(t, r.Body, f)
		}
	}
	stored := 0
	require.NoError(t, filepath.WalkDir(filepath.Join(e.dir, "storage"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		stored += len(b)
		require.Zero(t, found(string(b)), "token values in the stored checkpoint %s", filepath.Base(path))
		return err
	}))
	require.Positive(t, stored)
	t.Logf("RELIABILITY scenario=%q %d records, %d queries, %d log bytes, %d stored bytes scanned for %d token values: 0 found",
		"token values", len(recs), len(e.sim.Queries()), len(e.log()), stored, len(values))
}
