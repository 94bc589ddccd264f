//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The built collector's own `validate` refuses what the receiver's Start
// would refuse, naming the field, and accepts a config that starts.
func TestOtelcolValidateAgreesWithStart(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not-a-key.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a key"), 0o600))
	tests := []struct {
		name, auth string
		field      string // "" = valid
	}{
		{"password without client_secret", `{flow: password, client_id: c, username: u, password: p}`, "auth.client_secret"},
		{"unreadable key file", `{flow: jwt_bearer, client_id: c, username: u, private_key_file: /nonexistent/sf.key}`, "auth.private_key_file"},
		{"a key file that is not PEM", `{flow: jwt_bearer, client_id: c, username: u, private_key_file: ` + notPEM + `}`, "auth.private_key_file"},
		{"unknown flow", `{flow: saml, client_id: c}`, "auth.flow"},
		{"a valid password flow", `{flow: password, client_id: c, client_secret: s, username: u, password: p}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, "config.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(`receivers:
  salesforce:
    login_url: https://acme.my.salesforce.com
    auth: `+tc.auth+`
exporters:
  debug: {}
service:
  pipelines:
    logs:
      receivers: [salesforce]
      exporters: [debug]
`), 0o600))
			out, err := exec.Command(*collectorPath, "validate", "--config", cfg).CombinedOutput()
			if tc.field == "" {
				require.NoError(t, err, "%s", out)
				return
			}
			require.Error(t, err, "%s", out)
			assert.Contains(t, string(out), tc.field+":", "names %s: %s", tc.field, out)
		})
	}
}
