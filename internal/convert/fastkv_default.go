//go:build !nofastkv

package convert

// noFastKV is set by the nofastkv build tag (fastkv_off.go), which builds
// the collector with every write through pdata's public API: only for the
// comparison in internal/testing/e2e (TestFastKVBlackBox).
const noFastKV = false
