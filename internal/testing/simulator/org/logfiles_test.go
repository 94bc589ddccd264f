package org

import (
	"bytes"
	"encoding/csv"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGeneratedFileOfAnySize(t *testing.T) {
	s := New(testConfig())
	id := s.AddLogFile(LogFile{EventType: "Login", LogDate: testNow.Add(-48 * time.Hour), GenBytes: 3 << 20})
	require.Nil(t, s.LogFileRows(id), "not held in memory")
	body := s.files.get(id)
	require.GreaterOrEqual(t, body.length, int64(3<<20))
	a, err := io.ReadAll(body.open())
	require.NoError(t, err)
	b, err := io.ReadAll(body.open())
	require.NoError(t, err)
	require.Equal(t, a, b, "deterministic")
	require.EqualValues(t, len(a), body.length)
	all, err := csv.NewReader(bytes.NewReader(a)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, len(all)-1, s.LogFileRowCount(id))
}

func TestSeedLogFiles(t *testing.T) {
	s := New(testConfig())
	day := testNow.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	ids := s.SeedLogFiles(day, day.Add(24*time.Hour), true, 2)
	var daily, hourly, split, late int
	recs := s.Records("EventLogFile")
	require.Len(t, recs, len(ids))
	for _, r := range recs {
		if r.Fields["Interval"] == "Daily" {
			daily++
			continue
		}
		hourly++
		if r.Fields["Sequence"] == int64(2) {
			split++
		}
		if r.Fields["CreatedDate"].(time.Time).Sub(r.Fields["LogDate"].(time.Time)) > 10*time.Hour {
			late++
		}
	}
	require.Equal(t, len(seededELFEventTypes()), daily)
	require.GreaterOrEqual(t, hourly, 24*len(seededELFEventTypes()))
	require.NotZero(t, split)
	require.NotZero(t, late)
}
