package org_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// Publishing a UniversalAnomalyEvent writes its store row, found by a gap
// read's query.
func TestUniversalAnomalyEventStored(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	evs := s.Publish("/event/UniversalAnomalyEvent", 5)
	rows := map[string]simulator.Record{}
	for _, r := range s.Records("UniversalAnomalyEventStore") {
		rows[r.ID] = r
	}
	for _, ev := range evs {
		require.Equal(t, "UniversalAnomalyEventStore", ev.StorageObject)
		row, ok := rows[ev.StorageID]
		require.True(t, ok)
		require.Equal(t, ev.EventIdentifier, row.Fields["EventIdentifier"])
		require.Equal(t, ev.Fields["AnomalySubType"], row.Fields["AnomalySubType"])
		require.Contains(t, org.AnomalySubTypes, row.Fields["AnomalySubType"])
		require.Equal(t, simtest.Now, row.Fields["CreatedDate"])
		require.Regexp(t, `^\d{10}$`, row.Fields["UniversalAnomalyEventNumber"])
		require.Equal(t, ev.StorageID, row.Fields["Id"], "a standard object: its own Id")
	}
	// The query the big-object reader makes of a store in a gap read.
	q := fmt.Sprintf("SELECT Id, EventIdentifier, EventDate, AnomalySubType FROM UniversalAnomalyEventStore WHERE EventDate > %s AND EventDate <= %s ORDER BY EventDate DESC",
		simtest.SOQLTime(simtest.Now.Add(-time.Minute)), simtest.SOQLTime(simtest.Now.Add(time.Second)))
	recs, _ := simtest.QueryAll(t, s, tok, q, 0)
	got := map[string]bool{}
	for _, r := range recs {
		got[r["EventIdentifier"].(string)] = true
	}
	for _, ev := range evs {
		require.True(t, got[ev.EventIdentifier], ev.EventIdentifier)
	}
	// A standard object: EventIdentifier alone filters too.
	recs, _ = simtest.QueryAll(t, s, tok, "SELECT Id FROM UniversalAnomalyEventStore WHERE EventIdentifier = '"+evs[0].EventIdentifier+"'", 0)
	require.Len(t, recs, 1)
	require.Equal(t, evs[0].StorageID, recs[0]["Id"])
}
