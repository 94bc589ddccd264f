package inputs

import (
	"runtime"
	"testing"
	"time"
)

// PerRow measures a benchmark whose op is rows rows: Stop reports rows/s
// and allocs/row, the figures internal/bench/report compares.
type PerRow struct {
	b     *testing.B
	rows  int
	start runtime.MemStats
	began time.Time
}

// StartPerRow starts measuring; bytes is what an op reads (0: unknown).
func StartPerRow(b *testing.B, rows, bytes int) *PerRow {
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
	p := &PerRow{b: b, rows: rows}
	runtime.GC()
	runtime.ReadMemStats(&p.start)
	p.began = time.Now()
	return p
}

// Stop reports rows/s and allocs/row since StartPerRow.
func (p *PerRow) Stop() {
	elapsed := time.Since(p.began)
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	total := float64(p.rows) * float64(p.b.N)
	p.b.ReportMetric(total/elapsed.Seconds(), "rows/s")
	p.b.ReportMetric(float64(end.Mallocs-p.start.Mallocs)/total, "allocs/row")
}
