package simulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/elf"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// Event Monitoring log files: EventLogFile records whose LogFile field is
// the path of a CSV body served at
// /services/data/vXX.X/sobjects/EventLogFile/<Id>/LogFile (REST API
// Developer Guide, "Get Event Monitoring Content from a Large Object":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_event_log_file_download.htm).

// eventLogFileSchema is EventLogFile as the Object Reference lists it
// (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile.htm):
// "This object is available in API version 32.0 and later. The Interval and
// Sequence fields are available only in API version 37.0 and later." The
// catalog's entry says 36.0 for Interval and Sequence; the page's 37.0 is
// kept here (TestObjectSchemasAgainstTheCatalog).
func eventLogFileSchema() *objectSchema {
	return &objectSchema{
		Name:           "EventLogFile",
		KeyPrefix:      "0AT", // "0AT" is EventLogFile's key prefix in every org
		Doc:            "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile.htm",
		TimestampField: "CreatedDate",
		Since:          "32.0", // confirmed
		Fields: []field{
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

// logFileBody is what a LogFile download serves.
type logFileBody struct {
	open   func() io.Reader
	gz     []byte // the body gzipped once (LogFile.Precompress), or nil
	length int64
	rows   [][]string // nil unless known and small
	count  int
}

// elfFiles holds the bodies of the server's log files.
type elfFiles struct {
	mu sync.Mutex
	m  map[string]*logFileBody
}

func (e *elfFiles) get(id string) *logFileBody {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.m[id]
}

func (e *elfFiles) put(id string, b *logFileBody) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]*logFileBody{}
	}
	e.m[id] = b
}

// AddLogFile stores an EventLogFile and its body and returns its Id.
// It panics on an event type without documented columns when the content
// needs them.
func (s *Server) AddLogFile(f LogFile) string {
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
	body := &logFileBody{}
	var seed uint64
	switch {
	case f.Raw != nil:
		raw := f.Raw
		body.open = func() io.Reader { return bytes.NewReader(raw) }
		body.length, body.count = int64(len(raw)), f.RawRows
	case f.GenBytes > 0:
		// The seed must not depend on the Id (unknown yet): derive it from
		// what makes the file unique.
		seed = fileSeed(s.opts.Seed, f)
		from, ev, limit := f.LogDate, f.EventType, f.GenBytes
		body.open = func() io.Reader { return elf.NewReader(ev, DefaultOrgID, seed, from, span, 0, limit) }
		// One counting pass for LogFileLength and the ground-truth row count.
		body.length, body.count = elf.Measure(body.open())
	default:
		rows := f.Rows
		if f.GenRows > 0 {
			g := elf.NewRowGen(f.EventType, DefaultOrgID, fileSeed(s.opts.Seed, f), f.LogDate, span)
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

	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.mustInsert("EventLogFile", map[string]any{
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
	s.logFiles.put(id, body)
	// The path needs the Id, so it is set after the insert; rows are
	// immutable once visible, which holds: s.mu is still held.
	s.st.table("EventLogFile").byID[id].fields["LogFile"] = "/services/data/v" + s.opts.APIVersion + "/sobjects/EventLogFile/" + id + "/LogFile"
	return id
}

func fileSeed(seed int64, f LogFile) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s|%s|%d|%d", seed, f.EventType, f.LogDate.UTC().Format(time.RFC3339), f.Interval, f.Sequence, f.CreatedDate.UnixNano())
	return h.Sum64()
}

// LogFileRows returns the data rows of a log file added with Rows or
// GenRows (nil otherwise): the ground truth a reader must reproduce.
func (s *Server) LogFileRows(id string) [][]string {
	if b := s.logFiles.get(id); b != nil {
		return b.rows
	}
	return nil
}

// LogFileRowCount is the number of data rows of a log file (-1 if unknown id).
func (s *Server) LogFileRowCount(id string) int {
	if b := s.logFiles.get(id); b != nil {
		return b.count
	}
	return -1
}

// LogFileGzipBytes is the size on the wire of a gzip download of a
// Precompress file (-1: unknown file, or not precompressed).
func (s *Server) LogFileGzipBytes(id string) int {
	if b := s.logFiles.get(id); b != nil && b.gz != nil {
		return len(b.gz)
	}
	return -1
}

// SeedLogFiles adds realistic files for every documented event type but
// LoginAs (see seededELFEventTypes) over [from, to): one daily file per
// type and day and, when hourly, one file per type and hour, sometimes
// two for one hour (Sequence 2) and one published late (CreatedDate after that of a later hour's file). Each
// file has rowsPerFile generated rows.
func (s *Server) SeedLogFiles(from, to time.Time, hourly bool, rowsPerFile int) []string {
	var ids []string
	from, to = from.UTC().Truncate(24*time.Hour), to.UTC()
	for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
		for _, ev := range seededELFEventTypes() {
			ids = append(ids, s.AddLogFile(LogFile{EventType: ev, LogDate: day, GenRows: rowsPerFile}))
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
				ids = append(ids, s.AddLogFile(LogFile{EventType: ev, LogDate: hour, Interval: "Hourly", Sequence: 1, CreatedDate: created, GenRows: rowsPerFile}))
				if (h+i)%7 == 0 {
					ids = append(ids, s.AddLogFile(LogFile{EventType: ev, LogDate: hour, Interval: "Hourly", Sequence: 2, CreatedDate: created.Add(40 * time.Minute), GenRows: rowsPerFile}))
				}
			}
		}
	}
	return ids
}

// RemoveField drops a field from an object's schema, as on orgs or API
// versions that lack it (EventLogFile Interval and Sequence before API
// 37.0): queries naming it fail with INVALID_FIELD. Call it before the
// server takes requests.
func (s *Server) RemoveField(object, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sch := s.reg.lookup(object)
	if sch == nil {
		panic("simulator: unknown object " + object)
	}
	sch.Fields = slices.DeleteFunc(sch.Fields, func(f field) bool { return strings.EqualFold(f.Name, name) })
	sch.index()
}

var logFilePathRe = regexp.MustCompile(`^/sobjects/EventLogFile/([0-9A-Za-z]{15,18})/LogFile$`)

func isLogFilePath(rest string) bool { return logFilePathRe.MatchString(rest) }

// handleLogFile serves a log file body, gzip-compressed when the client
// accepts it, as Salesforce does.
func (s *Server) handleLogFile(w http.ResponseWriter, r *http.Request, rest string) {
	id := logFilePathRe.FindStringSubmatch(rest)[1]
	body := s.logFiles.get(id)
	if body == nil && len(id) == 15 {
		body = s.logFiles.get(sfid.WithChecksum(id))
	}
	if body == nil {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	if rate := s.downloadRate.Load(); rate > 0 {
		w = &pacedWriter{ResponseWriter: w, ctx: r.Context(), rate: rate, start: time.Now()}
	}
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Length", strconv.FormatInt(body.length, 10))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, body.open())
		}
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if body.gz != nil {
		_, _ = w.Write(body.gz)
		return
	}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if _, err := io.Copy(zw, body.open()); err == nil {
		_ = zw.Close()
	}
}

// SetDownloadRate caps how fast each LogFile download from now on is served,
// in bytes per second on the wire (after gzip); 0 lifts the cap.
func (s *Server) SetDownloadRate(bytesPerSecond int64) { s.downloadRate.Store(max(bytesPerSecond, 0)) }

// pacedWriter sends a body no faster than rate bytes/s since start, in
// slices of about 10 ms each, as a network link of that bandwidth would.
type pacedWriter struct {
	http.ResponseWriter
	ctx   context.Context
	rate  int64
	start time.Time
	sent  int64
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	slice := int(max(p.rate/100, 512))
	n := 0
	for len(b) > 0 {
		k := min(slice, len(b))
		due := p.start.Add(time.Duration(float64(p.sent) / float64(p.rate) * float64(time.Second)))
		if wait := time.Until(due); wait > 0 && !sleepCtx(p.ctx, wait) {
			return n, p.ctx.Err()
		}
		w, err := p.ResponseWriter.Write(b[:k])
		n += w
		p.sent += int64(w)
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// Flush passes on to the connection, so a paced body is not held back in
// the server's buffer.
func (p *pacedWriter) Flush() {
	if f, ok := p.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// ELFEventTypes lists the event types the simulator has column sets for
// (elf.EventTypes).
func ELFEventTypes() []string { return elf.EventTypes() }

// ELFColumns returns the documented header and LogFileFieldTypes of an
// event type, nil for an unknown one (elf.Columns).
func ELFColumns(eventType string) (names, types []string) { return elf.Columns(eventType) }

// EncodeCSV renders rows the way Salesforce writes log files (elf.EncodeCSV).
func EncodeCSV(header []string, rows [][]string) []byte { return elf.EncodeCSV(header, rows) }

// NewLogFileReader streams a deterministic generated log file of eventType
// of the default org (elf.NewReader).
func NewLogFileReader(eventType string, seed uint64, from time.Time, span time.Duration, maxRows int, maxBytes int64) io.Reader {
	return elf.NewReader(eventType, DefaultOrgID, seed, from, span, maxRows, maxBytes)
}
