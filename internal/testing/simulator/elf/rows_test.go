package elf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// Generated files carry every cell a CSV reader gets wrong.
func TestGeneratedRowsAreTricky(t *testing.T) {
	g := NewRowGen("ReportExport", "00D5g0000SimOrgEQE", 1, testNow, time.Hour)
	seen := map[string]bool{}
	for range 200 {
		for _, v := range g.Next(nil) {
			seen[v] = true
		}
	}
	for _, c := range trickyCells {
		require.True(t, seen[c], "%q", c)
	}
}
