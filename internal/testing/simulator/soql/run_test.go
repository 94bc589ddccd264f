package soql

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

func TestCompareValuesNullOrdering(t *testing.T) {
	q, err := Parse("SELECT Id FROM LoginHistory ORDER BY ForwardedForIp DESC NULLS FIRST, Id")
	require.NoError(t, err)
	require.NoError(t, q.bind(org.NewRegistry()))
	rows := []*org.Row{
		{ID: "a", Fields: map[string]any{"ForwardedForIp": "1.1.1.1"}},
		{ID: "b", Fields: map[string]any{"ForwardedForIp": nil}},
		{ID: "c", Fields: map[string]any{"ForwardedForIp": "2.2.2.2"}},
	}
	got := q.run(rows)
	require.Equal(t, []string{"b", "c", "a"}, []string{got[0].ID, got[1].ID, got[2].ID})
}
