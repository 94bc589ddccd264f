package soqlstream

import (
	"testing"

	"go.uber.org/goleak"
)

// No test may leave a goroutine behind: streams, downloads, retries and
// budgets all stop with their context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
