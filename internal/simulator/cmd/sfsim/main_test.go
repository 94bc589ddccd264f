package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
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
	for _, args := range [][]string{{"-nope"}, {"-history", "soon"}, {"-addr", "256.0.0.1:bad"}} {
		require.Error(t, run(args), args)
	}
}
