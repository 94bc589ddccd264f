package rest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Fault makes matching requests misbehave. Faults are kept in injection
// order; a request is given to the first pending fault whose Path matches,
// which either lets it pass (while Skip lasts) or fires. A fault is removed
// once it has fired Times times.
type Fault struct {
	// Path matches when the request path contains it. "" matches any
	// /services/data request (token requests only match a non-empty Path,
	// e.g. "oauth2/token").
	Path string
	// Query, when set, matches only queries whose SOQL contains it (e.g.
	// "FROM LoginHistory"), so a fault can hit one stream.
	Query string
	Skip  int // let this many matching requests pass first
	Times int // how many matching requests it affects (0 = 1)

	// Status replies with this status and a REST error body carrying
	// ErrorCode and Message (defaults by status, e.g. 503 SERVER_UNAVAILABLE).
	Status             int
	ErrorCode, Message string
	// ExpireSession replies 401 INVALID_SESSION_ID and invalidates every token.
	ExpireSession bool
	// Drop closes the connection without a response.
	Drop bool
	// DropAfterBytes sends the real response's headers and this many body
	// bytes, then closes the connection.
	DropAfterBytes int
	// TruncateAfterBytes serves the real response with its content (after
	// undoing any gzip) cut after this many bytes, and ends it cleanly: no
	// broken connection, no Content-Length promising more, as a proxy or a
	// server cutting a body short would. The cut body is sent uncompressed
	// unless TruncateGzip is set, which sends it gzip-compressed with a
	// clean gzip end when the real response was compressed.
	TruncateAfterBytes int
	TruncateGzip       bool
	// Delay waits before answering (ending early if the client gives up);
	// alone it just slows the real response.
	Delay time.Duration
}

// InjectFault queues a fault.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, &f)
	s.faultMu.Unlock()
}

// PendingFaults is how many injected faults have not fired completely.
func (s *Server) PendingFaults() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return len(s.faults)
}

// takeFault returns the fault to apply to a request, or nil.
func (s *Server) takeFault(r *http.Request, data bool) *Fault {
	path := r.URL.Path
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, f := range s.faults {
		if f.Path == "" && !data || !strings.Contains(path, f.Path) ||
			f.Query != "" && !strings.Contains(r.URL.Query().Get("q"), f.Query) {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			return nil
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// defaultFaultCodes are the REST error codes Salesforce sends with these
// statuses ("Status Codes and Error Responses":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
// A fault's default message ("Simulated fault: ...") is the simulator's own.
var defaultFaultCodes = map[int]string{
	http.StatusBadRequest:          "QUERY_TIMEOUT",
	http.StatusUnauthorized:        "INVALID_SESSION_ID",
	http.StatusForbidden:           "REQUEST_LIMIT_EXCEEDED",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusTooManyRequests:     "REQUEST_LIMIT_EXCEEDED",
	http.StatusInternalServerError: "UNKNOWN_EXCEPTION",
	http.StatusBadGateway:          "SERVER_UNAVAILABLE",
	http.StatusServiceUnavailable:  "SERVER_UNAVAILABLE",
	http.StatusGatewayTimeout:      "SERVER_UNAVAILABLE",
}

// sleepCtx waits d, or less if ctx ends first (the client gave up); it
// reports whether the whole wait passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// applyFault acts out f. serve produces the real response (used after a
// bare Delay and for DropAfterBytes and TruncateAfterBytes). It reports whether the request has
// been answered; false means "serve normally".
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, serve func(http.ResponseWriter)) bool {
	token := r.URL.Path == "/services/oauth2/token"
	// Token requests and the Versions listing were never charged.
	uncharged := token || r.URL.Path == "/services/data" || r.URL.Path == "/services/data/"
	if f.Delay > 0 && !sleepCtx(r.Context(), f.Delay) {
		s.refundData(uncharged)
		return true
	}
	switch {
	case f.Drop:
		s.refundData(uncharged)
		s.hangUp(w, false)
		return true
	case f.ExpireSession:
		s.ExpireSessions()
		s.refundData(uncharged)
		s.setLimitHeader(w)
		if token {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "expired access/refresh token"})
		} else {
			writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		}
		return true
	case f.DropAfterBytes > 0:
		rec := httptest.NewRecorder()
		serve(rec)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:min(f.DropAfterBytes, len(body))])
		s.hangUp(w, true)
		return true
	case f.TruncateAfterBytes > 0:
		rec := httptest.NewRecorder()
		serve(rec)
		body := rec.Body.Bytes()
		gz := strings.EqualFold(rec.Header().Get("Content-Encoding"), "gzip")
		if gz {
			if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
				body, _ = io.ReadAll(zr)
			}
		}
		body = body[:min(f.TruncateAfterBytes, len(body))]
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		if !gz || !f.TruncateGzip {
			w.Header().Del("Content-Encoding")
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
			return true
		}
		w.WriteHeader(rec.Code)
		zw := gzip.NewWriter(w)
		_, _ = zw.Write(body)
		_ = zw.Close()
		return true
	case f.Status > 0:
		code, msg := f.ErrorCode, f.Message
		if code == "" {
			code = defaultFaultCodes[f.Status]
		}
		if code == "" {
			code = "UNKNOWN_EXCEPTION"
		}
		if msg == "" {
			msg = "Simulated fault: " + code
		}
		if token {
			writeJSON(w, f.Status, map[string]string{"error": code, "error_description": msg})
			return true
		}
		s.setLimitHeader(w)
		writeErrors(w, f.Status, code, msg)
		return true
	}
	return false
}

// hangUp closes the client connection without finishing the response;
// flush first pushes out what was written so far (a truncated body).
func (s *Server) hangUp(w http.ResponseWriter, flush bool) {
	s.count(func(c *CallStats) { c.Dropped++ })
	rc := http.NewResponseController(w)
	if flush {
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 and recorders cannot hijack; aborting closes the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
