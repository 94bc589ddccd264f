package simulator

import (
	"fmt"
	"net/http"
)

// CallStats counts the requests the server has seen.
type CallStats struct {
	Total int64 // /services/data requests, whatever their outcome
	// By kind. Token and Versions (GET /services/data/) requests are not
	// part of Total (they are not API calls).
	Token, Versions, Query, QueryMore, Limits, Other int64
	// Responses served with these statuses, on any path.
	Unauthorized, Forbidden, ServerErrors int64
	Dropped                               int64 // connections cut by Drop/DropAfterBytes faults
}

// Calls returns the counters so far.
func (s *Server) Calls() CallStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.calls
}

func (s *Server) count(f func(*CallStats)) {
	s.statsMu.Lock()
	f(&s.calls)
	s.statsMu.Unlock()
}

func (s *Server) countStatus(status int) {
	s.count(func(c *CallStats) {
		switch {
		case status == http.StatusUnauthorized:
			c.Unauthorized++
		case status == http.StatusForbidden:
			c.Forbidden++
		case status >= 500:
			c.ServerErrors++
		}
	})
}

// ChargedCall is one request that spent a call of the allowance.
type ChargedCall struct {
	Path            string
	RemainingBefore int64 // calls left in the allowance when it arrived
}

// ChargeLog lists every charged call in arrival order, so tests can check
// what a client spent and when.
func (s *Server) ChargeLog() []ChargedCall {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return append([]ChargedCall(nil), s.chargeLog...)
}

// charge spends one call of the daily allowance; false when it is used up
// (Salesforce does not count the rejected call).
func (s *Server) charge(path string) bool {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.used >= s.opts.DailyLimit {
		return false
	}
	s.chargeLog = append(s.chargeLog, ChargedCall{Path: path, RemainingBefore: s.opts.DailyLimit - s.used})
	s.used++
	return true
}

// refundData gives back the call of a data request a fault answered as if
// it never reached the API (dropped, or rejected as unauthenticated).
func (s *Server) refundData(token bool) {
	if token {
		return
	}
	s.statsMu.Lock()
	s.used = max(s.used-1, 0)
	s.statsMu.Unlock()
}

// SetUsage sets the calls used today, as if other applications spent them.
func (s *Server) SetUsage(used int64) {
	s.statsMu.Lock()
	s.used = max(used, 0)
	s.statsMu.Unlock()
}

// AddUsage spends n more calls of the allowance.
func (s *Server) AddUsage(n int64) {
	s.statsMu.Lock()
	s.used = max(s.used+n, 0)
	s.statsMu.Unlock()
}

// Usage returns the calls used and the daily maximum.
func (s *Server) Usage() (used, limit int64) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.used, s.opts.DailyLimit
}

func (s *Server) setLimitHeader(w http.ResponseWriter) {
	used, limit := s.Usage()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, limit))
}

type limitValue struct {
	Max       int64 `json:"Max"`
	Remaining int64 `json:"Remaining"`
}

func (s *Server) handleLimits(w http.ResponseWriter) {
	used, limit := s.Usage()
	writeJSON(w, http.StatusOK, map[string]limitValue{
		"DailyApiRequests":                  {limit, max(limit-used, 0)},
		"ConcurrentAsyncGetReportInstances": {200, 200},
		"ConcurrentSyncReportRuns":          {20, 20},
		"DailyAsyncApexExecutions":          {250000, 250000},
		"DailyBulkApiBatches":               {15000, 15000},
		"DataStorageMB":                     {1024, 1000},
		"FileStorageMB":                     {1024, 1010},
		"HourlyPublishedPlatformEvents":     {250000, 250000},
	})
}
