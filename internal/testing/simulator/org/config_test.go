package org

import "time"

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// testConfig is the org simtest.Options makes (simulator.Options'
// defaults on the tests' clock, seed 7), for the tests inside the package.
func testConfig() Config {
	return Config{
		OrgID: DefaultOrgID, UserID: "0055g0000SimUsrAQE", Username: "integration@sfsim.example.com",
		APIVersion: DefaultAPIVersion, Now: func() time.Time { return testNow }, Seed: 7,
		History: 72 * time.Hour, LoginHistoryRows: 500, SetupAuditTrailRows: 200, SameTimestampRuns: true,
	}
}
