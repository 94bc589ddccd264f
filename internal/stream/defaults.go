package stream

import (
	"time"

	"go.uber.org/zap"
)

// Default sets *p to v when *p is its type's zero value: an option left
// unset takes its default.
func Default[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// SourceDefaults gives a source an unset clock time.Now and an unset logger
// a no-op one.
func SourceDefaults(now *func() time.Time, logger **zap.Logger) {
	if *now == nil {
		*now = time.Now
	}
	if *logger == nil {
		*logger = zap.NewNop()
	}
}
