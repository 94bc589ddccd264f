// Package eventlog reads Event Monitoring log files (EventLogFile): it
// lists new files with a (CreatedDate, Id) cursor, streams each file's CSV
// through convert in bounded batches while the body arrives, and resumes a
// file at the row after the last one accepted downstream. It is a
// stream.Source.
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/fieldset"
	"github.com/sfevents/salesforcereceiver/internal/retry"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Descriptor is the EventLogFile stream.
var Descriptor = stream.Descriptor{
	Name:     "event_log_file",
	Priority: sfapi.PriorityBulk,
	Object:   "EventLogFile",
	Access:   catalog.Lookup("EventLogFile").Access,
	Map:      convert.Mapping{EventName: semconv.EventEventLogFile, TimeFallbacks: convert.ELFTimeFields},
}

// Options tune a Source.
type Options struct {
	LogInterval string   // "daily" (default) or "hourly"
	EventTypes  []string // empty: every type
	Backfill    time.Duration
	APIVersion  string // named when a field is not visible
	BatchRows   int    // rows per emitted batch; default 500 (see New)
	Now         func() time.Time
	Logger      *zap.Logger

	// MaxRowBytes caps one CSV row (default DefaultMaxRowBytes).
	MaxRowBytes int
	// DownloadAttempts bounds the downloads of one file in a poll that end
	// without progress (default 4); the runner then retries from the cursor.
	DownloadAttempts int
	// RetryInitial and RetryMax shape the wait between them (defaults 1s, 30s).
	RetryInitial, RetryMax time.Duration
	// Observer, when set, hears about downloads and unparsable rows.
	Observer Observer
}

// Observer is told what the stream read, for telemetry.
type Observer interface {
	// Downloaded reports the bytes one download read (after gzip) and
	// whether it read the file to its end.
	Downloaded(bytes int64, complete bool)
	// ParseError reports a row of stream delivered raw because it did not parse.
	ParseError(stream string)
}

// Cursor is the stream's checkpoint. CreatedDate/ID name the last file
// delivered completely (ID "" on first start: files created at or after
// CreatedDate are read). File, when set, is the file being read and the
// rows of it accepted downstream.
type Cursor struct {
	CreatedDate time.Time     `json:"created_date"`
	ID          string        `json:"id,omitempty"`
	File        *FileProgress `json:"file,omitempty"`
}

// EventTime is how far the cursor has come: the CreatedDate of the last
// file delivered (files are read in that order).
func (c Cursor) EventTime() time.Time { return c.CreatedDate }

// FileProgress is a partly delivered file: its first Rows data rows were
// accepted. Rows of a log file never change, so the count is a position.
type FileProgress struct {
	ID          string    `json:"id"`
	CreatedDate time.Time `json:"created_date"`
	Rows        int64     `json:"rows"`
}

// filesPerQuery bounds one listing; the next query starts after the last
// file handled, so no query locator has to outlive long downloads.
const filesPerQuery = 200

// filter says how files of the configured interval are told apart.
type filter int32

const (
	byInterval filter = iota // Interval = 'Daily' | 'Hourly'
	bySequence               // orgs without Interval: daily files have Sequence 0
	noFilter                 // neither field: every file
)

// Source is a stream.Source over EventLogFile.
type Source struct {
	client  sfapi.FileReader
	opts    Options
	hourly  bool
	fields  *fieldset.Resolver
	warned  atomic.Int32 // the filter last explained, +1 (0: none yet)
	reader  Reader
	bad     atomic.Int64
	keyBuf  []byte
	keyPool []byte
}

var (
	_ stream.Source[Cursor] = (*Source)(nil)
	_ stream.Checker        = (*Source)(nil)
)

// New returns a Source reading files of opts.LogInterval.
func New(client sfapi.FileReader, opts Options) *Source {
	stream.SourceDefaults(&opts.Now, &opts.Logger)
	if opts.BatchRows <= 0 {
		// 500 rows: as fast as 1,000 in the black box, 5 MiB less peak RSS
		// (PERFORMANCE.md), and a crash resends less.
		opts.BatchRows = 500
	}
	if opts.DownloadAttempts <= 0 {
		opts.DownloadAttempts = 4
	}
	if opts.RetryInitial <= 0 {
		opts.RetryInitial = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 30 * time.Second
	}
	fields := fieldset.NewResolver(client, fieldset.Want{
		Caller: Descriptor.Caller(), Object: Descriptor.Object,
		Required: []string{"Id", "EventType", "CreatedDate", "LogFile"},
		Fields:   []string{"LogDate", "LogFileLength", "LogFileFieldNames", "LogFileFieldTypes", "Interval", "Sequence"},
		// How files are told apart without Interval or Sequence is
		// explained by the filter's own warning.
		Quiet: []string{"Interval", "Sequence"}, APIVersion: opts.APIVersion,
	}, opts.Logger)
	return &Source{client: client, opts: opts, hourly: strings.EqualFold(opts.LogInterval, "hourly"), fields: fields}
}

// ParseErrors is how many rows could not be parsed (delivered raw).
func (s *Source) ParseErrors() int64 { return s.bad.Load() }

// logFile is one EventLogFile record.
type logFile struct {
	ID, EventType, CreatedDate, LogFile  string
	LogFileFieldNames, LogFileFieldTypes string
	// LogFileLength is the file's size in bytes, uncompressed (a double
	// in the schema); 0 when absent, null or unknown.
	LogFileLength float64
	created       time.Time
}

// fileOf reads an EventLogFile record of the listing.
func fileOf(rec *sobject.Record) (logFile, error) {
	if rec.Err != nil {
		return logFile{}, fmt.Errorf("eventlog: decoding an EventLogFile record: %w", rec.Err)
	}
	f := logFile{
		ID: rec.String("Id"), EventType: rec.String("EventType"), CreatedDate: rec.String("CreatedDate"),
		LogFile: rec.String("LogFile"), LogFileFieldNames: rec.String("LogFileFieldNames"),
		LogFileFieldTypes: rec.String("LogFileFieldTypes"),
	}
	switch v, _ := rec.Get("LogFileLength"); n := v.(type) {
	case int64:
		f.LogFileLength = float64(n)
	case float64:
		f.LogFileLength = n
	}
	return f, nil
}

// length is the file's size in bytes, or 0 if unknown.
func (f logFile) length() int64 {
	if f.LogFileLength >= 1 && f.LogFileLength < 1<<62 {
		return int64(f.LogFileLength)
	}
	return 0
}

// Query is the SOQL listing the files after cursor c, with the fields
// the org showed at the last describe.
func (s *Source) Query(c Cursor) string { return s.query(s.fields.Current(), c, filesPerQuery) }

// filterOf says how the fields in set tell daily from hourly files.
func filterOf(set fieldset.Set) filter {
	switch {
	case set.Has("Interval"):
		return byInterval
	case set.Has("Sequence"):
		return bySequence
	}
	return noFilter
}

func (s *Source) query(set fieldset.Set, c Cursor, limit int) string {
	fields := strings.Join(set.Fields, ", ")
	f := filterOf(set)
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM EventLogFile WHERE ", fields)
	// SOQL datetimes have whole seconds: the condition is widened to the
	// second and files at or before the cursor are dropped after reading.
	t := sfapi.FormatDateTime(c.CreatedDate)
	if c.ID == "" {
		fmt.Fprintf(&b, "CreatedDate >= %s", t)
	} else {
		fmt.Fprintf(&b, "(CreatedDate > %s OR (CreatedDate = %s AND Id > %s))", t, t, sfapi.QuoteString(c.ID))
	}
	switch {
	case f == byInterval && s.hourly:
		b.WriteString(" AND Interval = 'Hourly'")
	case f == byInterval:
		b.WriteString(" AND Interval = 'Daily'")
	case f == bySequence && s.hourly:
		b.WriteString(" AND Sequence > 0")
	case f == bySequence:
		b.WriteString(" AND Sequence = 0")
	}
	if len(s.opts.EventTypes) > 0 {
		q := make([]string, len(s.opts.EventTypes))
		for i, t := range s.opts.EventTypes {
			q[i] = sfapi.QuoteString(t)
		}
		fmt.Fprintf(&b, " AND EventType IN (%s)", strings.Join(q, ", "))
	}
	fmt.Fprintf(&b, " ORDER BY CreatedDate ASC, Id ASC LIMIT %d", limit)
	return b.String()
}

// Initial starts the backfill.
func (s *Source) Initial() Cursor {
	return Cursor{CreatedDate: s.opts.Now().Add(-s.opts.Backfill).UTC()}
}

// Poll delivers every file created after the cursor, resuming a partly
// delivered one at its next row.
func (s *Source) Poll(ctx context.Context, res convert.Resource, c Cursor, emit stream.Emit[Cursor]) error {
	if c.File != nil {
		fp := *c.File // never share (or change) the caller's progress
		c.File = &fp
	}
	for {
		files, full, err := s.list(ctx, c)
		if err != nil {
			return err
		}
		before := c
		for _, f := range files {
			if c, err = s.readFile(ctx, res, f, c, emit); err != nil {
				return err
			}
		}
		if !full {
			return nil
		}
		if c.CreatedDate.Equal(before.CreatedDate) && c.ID == before.ID {
			return fmt.Errorf("eventlog: %d files share CreatedDate %s; cannot page past them", filesPerQuery, sfapi.FormatDateTime(c.CreatedDate))
		}
	}
}

// list returns the files after c in cursor order, telling daily from
// hourly files by what the org shows (see filterOf). full says the
// listing was cut at filesPerQuery.
func (s *Source) list(ctx context.Context, c Cursor) ([]logFile, bool, error) {
	var page *sfapi.QueryResult
	if _, err := s.fields.With(ctx, func(set fieldset.Set) (err error) {
		s.explainFilter(filterOf(set))
		page, err = s.client.Query(ctx, Descriptor.Caller(), s.query(set, c, filesPerQuery), filesPerQuery)
		return err
	}); err != nil {
		return nil, false, err
	}
	files := make([]logFile, 0, len(page.Records))
	for i := range page.Records {
		f, err := fileOf(&page.Records[i])
		if err != nil {
			return nil, false, err
		}
		t, err := convert.ParseDateTime(f.CreatedDate)
		if err != nil {
			return nil, false, fmt.Errorf("eventlog: EventLogFile %s: %w", f.ID, err)
		}
		f.created = t
		if !after(f.created, f.ID, c) {
			continue // re-read by the widened condition: delivered already
		}
		files = append(files, f)
	}
	return files, len(page.Records) >= filesPerQuery || !page.Done, nil
}

// after reports whether (t, id) comes after the cursor's last file.
func after(t time.Time, id string, c Cursor) bool {
	if c.ID == "" {
		return !t.Before(c.CreatedDate)
	}
	return t.After(c.CreatedDate) || (t.Equal(c.CreatedDate) && id > c.ID)
}

// explainFilter says once how files of the configured interval are told
// apart when the org lacks Interval (older API versions, field-level
// security).
func (s *Source) explainFilter(f filter) {
	if filter(s.warned.Swap(int32(f)+1)-1) == f {
		return
	}
	interval := "daily"
	if s.hourly {
		interval = "hourly"
	}
	switch f {
	case bySequence:
		s.opts.Logger.Warn("EventLogFile has no Interval field on this org or API version; telling "+interval+" files apart by Sequence (daily files have Sequence 0)",
			zap.String("stream", Descriptor.Name))
	case noFilter:
		s.opts.Logger.Warn("EventLogFile has neither Interval nor Sequence on this org or API version; reading every log file whatever its interval (log_interval is "+interval+")",
			zap.String("stream", Descriptor.Name))
	}
}

// Check lists one file the way a poll does, so the connection test says
// what a poll will meet.
func (s *Source) Check(ctx context.Context) (stream.Readiness, error) {
	c := s.Initial()
	set, err := s.fields.With(ctx, func(set fieldset.Set) error {
		_, err := s.client.Query(ctx, Descriptor.Caller(), s.query(set, c, 1), 0)
		return err
	})
	return stream.Readiness{Object: Descriptor.Object, Missing: set.Missing}, err
}

// errGone: the file was listed but its body is gone (retention).
var errGone = errors.New("log file no longer available")

// openError is a failure to start a download; the client has retried it
// already, so the poll gives up at once.
type openError struct{ err error }

func (e openError) Error() string { return e.err.Error() }
func (e openError) Unwrap() error { return e.err }

// readFile delivers one file from where c says and returns the cursor past
// it. A download that breaks off is opened again from the rows accepted so
// far; after DownloadAttempts failures in a row without progress the poll
// gives up (the runner retries from the cursor later).
func (s *Source) readFile(ctx context.Context, res convert.Resource, f logFile, c Cursor, emit stream.Emit[Cursor]) (Cursor, error) {
	var done int64
	if c.File != nil && c.File.ID == f.ID {
		done = c.File.Rows
	}
	log := s.opts.Logger.With(zap.String("stream", Descriptor.Name), zap.String("log_file_id", f.ID), zap.String("event_type", f.EventType))
	bo := retry.Policy{Initial: s.opts.RetryInitial, Max: s.opts.RetryMax}.New(0) // layer 2 of package retry
	failures := 0
	lastShort := int64(-1)
	for {
		before := done
		next, err := s.download(ctx, res, f, c, &done, emit)
		if err == nil {
			return next, nil
		}
		if errors.Is(err, errGone) {
			log.Warn("Log file is listed but no longer downloadable; skipping it", zap.Error(err))
			next := Cursor{CreatedDate: f.created, ID: f.ID}
			return next, emit(ctx, convert.NewBatch(res, 0).Logs(), next)
		}
		if ctx.Err() != nil || errors.As(err, new(openError)) {
			return c, err
		}
		if done > before {
			failures = 0
			bo.Reset()
		}
		failures++
		if failures >= s.opts.DownloadAttempts {
			return c, fmt.Errorf("eventlog: downloading %s failed %d times: %w", f.ID, failures, err)
		}
		wait := bo.NextBackOff()
		msg, fields := "Log file download broke off; resuming after the accepted rows", []zap.Field{
			zap.Int64("rows_accepted", done), zap.Int("attempt", failures), zap.Duration("retry_in", wait), zap.Error(err)}
		if short, ok := errors.AsType[shortError](err); ok {
			msg = "Log file body ended short of its LogFileLength; resuming after the accepted rows"
			fields = append(fields, zap.Int64("bytes_received", short.got), zap.Int64("bytes_expected", short.want))
			if short.got == lastShort {
				// The same length twice: that is the body Salesforce has,
				// and LogFileLength is wrong. Take the body as the whole
				// file rather than stall on it; a row it ends inside is
				// then delivered raw, as any malformed row is.
				msg = "Log file body is the same length on every download, short of its LogFileLength; taking it as the whole file"
				f.LogFileLength = 0
			}
			lastShort = short.got
		}
		log.Warn(msg, fields...)
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// shortError: the body ended cleanly but before LogFileLength bytes (a
// proxy, or a body without Content-Length, cut short). It is a broken
// download, resumed like one; the row it ended inside is not delivered.
type shortError struct{ got, want int64 }

func (e shortError) Error() string {
	return fmt.Sprintf("log file body ended after %d of its %d bytes", e.got, e.want)
}

// download reads the file once, skipping *done rows, emitting a batch every
// BatchRows rows; *done follows what was accepted. It returns the cursor
// past the file when the body ended cleanly and was not short of
// LogFileLength (a short body breaks off after its last complete row).
//
// The rows after the skipped ones go through a pipeline (see pipeline.go):
// this goroutine only delivers, in order, while the next rows are read and
// converted on two others.
func (s *Source) download(ctx context.Context, res convert.Resource, f logFile, c Cursor, done *int64, emit stream.Emit[Cursor]) (Cursor, error) {
	// The download's own context: canceling it breaks off a body read
	// the reading stage is blocked in, so the stages can be joined.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := s.client.Open(dctx, Descriptor.Caller(), f.LogFile)
	if err != nil {
		if sfapi.IsCode(err, sfapi.CodeNotFound) {
			return c, fmt.Errorf("%w: %w", errGone, err)
		}
		return c, openError{err}
	}
	defer resp.Body.Close()
	body := &countingReader{r: resp.Body}
	complete := false
	if s.opts.Observer != nil {
		defer func() { s.opts.Observer.Downloaded(body.n, complete) }()
	}
	rd := &s.reader
	rd.Reset(body, s.opts.MaxRowBytes)
	// cut says the current row is a fragment: the body ended inside it (so
	// body.n is final) and before the file's length. Reading stops there:
	// what follows a quote left open is part of the fragment too.
	want := f.length()
	cut := func() bool { return rd.Unterminated() && body.n < want }

	var header *convert.CSVHeader
	more := rd.Next() && !cut()
	if more {
		names := rd.Fields()
		if rd.ParseError() != nil {
			// Columns come from the metadata then; the header is not a row.
			s.opts.Logger.Warn("Log file header does not parse; using LogFileFieldNames",
				zap.String("stream", Descriptor.Name), zap.String("log_file_id", f.ID), zap.Error(rd.ParseError()))
			names = splitList(f.LogFileFieldNames)
		}
		// The type's own column rules (catalog): RestApi's USER_AGENT is a
		// client code, not a user agent.
		m := Descriptor.Mapping().ForEventType(f.EventType)
		header = m.CSVHeader(names, columnTypes(names, f.LogFileFieldNames, f.LogFileFieldTypes))
	}
	if rd.Err() != nil {
		return c, rd.Err()
	}
	var row int64
	for more && row < *done {
		if more = rd.Skip() && !cut(); more {
			row++
		}
	}
	if rd.Err() != nil {
		return c, rd.Err()
	}

	progress := func(rows int64) Cursor {
		next := c
		next.File = &FileProgress{ID: f.ID, CreatedDate: f.created, Rows: rows}
		return next
	}
	p := s.startPipeline(dctx, pipelineInput{
		res: res, file: f, header: header, first: row, more: more,
		next: func() bool { return rd.Next() && !cut() },
		end: func() error {
			if err := rd.Err(); err != nil {
				return err
			}
			if body.n < want {
				// The reader saw the end of the body (body.n is final): it
				// ended early though cleanly, inside a row (not delivered)
				// or after one.
				return shortError{got: body.n, want: want}
			}
			return nil
		},
	})
	// Stop both stages before the body closes and the reader is reused.
	defer p.stop(cancel)
	for b := range p.batches {
		switch {
		case !b.last:
			if err := emit(ctx, b.logs, progress(b.rows)); err != nil {
				return c, err
			}
			*done = b.rows
		case b.err != nil:
			// Rows read before the break are complete: hand them over, so
			// every attempt makes progress however early the connection drops.
			if b.logs.LogRecordCount() > 0 {
				if eerr := emit(ctx, b.logs, progress(b.rows)); eerr != nil {
					return c, eerr
				}
				*done = b.rows
			}
			return c, b.err
		default:
			complete = true
			next := Cursor{CreatedDate: f.created, ID: f.ID}
			if err := emit(ctx, b.logs, next); err != nil {
				return c, err
			}
			*done = b.rows
			return next, nil
		}
	}
	// The stages ended without a last batch: the download was canceled.
	if err := ctx.Err(); err != nil {
		return c, err
	}
	return c, context.Canceled
}

func (s *Source) parseError() {
	s.bad.Add(1)
	if s.opts.Observer != nil {
		s.opts.Observer.ParseError(Descriptor.Name)
	}
}

// countingReader counts the bytes a download read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rowKey is the record key of a row, "<fileId>/<row>". Keys are carved out
// of a shared chunk like the reader's fields: one allocation per many rows.
func (s *Source) rowKey(id string, row int64) string {
	s.keyBuf = strconv.AppendInt(append(append(s.keyBuf[:0], id...), '/'), row, 10)
	if cap(s.keyPool)-len(s.keyPool) < len(s.keyBuf) {
		s.keyPool = make([]byte, 0, 16<<10)
	}
	start := len(s.keyPool)
	s.keyPool = append(s.keyPool, s.keyBuf...)
	return bytesString(s.keyPool[start:])
}

// columnTypes returns the LogFileFieldTypes entry of each header column,
// matched by name (LogFileFieldNames and LogFileFieldTypes are aligned),
// or by position when the file has no field names.
func columnTypes(header []string, namesList, typesList string) []string {
	names, types := splitList(namesList), splitList(typesList)
	out := make([]string, len(header))
	if len(names) == 0 {
		if len(types) == len(header) {
			copy(out, types)
		}
		return out
	}
	byName := make(map[string]string, len(names))
	for i, n := range names {
		if i < len(types) {
			byName[n] = types[i]
		}
	}
	for i, h := range header {
		out[i] = byName[h]
	}
	return out
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := strings.Split(s, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}
