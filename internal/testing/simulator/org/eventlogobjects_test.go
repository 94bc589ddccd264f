package org_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

// Event Log Objects have no unique key: some rows are identical in every
// field to another.
func TestEventLogObjectDuplicateRows(t *testing.T) {
	s := simulator.New(func() simulator.Options {
		o := simtest.Options()
		o.EventLogObjectRows = map[string]int{"RestApiEventLog": 3000}
		return o
	}())
	recs := s.Records("RestApiEventLog")
	require.Len(t, recs, 3000)
	seen, dups := map[string]int{}, 0
	for _, r := range recs {
		b, err := json.Marshal(r.Fields)
		require.NoError(t, err)
		seen[string(b)]++
		if seen[string(b)] == 2 {
			dups++
		}
		require.Equal(t, catalog.PlaceholderID, r.Fields["Id"])
		ts := r.Fields["Timestamp"].(time.Time)
		require.False(t, ts.After(simtest.Now) || ts.Before(simtest.Now.Add(-72*time.Hour)))
	}
	require.Greater(t, dups, 5, "about 1%% of rows repeat another")
	require.Less(t, dups, 100)
}
