package eventlog

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

// oneFile lists one log file and serves body for it.
type oneFile struct {
	body func() io.Reader
}

func (oneFile) Describe(_ context.Context, _ sfapi.Caller, object string) (*sfapi.Describe, error) {
	return sftest.Describe(object, "Id", "EventType", "CreatedDate", "LogFile", "LogFileFieldNames", "LogFileFieldTypes"), nil
}

// fileRecord is the EventLogFile record oneFile lists.
func fileRecord() map[string]any {
	return map[string]any{
		"Id": "0AT000000000001AAA", "EventType": "API", "CreatedDate": "2026-05-01T03:00:00.000+0000",
		"LogFile":           "/services/data/v66.0/sobjects/EventLogFile/0AT000000000001AAA/LogFile",
		"LogFileFieldNames": "EVENT_TYPE,TIMESTAMP,REQUEST_ID,ROWS_PROCESSED,HUGE",
		"LogFileFieldTypes": "String,String,String,Number,String",
	}
}

func (oneFile) Query(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	rec, _ := json.Marshal(fileRecord())
	return sftest.Page(true, "", rec), nil
}

func (f oneFile) Open(context.Context, sfapi.Caller, string) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(f.body()), Header: http.Header{}}, nil
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b    byte
	left int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := range p[:n] {
		p[i] = r.b
	}
	r.left -= n
	return n, nil
}

// A 50 MB cell in the middle of a log file neither crashes the stream nor
// costs the rows around it: they come out parsed, and the oversized row
// comes out raw, in pieces no bigger than the row limit, each with
// salesforce.parse_error. Memory stays bounded by the row limit.
func TestHugeCSVCellIsDeliveredNotFatal(t *testing.T) {
	const cell = 50 << 20
	body := func() io.Reader {
		return io.MultiReader(
			strings.NewReader("\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ROWS_PROCESSED\",\"HUGE\"\n"),
			strings.NewReader("\"API\",\"20260501120000.000\",\"R1\",\"5\",\"small\"\n"),
			strings.NewReader("\"API\",\"20260501120001.000\",\"R2\",\"6\",\""), &repeatReader{b: 'x', left: cell}, strings.NewReader("\"\n"),
			strings.NewReader("\"API\",\"20260501120002.000\",\"R3\",\"7\",\"after\"\n"),
		)
	}
	src := New(oneFile{body: body}, Options{Backfill: 720 * time.Hour,
		Now: func() time.Time { return time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC) }})
	var (
		parsed   = map[string]bool{}
		rawBytes int
		rawRecs  int
		uids     = map[string]bool{}
	)
	err := src.Poll(context.Background(), testOrg, src.Initial(), func(_ context.Context, logs plog.Logs, _ Cursor) error {
		if logs.LogRecordCount() == 0 {
			return nil
		}
		lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := 0; i < lrs.Len(); i++ {
			lr := lrs.At(i)
			uid, _ := lr.Attributes().Get("log.record.uid")
			require.False(t, uids[uid.Str()], "uid repeated")
			uids[uid.Str()] = true
			if _, bad := lr.Attributes().Get("salesforce.parse_error"); bad {
				rawRecs++
				rawBytes += len(lr.Body().Str())
				require.LessOrEqual(t, len(lr.Body().Str()), DefaultMaxRowBytes)
				continue
			}
			id, _ := lr.Body().Map().Get("REQUEST_ID")
			parsed[id.Str()] = true
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, parsed["R1"], "the row before the huge cell")
	require.True(t, parsed["R3"], "the row after the huge cell")
	require.Positive(t, rawRecs, "the oversized row is delivered raw")
	require.GreaterOrEqual(t, rawBytes, cell, "all of its text is delivered")
	require.Equal(t, int64(rawRecs), src.ParseErrors())
	t.Logf("50 MB cell: %d raw records, %d bytes; rows around it parsed", rawRecs, rawBytes)
}
