package sfapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

const testOrg = "00Dxx0000001gPLEAY"

var (
	testCaller = Caller{Stream: "s", Priority: PriorityNormal}
	lhCaller   = Caller{Stream: "login_history", Priority: PrioritySecurity}
	elfCaller  = Caller{Stream: "event_log_file", Priority: PriorityBulk}
)

// fakeTokens hands out tok-1, tok-2, ... ; Refresh of the current token mints the next.
type fakeTokens struct {
	instance  string
	mu        sync.Mutex
	n         int
	refreshes int
	tokenErrs []error // returned by Token, one per call, before succeeding
}

func (f *fakeTokens) cur() *auth.Token {
	return &auth.Token{AccessToken: fmt.Sprintf("tok-%d", f.n), InstanceURL: f.instance, OrgID: testOrg, UserID: "005xx"}
}

func (f *fakeTokens) Token(context.Context) (*auth.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tokenErrs) > 0 {
		err := f.tokenErrs[0]
		f.tokenErrs = f.tokenErrs[1:]
		return nil, err
	}
	if f.n == 0 {
		f.n = 1
	}
	return f.cur(), nil
}

func (f *fakeTokens) Refresh(_ context.Context, stale *auth.Token) (*auth.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stale.AccessToken == f.cur().AccessToken {
		f.n++
		f.refreshes++
	}
	return f.cur(), nil
}

// serveVersions answers the Versions resource with versions.
func serveVersions(versions ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		var list []map[string]string
		for _, v := range versions {
			list = append(list, map[string]string{"label": "v" + v, "url": "/services/data/v" + v, "version": v})
		}
		writeJSON(w, http.StatusOK, list)
	}
}

type fakeBudget struct {
	mu       sync.Mutex
	acquired int
	released int
	prios    []Priority
	observed []LimitInfo
	unread   int
	refused  []LimitKind
}

func (b *fakeBudget) Acquire(_ context.Context, prio Priority) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acquired++
	b.prios = append(b.prios, prio)
	return func() { b.mu.Lock(); b.released++; b.mu.Unlock() }, nil
}

func (b *fakeBudget) Observe(li LimitInfo) {
	b.mu.Lock()
	b.observed = append(b.observed, li)
	b.mu.Unlock()
}
func (b *fakeBudget) Unread() { b.mu.Lock(); b.unread++; b.mu.Unlock() }
func (b *fakeBudget) Refused(k LimitKind) {
	b.mu.Lock()
	b.refused = append(b.refused, k)
	b.mu.Unlock()
}

func (b *fakeBudget) counts() (acq, rel int, refused []LimitKind) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.acquired, b.released, slices.Clone(b.refused)
}

// env is a test instance: an httptest server routing by path, with hit counts.
type env struct {
	srv    *httptest.Server
	tokens *fakeTokens
	budget *fakeBudget
	client *Client
	logs   *observer.ObservedLogs
	mu     sync.Mutex
	hits   map[string]int
	// versions answers the Versions resource (nil: h does)
	versions func(w http.ResponseWriter)
}

func newEnv(t *testing.T, h func(e *env, w http.ResponseWriter, r *http.Request, hit int)) *env {
	t.Helper()
	e := &env{budget: &fakeBudget{}, hits: map[string]int{}, versions: serveVersions("65.0", "66.0")}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/data/" && e.versions != nil {
			e.versions(w)
			return
		}
		e.mu.Lock()
		e.hits[r.URL.Path]++
		n := e.hits[r.URL.Path]
		e.mu.Unlock()
		// The form Salesforce documents ("Limit Info Header").
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/5000; per-app-api-usage=3/250(appName=x)", n))
		h(e, w, r, n)
	}))
	t.Cleanup(e.srv.Close)
	e.tokens = &fakeTokens{instance: e.srv.URL}
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	var budgetCalls atomic.Int32
	c, err := New(Config{
		HTTPClient: e.srv.Client(),
		Tokens:     e.tokens,
		APIVersion: "66.0",
		BudgetFor: func(org string, _ func(context.Context) error) Budget {
			assert.Equal(t, testOrg, org)
			assert.Equal(t, int32(1), budgetCalls.Add(1), "budget must be cached per org")
			return e.budget
		},
		Logger: zap.New(core),
		Retry:  RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond},
	})
	require.NoError(t, err)
	e.client = c
	return e
}

func (e *env) hitsOf(p string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hits[p]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sfError(code, msg string) []map[string]string {
	return []map[string]string{{"message": msg, "errorCode": code}}
}

func requireBearer(e *env, w http.ResponseWriter, r *http.Request) bool {
	e.tokens.mu.Lock()
	want := "Bearer " + e.tokens.cur().AccessToken
	e.tokens.mu.Unlock()
	if r.Header.Get("Authorization") != want {
		writeJSON(w, 401, sfError("INVALID_SESSION_ID", "Session expired or invalid"))
		return false
	}
	return true
}

const (
	queryPath = "/services/data/v66.0/query"
	page2Path = "/services/data/v66.0/query/01gxx0000002-2000"
)

func pagingHandler(t *testing.T, page2Expired *atomic.Bool) func(*env, http.ResponseWriter, *http.Request, int) {
	return func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
		if page2Expired != nil && r.URL.Path == page2Path && page2Expired.CompareAndSwap(true, false) {
			// The session dies between pages; the refreshed token will be accepted.
			writeJSON(w, 401, sfError("INVALID_SESSION_ID", "Session expired or invalid"))
			return
		}
		if !requireBearer(e, w, r) {
			return
		}
		switch r.URL.Path {
		case queryPath:
			assert.Equal(t, "SELECT Id FROM LoginHistory WHERE LoginTime > 2024-05-01T00:00:00Z", r.URL.Query().Get("q"))
			writeJSON(w, 200, map[string]any{"totalSize": 3, "done": false, "nextRecordsUrl": page2Path,
				"records": []any{map[string]any{"Id": "a"}, map[string]any{"Id": "b"}}})
		case page2Path:
			writeJSON(w, 200, map[string]any{"totalSize": 3, "done": true, "records": []any{map[string]any{"Id": "c"}}})
		default:
			writeJSON(w, 404, sfError("NOT_FOUND", "no such resource"))
		}
	}
}

func collect(t *testing.T, e *env) []string {
	t.Helper()
	ctx := context.Background()
	res, err := e.client.Query(ctx, lhCaller, "SELECT Id FROM LoginHistory WHERE LoginTime > 2024-05-01T00:00:00Z", 0)
	require.NoError(t, err)
	var ids []string
	for {
		for i := range res.Records {
			ids = append(ids, res.Records[i].String("Id"))
		}
		if res.Done {
			break
		}
		res, err = e.client.QueryMore(ctx, lhCaller, res.NextRecordsURL, 0)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, res.TotalSize)
	return ids
}

func TestQueryPaging(t *testing.T) {
	e := newEnv(t, pagingHandler(t, nil))
	assert.Equal(t, []string{"a", "b", "c"}, collect(t, e))
	assert.Equal(t, 1, e.hitsOf(queryPath))
	assert.Equal(t, 1, e.hitsOf(page2Path))
	acq, rel, _ := e.budget.counts()
	assert.Equal(t, 2, acq)
	assert.Equal(t, 2, rel)
	assert.Equal(t, []Priority{PrioritySecurity, PrioritySecurity}, e.budget.prios, "the budget sees the caller's priority")
}

func TestUnauthorizedMidPagingRefetchesSamePage(t *testing.T) {
	var expired atomic.Bool
	expired.Store(true)
	e := newEnv(t, pagingHandler(t, &expired))
	assert.Equal(t, []string{"a", "b", "c"}, collect(t, e))
	assert.Equal(t, 1, e.hitsOf(queryPath), "the query must not restart")
	assert.Equal(t, 2, e.hitsOf(page2Path), "page 2 is fetched again")
	assert.Equal(t, 1, e.tokens.refreshes)
	acq, rel, _ := e.budget.counts()
	assert.Equal(t, acq, rel)
}

func TestSecondUnauthorizedIsAnError(t *testing.T) {
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 401, sfError("INVALID_SESSION_ID", "Session expired or invalid"))
	})
	_, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM User", 0)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.Status)
	assert.True(t, IsCode(err, CodeInvalidSession))
	assert.Equal(t, 2, e.hitsOf(queryPath))
	assert.Equal(t, 1, e.tokens.refreshes)
}

// dropMidBody writes a response promising more body than it sends, then drops the connection.
func dropMidBody(t *testing.T, w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	require.NoError(t, err)
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"totalSize\":1,\"done\":true,\"rec")
	_ = buf.Flush()
	_ = conn.Close()
}

func TestRetries(t *testing.T) {
	okBody := map[string]any{"totalSize": 1, "done": true, "records": []any{map[string]any{"Id": "x"}}}
	tests := []struct {
		name     string
		first    func(t *testing.T, w http.ResponseWriter) // first response; later ones succeed
		wantHits int
		wantErr  func(t *testing.T, err error)
		refused  []LimitKind
	}{
		{"503 SERVER_UNAVAILABLE", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 503, sfError("SERVER_UNAVAILABLE", "down for maintenance"))
		}, 2, nil, nil},
		{"500 non-JSON", func(t *testing.T, w http.ResponseWriter) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "<html>oops</html>")
		}, 2, nil, nil},
		{"400 QUERY_TIMEOUT", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 400, sfError("QUERY_TIMEOUT", "Your query request was running for too long."))
		}, 2, nil, nil},
		{"dropped mid-body", dropMidBody, 2, nil, nil},
		{"dropped before response", func(t *testing.T, w http.ResponseWriter) {
			conn, _, err := http.NewResponseController(w).Hijack()
			require.NoError(t, err)
			_ = conn.Close()
		}, 2, nil, nil},
		{"400 MALFORMED_QUERY not retried", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 400, sfError("MALFORMED_QUERY", "unexpected token: FORM"))
		}, 1, func(t *testing.T, err error) {
			assert.True(t, IsCode(err, "MALFORMED_QUERY"))
			assert.EqualError(t, err, "salesforce: 400 MALFORMED_QUERY: unexpected token: FORM")
		}, nil},
		{"404 not retried", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 404, map[string]string{"message": "gone", "errorCode": "NOT_FOUND"})
		}, 1, func(t *testing.T, err error) { assert.True(t, IsCode(err, "NOT_FOUND")) }, nil},
		{"403 REQUEST_LIMIT_EXCEEDED daily: not retried, the budget holds", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, sfError("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
		}, 1, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrLimitExceeded)
			assert.True(t, IsCode(err, CodeRequestLimitExceeded))
			assert.Equal(t, ClassLimit, Classify(err))
		}, []LimitKind{LimitDaily}},
		// Help 000389067's text: a limit on requests in flight, gone in seconds.
		{"403 REQUEST_LIMIT_EXCEEDED concurrent requests: retried", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, sfError("REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests (Concurrent API Requests) Limit exceeded."))
		}, 2, nil, []LimitKind{LimitConcurrent}},
		{"403 REQUEST_LIMIT_EXCEEDED long transactions: retried", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, sfError("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded"))
		}, 2, nil, []LimitKind{LimitConcurrent}},
		{"403 REQUEST_LIMIT_EXCEEDED unknown text: retried as short-lived", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, sfError("REQUEST_LIMIT_EXCEEDED", "Some limit Salesforce adds one day"))
		}, 2, nil, []LimitKind{LimitUnknown}},
		{"403 other not limit", func(t *testing.T, w http.ResponseWriter) {
			writeJSON(w, 403, sfError("INSUFFICIENT_ACCESS", "no"))
		}, 1, func(t *testing.T, err error) { assert.NotErrorIs(t, err, ErrLimitExceeded) }, nil},
		{"bad JSON on 200", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"totalSize": tru`)
		}, 1, func(t *testing.T, err error) {
			assert.ErrorContains(t, err, "decoding response of "+queryPath)
			assert.NotContains(t, err.Error(), "SELECT")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) {
				if hit == 1 {
					tt.first(t, w)
					return
				}
				writeJSON(w, 200, okBody)
			})
			res, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM User", 0)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Len(t, res.Records, 1)
			} else {
				require.Error(t, err)
				tt.wantErr(t, err)
			}
			assert.Equal(t, tt.wantHits, e.hitsOf(queryPath))
			acq, rel, refused := e.budget.counts()
			assert.Equal(t, acq, rel, "every acquired slot is released")
			assert.Equal(t, tt.refused, refused)
			assert.Zero(t, e.tokens.refreshes)
			for _, l := range e.logs.All() {
				assert.NotContains(t, fmt.Sprint(l.Message, l.ContextMap()), "tok-")
			}
		})
	}
}

func TestRetriesGiveUpAfterMaxTries(t *testing.T) {
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 503, sfError("SERVER_UNAVAILABLE", "down"))
	})
	e.client.retry.MaxTries = 3
	_, err := e.client.Limits(context.Background())
	assert.True(t, IsCode(err, CodeServerUnavailable))
	assert.Equal(t, 3, e.hitsOf("/services/data/v66.0/limits"))
	assert.Equal(t, 2, e.logs.FilterMessage("Salesforce request failed, retrying").Len())
}

func TestObserveSeesEveryResponse(t *testing.T) {
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) {
		if hit == 1 {
			writeJSON(w, 503, sfError("SERVER_UNAVAILABLE", "down"))
			return
		}
		writeJSON(w, 200, map[string]any{"DailyApiRequests": map[string]int64{"Max": 5000, "Remaining": 4998}})
	})
	lim, err := e.client.Limits(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(5000), lim.DailyAPIRequests.Max)
	assert.Equal(t, int64(4998), lim.DailyAPIRequests.Remaining)
	app := &AppUsage{Name: "x", Used: 3, Max: 250}
	assert.Equal(t, []LimitInfo{{Used: 1, Max: 5000, App: app}, {Used: 2, Max: 5000, App: app}}, e.budget.observed)
	assert.Equal(t, []Priority{PrioritySecurity, PrioritySecurity}, e.budget.prios)
}

// A header the client cannot read still spent a call: the budget hears
// of it, and the header is named once at WARN with its text.
func TestUnreadableLimitHeader(t *testing.T) {
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) {
		w.Header().Set("Sforce-Limit-Info", "api-usage=lots")
		writeJSON(w, 200, map[string]any{"done": true})
	})
	for range 3 {
		_, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM User", 0)
		require.NoError(t, err)
	}
	assert.Empty(t, e.budget.observed)
	assert.Equal(t, 3, e.budget.unread)
	warn := e.logs.FilterMessageSnippet("Cannot read Salesforce's Sforce-Limit-Info header").All()
	require.Len(t, warn, 1)
	assert.Equal(t, "api-usage=lots", warn[0].ContextMap()["header"])
}

// The budget's probe is a plain call: it does not ask the budget (which
// accounts for its probes itself), and both its header and its body reach
// it: the body is read whatever the header says, with the app's entry
// when the header named the app.
func TestProbeBypassesTheBudget(t *testing.T) {
	tests := []struct {
		name, header string
		want         []LimitInfo
	}{
		{"documented header", "api-usage=2/5000; per-app-api-usage=7/250(appName=otel app)", []LimitInfo{
			{Used: 2, Max: 5000, App: &AppUsage{Name: "otel app", Used: 7, Max: 250}},
			{Used: 1, Max: 5000, App: &AppUsage{Name: "otel app", Used: 10, Max: 250}},
		}},
		{"no header", "", []LimitInfo{{Used: 1, Max: 5000, AppUnknown: true}}},
		{"unreadable header", "api-usage=2-of-5000", []LimitInfo{{Used: 1, Max: 5000, AppUnknown: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) {
				w.Header().Set("Sforce-Limit-Info", tt.header)
				// /limits as Salesforce shows it: an entry per connected app.
				writeJSON(w, 200, map[string]any{"DailyApiRequests": map[string]any{
					"Max": 5000, "Remaining": 4999,
					"Ant Migration Tool": map[string]int64{"Max": 0, "Remaining": 0},
					"otel app":           map[string]int64{"Max": 250, "Remaining": 240},
				}})
			})
			require.NoError(t, e.client.Probe(context.Background()))
			acq, _, _ := e.budget.counts()
			assert.Zero(t, acq)
			assert.Equal(t, tt.want, e.budget.observed)
		})
	}
}

func TestBatchSizeHeader(t *testing.T) {
	tests := []struct {
		batch int
		want  string
	}{{0, ""}, {-5, ""}, {1, "batchSize=200"}, {200, "batchSize=200"}, {500, "batchSize=500"}, {2000, "batchSize=2000"}, {9999, "batchSize=2000"}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.batch), func(t *testing.T) {
			var got atomic.Value
			e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
				got.Store(r.Header.Get("Sforce-Query-Options"))
				writeJSON(w, 200, map[string]any{"done": true})
			})
			_, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM User", tt.batch)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Load())
			_, err = e.client.QueryMore(context.Background(), testCaller, page2Path, tt.batch)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Load())
		})
	}
}

func TestOpen(t *testing.T) {
	// Random content, so even gzipped the body is far larger than any read-ahead buffer.
	rnd := make([]byte, 64<<10)
	_, _ = rand.Read(rnd)
	csv := `"EVENT_TYPE","TIMESTAMP","ID"` + "\n" + strings.Repeat(`"API","20240501123456.789","`+hex.EncodeToString(rnd)+`"`+"\n", 2)
	const logPath = "/services/data/v66.0/sobjects/EventLogFile/0ATxx/LogFile"
	for _, gz := range []bool{true, false} {
		t.Run(fmt.Sprint("gzip=", gz), func(t *testing.T) {
			e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) {
				if !requireBearer(e, w, r) {
					return
				}
				assert.Equal(t, "gzip", r.Header.Get("Accept-Encoding"))
				if hit == 1 {
					writeJSON(w, 503, sfError("SERVER_UNAVAILABLE", "down"))
					return
				}
				w.Header().Set("Content-Type", "text/csv")
				if gz {
					var b bytes.Buffer
					zw := gzip.NewWriter(&b)
					_, _ = io.WriteString(zw, csv)
					_ = zw.Close()
					w.Header().Set("Content-Encoding", "gzip")
					_, _ = w.Write(b.Bytes())
					return
				}
				_, _ = io.WriteString(w, csv)
			})
			resp, err := e.client.Open(context.Background(), elfCaller, logPath)
			require.NoError(t, err)
			assert.Empty(t, resp.Header.Get("Content-Encoding"))
			_, rel, _ := e.budget.counts()
			assert.Equal(t, 1, rel, "the download's slot is held until its body is done")
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, csv, string(got))
			require.NoError(t, resp.Body.Close())
			acq, rel, _ := e.budget.counts()
			assert.Equal(t, 2, acq)
			assert.Equal(t, 2, rel)
			assert.Equal(t, 2, e.hitsOf(logPath))
		})
	}
}

func TestOpenRejectsForeignURLs(t *testing.T) {
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) { w.WriteHeader(200) })
	for _, p := range []string{"https://evil.example/x", "//evil.example/x", "relative"} {
		_, err := e.client.Open(context.Background(), testCaller, p)
		require.Error(t, err, p)
	}
	assert.Empty(t, e.hits)
}

func TestCancelDuringBackoff(t *testing.T) {
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 503, sfError("SERVER_UNAVAILABLE", "down"))
	})
	e.client.retry = RetryPolicy{InitialInterval: time.Minute, MaxInterval: time.Minute, MaxElapsedTime: time.Hour, MaxTries: 8}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	queryEnds(ctx, t, e, context.Canceled)
}

// queryEnds requires a query under ctx to end promptly with want, after
// one request.
func queryEnds(ctx context.Context, t *testing.T, e *env, want error) {
	t.Helper()
	start := time.Now()
	_, err := e.client.Query(ctx, testCaller, "SELECT Id FROM User", 0)
	assert.ErrorIs(t, err, want)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, 1, e.hitsOf(queryPath))
}

func TestCancelDuringRequest(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	queryEnds(ctx, t, e, context.DeadlineExceeded)
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name     string
		errs     []error
		wantErr  bool
		wantHits int
	}{
		{"transient endpoint error retried", []error{&auth.Error{Status: 503}}, false, 1},
		{"network error retried", []error{errors.New("dial tcp: connection refused")}, false, 1},
		{"bad credentials not retried", []error{&auth.Error{Status: 400, Code: "invalid_grant"}, nil}, true, 0},
		{"malformed response not retried", []error{fmt.Errorf("%w: no id", auth.ErrBadResponse), nil}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
				writeJSON(w, 200, map[string]any{"done": true})
			})
			e.tokens.tokenErrs = tt.errs
			_, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM User", 0)
			assert.Equal(t, tt.wantErr, err != nil, "%v", err)
			assert.Equal(t, tt.wantHits, e.hitsOf(queryPath))
		})
	}
}

func TestIdentity(t *testing.T) {
	e := newEnv(t, func(*env, http.ResponseWriter, *http.Request, int) {})
	org, inst, err := e.client.Identity(context.Background())
	require.NoError(t, err)
	assert.Equal(t, testOrg, org)
	assert.Equal(t, e.srv.URL, inst)
}

func TestNewValidation(t *testing.T) {
	ok := Config{HTTPClient: http.DefaultClient, Tokens: &fakeTokens{}, APIVersion: "66.0"}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"ok", func(*Config) {}, ""},
		{"no client", func(c *Config) { c.HTTPClient = nil }, "HTTP client"},
		{"no tokens", func(c *Config) { c.Tokens = nil }, "token source"},
		{"bad version", func(c *Config) { c.APIVersion = "v66" }, "API version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			_, err := New(cfg)
			if tt.want == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tt.want)
			}
		})
	}
}

// The timeout bounds a JSON call as a whole, but a download only between
// reads: a slow, steady file is not cut off.
func TestTimeouts(t *testing.T) {
	const timeout = 150 * time.Millisecond
	e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) {
		if !requireBearer(e, w, r) {
			return
		}
		flusher := w.(http.Flusher)
		switch {
		case strings.HasSuffix(r.URL.Path, "/query") && hit == 1:
			// Headers at once, then the body stalls past the timeout.
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"totalSize":1,`)
			flusher.Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case strings.HasSuffix(r.URL.Path, "/query"):
			writeJSON(w, 200, map[string]any{"totalSize": 0, "done": true, "records": []any{}})
		default: // a download trickling for 4x the timeout, never idle for long
			w.WriteHeader(200)
			for range 12 {
				_, _ = io.WriteString(w, "row\n")
				flusher.Flush()
				time.Sleep(timeout / 3)
			}
		}
	})
	e.client.timeout = timeout

	start := time.Now()
	res, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM X", 0)
	require.NoError(t, err, "the stalled attempt times out and is retried")
	assert.True(t, res.Done)
	assert.Equal(t, 2, e.hitsOf("/services/data/v66.0/query"))
	assert.Less(t, time.Since(start), 3*time.Second)

	resp, err := e.client.Open(context.Background(), elfCaller, "/services/data/v66.0/sobjects/EventLogFile/0AT/LogFile")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, strings.Repeat("row\n", 12), string(body))
}

// The bearer token goes only to an https instance URL (plain http on
// loopback alone), whatever the token response said.
func TestInstanceURLMustBeSafe(t *testing.T) {
	for _, instance := range []string{"http://acme.my.salesforce.com", "ftp://acme.my.salesforce.com", "https://user:pw@acme.my.salesforce.com", "::"} {
		e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, hit int) { t.Error("no request may be sent") })
		e.tokens.instance = instance
		_, err := e.client.Limits(context.Background())
		require.ErrorContains(t, err, "instance URL is unusable", instance)
		assert.NotContains(t, err.Error(), "pw@")
	}
}
