package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

func TestWriteKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sf.key")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	pub, err := writeKey(path)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	require.True(t, pub.Equal(&key.(*rsa.PrivateKey).PublicKey))
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-nope"}, {"-history", "soon"}, {"-addr", "256.0.0.1:bad"},
		{"-api-version", "v66"}, {"-api-version", "19.0"}, {"-lockout-after", "many"},
		{"-hide", "LoginHistory"}, {"-hide", "Nope.Field"}, {"-hide", "LoginHistory.Nope"},
		{"-incidents", "password_spray,nope"},
		{"-event-log-object-rows", "-1"}, {"-event-log-object-rows", "many"},
		{"-orgs", "0"}, {"-orgs", "3", "-pubsub-addr", "127.0.0.1:0"}, {"-orgs", "2", "-api-version", "19.0"},
	} {
		require.Error(t, run(args), args)
	}
}

// parseCase is a flag value, what parsing it gives, or that it fails.
type parseCase[T any] struct {
	in   string
	want T
	err  bool
}

func checkParse[T any](t *testing.T, parse func(string) (T, error), tests []parseCase[T]) {
	t.Helper()
	for _, tc := range tests {
		got, err := parse(tc.in)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseIncidents(t *testing.T) {
	checkParse(t, parseIncidents, []parseCase[[]string]{
		{"", nil, false},
		{"failed_login_burst, api_anomaly", []string{"failed_login_burst", "api_anomaly"}, false},
		{"all", simulator.IncidentNames(), false},
		{"login_as,all", nil, true},
		{"nope", nil, true},
	})
}

func TestParseHidden(t *testing.T) {
	checkParse(t, parseHidden, []parseCase[map[string][]string]{
		{"", map[string][]string{}, false},
		{"LoginHistory.ForwardedForIp, LoginHistory.AuthMethodReference,SetupAuditTrail.DelegateUser",
			map[string][]string{"LoginHistory": {"ForwardedForIp", "AuthMethodReference"}, "SetupAuditTrail": {"DelegateUser"}}, false},
		{"LoginHistory", nil, true},
		{".Field", nil, true},
		{"A.B.C", nil, true},
	})
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                             nil,
		"LoginHistory":                 {"LoginHistory"},
		" LoginHistory, ,EventLogFile": {"LoginHistory", "EventLogFile"}, //nolint:gocritic // the spaces are the input under test
	} {
		require.Equal(t, want, splitList(in), in)
	}
}
