package rest

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
	// AppRemainingBefore: calls left of the app's quota (Config.AppQuota).
	AppRemainingBefore int64
}

// ChargeLog lists every charged call in arrival order, so tests can check
// what a client spent and when.
func (s *Server) ChargeLog() []ChargedCall {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return append([]ChargedCall(nil), s.chargeLog...)
}

// The texts of 403 REQUEST_LIMIT_EXCEEDED. Salesforce uses the one code
// for its daily allowance and its concurrency limits and tells them apart
// in the message (REST API Developer Guide, "Status Codes and Error
// Responses": https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm;
// help 000389067: https://help.salesforce.com/s/articleView?id=000389067&type=1).
// Use the concurrency texts with Fault{Status: 403, Message: ...}.
const (
	MessageTotalRequests      = "TotalRequests Limit exceeded."
	MessageConcurrentRequests = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
	MessageConcurrentLongTxn  = "ConcurrentPerOrgLongTxn Limit exceeded"
	// MessageAppQuota refuses a call past the connected app's quota.
	// Salesforce documents no text for it (the app quotas were a pilot);
	// this one is the simulator's own, so nothing may depend on it.
	MessageAppQuota = "sfsim: the connected app's API quota is spent"
)

// charge spends one call of the daily allowance (and of the app's quota,
// when the org sets one); it returns the refusal's message when either is
// used up (Salesforce does not count the refused call).
func (s *Server) charge(path string) (refusal string) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.used >= s.cfg.DailyLimit {
		return MessageTotalRequests
	}
	if q := s.cfg.AppQuota; q > 0 && s.appUsed >= q {
		return MessageAppQuota
	}
	s.chargeLog = append(s.chargeLog, ChargedCall{Path: path, RemainingBefore: s.cfg.DailyLimit - s.used,
		AppRemainingBefore: s.cfg.AppQuota - s.appUsed})
	s.used++
	s.appUsed++
	return ""
}

// refundData gives back the call of a data request a fault answered as if
// it never reached the API (dropped, or rejected as unauthenticated).
func (s *Server) refundData(token bool) {
	if token {
		return
	}
	s.statsMu.Lock()
	s.used = max(s.used-1, 0)
	s.appUsed = max(s.appUsed-1, 0)
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
	return s.used, s.cfg.DailyLimit
}

// SetAppUsage sets the calls the connected app has used of its quota
// (Config.AppQuota).
func (s *Server) SetAppUsage(used int64) {
	s.statsMu.Lock()
	s.appUsed = max(used, 0)
	s.statsMu.Unlock()
}

// AppUsage returns the app's calls used and its quota (0: none).
func (s *Server) AppUsage() (used, quota int64) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.appUsed, s.cfg.AppQuota
}

// setLimitHeader writes Sforce-Limit-Info as Salesforce documents it
// (REST API Developer Guide, "Limit Info Header":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm;
// the per-app part from its older versions, e.g.
// https://developer.salesforce.com/docs/atlas.en-us.214.0.api_rest.meta/api_rest/headers_api_usage.htm):
// "api-usage=U/M", and "; per-app-api-usage=u/q(appName=NAME)" while the
// org sets the app a quota.
func (s *Server) setLimitHeader(w http.ResponseWriter) {
	if s.cfg.NoLimitHeader {
		return
	}
	used, limit := s.Usage()
	h := fmt.Sprintf("api-usage=%d/%d", used, limit)
	if appUsed, quota := s.AppUsage(); quota > 0 {
		h += fmt.Sprintf("; per-app-api-usage=%d/%d(appName=%s)", appUsed, quota, s.cfg.AppName)
	}
	w.Header().Set("Sforce-Limit-Info", h)
}

type limitValue struct {
	Max       int64 `json:"Max"`
	Remaining int64 `json:"Remaining"`
}

// handleLimits answers /limits (REST API Developer Guide, "List Org
// Limits": https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_limits.htm).
// DailyApiRequests carries, beside Max and Remaining, one entry per
// connected app (Max 0: no quota): the guide's example leaves them out,
// recorded answers of real orgs have them (influxdata/telegraf,
// plugins/inputs/salesforce/salesforce_test.go).
func (s *Server) handleLimits(w http.ResponseWriter) {
	used, limit := s.Usage()
	appUsed, quota := s.AppUsage()
	daily := map[string]any{
		"Max": limit, "Remaining": max(limit-used, 0),
		"Ant Migration Tool":           limitValue{0, 0},
		"Dataloader Bulk":              limitValue{0, 0},
		"Salesforce Mobile Dashboards": limitValue{0, 0},
	}
	if quota > 0 {
		daily[s.cfg.AppName] = limitValue{quota, max(quota-appUsed, 0)}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"DailyApiRequests":                  daily,
		"ConcurrentAsyncGetReportInstances": limitValue{200, 200},
		"ConcurrentSyncReportRuns":          limitValue{20, 20},
		"DailyAsyncApexExecutions":          limitValue{250000, 250000},
		"DailyBulkApiBatches":               limitValue{15000, 15000},
		"DataStorageMB":                     limitValue{1024, 1000},
		"FileStorageMB":                     limitValue{1024, 1010},
		"HourlyPublishedPlatformEvents":     limitValue{250000, 250000},
	})
}
