package sfid_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

func TestMakeID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"00D5g0000SimOrg", "00D5g0000SimOrgEQE"},
		{"0055g0000SimUsr", simulator.DefaultUserID},
		{"001000000000000", "001000000000000AAA"},
	} {
		require.Equal(t, tc.want, sfid.WithChecksum(tc.in))
	}
	require.Less(t, sfid.New("0Ya", 61), sfid.New("0Ya", 62))
	require.Len(t, sfid.New("0Ya", 1<<40), 18)
}
