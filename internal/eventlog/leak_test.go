package eventlog

import (
	"testing"

	"go.uber.org/goleak"
)

// No test may leave a goroutine behind: downloads and retries stop with
// their context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
