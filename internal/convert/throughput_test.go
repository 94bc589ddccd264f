package convert_test

// Throughput benchmarks: each pairs the receiver's conversion with the plain
// standard-library read of the same bytes, so the ratio of the two, taken
// from the same run, says how close conversion is to the cost of merely
// parsing. One op is a whole generated input (an ELF file, a SOQL page).
// internal/benchreport turns their output into the summary table.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/benchdata"
	"github.com/sfevents/salesforcereceiver/internal/convert"
)

const (
	elfRows   = 5000 // rows per generated ELF file
	batchRows = 1000 // rows per plog batch, as the EventLogFile stream sends them
	pageRows  = 2000 // records per SOQL page: Salesforce's maximum
)

var (
	resource = convert.Resource{OrgID: "00D5g00000OrgAbEAC", InstanceURL: "https://acme.my.salesforce.com"}
	observed = time.Date(2024, 5, 4, 0, 0, 0, 0, time.UTC)
)

// perRow reports rows/s and allocs/row for a benchmark whose op is rows rows.
type perRow struct {
	b      *testing.B
	rows   int
	start  runtime.MemStats
	began  time.Time
	single bool
}

func startPerRow(b *testing.B, rows, bytes int) *perRow {
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
	p := &perRow{b: b, rows: rows}
	runtime.GC()
	runtime.ReadMemStats(&p.start)
	p.began = time.Now()
	return p
}

func (p *perRow) stop() {
	elapsed := time.Since(p.began)
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	total := float64(p.rows) * float64(p.b.N)
	p.b.ReportMetric(total/elapsed.Seconds(), "rows/s")
	p.b.ReportMetric(float64(end.Mallocs-p.start.Mallocs)/total, "allocs/row")
}

// BenchmarkELFCSVRead is the limit for the CSV path: encoding/csv reading
// every row of a Login EventLogFile, doing nothing with them.
func BenchmarkELFCSVRead(b *testing.B) {
	data := benchdata.LoginCSV(elfRows)
	p := startPerRow(b, elfRows, len(data))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != elfRows+1 {
			b.Fatalf("read %d rows", n)
		}
	}
	p.stop()
}

// BenchmarkELFCSVToPlog is the same read plus the receiver's conversion of
// every row into plog, in batches of 1,000 rows like the stream sends.
func BenchmarkELFCSVToPlog(b *testing.B) {
	data := benchdata.LoginCSV(elfRows)
	m := convert.Mapping{EventName: convert.EventEventLogFile, Stream: "event_log_file", EventType: "Login"}
	const fileID = "0AT5g00000Elf01GAA"
	keys := rowKeys(fileID, elfRows)
	p := startPerRow(b, elfRows, len(data))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		names, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		h := convert.NewCSVHeader(names, benchdata.LoginTypes)
		batch := convert.NewBatch(resource, batchRows)
		for row := 0; ; row++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.AppendCSV(batch, h, rec, fileID, keys[row], observed); err != nil {
				b.Fatal(err)
			}
			if batch.Len() == batchRows {
				sink(batch)
				batch = convert.NewBatch(resource, batchRows)
			}
		}
		sink(batch)
	}
	p.stop()
}

// BenchmarkELFRowToPlog is AppendCSV alone over the generated rows (no CSV
// parsing): the conversion's own cost and allocations per row.
func BenchmarkELFRowToPlog(b *testing.B) {
	rows := benchdata.LoginRows(elfRows)
	m := convert.Mapping{EventName: convert.EventEventLogFile, Stream: "event_log_file", EventType: "Login"}
	const fileID = "0AT5g00000Elf01GAA"
	keys := rowKeys(fileID, elfRows)
	h := convert.NewCSVHeader(benchdata.LoginNames, benchdata.LoginTypes)
	p := startPerRow(b, elfRows, 0)
	for b.Loop() {
		batch := convert.NewBatch(resource, batchRows)
		for i, rec := range rows {
			if _, err := m.AppendCSV(batch, h, rec, fileID, keys[i], observed); err != nil {
				b.Fatal(err)
			}
			if batch.Len() == batchRows {
				sink(batch)
				batch = convert.NewBatch(resource, batchRows)
			}
		}
		sink(batch)
	}
	p.stop()
}

// rowKeys precomputes the "<fileId>/<row>" keys; the stream carves them out
// of a shared buffer, which is about as cheap.
func rowKeys(fileID string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fileID + "/" + strconv.Itoa(i+1)
	}
	return keys
}

var sunk int

// sink stands for handing a batch to the pipeline.
func sink(b *convert.Batch) { sunk += b.Len() }

// BenchmarkSOQLPageDecode is the limit for the JSON path: encoding/json
// decoding a 2,000-record SOQL page into generic Go values.
func BenchmarkSOQLPageDecode(b *testing.B) {
	page := benchdata.LoginEventPage(pageRows)
	p := startPerRow(b, pageRows, len(page))
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(page, &v); err != nil {
			b.Fatal(err)
		}
		if len(v["records"].([]any)) != pageRows {
			b.Fatal("short page")
		}
	}
	p.stop()
}

// queryResult has the shape sfapi decodes a page into.
type queryResult struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`
}

// BenchmarkSOQLPageToPlog is the receiver's whole path for the same page:
// sfapi's decode into raw records, then DecodeRecord and Append per record
// into one batch.
func BenchmarkSOQLPageToPlog(b *testing.B) {
	page := benchdata.LoginEventPage(pageRows)
	m := convert.Mapping{EventName: convert.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}
	var rec convert.Record
	p := startPerRow(b, pageRows, len(page))
	for b.Loop() {
		var res queryResult
		if err := json.Unmarshal(page, &res); err != nil {
			b.Fatal(err)
		}
		batch := convert.NewBatch(resource, len(res.Records))
		for _, raw := range res.Records {
			if err := convert.DecodeRecord(raw, &rec); err != nil {
				b.Fatal(err)
			}
			if _, err := m.Append(batch, &rec, rec.String("Id"), observed); err != nil {
				b.Fatal(err)
			}
		}
		if batch.Len() != pageRows {
			b.Fatal("short batch")
		}
		sink(batch)
	}
	p.stop()
}
