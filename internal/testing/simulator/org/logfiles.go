package org

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/elf"
)

// Event Monitoring log files: EventLogFile records whose LogFile field is
// the path of a CSV body (REST API Developer Guide, "Get Event Monitoring
// Content from a Large Object":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_event_log_file_download.htm).
// The org keeps the records and their bodies, made by simulator/elf; the
// REST API serves the bodies (simulator/rest).

// eventLogFileSchema is EventLogFile as the Object Reference lists it
// (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile.htm):
// "This object is available in API version 32.0 and later. The Interval and
// Sequence fields are available only in API version 37.0 and later." The
// catalog's entry says 36.0 for Interval and Sequence; the page's 37.0 is
// kept here (TestObjectSchemasAgainstTheCatalog).
func eventLogFileSchema() *Schema {
	return &Schema{
		Name:           "EventLogFile",
		KeyPrefix:      "0AT", // "0AT" is EventLogFile's key prefix in every org
		Doc:            "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile.htm",
		TimestampField: "CreatedDate",
		Since:          "32.0", // confirmed
		Fields: []Field{
			{Name: "Id", Type: TypeID},
			{Name: "EventType", Type: TypeString},
			{Name: "LogDate", Type: TypeDateTime},
			{Name: "CreatedDate", Type: TypeDateTime},
			{Name: "LogFileLength", Type: TypeDouble},
			{Name: "LogFile", Type: TypeString},
			{Name: "LogFileContentType", Type: TypeString},
			// Listed in the API 38.0 field reference; 36.0 is a guess.
			{Name: "LogFileFieldNames", Type: TypeString, Since: "36.0"},
			{Name: "LogFileFieldTypes", Type: TypeString, Since: "36.0"},
			// "available only in API version 37.0 and later" (confirmed):
			// they came with hourly files.
			{Name: "Interval", Type: TypeString, Since: "37.0"},
			{Name: "Sequence", Type: TypeInt, Since: "37.0"},
		},
	}
}

// LogFile describes an EventLogFile to add. Content comes from exactly one
// of Raw, Rows, GenRows or GenBytes.
type LogFile struct {
	EventType string
	// LogDate is the start of the day or hour the file covers.
	LogDate time.Time
	// CreatedDate is when Salesforce published it; zero means LogDate plus
	// the interval plus a few hours, as real files arrive late. A late
	// file has a CreatedDate newer than files with a later LogDate.
	CreatedDate time.Time
	Interval    string // "Daily" (default) or "Hourly"
	// Sequence numbers the files of one hour (1, 2, ...); daily files have 0.
	Sequence int

	// Header and Types override the documented columns of EventType.
	Header, Types []string
	// Rows are the data rows (under Header).
	Rows [][]string
	// Raw is the exact body, e.g. deliberately malformed CSV; RawRows is
	// its number of data rows as a reader should count them (ground truth).
	Raw     []byte
	RawRows int
	// GenRows generates that many deterministic rows, kept for LogFileRows.
	GenRows int
	// GenBytes generates rows until at least that many bytes, streamed on
	// every download and never held in memory.
	GenBytes int64
	// Precompress gzips the body once, when the file is added, and serves
	// those bytes to every client that accepts gzip, so downloads cost the
	// simulator next to no CPU (benchmarks on a shared machine). Not with
	// GenBytes.
	Precompress bool
}

// LogFileBody is what a LogFile download serves.
type LogFileBody struct {
	open   func() io.Reader
	gz     []byte // the body gzipped once (LogFile.Precompress), or nil
	length int64
	rows   [][]string // nil unless known and small
	count  int
}

// Open reads the body from its start.
func (b *LogFileBody) Open() io.Reader { return b.open() }

// Length is the body's length in bytes (LogFileLength).
func (b *LogFileBody) Length() int64 { return b.length }

// Gzip is the body gzipped once when the file was added
// (LogFile.Precompress), or nil.
func (b *LogFileBody) Gzip() []byte { return b.gz }

// LogFile is the body of the log file with Id id (nil when there is none).
func (o *Org) LogFile(id string) *LogFileBody { return o.files.get(id) }

// logFiles holds the bodies of the org's log files.
type logFiles struct {
	mu sync.Mutex
	m  map[string]*LogFileBody
}

func (e *logFiles) get(id string) *LogFileBody {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.m[id]
}

func (e *logFiles) put(id string, b *LogFileBody) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]*LogFileBody{}
	}
	e.m[id] = b
}

// AddLogFile stores an EventLogFile and its body and returns its Id.
// It panics on an event type without documented columns when the content
// needs them.
func (o *Org) AddLogFile(f LogFile) string {
	if f.Interval == "" {
		f.Interval = "Daily"
	}
	span := 24 * time.Hour
	if f.Interval == "Hourly" {
		span = time.Hour
	}
	if f.CreatedDate.IsZero() {
		f.CreatedDate = f.LogDate.Add(span + 3*time.Hour)
	}
	header, types := f.Header, f.Types
	if header == nil {
		header, types = elf.Columns(f.EventType)
	}
	if header == nil && f.Raw == nil {
		panic("simulator: no columns for event type " + f.EventType)
	}
	body := &LogFileBody{}
	var seed uint64
	users := o.elfUsers()
	switch {
	case f.Raw != nil:
		raw := f.Raw
		body.open = func() io.Reader { return bytes.NewReader(raw) }
		body.length, body.count = int64(len(raw)), f.RawRows
	case f.GenBytes > 0:
		// The seed must not depend on the Id (unknown yet): derive it from
		// what makes the file unique.
		seed = fileSeed(o.cfg.Seed, f)
		from, ev, limit := f.LogDate, f.EventType, f.GenBytes
		body.open = func() io.Reader { return elf.NewReader(ev, DefaultOrgID, seed, from, span, 0, limit, users...) }
		// One counting pass for LogFileLength and the ground-truth row count.
		body.length, body.count = elf.Measure(body.open())
	default:
		rows := f.Rows
		if f.GenRows > 0 {
			g := elf.NewRowGen(f.EventType, DefaultOrgID, fileSeed(o.cfg.Seed, f), f.LogDate, span, users...)
			for range f.GenRows {
				rows = append(rows, slices.Clone(g.Next(nil)))
			}
		}
		raw := elf.EncodeCSV(header, rows)
		body.open = func() io.Reader { return bytes.NewReader(raw) }
		body.length, body.rows, body.count = int64(len(raw)), rows, len(rows)
	}
	if f.Precompress && f.GenBytes == 0 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = io.Copy(zw, body.open())
		_ = zw.Close()
		body.gz = buf.Bytes()
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	id := o.mustInsert("EventLogFile", map[string]any{
		"EventType":          f.EventType,
		"LogDate":            f.LogDate,
		"CreatedDate":        f.CreatedDate,
		"LogFileLength":      float64(body.length),
		"LogFileContentType": "CSV",
		"LogFileFieldNames":  strings.Join(header, ","),
		"LogFileFieldTypes":  strings.Join(types, ","),
		"Interval":           f.Interval,
		"Sequence":           int64(f.Sequence),
	})
	o.files.put(id, body)
	// The path needs the Id, so it is set after the insert; rows are
	// immutable once visible, which holds: o.mu is still held.
	o.st.table("EventLogFile").byID[id].Fields["LogFile"] = "/services/data/v" + o.cfg.APIVersion + "/sobjects/EventLogFile/" + id + "/LogFile"
	return id
}

// elfUsers are the org's users, whom its log files' rows are about; user i
// works through the connected app elf.AppFor(i), on every source.
func (o *Org) elfUsers() []elf.User {
	o.mu.Lock()
	defer o.mu.Unlock()
	return usersForELF(o.gen.users)
}

func usersForELF(us []simUser) []elf.User {
	out := make([]elf.User, len(us))
	for i, u := range us {
		out[i] = elf.User{ID: u.id, Username: u.username}
	}
	return out
}

func fileSeed(seed int64, f LogFile) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s|%s|%d|%d", seed, f.EventType, f.LogDate.UTC().Format(time.RFC3339), f.Interval, f.Sequence, f.CreatedDate.UnixNano())
	return h.Sum64()
}

// LogFileRows returns the data rows of a log file added with Rows or
// GenRows (nil otherwise): the ground truth a reader must reproduce.
func (o *Org) LogFileRows(id string) [][]string {
	if b := o.files.get(id); b != nil {
		return b.rows
	}
	return nil
}

// LogFileRowCount is the number of data rows of a log file (-1 if unknown id).
func (o *Org) LogFileRowCount(id string) int {
	if b := o.files.get(id); b != nil {
		return b.count
	}
	return -1
}

// LogFileGzipBytes is the size on the wire of a gzip download of a
// Precompress file (-1: unknown file, or not precompressed).
func (o *Org) LogFileGzipBytes(id string) int {
	if b := o.files.get(id); b != nil && b.gz != nil {
		return len(b.gz)
	}
	return -1
}

// SeedLogFiles adds realistic files for every documented event type but
// LoginAs (see seededELFEventTypes) over [from, to): one daily file per
// type and day and, when hourly, one file per type and hour, sometimes
// two for one hour (Sequence 2) and one published late (CreatedDate after that of a later hour's file). Each
// file has rowsPerFile generated rows.
func (o *Org) SeedLogFiles(from, to time.Time, hourly bool, rowsPerFile int) []string {
	var ids []string
	from, to = from.UTC().Truncate(24*time.Hour), to.UTC()
	for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
		for _, ev := range seededELFEventTypes() {
			ids = append(ids, o.AddLogFile(LogFile{EventType: ev, LogDate: day, GenRows: rowsPerFile}))
		}
		if !hourly {
			continue
		}
		for h := range 24 {
			hour := day.Add(time.Duration(h) * time.Hour)
			if !hour.Before(to) {
				break
			}
			for i, ev := range seededELFEventTypes() {
				created := hour.Add(time.Hour + time.Duration(3+(h+i)%3)*time.Hour)
				if (h+i)%11 == 0 {
					created = created.Add(9 * time.Hour) // late
				}
				ids = append(ids, o.AddLogFile(LogFile{EventType: ev, LogDate: hour, Interval: "Hourly", Sequence: 1, CreatedDate: created, GenRows: rowsPerFile}))
				if (h+i)%7 == 0 {
					ids = append(ids, o.AddLogFile(LogFile{EventType: ev, LogDate: hour, Interval: "Hourly", Sequence: 2, CreatedDate: created.Add(40 * time.Minute), GenRows: rowsPerFile}))
				}
			}
		}
	}
	return ids
}
