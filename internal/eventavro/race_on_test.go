//go:build race

package eventavro

// raceEnabled: the race detector makes each decode ~10x slower.
const raceEnabled = true
