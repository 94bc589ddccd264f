// Package rest is the simulated org's REST API and OAuth token endpoint,
// as the REST API Developer Guide documents them
// (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/):
// the Query resource with query locators (query.go; the SOQL itself is
// simulator/soql's), sObject describe, describe global and retrieve
// (describe.go, query.go), the limits resource, the Limit Info header and
// the org's API allowance (limits.go), the Versions resource (versions.go),
// Event Monitoring log file downloads (logfiles.go), the token endpoint's
// OAuth flows, sessions and the identity URL (token.go) with the login
// history and lockouts they leave (logins.go), and injected faults
// (faults.go). It serves the data of simulator/org.
package rest

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/soql"
)

// Config is what the REST API depends on; simulator.Options documents each
// field it shares. Nothing here is defaulted.
type Config struct {
	OrgID, UserID string
	APIVersion    string // the newest version the org serves
	DailyLimit    int64
	NoLimitHeader bool
	AppQuota      int64
	AppName       string

	// Credentials the token endpoint accepts.
	ClientID, ClientSecret, Username, Password, SecurityToken, RefreshToken string
	JWTPublicKey                                                            *rsa.PublicKey
	Audience                                                                string

	Now                    func() time.Time
	DeniedObjects          []string
	OwnRowsOnly            []string
	LockoutAfter           int
	PasswordFlowBlocked    bool
	NoLoginHistory         bool
	DownloadBytesPerSecond int64

	// URL is the org's base URL ("" for a bare handler: the request's host
	// stands in).
	URL func() string
	// SessionsExpired is called after ExpireSessions (or a fault) has
	// invalidated every access token.
	SessionsExpired func()
}

// Server is the org's REST API; it is an http.Handler safe for concurrent
// use.
type Server struct {
	cfg Config
	org *org.Org

	locMu    sync.Mutex // guards locators
	locators map[string]*locator
	locSeq   uint64

	authMu sync.Mutex
	tokens map[string]struct{}

	faultMu sync.Mutex
	faults  []*Fault

	loginMu sync.Mutex
	login   loginState // logins.go

	downloadRate atomic.Int64 // bytes/s per LogFile download, 0: unpaced

	statsMu   sync.Mutex
	used      int64
	appUsed   int64
	calls     CallStats
	chargeLog []ChargedCall
	queries   []string // query.go
}

// New makes the REST API of an org.
func New(cfg Config, o *org.Org) *Server {
	s := &Server{cfg: cfg, org: o, locators: map[string]*locator{}, tokens: map[string]struct{}{}}
	s.downloadRate.Store(cfg.DownloadBytesPerSecond)
	return s
}

// baseURL falls back to the request's host when used as a bare handler.
func (s *Server) baseURL(r *http.Request) string {
	if u := s.cfg.URL(); u != "" {
		return u
	}
	return "http://" + r.Host
}

// ---- HTTP ----

var dataPathRe = regexp.MustCompile(`^/services/data/v(\d+\.\d)(/.*)?$`)

// statusWriter remembers the status for Calls; Unwrap keeps Hijack/Flush
// reachable through http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.countStatus(sw.status) }()
	path := r.URL.Path
	switch {
	case path == "/services/oauth2/token":
		s.count(func(c *CallStats) { c.Token++ })
		serve := func(w http.ResponseWriter) { s.handleToken(w, r) }
		if f := s.takeFault(r, false); f != nil && s.applyFault(sw, r, f, serve) {
			return
		}
		serve(sw)
	case path == "/services/data" || path == "/services/data/":
		// The Versions resource needs no session and is not an API call.
		s.count(func(c *CallStats) { c.Versions++ })
		serve := func(w http.ResponseWriter) { s.handleVersions(w, r) }
		if f := s.takeFault(r, false); f != nil && s.applyFault(sw, r, f, serve) {
			return
		}
		serve(sw)
	case strings.HasPrefix(path, "/id/"):
		s.handleIdentity(sw, r)
	case path == "/services/data" || strings.HasPrefix(path, "/services/data/"):
		s.handleData(sw, r)
	default:
		writeJSON(sw, http.StatusNotFound, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
	}
}

func (s *Server) handleData(w http.ResponseWriter, r *http.Request) {
	m := dataPathRe.FindStringSubmatch(r.URL.Path)
	ver, rest := "", ""
	if m != nil {
		ver, rest = m[1], strings.TrimSuffix(m[2], "/")
	}
	s.count(func(c *CallStats) {
		c.Total++
		switch {
		case rest == "/limits":
			c.Limits++
		case rest == "/query" || rest == "/queryAll":
			c.Query++
		case strings.HasPrefix(rest, "/query/") || strings.HasPrefix(rest, "/queryAll/"):
			c.QueryMore++
		default:
			c.Other++
		}
	})
	if !s.ValidToken(bearer(r)) {
		s.setLimitHeader(w)
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if ver != "" && !s.servesVersion(ver) {
		// Not charged: the org has no such resource.
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if refusal := s.charge(r.URL.Path); refusal != "" {
		s.setLimitHeader(w)
		writeErrors(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", refusal)
		return
	}
	serve := func(w http.ResponseWriter) {
		s.setLimitHeader(w)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,HEAD")
			return
		}
		s.route(w, r, ver, rest)
	}
	if f := s.takeFault(r, true); f != nil && s.applyFault(w, r, f, serve) {
		return
	}
	serve(w)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, ver, rest string) {
	switch {
	case ver == "":
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	case rest == "/limits":
		s.handleLimits(w)
	case rest == "/query" || rest == "/queryAll":
		s.handleQuery(w, r, ver)
	case strings.HasPrefix(rest, "/query/") || strings.HasPrefix(rest, "/queryAll/"):
		s.handleQueryMore(w, ver, rest[strings.LastIndexByte(rest, '/')+1:])
	case rest == "/sobjects":
		s.handleDescribeGlobal(w, ver)
	case strings.HasPrefix(rest, "/sobjects/") && strings.HasSuffix(rest, "/describe") && strings.Count(rest, "/") == 3:
		s.handleDescribe(w, ver, strings.Split(rest, "/")[2])
	case isLogFilePath(rest): // logfiles.go
		s.handleLogFile(w, r, rest)
	case strings.HasPrefix(rest, "/sobjects/"):
		s.handleSObject(w, ver, strings.Split(strings.TrimPrefix(rest, "/sobjects/"), "/"))
	default:
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	buf.Write(marshal(s))
}

// marshal is json.Marshal without HTML escaping: Salesforce sends < and >
// as they are (e.g. in "<EOF>" of query errors).
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ---- responses ----

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, marshal(v))
}

// writeErrors writes the REST API's error shape: [{"message","errorCode"}]
// (REST API Developer Guide, "Status Codes and Error Responses":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
// The error codes are Salesforce's (the SOAP API's ExceptionCode list:
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm);
// the docs give no message texts: "Session expired or invalid", "The
// requested resource does not exist", "invalid query locator" and
// "HTTP Method 'X' not allowed. Allowed are GET,HEAD" are the texts real
// orgs send, and where a handler says so, the text is the simulator's own.
func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []map[string]string{{"message": msg, "errorCode": code}})
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *soql.Error
	if errors.As(err, &ae) {
		writeErrors(w, ae.Status, ae.Code, ae.Message)
		return
	}
	writeErrors(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
}
