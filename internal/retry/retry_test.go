package retry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPolicyBounds(t *testing.T) {
	tests := []struct {
		name        string
		p           Policy
		limit       time.Duration
		first, most time.Duration
	}{
		{"defaults", Policy{}, 0, time.Second, time.Minute},
		{"a poll interval caps it", Policy{}, 10 * time.Second, time.Second, 10 * time.Second},
		{"a limit below the first wait", Policy{Initial: 5 * time.Second}, time.Second, time.Second, time.Second},
		{"set", Policy{Initial: 500 * time.Millisecond, Max: 30 * time.Second}, 0, 500 * time.Millisecond, 30 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.p.New(tc.limit)
			jitter := func(d time.Duration) time.Duration { return d + d/2 }
			assert.LessOrEqual(t, b.NextBackOff(), jitter(tc.first))
			for range 40 {
				assert.LessOrEqual(t, b.NextBackOff(), jitter(tc.most))
			}
		})
	}
}
