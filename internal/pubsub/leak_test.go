package pubsub

import (
	"testing"

	"go.uber.org/goleak"
)

// No test may leave a goroutine behind: sessions, their receiving
// goroutines and connections all stop with their context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
