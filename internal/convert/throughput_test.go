package convert_test

// Throughput benchmarks: each pairs the receiver's conversion with the plain
// standard-library read of the same bytes, so the ratio of the two, taken
// from the same run, says how close conversion is to the cost of merely
// parsing. One op is a whole generated input (an ELF file, a SOQL page).
// internal/bench/report turns their output into the summary table.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/bench/inputs"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
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

// BenchmarkELFCSVRead is the limit for the CSV path: encoding/csv reading
// every row of a Login EventLogFile, doing nothing with them.
func BenchmarkELFCSVRead(b *testing.B) {
	data := inputs.LoginCSV(elfRows)
	p := inputs.StartPerRow(b, elfRows, len(data))
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
	p.Stop()
}

// BenchmarkELFCSVToPlog is the same read plus the receiver's conversion of
// every row into plog, in batches of 1,000 rows like the stream sends.
func BenchmarkELFCSVToPlog(b *testing.B) {
	data := inputs.LoginCSV(elfRows)
	conv := newELFLogin()
	p := inputs.StartPerRow(b, elfRows, len(data))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		names, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		h := (&convert.Mapping{}).CSVHeader(names, inputs.LoginTypes)
		for row := 0; ; row++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			conv.add(b, h, row, rec)
		}
		conv.flush()
	}
	p.Stop()
}

// BenchmarkELFRowToPlog is AppendCSV alone over the generated rows (no CSV
// parsing): the conversion's own cost and allocations per row.
func BenchmarkELFRowToPlog(b *testing.B) {
	rows := inputs.LoginRows(elfRows)
	conv := newELFLogin()
	h := (&convert.Mapping{}).CSVHeader(inputs.LoginNames, inputs.LoginTypes)
	p := inputs.StartPerRow(b, elfRows, 0)
	for b.Loop() {
		for i, rec := range rows {
			conv.add(b, h, i, rec)
		}
		conv.flush()
	}
	p.Stop()
}

// elfLogin converts the rows of one Login EventLogFile into batches of
// batchRows, as the EventLogFile stream sends them, handing each to sink.
type elfLogin struct {
	m     convert.Mapping
	keys  []string // "<fileId>/<row>", precomputed: the stream carves them out of a shared buffer, about as cheap
	batch *convert.Batch
}

const elfFileID = "0AT5g00000Elf01GAA"

func newELFLogin() *elfLogin {
	keys := make([]string, elfRows)
	for i := range keys {
		keys[i] = elfFileID + "/" + strconv.Itoa(i+1)
	}
	return &elfLogin{
		m:    convert.Mapping{EventName: semconv.EventEventLogFile, Stream: "event_log_file", EventType: "Login"},
		keys: keys, batch: convert.NewBatch(resource, batchRows),
	}
}

// add converts rec, the row-th row (from 0), sending the batch once full.
func (e *elfLogin) add(b *testing.B, h *convert.CSVHeader, row int, rec []string) {
	if _, err := e.m.AppendCSV(e.batch, h, rec, convert.Origin{Key: e.keys[row], Observed: observed, LogFileID: elfFileID}); err != nil {
		b.Fatal(err)
	}
	if e.batch.Len() == batchRows {
		e.flush()
	}
}

// flush sends the batch, and starts the next.
func (e *elfLogin) flush() {
	sink(e.batch)
	e.batch = convert.NewBatch(resource, batchRows)
}

var sunk int

// sink stands for handing a batch to the pipeline.
func sink(b *convert.Batch) { sunk += b.Len() }

// BenchmarkSOQLPageDecode is the limit for the JSON path: encoding/json
// decoding a 2,000-record SOQL page into generic Go values.
func BenchmarkSOQLPageDecode(b *testing.B) {
	page := inputs.LoginEventPage(pageRows)
	p := inputs.StartPerRow(b, pageRows, len(page))
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(page, &v); err != nil {
			b.Fatal(err)
		}
		if len(v["records"].([]any)) != pageRows {
			b.Fatal("short page")
		}
	}
	p.Stop()
}

// queryResult has the shape sfapi decodes a page into.
type queryResult struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`
}

// BenchmarkSOQLPageToPlog is the receiver's whole path for the same page:
// sobject.DecodePage straight from the body, then the event time and Append per
// record into one batch.
func BenchmarkSOQLPageToPlog(b *testing.B) {
	page := inputs.LoginEventPage(pageRows)
	m := convert.Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}
	p := inputs.StartPerRow(b, pageRows, len(page))
	for b.Loop() {
		var res sobject.Page
		if err := sobject.DecodePage(page, &res); err != nil {
			b.Fatal(err)
		}
		batch := convert.NewBatch(resource, len(res.Records))
		for i := range res.Records {
			rec := &res.Records[i]
			ts, tsErr := m.EventTime(rec)
			m.AppendTimed(batch, rec, convert.Origin{Key: rec.String("Id"), Observed: observed}, ts, tsErr)
		}
		if batch.Len() != pageRows {
			b.Fatal("short batch")
		}
		sink(batch)
	}
	p.Stop()
}

// BenchmarkSOQLPageToPlogTwoParses is the path before sobject.DecodePage, for
// comparison in the same run: encoding/json into raw records, then
// sobject.DecodeRecord and Append per record.
func BenchmarkSOQLPageToPlogTwoParses(b *testing.B) {
	page := inputs.LoginEventPage(pageRows)
	m := convert.Mapping{EventName: semconv.EventObject, Stream: "object/LoginEvent", EventType: "LoginEvent", TimestampField: "EventDate"}
	var rec sobject.Record
	p := inputs.StartPerRow(b, pageRows, len(page))
	for b.Loop() {
		var res queryResult
		if err := json.Unmarshal(page, &res); err != nil {
			b.Fatal(err)
		}
		batch := convert.NewBatch(resource, len(res.Records))
		for _, raw := range res.Records {
			if err := sobject.DecodeRecord(raw, &rec); err != nil {
				b.Fatal(err)
			}
			m.Append(batch, &rec, convert.Origin{Key: rec.String("Id"), Observed: observed})
		}
		if batch.Len() != pageRows {
			b.Fatal("short batch")
		}
		sink(batch)
	}
	p.Stop()
}
