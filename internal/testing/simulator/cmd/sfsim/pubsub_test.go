package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunRejectsBadPubSubFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-publish-every", "soon"},
		{"-addr", "127.0.0.1:0", "-pubsub-addr", "256.0.0.1:bad", "-log-file-rows", "0", "-history", "0"},
	} {
		require.Error(t, run(args), args)
	}
}
