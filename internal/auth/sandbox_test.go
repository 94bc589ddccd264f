package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/auth"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// toSimulator sends every request, whatever its host, to the simulator,
// so a login URL may take any of Salesforce's host forms.
func toSimulator(sim *simulator.Server) *http.Client {
	addr := strings.TrimPrefix(sim.URL(), "http://")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: &schemeToHTTP{tr}}
}

type schemeToHTTP struct{ base http.RoundTripper }

func (s *schemeToHTTP) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme = "http"
	return s.base.RoundTrip(r)
}

// A sandbox signs in with jwt_bearer on every host form Salesforce gives
// sandboxes; a production My Domain and test.salesforce.com each sign in
// at the first attempt; a sandbox whose name does not say so signs in
// after one refusal with the other audience, and the line says which
// audience worked. The simulator checks aud as Salesforce does ("audience
// is invalid").
func TestJWTSignsInOnEveryHostForm(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	tests := []struct {
		loginURL, orgAudience string
		wantRequests          int64
	}{
		{"https://test.salesforce.com", auth.AudienceSandbox, 1},
		{"https://acme--uat.sandbox.my.salesforce.com", auth.AudienceSandbox, 1},
		{"https://acme--uat.my.salesforce.com", auth.AudienceSandbox, 1},
		{"https://cs42.salesforce.com", auth.AudienceSandbox, 1},
		{"https://cs42.my.salesforce.com", auth.AudienceSandbox, 1},
		{"https://usa2s.sfdc-y37hzm.salesforce.com", auth.AudienceSandbox, 1},
		{"https://acme.my.salesforce.com", auth.AudienceProduction, 1},
		{"https://login.salesforce.com", auth.AudienceProduction, 1},
		// A sandbox behind a custom name: refused once, then signed in.
		{"https://uat.acme-corp.example", auth.AudienceSandbox, 2},
	}
	for _, tc := range tests {
		t.Run(tc.loginURL, func(t *testing.T) {
			sim := simulator.NewTestServer(t, simulator.Options{JWTPublicKey: &key.PublicKey, Audience: tc.orgAudience,
				NoLoginHistory: true})
			core, logs := observer.New(zap.InfoLevel)
			src, err := auth.NewSource(auth.Config{Flow: auth.FlowJWTBearer, LoginURL: tc.loginURL, ClientID: simulator.DefaultClientID,
				Username: simulator.DefaultUsername, PrivateKeyPEM: keyPEM, HTTPClient: toSimulator(sim)})
			require.NoError(t, err)
			g := auth.NewGuard(src, zap.New(core))
			tok, err := g.Token(context.Background())
			require.NoError(t, err)
			assert.NotEmpty(t, tok.OrgID)
			assert.Equal(t, tc.wantRequests, sim.Calls().Token)
			switched := logs.FilterMessageSnippet("accepted the other one").All()
			if tc.wantRequests == 1 {
				assert.Empty(t, switched)
				return
			}
			require.Len(t, switched, 1)
			assert.Equal(t, tc.orgAudience, switched[0].ContextMap()["accepted"])
			// The audience that worked is kept: the next sign-in needs one request.
			_, err = g.Refresh(context.Background(), tok)
			require.NoError(t, err)
			assert.Equal(t, tc.wantRequests+1, sim.Calls().Token)
		})
	}
}
