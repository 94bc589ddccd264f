package eventlog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/checkpoint"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var errPipelineFull = errors.New("pipeline full")

var testNow = time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)

func newSim(t *testing.T) *simulator.Server {
	o := simulator.Defaults()
	o.Now = func() time.Time { return testNow }
	o.History = -1
	return simulator.NewTestServer(t, o)
}

// testOrg is the simulator's org, as the runner resolves it.
var testOrg = convert.Resource{OrgID: simulator.DefaultOrgID, InstanceURL: "https://example.my.salesforce.com"}

func testOptions() Options {
	return Options{
		Backfill: 7 * 24 * time.Hour, BatchRows: 50, Now: func() time.Time { return testNow },
		RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond,
	}
}

// truth maps the uid of every row that must arrive to its file and row.
type truth = map[string]string

func expect(t *testing.T, s *simulator.Server, keep func(simulator.Record) bool) truth {
	t.Helper()
	want := sftest.LogFileTruth(t, s, keep)
	require.NotEmpty(t, want)
	return want
}

func start(t *testing.T, src *Source, next consumer.Logs, store *checkpoint.Store) (stop func()) {
	return sftest.Start(t, &stream.Runner[Cursor]{
		Stream: Descriptor, Interval: 20 * time.Millisecond, Source: src, Consumer: next, Store: store,
		Org:    func(context.Context) (convert.Resource, error) { return testOrg, nil },
		Logger: zap.NewNop(), RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond,
	})
}

// settle waits until n records arrived, then a few more polls, so that a
// duplicate delivered late would be seen.
func settle(t *testing.T, c *sftest.Sink, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return c.Count() >= n }, 30*time.Second, 5*time.Millisecond)
	time.Sleep(150 * time.Millisecond)
}

func isInterval(iv string, types ...string) func(simulator.Record) bool {
	return func(r simulator.Record) bool {
		return r.Fields["Interval"] == iv && (len(types) == 0 || slices.Contains(types, r.Fields["EventType"].(string)))
	}
}

func TestEveryRowOnce(t *testing.T) {
	day := testNow.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	tests := []struct {
		name     string
		interval string
		types    []string
		faults   []simulator.Fault
		refuse   func(sftest.Delivery) error
		keep     func(simulator.Record) bool
	}{
		{name: "daily", interval: "daily", keep: isInterval("Daily")},
		{name: "hourly with late and split files", interval: "hourly", keep: isInterval("Hourly")},
		{name: "event type filter", interval: "hourly", types: []string{"Login", "ReportExport"},
			keep: isInterval("Hourly", "Login", "ReportExport")},
		{name: "dropped gzip downloads", interval: "daily", keep: isInterval("Daily"),
			faults: []simulator.Fault{
				{Path: "/LogFile", DropAfterBytes: 2500, Times: 3},
				{Path: "/LogFile", Skip: 4, DropAfterBytes: 9000, Times: 2},
			}},
		{name: "refused deliveries mid-file", interval: "daily", keep: isInterval("Daily"),
			refuse: func() func(sftest.Delivery) error {
				var n atomic.Int32
				return func(d sftest.Delivery) error {
					if d.Records >= 120 && n.Add(1) <= 5 {
						return errPipelineFull
					}
					return nil
				}
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t)
			hours := 20 * time.Hour
			if tt.interval == "hourly" {
				hours = 6 * time.Hour // ~70 files, some late, some split
			}
			sim.SeedLogFiles(day, day.Add(hours), tt.interval == "hourly", 130)
			want := expect(t, sim, tt.keep)
			for _, f := range tt.faults {
				sim.InjectFault(f)
			}
			opts := testOptions()
			opts.LogInterval, opts.EventTypes = tt.interval, tt.types
			col := sftest.NewSink()
			col.SetRefuse(tt.refuse)
			src := New(sftest.Client(t, sim), opts)
			start(t, src, col, checkpoint.New(nil))
			settle(t, col, len(want))
			col.ExactlyOnce(t, sftest.UID, want)
			matchRows(t, col, sim, want)
			require.Zero(t, src.ParseErrors())
			require.Zero(t, sim.PendingFaults())
		})
	}
}

// matchRows compares each delivered body with the simulator's row: every
// non-empty text cell is there, unchanged (commas, quotes, newlines,
// non-ASCII), and empty cells are left out.
func matchRows(t *testing.T, c *sftest.Sink, s *simulator.Server, want truth) {
	t.Helper()
	types := map[string]string{}
	for _, r := range s.Records("EventLogFile") {
		types[r.ID] = r.Fields["EventType"].(string)
	}
	loginRows, failedLogins := 0, 0
	for _, lr := range c.Records() {
		uid, _ := lr.Attributes().Get(semconv.AttrLogRecordUID)
		id, n, _ := strings.Cut(want[uid.Str()], "/")
		i, err := strconv.Atoi(n)
		require.NoError(t, err)
		rows := s.LogFileRows(id)
		require.NotNil(t, rows)
		ev := types[id]
		names, colTypes := simulator.ELFColumns(ev)
		body := lr.Body().Map()
		for j, v := range rows[i-1] {
			got, ok := body.Get(names[j])
			if v == "" {
				require.False(t, ok, "%s: empty %s left out", want[uid.Str()], names[j])
				continue
			}
			require.True(t, ok, "%s: %s", want[uid.Str()], names[j])
			if colTypes[j] == "String" {
				require.Equal(t, v, got.Str(), "%s: %s", want[uid.Str()], names[j])
			}
		}
		// The client's address is the first cell that is one: a failed
		// login's CLIENT_IP is "Salesforce.com IP", its SOURCE_IP the client.
		wantAddr := ""
		for _, col := range []string{"CLIENT_IP", "SOURCE_IP"} {
			if j := slices.Index(names, col); j >= 0 {
				if _, err := netip.ParseAddr(rows[i-1][j]); err == nil {
					wantAddr = rows[i-1][j]
					break
				}
			}
		}
		addr, ok := lr.Attributes().Get(semconv.AttrClientAddr)
		require.Equal(t, wantAddr != "", ok, "%s: client.address", want[uid.Str()])
		require.Equal(t, wantAddr, addr.Str(), "%s: client.address", want[uid.Str()])
		if j := slices.Index(names, "LOGIN_STATUS"); j >= 0 {
			loginRows++
			if rows[i-1][j] != "LOGIN_NO_ERROR" {
				require.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber(), "%s: a failed login is WARN", want[uid.Str()])
				failedLogins++
			}
		}
		ft, _ := lr.Attributes().Get(semconv.AttrEventType)
		require.Equal(t, ev, ft.Str())
		fid, _ := lr.Attributes().Get(semconv.AttrLogFileID)
		require.Equal(t, id, fid.Str())
		require.Equal(t, semconv.EventEventLogFile, lr.EventName())
	}
	if loginRows >= 100 { // the generator fails about one login in ten
		require.Positive(t, failedLogins, "failed logins among %d Login rows", loginRows)
	}
}

func TestRestartMidFile(t *testing.T) {
	sim := newSim(t)
	day := testNow.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	for _, ev := range []string{"Login", "API", "URI"} {
		sim.AddLogFile(simulator.LogFile{EventType: ev, LogDate: day, GenRows: 1000})
	}
	want := expect(t, sim, isInterval("Daily"))
	store := checkpoint.New(nil)
	col := sftest.NewSink()
	opts := testOptions()
	opts.BatchRows = 100

	// The pipeline stops taking rows inside the second file, so the stop
	// lands mid-file every time.
	col.SetRefuse(func(d sftest.Delivery) error {
		if d.Records >= 1250 {
			return errPipelineFull
		}
		return nil
	})
	first := start(t, New(sftest.Client(t, sim), opts), col, store)
	require.Eventually(t, func() bool { return col.Count() >= 1250 }, 10*time.Second, time.Millisecond)
	first()
	col.SetRefuse(nil)
	stoppedAt := col.Count()
	require.Less(t, stoppedAt, len(want), "stopped in the middle")
	require.NotZero(t, stoppedAt%1000, "stopped inside a file")

	var cur Cursor
	found, err := store.Load(context.Background(), checkpoint.Key(simulator.DefaultOrgID, Descriptor.Name), &cur)
	require.NoError(t, err)
	require.True(t, found)
	require.NotNil(t, cur.File, "the cursor records the file being read")
	require.EqualValues(t, stoppedAt%1000, cur.File.Rows)

	start(t, New(sftest.Client(t, sim), opts), col, store)
	settle(t, col, len(want))
	col.ExactlyOnce(t, sftest.UID, want)
	matchRows(t, col, sim, want)

	var final Cursor
	_, err = store.Load(context.Background(), checkpoint.Key(simulator.DefaultOrgID, Descriptor.Name), &final)
	require.NoError(t, err)
	require.Nil(t, final.File, "a completed file leaves no partial state")
	require.NotEmpty(t, final.ID)
}

func TestLateFile(t *testing.T) {
	sim := newSim(t)
	hour := testNow.Truncate(time.Hour).Add(-8 * time.Hour)
	sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: hour, Interval: "Hourly", Sequence: 1,
		CreatedDate: hour.Add(4 * time.Hour), GenRows: 30})
	col := sftest.NewSink()
	start(t, New(sftest.Client(t, sim), func() Options { o := testOptions(); o.LogInterval = "hourly"; return o }()), col, checkpoint.New(nil))
	settle(t, col, 30)

	// Published after the file above although it covers an earlier hour; a
	// LogDate cursor would never see it. Also a second file for that hour.
	sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: hour.Add(-2 * time.Hour), Interval: "Hourly", Sequence: 1,
		CreatedDate: hour.Add(5 * time.Hour), GenRows: 20})
	sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: hour, Interval: "Hourly", Sequence: 2,
		CreatedDate: hour.Add(5*time.Hour + time.Minute), GenRows: 10})
	want := expect(t, sim, isInterval("Hourly"))
	settle(t, col, 60)
	col.ExactlyOnce(t, sftest.UID, want)
}

func TestIntervalFallback(t *testing.T) {
	day := testNow.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	tests := []struct {
		name     string
		remove   []string
		interval string
		keep     func(simulator.Record) bool
		query    string
		warn     string
	}{
		{"interval", nil, "hourly", isInterval("Hourly"), "Interval = 'Hourly'", ""},
		{"sequence daily", []string{"Interval"}, "daily", isInterval("Daily"), "Sequence = 0", "by Sequence"},
		{"sequence hourly", []string{"Interval"}, "hourly", isInterval("Hourly"), "Sequence > 0", "by Sequence"},
		{"no filter", []string{"Interval", "Sequence"}, "daily", func(simulator.Record) bool { return true }, "ORDER BY", "neither Interval nor Sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t)
			sim.SeedLogFiles(day, day.Add(3*time.Hour), true, 5)
			for _, f := range tt.remove {
				sim.RemoveField("EventLogFile", f)
			}
			want := expect(t, sim, tt.keep)
			core, logs := observer.New(zapcore.WarnLevel)
			opts := testOptions()
			opts.LogInterval, opts.Logger = tt.interval, zap.New(core)
			src := New(sftest.Client(t, sim), opts)
			col := sftest.NewSink()
			start(t, src, col, checkpoint.New(nil))
			settle(t, col, len(want))
			col.ExactlyOnce(t, sftest.UID, want)
			require.Contains(t, src.Query(Cursor{}), tt.query)
			if tt.warn == "" {
				require.Zero(t, logs.Len())
				return
			}
			// Said once, however many polls ran.
			require.Equal(t, 1, logs.FilterMessageSnippet(tt.warn).Len(), "%v", logs.All())
		})
	}
}

func TestMalformedRowsAreDeliveredRaw(t *testing.T) {
	sim := newSim(t)
	day := testNow.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	raw := "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"USER_ID\",\"RUN_TIME\"\n" +
		"\"Login\",\"20240502101010.123\",\"4a\",\"0055g00000Xyz12\",\"12\"\n" +
		"\"Login\",\"20240502101011\",\"4b\",\"broken \"quote\",\"7\"\n" +
		"\"Login\",\"20240502101012\",\"4c\"\n" +
		"\"Login\",\"20240502101013\",\"4d\",\"multi\nline, \"\"quoted\"\"\",\"3.5\"\n" +
		"\"Login\",\"20240502101014\",\"4e\",\"open\n"
	id := sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: day, Raw: []byte(raw), RawRows: 5,
		Header: []string{"EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "USER_ID", "RUN_TIME"},
		Types:  []string{"String", "String", "String", "Id", "Number"}})
	want := expect(t, sim, isInterval("Daily"))
	src := New(sftest.Client(t, sim), testOptions())
	col := sftest.NewSink()
	start(t, src, col, checkpoint.New(nil))
	settle(t, col, 5)
	col.ExactlyOnce(t, sftest.UID, want)
	require.EqualValues(t, 3, src.ParseErrors())

	byKey := map[string]plog.LogRecord{}
	for uid, lr := range col.By(sftest.UID) {
		byKey[want[uid]] = lr
	}
	good := byKey[id+"/1"].Body().Map()
	v, _ := good.Get("RUN_TIME")
	require.EqualValues(t, 12, v.Int())
	multi, _ := byKey[id+"/4"].Body().Map().Get("USER_ID")
	require.Equal(t, "multi\nline, \"quoted\"", multi.Str())
	for n, reason := range map[string]string{"2": "quote", "3": "columns", "5": "unterminated"} {
		lr := byKey[id+"/"+n]
		require.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber(), n)
		pe, ok := lr.Attributes().Get(semconv.AttrParseError)
		require.True(t, ok, n)
		require.Contains(t, pe.Str(), reason, n)
		require.True(t, strings.HasPrefix(lr.Body().Str(), "\"Login\""), n)
	}
	require.Equal(t, "\"Login\",\"20240502101012\",\"4c\"", byKey[id+"/3"].Body().Str())
}

// downloads records what an Observer is told of downloads.
type downloads struct {
	mu    sync.Mutex
	bytes []int64
	done  []bool
}

func (d *downloads) Downloaded(n int64, complete bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bytes, d.done = append(d.bytes, n), append(d.done, complete)
}

func (*downloads) ParseError(string) {}

// A body that ends cleanly (no transport error) short of LogFileLength is
// a broken download: the row it ends inside is not delivered, not even
// raw, the rows before it are, and the download resumes after them.
func TestShortDownloadResumes(t *testing.T) {
	day := testNow.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	header := []string{"EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "NOTE", "RUN_TIME"}
	rows := []string{
		"\"Login\",\"20240502101010.123\",\"4a\",\"first\",\"12\"\n",
		"Login,20240502101011.000,4b,unquoted,7\n",
		"\"Login\",\"20240502101012.000\",\"4c\",\"multi\nline, \"\"quoted\"\"\",\"3\"\n",
		"Login,20240502101013.000,4d,plain,1234\n",
		"\"Login\",\"20240502101014.000\",\"4e\",\"last\",\"5\"\n",
	}
	want := []map[string]any{
		{"REQUEST_ID": "4a", "NOTE": "first", "RUN_TIME": int64(12)},
		{"REQUEST_ID": "4b", "NOTE": "unquoted", "RUN_TIME": int64(7)},
		{"REQUEST_ID": "4c", "NOTE": "multi\nline, \"quoted\"", "RUN_TIME": int64(3)},
		{"REQUEST_ID": "4d", "NOTE": "plain", "RUN_TIME": int64(1234)},
		{"REQUEST_ID": "4e", "NOTE": "last", "RUN_TIME": int64(5)},
	}
	raw := "\"" + strings.Join(header, "\",\"") + "\"\n" + strings.Join(rows, "")
	at := func(s string) int { // offset just past the first s in raw
		i := strings.Index(raw, s)
		require.GreaterOrEqual(t, i, 0, s)
		return i + len(s)
	}
	rowEnd := func(n int) int { return at(rows[n-1]) } // just past row n's newline

	tests := []struct {
		name string
		cuts []int // uncompressed bytes served by consecutive downloads
	}{
		// Unparsed, the fragment would be "…,\"multi" raw, then "li" raw.
		{"inside a quoted cell", []int{at("\"multi\nli")}},
		// Unchecked, the fragment would parse as RUN_TIME 12.
		{"mid-row without quotes", []int{at("4d,plain,12")}},
		{"at a row boundary", []int{rowEnd(2)}},
		{"inside the header", []int{10}},
		// The second download ends inside the rows it has to skip.
		{"again before the accepted rows", []int{rowEnd(4), at("4b,unq")}},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			name := tt.name + "/identity"
			if gz {
				name = tt.name + "/gzip"
			}
			t.Run(name, func(t *testing.T) {
				sim := newSim(t)
				id := sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: day, Raw: []byte(raw), RawRows: len(rows),
					Header: header, Types: []string{"String", "String", "String", "String", "Number"}})
				truth := expect(t, sim, isInterval("Daily"))
				for _, n := range tt.cuts {
					sim.InjectFault(simulator.Fault{Path: "/LogFile", TruncateAfterBytes: n, TruncateGzip: gz})
				}
				core, logs := observer.New(zapcore.WarnLevel)
				obs := &downloads{}
				opts := testOptions()
				opts.BatchRows = 2
				opts.Logger, opts.Observer = zap.New(core), obs
				src := New(sftest.Client(t, sim), opts)
				col := sftest.NewSink()
				store := checkpoint.New(nil)
				start(t, src, col, store)
				settle(t, col, len(rows))

				col.ExactlyOnce(t, sftest.UID, truth)
				require.Zero(t, src.ParseErrors())
				for _, lr := range col.Records() {
					_, bad := lr.Attributes().Get(semconv.AttrParseError)
					require.False(t, bad, "raw record %q", lr.Body().AsString())
					uid, _ := lr.Attributes().Get(semconv.AttrLogRecordUID)
					_, n, _ := strings.Cut(truth[uid.Str()], "/")
					i, err := strconv.Atoi(n)
					require.NoError(t, err)
					body := lr.Body().Map().AsRaw()
					for k, v := range want[i-1] {
						require.Equal(t, v, body[k], "row %d: %s", i, k)
					}
				}
				require.Zero(t, sim.PendingFaults())

				var final Cursor
				_, err := store.Load(context.Background(), checkpoint.Key(simulator.DefaultOrgID, Descriptor.Name), &final)
				require.NoError(t, err)
				require.Nil(t, final.File, "the cursor is past the file")
				require.Equal(t, id, final.ID)

				short := logs.FilterMessageSnippet("short of its LogFileLength").All()
				require.Len(t, short, len(tt.cuts), "%v", logs.All())
				obs.mu.Lock()
				defer obs.mu.Unlock()
				require.Len(t, obs.done, len(tt.cuts)+1)
				for i, n := range tt.cuts {
					fields := short[i].ContextMap()
					require.EqualValues(t, n, fields["bytes_received"])
					require.EqualValues(t, len(raw), fields["bytes_expected"])
					require.Equal(t, zapcore.WarnLevel, short[i].Level)
					require.False(t, obs.done[i], "download %d is counted as broken", i)
					require.EqualValues(t, n, obs.bytes[i])
				}
				require.True(t, obs.done[len(tt.cuts)])
				require.EqualValues(t, len(raw), obs.bytes[len(tt.cuts)])
			})
		}
	}
}

// sizedFile is oneFile listed with a LogFileLength (omitted when absent).
type sizedFile struct {
	oneFile
	length any
	absent bool
}

func (f sizedFile) Query(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	rec := fileRecord()
	if !f.absent {
		rec["LogFileLength"] = f.length
	}
	b, err := json.Marshal(rec)
	return sftest.Page(true, "", b), err
}

// Only a body known to be short is a broken download: with LogFileLength
// unknown (absent, null, 0) or reached, a body ending inside a quoted cell
// is a malformed file and its last row is delivered raw as before.
func TestShortBodyNeedsKnownLength(t *testing.T) {
	body := "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ROWS_PROCESSED\",\"HUGE\"\n" +
		"\"API\",\"20260501120000.000\",\"R1\",\"5\",\"x\"\n" +
		"\"API\",\"20260501120001.000\",\"R2\",\"6\",\"open\nmore"
	tests := []struct {
		name   string
		length any
		absent bool
		raw    int  // rows delivered raw
		short  bool // the poll fails as a short download
		// attempts is DownloadAttempts (default 2: one retry)
		attempts int
	}{
		{name: "absent", absent: true, raw: 2},
		{name: "null", length: nil, raw: 2},
		{name: "zero", length: 0, raw: 2},
		{name: "reached", length: float64(len(body)), raw: 2},
		{name: "reached, as Salesforce writes doubles", length: json.RawMessage(strconv.Itoa(len(body)) + ".0"), raw: 2},
		{name: "short", length: len(body) + 1, short: true},
		// The same short length on every download: LogFileLength is
		// wrong, and the body is the file; no stall on it.
		{name: "short on every download", length: len(body) + 1, raw: 2, attempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := sizedFile{oneFile: oneFile{body: func() io.Reader { return strings.NewReader(body) }}, length: tt.length, absent: tt.absent}
			src := New(client, Options{Backfill: 720 * time.Hour, DownloadAttempts: cmp.Or(tt.attempts, 2), RetryInitial: time.Millisecond, RetryMax: time.Millisecond,
				Now: func() time.Time { return time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC) }})
			var parsed []string
			raw, emits := 0, 0
			var last Cursor
			err := src.Poll(context.Background(), testOrg, src.Initial(), func(_ context.Context, logs plog.Logs, c Cursor) error {
				emits++
				last = c
				if logs.LogRecordCount() == 0 {
					return nil
				}
				lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
				for i := range lrs.Len() {
					lr := lrs.At(i)
					if _, bad := lr.Attributes().Get(semconv.AttrParseError); bad {
						raw++
						continue
					}
					id, _ := lr.Body().Map().Get("REQUEST_ID")
					parsed = append(parsed, id.Str())
				}
				return nil
			})
			require.Equal(t, []string{"R1"}, parsed)
			require.Equal(t, tt.raw, raw)
			require.EqualValues(t, tt.raw, src.ParseErrors())
			if tt.short {
				var se shortError
				require.ErrorAs(t, err, &se)
				require.Equal(t, shortError{got: int64(len(body)), want: int64(len(body) + 1)}, se)
				require.Equal(t, 1, emits, "R1 once; the retry made no progress")
				require.NotNil(t, last.File)
				require.EqualValues(t, 1, last.File.Rows)
				return
			}
			require.NoError(t, err)
			require.Nil(t, last.File, "the file is complete")
			require.Equal(t, "0AT000000000001AAA", last.ID)
		})
	}
}
