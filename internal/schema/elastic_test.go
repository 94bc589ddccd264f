package schema

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/schema/schematest"
)

// TestElasticAgreement maps the test events to ECS and compares every
// field Elastic's Salesforce integration sets for them: each must have
// Elastic's value or be a listed, explained difference
// (testdata/events/*.yaml, differs). The end-to-end test does the same
// through the built collector.
func TestElasticAgreement(t *testing.T) {
	events := schematest.All(loadEvents(t))
	logs := mapped(t, ECS, events)
	got := map[string]schematest.Got{}
	lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		lr := lrs.At(i)
		got[schematest.RecordKey(lr.Body().Map())] = schematest.GotFrom(lr)
	}
	streams, problems := schematest.Compare(events, got)
	require.Empty(t, problems)
	require.Len(t, streams, 5, "login, logout, setupaudittrail, apex, aura_request")
	for _, st := range streams {
		t.Logf("%-28s %d events, %3d fields Elastic sets: %3d equal, %d different as listed: %.1f%%",
			st.Dataset, st.Events, st.Fields, st.Same, st.Deliberate, 100*st.Agreement())
	}
}
