package sfapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

func TestAPIVersionCheck(t *testing.T) {
	tests := []struct {
		name     string
		versions func(w http.ResponseWriter)
		wantErr  string
		queries  int // reaching the query resource, of two calls
	}{
		{name: "served", versions: serveVersions("64.0", "65.0", "66.0"), queries: 2},
		{name: "newer than the org serves", versions: serveVersions("58.0", "59.0", "60.0"),
			wantErr: `api_version 66.0 is newer than this org serves; the newest it serves is 60.0: set api_version to "60.0"`},
		{name: "numeric order, not text", versions: serveVersions("9.0", "10.0", "62.0"),
			wantErr: "the newest it serves is 62.0"},
		{name: "listing refused: calls go ahead", versions: func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) }, queries: 2},
		{name: "listing not JSON: calls go ahead", versions: func(w http.ResponseWriter) { fmt.Fprint(w, "<html>") }, queries: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(e *env, w http.ResponseWriter, r *http.Request, _ int) {
				writeJSON(w, 200, map[string]any{"totalSize": 0, "done": true, "records": []any{}})
			})
			e.versions = tc.versions
			for range 2 {
				_, err := e.client.Query(context.Background(), testCaller, "SELECT Id FROM User", 0)
				if tc.wantErr == "" {
					require.NoError(t, err)
					continue
				}
				require.ErrorContains(t, err, tc.wantErr)
				assert.Equal(t, ClassQuery, Classify(err))
				assert.ErrorContains(t, e.client.CheckAPIVersion(context.Background()), tc.wantErr)
			}
			assert.Equal(t, tc.queries, e.hitsOf(queryPath))
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{nil, ClassNone},
		{errors.New("connection reset"), ClassTransient},
		{&APIError{Status: 503, Code: CodeServerUnavailable}, ClassTransient},
		{&APIError{Status: 400, Code: CodeQueryTimeout}, ClassTransient},
		{&APIError{Status: 400, Code: CodeInvalidQueryLocator}, ClassTransient},
		{&APIError{Status: 429}, ClassTransient},
		{fmt.Errorf("poll: %w", &APIError{Status: 400, Code: CodeInvalidField}), ClassQuery},
		{&APIError{Status: 400, Code: CodeInvalidType}, ClassQuery},
		{&APIError{Status: 403, Code: CodeInsufficientAccess}, ClassQuery},
		{&APIError{Status: 400, Code: CodeMalformedQuery}, ClassQuery},
		{&APIError{Status: 404, Code: CodeNotFound}, ClassQuery},
		{&APIError{Status: 403, Code: CodeRequestLimitExceeded, Message: "TotalRequests Limit exceeded."}, ClassLimit},
		{&APIError{Status: 403, Code: CodeRequestLimitExceeded, Message: "ConcurrentRequests (Concurrent API Requests) Limit exceeded."}, ClassTransient},
		{&APIError{Status: 403, Code: CodeRequestLimitExceeded, Message: "ConcurrentPerOrgLongTxn Limit exceeded"}, ClassTransient},
		{&APIError{Status: 403, Code: CodeRequestLimitExceeded}, ClassTransient}, // a text we do not know
		{&APIError{Status: 401, Code: CodeInvalidSession}, ClassAuth},
		{&auth.Error{Status: 400, Code: "invalid_grant"}, ClassAuth},
		{&auth.Error{Status: 503}, ClassTransient},
		{&VersionError{Configured: "66.0", Newest: "60.0"}, ClassQuery},
		{fmt.Errorf("x: %w", ErrNotReadable), ClassQuery},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Classify(tc.err), "%v", tc.err)
	}
}
