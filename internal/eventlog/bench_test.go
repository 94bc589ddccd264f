package eventlog

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// benchBytes is the generated Login file's size: 1 GiB, or ELF_BENCH_BYTES
// (e.g. 67108864 for a quick run).
func benchBytes(b *testing.B) int64 {
	if v := os.Getenv("ELF_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("ELF_BENCH_BYTES=%q: want a positive byte count", v)
		}
		return n
	}
	return 1 << 30
}

// loopReader streams a generated file of about size bytes by cycling a
// pool of distinct generated rows, so the input costs next to nothing to
// produce and neither side of the comparison pays for generation.
type loopReader struct {
	header, rows []byte
	size, off    int64
	pos          int
	started      bool
}

func newLoopReader(b *testing.B, size int64) *loopReader {
	const poolRows = 4096
	pool, err := io.ReadAll(simulator.NewLogFileReader("Login", 1, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), 24*time.Hour, poolRows, 0))
	if err != nil {
		b.Fatal(err)
	}
	// Split off the header: the first line (header names have no newlines).
	i := 0
	for pool[i] != '\n' {
		i++
	}
	r := &loopReader{header: pool[:i+1], rows: pool[i+1:]}
	// End on a whole pool of rows, never inside a row.
	cycles := max(1, (size-int64(len(r.header))+int64(len(r.rows))-1)/int64(len(r.rows)))
	r.size = int64(len(r.header)) + cycles*int64(len(r.rows))
	return r
}

func (r *loopReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	src := r.rows[r.pos:]
	if !r.started {
		src = r.header
	}
	n := copy(p[:min(int64(len(p)), r.size-r.off)], src)
	if !r.started {
		r.started = n == len(r.header)
		r.header = r.header[n:]
	} else {
		r.pos = (r.pos + n) % len(r.rows)
	}
	r.off += int64(n)
	return n, nil
}

// peakHeap samples live heap bytes until stopped and returns the peak.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkLoginFile streams a generated Login file through the stream's
// own path (Source.Poll: the reading, converting and delivering goroutines,
// batches of 500 rows) to a consumer that drops each batch, beside a plain
// encoding/csv read of the same bytes. Reported: rows/s and MB/s of both,
// their ratio, and the peak heap in use during the conversion.
func BenchmarkLoginFile(b *testing.B) {
	size := newLoopReader(b, benchBytes(b)).size
	names, types := simulator.ELFColumns("Login")
	b.SetBytes(size)
	b.ReportAllocs()

	var rows, csvRows int64
	var convertTime, csvTime time.Duration
	var peak uint64
	for b.Loop() {
		src := New(sftest.LogFile{ID: "0AT5g00000BenchAAA", EventType: "Login", Names: names, Types: types,
			Body: func() io.Reader { return newLoopReader(b, size) }},
			Options{Backfill: 30 * 24 * time.Hour, Now: func() time.Time { return time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC) }})
		runtime.GC()
		stop := peakHeap()
		t0 := time.Now()
		var n int64
		err := src.Poll(context.Background(), testOrg, src.Initial(), func(_ context.Context, logs plog.Logs, _ Cursor) error {
			n += int64(logs.LogRecordCount()) // and the batch goes downstream
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if src.ParseErrors() != 0 {
			b.Fatalf("%d rows did not parse", src.ParseErrors())
		}
		convertTime += time.Since(t0)
		peak = max(peak, stop())
		rows += n

		t0 = time.Now()
		cr := csv.NewReader(newLoopReader(b, size))
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		var k int64
		for {
			if _, err := cr.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			k++
		}
		csvTime += time.Since(t0)
		csvRows += k - 1
	}
	const mb = 1e6
	iters := float64(b.N)
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rows)/convertTime.Seconds(), "rows/s")
	b.ReportMetric(float64(size)*iters/mb/convertTime.Seconds(), "convert-MB/s")
	b.ReportMetric(float64(csvRows)/csvTime.Seconds(), "csv-rows/s")
	b.ReportMetric(float64(size)*iters/mb/csvTime.Seconds(), "csv-MB/s")
	b.ReportMetric(convertTime.Seconds()/csvTime.Seconds(), "x-encoding/csv-time")
}

// BenchmarkReader is the reader alone over the same generated file: its
// share of the conversion's time and allocations.
func BenchmarkReader(b *testing.B) {
	size := newLoopReader(b, benchBytes(b)).size
	b.SetBytes(size)
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		rd := NewReader(newLoopReader(b, size), 0)
		for rd.Next() {
			rows++
		}
		if rd.Err() != nil {
			b.Fatal(rd.Err())
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
