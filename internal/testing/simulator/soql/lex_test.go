package soql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDateTimeLiterals(t *testing.T) {
	want := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	for _, lit := range []struct {
		text string
		want time.Time
	}{
		{"2024-05-01T12:34:56Z", want},
		{"2024-05-01T12:34:56.000Z", want},
		{"2024-05-01T12:34:56+00:00", want},
		{"2024-05-01T12:34:56.000+0000", want},
		{"2024-05-01T14:34:56+02:00", want},
		{"2024-05-01T12:34:56.123Z", want.Add(123 * time.Millisecond)},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(lit.text, func(t *testing.T) {
			toks, err := lex(lit.text)
			require.NoError(t, err)
			require.Len(t, toks, 2)
			require.True(t, lit.want.Equal(toks[0].tm), toks[0].tm)
		})
	}
}
