//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
