//go:build race

package convert

// raceEnabled: the race detector makes TestFastKVWithPooling ~10x slower.
const raceEnabled = true
