package rest_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

func TestFaults(t *testing.T) {
	const q = "/services/data/v66.0/query?q=SELECT+Id+FROM+User"
	tests := []struct {
		name   string
		faults []simulator.Fault
		path   string
		// want is the outcome of consecutive requests: a status, or 0 for a
		// broken connection.
		want     []int
		wantCode string // error code of the first faulted reply
		pending  int    // faults left unfired
		stats    func(t *testing.T, c simulator.CallStats)
	}{
		{name: "503", faults: []simulator.Fault{{Status: 503}}, path: q, want: []int{503, 200}, wantCode: "SERVER_UNAVAILABLE",
			stats: func(t *testing.T, c simulator.CallStats) { require.Equal(t, int64(1), c.ServerErrors) }},
		{name: "query timeout", faults: []simulator.Fault{{Path: "/query", Status: 400, ErrorCode: "QUERY_TIMEOUT", Message: "Your query request was running for too long."}},
			path: q, want: []int{400, 200}, wantCode: "QUERY_TIMEOUT"},
		{name: "skip and times", faults: []simulator.Fault{{Path: "/query", Skip: 2, Times: 2, Status: 500}}, path: q, want: []int{200, 200, 500, 500, 200}, wantCode: "UNKNOWN_EXCEPTION"},
		{name: "other path untouched", faults: []simulator.Fault{{Path: "/limits", Status: 503}}, path: q, want: []int{200, 200}, pending: 1},
		{name: "in order", faults: []simulator.Fault{{Status: 502}, {Status: 504}}, path: q, want: []int{502, 504, 200}, wantCode: "SERVER_UNAVAILABLE"},
		{name: "expire session", faults: []simulator.Fault{{ExpireSession: true}}, path: q, want: []int{401, 401}, wantCode: "INVALID_SESSION_ID",
			stats: func(t *testing.T, c simulator.CallStats) { require.Equal(t, int64(2), c.Unauthorized) }},
		{name: "drop", faults: []simulator.Fault{{Drop: true}}, path: q, want: []int{0, 200},
			stats: func(t *testing.T, c simulator.CallStats) { require.Equal(t, int64(1), c.Dropped) }},
		{name: "drop after bytes", faults: []simulator.Fault{{DropAfterBytes: 10}}, path: q, want: []int{0, 200}},
		{name: "token 503", faults: []simulator.Fault{{Path: "oauth2/token", Status: 503}}, path: "token", want: []int{503, 200}},
		{name: "token not hit by empty path", faults: []simulator.Fault{{Status: 503}}, path: "token", want: []int{200}, pending: 1},
		{name: "delay", faults: []simulator.Fault{{Delay: 50 * time.Millisecond}}, path: q, want: []int{200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, tok := simtest.SignedIn(t)
			for _, f := range tc.faults {
				s.InjectFault(f)
			}
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			for i, want := range tc.want {
				start := time.Now()
				var resp *http.Response
				var err error
				if tc.path == "token" {
					o := s.Options()
					resp, err = client.PostForm(s.URL()+"/services/oauth2/token", url.Values{
						"grant_type": {"client_credentials"}, "client_id": {o.ClientID}, "client_secret": {o.ClientSecret}})
				} else {
					req, _ := http.NewRequest(http.MethodGet, s.URL()+tc.path, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					resp, err = client.Do(req)
				}
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if want == 0 {
					require.Error(t, err, "request %d should break", i)
					continue
				}
				require.NoError(t, err, "request %d", i)
				require.Equal(t, want, resp.StatusCode, "request %d: %s", i, body)
				if tc.path != "token" {
					require.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
				}
				if i == 0 && tc.wantCode != "" && want != 200 {
					require.Contains(t, string(body), `"errorCode":"`+tc.wantCode+`"`)
				}
				if tc.faults[0].Delay > 0 {
					require.GreaterOrEqual(t, time.Since(start), tc.faults[0].Delay)
				}
			}
			require.Equal(t, tc.pending, s.PendingFaults())
			if tc.stats != nil {
				tc.stats(t, s.Calls())
			}
		})
	}
}

func TestFaultDelayHonoursContext(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	s.InjectFault(simulator.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/services/data/v66.0/limits", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	_, err := http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestFaultInvalidQueryLocator(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	qr := simtest.QueryPage(t, s, tok, simtest.QueryPath("SELECT Id FROM LoginHistory"), 200)
	s.InjectFault(simulator.Fault{Path: "/query/", Status: 400, ErrorCode: "INVALID_QUERY_LOCATOR", Message: "invalid query locator"})
	r := simtest.Get(t, s, tok, qr.NextRecordsURL, nil)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "INVALID_QUERY_LOCATOR", r.ErrorCode(t))
	require.Equal(t, 200, simtest.Get(t, s, tok, qr.NextRecordsURL, nil).Status)
}

func TestFaultTruncateAfterBytes(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	raw := []byte("\"EVENT_TYPE\",\"REQUEST_ID\"\n\"Login\",\"4a\"\n\"Login\",\"multi\nline\"\n")
	tests := []struct {
		name  string
		fault simulator.Fault
		want  []byte
		gzip  bool
	}{
		{"identity", simulator.Fault{Path: "/LogFile", TruncateAfterBytes: 30}, raw[:30], false},
		{"gzip", simulator.Fault{Path: "/LogFile", TruncateAfterBytes: 50, TruncateGzip: true}, raw[:50], true},
		{"past the end", simulator.Fault{Path: "/LogFile", TruncateAfterBytes: 1000}, raw, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, tok := simtest.SignedIn(t)
			id := s.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: day, Raw: raw, RawRows: 2,
				Header: []string{"EVENT_TYPE", "REQUEST_ID"}, Types: []string{"String", "String"}})
			s.InjectFault(tc.fault)
			// No transparent gunzip: the test sees what went over the wire.
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			fetch := func() (*http.Response, []byte) {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+"/services/data/v66.0/sobjects/EventLogFile/"+id+"/LogFile", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := client.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				var body io.Reader = resp.Body
				if resp.Header.Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(resp.Body)
					require.NoError(t, err)
					body = zr
				}
				b, err := io.ReadAll(body) // a clean end: no error
				require.NoError(t, err)
				return resp, b
			}
			resp, got := fetch()
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, tc.gzip, resp.Header.Get("Content-Encoding") == "gzip")
			require.Equal(t, string(tc.want), string(got))
			require.Zero(t, s.PendingFaults())
			require.Zero(t, s.Calls().Dropped)

			resp, got = fetch()
			require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), "served normally again")
			require.Equal(t, string(raw), string(got))
		})
	}
}
