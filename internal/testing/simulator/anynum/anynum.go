// Package anynum reads Go numbers held in an any, as decoders and test
// fixtures hand them over.
package anynum

// Int64 returns v as an int64 when it is a Go int, int32 or int64.
func Int64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// Float64 returns v as a float64 when it is a Go float64, float32, int or
// int64.
func Float64(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
