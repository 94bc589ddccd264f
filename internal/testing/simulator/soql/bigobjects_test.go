package soql_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

func TestBigObjectRestrictions(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	const window = "EventDate > 2024-04-30T00:00:00Z AND EventDate <= 2024-05-01T00:00:00Z"
	tests := []struct {
		name, soql, code string // code "": accepted
	}{
		{"window newest first", "SELECT Id, EventIdentifier, EventDate FROM LoginEvent WHERE " + window + " ORDER BY EventDate DESC", ""},
		{"no where", "SELECT EventIdentifier FROM ApiEvent", ""},
		// "filtering by EventDate alone, or EventDate and EventIdentifier
		// together": EventIdentifier alone fails.
		{"identifier alone", "SELECT EventIdentifier FROM LogoutEvent WHERE EventIdentifier IN ('a', 'b')", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"identifier alone, equal", "SELECT EventIdentifier FROM LoginAsEvent WHERE EventIdentifier = 'a'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"date and identifier", "SELECT EventIdentifier FROM LoginEvent WHERE EventDate = 2024-04-30T00:00:00Z AND EventIdentifier = 'x' LIMIT 5", ""},
		{"date and identifier in", "SELECT EventIdentifier FROM LoginEvent WHERE EventDate = 2024-04-30T00:00:00Z AND EventIdentifier IN ('x', 'y')", ""},
		{"date and identifier range", "SELECT EventIdentifier FROM LoginEvent WHERE EventDate = 2024-04-30T00:00:00Z AND EventIdentifier > 'x'", ""},
		{"date in", "SELECT EventIdentifier FROM ApiEvent WHERE EventDate IN (2024-04-30T00:00:00Z, 2024-04-30T00:00:01Z)", ""},
		{"in twice", "SELECT EventIdentifier FROM ApiEvent WHERE EventDate IN (2024-04-30T00:00:00Z) AND EventIdentifier IN ('x')", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		// Ranges only on the last field queried.
		{"date range with identifier", "SELECT EventIdentifier FROM LoginEvent WHERE " + window + " AND EventIdentifier = 'x' LIMIT 5", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		// The docs do not restrict ORDER BY: EventDate either way.
		{"ascending", "SELECT EventIdentifier FROM LoginEvent WHERE " + window + " ORDER BY EventDate ASC", ""},
		{"default order", "SELECT EventIdentifier FROM LoginEvent ORDER BY EventDate", ""},
		{"tie breaker", "SELECT EventIdentifier FROM LoginEvent ORDER BY EventDate DESC, Id DESC", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"ordinary object order", "SELECT EventIdentifier FROM FileEventStore WHERE EventDate > 2024-04-30T00:00:00Z ORDER BY EventDate ASC, Id ASC", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"sort by identifier", "SELECT EventIdentifier FROM LoginEvent ORDER BY EventIdentifier", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		// ReportEvent's UserId index (Beta).
		{"report event user", "SELECT EventIdentifier FROM ReportEvent WHERE UserId = '0055g0000SimUsrAQE'", ""},
		{"report event user and date", "SELECT EventIdentifier FROM ReportEvent WHERE UserId = '0055g0000SimUsrAQE' AND " + window, ""},
		{"report event user range alone", "SELECT EventIdentifier FROM ReportEvent WHERE UserId > '0055g0000SimUsrAQE'", ""},
		{"report event user range with date", "SELECT EventIdentifier FROM ReportEvent WHERE UserId > '0055g0000SimUsrAQE' AND " + window, "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"report event user and identifier", "SELECT EventIdentifier FROM ReportEvent WHERE UserId = '0055g0000SimUsrAQE' AND EventIdentifier = 'x'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"user on another big object", "SELECT EventIdentifier FROM LoginEvent WHERE UserId = '0055g0000SimUsrAQE'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"date function", "SELECT EventIdentifier FROM LoginEvent WHERE DAY_ONLY(EventDate) = 2024-04-30", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		// Threat Detection stores are standard objects: any SOQL.
		{"threat store", "SELECT Id, Score FROM UniversalAnomalyEventStore WHERE Score > 50 AND AnomalySubType != 'ApiAnomaly' ORDER BY CreatedDate ASC, Id ASC LIMIT 5 OFFSET 1", ""},
		{"sort other field", "SELECT EventIdentifier FROM ApiEvent ORDER BY Username DESC", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"filter other field", "SELECT EventIdentifier FROM LoginEvent WHERE Status = 'Failed'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"filter in a conjunction", "SELECT EventIdentifier FROM LoginEvent WHERE " + window + " AND (Status = 'Failed')", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"or", "SELECT EventIdentifier FROM LoginEvent WHERE EventDate > 2024-04-30T00:00:00Z OR EventIdentifier = 'x'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"not", "SELECT EventIdentifier FROM LoginEvent WHERE NOT EventIdentifier = 'x'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"not equal", "SELECT EventIdentifier FROM LoginEvent WHERE EventDate != 2024-04-30T00:00:00Z", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"like", "SELECT EventIdentifier FROM LoginEvent WHERE EventIdentifier LIKE 'a%'", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"offset", "SELECT EventIdentifier FROM LoginEvent LIMIT 5 OFFSET 5", "BIG_OBJECT_UNSUPPORTED_OPERATION"},
		{"unknown field", "SELECT Bogus__c FROM LoginEvent", "INVALID_FIELD"},
		{"custom object ascending", "SELECT Id, Owner.Username, Risk_Score__c FROM Security_Case__c WHERE LastModifiedDate >= 2024-04-30T00:00:00Z AND Severity__c != 'Low' ORDER BY LastModifiedDate ASC, Id ASC", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := simtest.Get(t, s, tok, simtest.QueryPath(tc.soql), nil)
			if simtest.Answered(t, r, tc.code) {
				return
			}
			require.Contains(t, string(r.Body), "ERROR at Row:1:Column:", "Salesforce-style caret message")
		})
	}
}
