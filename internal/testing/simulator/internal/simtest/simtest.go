// Package simtest is what the simulator's own tests share: an org on the
// tests' clock, signing in to it, and reading the REST API's answers. The
// tests of every part of the simulator build a whole simulator
// (simulator.NewTestServer) and talk to it as a client would.
package simtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// Now is the tests' clock.
var Now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// Options are the default options on the tests' clock, with seed 7.
func Options() simulator.Options {
	o := simulator.Defaults()
	o.Now = func() time.Time { return Now }
	o.Seed = 7
	return o
}

// SignedIn is a server with Options and an access token for it.
func SignedIn(t *testing.T) (*simulator.Server, string) {
	t.Helper()
	s := simulator.NewTestServer(t, Options())
	return s, Login(t, s)
}

// Answered requires r to be a success when code is "", else a 400 with
// that error code; it reports whether r was a success.
func Answered(t *testing.T, r Response, code string) bool {
	t.Helper()
	if code == "" {
		require.Equal(t, 200, r.Status, string(r.Body))
		return true
	}
	require.Equal(t, 400, r.Status, string(r.Body))
	require.Equal(t, code, r.ErrorCode(t))
	return false
}

// Response is an HTTP answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// restError is the one error of a REST error body.
func (r Response) restError(t *testing.T) (code, message string) {
	t.Helper()
	var errs []struct{ ErrorCode, Message string }
	require.NoError(t, json.Unmarshal(r.Body, &errs), string(r.Body))
	require.Len(t, errs, 1)
	return errs[0].ErrorCode, errs[0].Message
}

// ErrorCode is the errorCode of a REST error body with one error.
func (r Response) ErrorCode(t *testing.T) string {
	t.Helper()
	code, _ := r.restError(t)
	return code
}

// ErrorMessage is the message of a REST error body with one error.
func (r Response) ErrorMessage(t *testing.T) string {
	t.Helper()
	_, msg := r.restError(t)
	return msg
}

// PostForm posts form to the token endpoint.
func PostForm(t *testing.T, s *simulator.Server, form url.Values) Response {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/services/oauth2/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{resp.StatusCode, resp.Header, b}
}

// Login signs in with the password flow and returns the access token.
func Login(t *testing.T, s *simulator.Server) string {
	t.Helper()
	o := s.Options()
	r := PostForm(t, s, url.Values{
		"grant_type": {"password"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret},
		"username": {o.Username}, "password": {o.Password + o.SecurityToken},
	})
	require.Equal(t, 200, r.Status, string(r.Body))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &tok))
	return tok.AccessToken
}

// Get sends GET path with the access token tok (none when "") and the
// headers hdr.
func Get(t *testing.T, s *simulator.Server, tok, path string, hdr map[string]string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{resp.StatusCode, resp.Header, b}
}

// QueryResult is a Query resource answer.
type QueryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// QueryPath is the path of a query under API version 66.0.
func QueryPath(soql string) string {
	return "/services/data/v66.0/query?q=" + url.QueryEscape(soql)
}

// VersionedQuery is the path of a query under API version ver.
func VersionedQuery(ver, soql string) string {
	return "/services/data/v" + ver + "/query?q=" + url.QueryEscape(soql)
}

// QueryPage runs one request and decodes a successful result.
func QueryPage(t *testing.T, s *simulator.Server, tok, path string, batch int) QueryResult {
	t.Helper()
	hdr := map[string]string{}
	if batch > 0 {
		hdr["Sforce-Query-Options"] = "batchSize=" + Itoa(batch)
	}
	r := Get(t, s, tok, path, hdr)
	require.Equal(t, 200, r.Status, string(r.Body))
	var qr QueryResult
	require.NoError(t, json.Unmarshal(r.Body, &qr))
	return qr
}

// QueryAll follows nextRecordsUrl to the end and returns every record and
// the page sizes seen.
func QueryAll(t *testing.T, s *simulator.Server, tok, soql string, batch int) ([]map[string]any, []int) {
	t.Helper()
	qr := QueryPage(t, s, tok, QueryPath(soql), batch)
	recs, sizes := qr.Records, []int{len(qr.Records)}
	for !qr.Done {
		require.True(t, strings.HasPrefix(qr.NextRecordsURL, "/services/data/v66.0/query/01gSIM"), qr.NextRecordsURL)
		qr = QueryPage(t, s, tok, qr.NextRecordsURL, 0)
		recs = append(recs, qr.Records...)
		sizes = append(sizes, len(qr.Records))
	}
	require.Len(t, recs, qr.TotalSize)
	return recs, sizes
}

// IDs are the records' Ids.
func IDs(recs []map[string]any) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i], _ = r["Id"].(string)
	}
	return out
}

// Itoa is n in decimal.
func Itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// SOQLTime is a SOQL date-time literal of t.
func SOQLTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// NoSuchColumn ends the message of INVALID_FIELD "No such column".
const NoSuchColumn = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."

// DescribeFields are the field names the describe of object lists under
// API version ver.
func DescribeFields(t *testing.T, s *simulator.Server, tok, ver, object string) map[string]bool {
	t.Helper()
	r := Get(t, s, tok, "/services/data/v"+ver+"/sobjects/"+object+"/describe", nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	var d struct{ Fields []struct{ Name string } }
	require.NoError(t, json.Unmarshal(r.Body, &d))
	out := map[string]bool{}
	for _, f := range d.Fields {
		out[f.Name] = true
	}
	return out
}

// ELOServer serves Event Log Object rows at once (no delay) on a clock the
// test moves; set changes the options first.
func ELOServer(t *testing.T, set func(o *simulator.Options)) (*simulator.Server, string, *atomic.Int64) {
	t.Helper()
	var clock atomic.Int64
	clock.Store(Now.UnixNano())
	o := Options()
	o.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	o.EventLogObjectDelay = simulator.NoEventLogObjectDelay
	o.EventLogObjectRows = map[string]int{"LoginEventLog": 300, "ApiTotalUsageEventLog": 50}
	if set != nil {
		set(&o)
	}
	s := simulator.NewTestServer(t, o)
	return s, Login(t, s), &clock
}
