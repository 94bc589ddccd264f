package elf

import (
	"io"
	"testing"
	"time"
)

// BenchmarkGeneratedFile streams generated log files of the types load
// tests and the detections read (NewReader: header, then rows until the
// size), so the cost of making rows from the catalog's columns is measured.
func BenchmarkGeneratedFile(b *testing.B) {
	for _, typ := range []string{"Login", "RestApi", "API"} {
		b.Run(typ, func(b *testing.B) {
			const size = 8 << 20
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := io.Copy(io.Discard, NewReader(typ, "00D5g0000SimOrgEQE", 1, testNow, time.Hour, 0, size)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
