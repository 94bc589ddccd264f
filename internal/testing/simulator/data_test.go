package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOptionsDefaults(t *testing.T) {
	s := New(Options{History: -1})
	require.Empty(t, s.Records("LoginHistory"))
	o := s.Options()
	require.Equal(t, DefaultOrgID, o.OrgID)
	require.Len(t, o.UserID, 18)
	require.False(t, o.SameTimestampRuns)
	require.True(t, Defaults().SameTimestampRuns)
	require.Equal(t, int64(100000), o.DailyLimit)
}

func TestArrivalTicker(t *testing.T) {
	opts := testOptions()
	opts.History = -1
	opts.ArrivalEvery = 5 * time.Millisecond
	s := NewTestServer(t, opts)
	require.Eventually(t, func() bool {
		return len(s.Records("LoginHistory")) > 0 && len(s.Records("SetupAuditTrail")) > 0
	}, 5*time.Second, 10*time.Millisecond)
	s.Close()
	n := len(s.Records("LoginHistory"))
	time.Sleep(30 * time.Millisecond)
	require.Equal(t, n, len(s.Records("LoginHistory")), "Close stops arrivals")
}
