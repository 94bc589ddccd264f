package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func testOptions() Options {
	o := Defaults()
	o.Now = func() time.Time { return testNow }
	o.Seed = 7
	return o
}

// signedIn is a server with testOptions and an access token for it.
func signedIn(t *testing.T) (*Server, string) {
	t.Helper()
	s := NewTestServer(t, testOptions())
	return s, login(t, s)
}

// answered requires r to be a success when code is "", else a 400 with
// that error code; it reports whether r was a success.
func answered(t *testing.T, r response, code string) bool {
	t.Helper()
	if code == "" {
		require.Equal(t, 200, r.status, string(r.body))
		return true
	}
	require.Equal(t, 400, r.status, string(r.body))
	require.Equal(t, code, r.errorCode(t))
	return false
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var errs []struct{ ErrorCode, Message string }
	require.NoError(t, json.Unmarshal(r.body, &errs), string(r.body))
	require.Len(t, errs, 1)
	return errs[0].ErrorCode
}

func postForm(t *testing.T, s *Server, form url.Values) response {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/services/oauth2/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, b}
}

func login(t *testing.T, s *Server) string {
	t.Helper()
	o := s.Options()
	r := postForm(t, s, url.Values{
		"grant_type": {"password"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret},
		"username": {o.Username}, "password": {o.Password + o.SecurityToken},
	})
	require.Equal(t, 200, r.status, string(r.body))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(r.body, &tok))
	return tok.AccessToken
}

func get(t *testing.T, s *Server, tok, path string, hdr map[string]string) response {
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
	return response{resp.StatusCode, resp.Header, b}
}

type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func queryPath(soql string) string {
	return "/services/data/v66.0/query?q=" + url.QueryEscape(soql)
}

// queryPage runs one request and decodes a successful result.
func queryPage(t *testing.T, s *Server, tok, path string, batch int) queryResult {
	t.Helper()
	hdr := map[string]string{}
	if batch > 0 {
		hdr["Sforce-Query-Options"] = "batchSize=" + itoa(batch)
	}
	r := get(t, s, tok, path, hdr)
	require.Equal(t, 200, r.status, string(r.body))
	var qr queryResult
	require.NoError(t, json.Unmarshal(r.body, &qr))
	return qr
}

// queryAll follows nextRecordsUrl to the end and returns every record and
// the page sizes seen.
func queryAll(t *testing.T, s *Server, tok, soql string, batch int) ([]map[string]any, []int) {
	t.Helper()
	qr := queryPage(t, s, tok, queryPath(soql), batch)
	recs, sizes := qr.Records, []int{len(qr.Records)}
	for !qr.Done {
		require.True(t, strings.HasPrefix(qr.NextRecordsURL, "/services/data/v66.0/query/01gSIM"), qr.NextRecordsURL)
		qr = queryPage(t, s, tok, qr.NextRecordsURL, 0)
		recs = append(recs, qr.Records...)
		sizes = append(sizes, len(qr.Records))
	}
	require.Len(t, recs, qr.TotalSize)
	return recs, sizes
}

func ids(recs []map[string]any) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i], _ = r["Id"].(string)
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
