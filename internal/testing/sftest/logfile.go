package sftest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// LogFile is a Salesforce client with one EventLogFile: the listing names
// it, and every download serves Body() uncompressed (the eventlog stream's
// sfapi.FileReader, for benchmarks that measure the stream and not the network).
type LogFile struct {
	ID, EventType string
	Names, Types  []string
	Body          func() io.Reader
}

// Describe shows the EventLogFile fields the stream needs.
func (LogFile) Describe(_ context.Context, _ sfapi.Caller, object string) (*sfapi.Describe, error) {
	return Describe(object, "Id", "EventType", "CreatedDate", "LogFile", "LogFileFieldNames", "LogFileFieldTypes"), nil
}

// Query lists the file, whatever the query.
func (f LogFile) Query(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	rec, err := json.Marshal(map[string]any{
		"Id": f.ID, "EventType": f.EventType, "CreatedDate": "2024-05-02T03:00:00.000+0000",
		"LogFile":           "/services/data/v66.0/sobjects/EventLogFile/" + f.ID + "/LogFile",
		"LogFileFieldNames": strings.Join(f.Names, ","), "LogFileFieldTypes": strings.Join(f.Types, ","),
	})
	return Page(true, "", rec), err
}

// Open serves the body (closed with the response when it is a ReadCloser).
func (f LogFile) Open(context.Context, sfapi.Caller, string) (*http.Response, error) {
	r := f.Body()
	body, ok := r.(io.ReadCloser)
	if !ok {
		body = io.NopCloser(r)
	}
	return &http.Response{StatusCode: http.StatusOK, Body: body, Header: http.Header{}}, nil
}
