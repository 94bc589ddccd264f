//go:build !race

package eventavro

const raceEnabled = false
