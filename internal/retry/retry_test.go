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

func TestSteadyWaitsAreExact(t *testing.T) {
	b := Policy{Initial: time.Second, Max: 5 * time.Second, Steady: true}.New(0)
	var got []time.Duration
	for range 5 {
		got = append(got, b.NextBackOff())
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, got)
	b = SignIn.New(0)
	assert.Equal(t, 5*time.Second, b.NextBackOff(), "the first refused sign-in waits 5s, as the package doc says")
}
