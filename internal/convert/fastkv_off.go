//go:build nofastkv

package convert

// noFastKV: built with -tags nofastkv, every key/value is written through
// pdata's public API. Only for measuring the fast path (TestFastKVBlackBox).
const noFastKV = true
