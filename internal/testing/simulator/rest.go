package simulator

import (
	"net/http"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/rest"
)

// The REST API and the token endpoint: simulator/rest serves and documents
// them.

// Fault makes matching requests misbehave (rest.Fault).
type Fault = rest.Fault

// CallStats counts the requests the server has seen (rest.CallStats).
type CallStats = rest.CallStats

// ChargedCall is one request that spent a call of the allowance
// (rest.ChargedCall).
type ChargedCall = rest.ChargedCall

// The texts of 403 REQUEST_LIMIT_EXCEEDED (rest.Message*).
const (
	MessageTotalRequests      = rest.MessageTotalRequests
	MessageConcurrentRequests = rest.MessageConcurrentRequests
	MessageConcurrentLongTxn  = rest.MessageConcurrentLongTxn
	MessageAppQuota           = rest.MessageAppQuota
)

// FormatDateTime renders a time the way the REST API does.
func FormatDateTime(t time.Time) string { return rest.FormatDateTime(t) }

// ServeHTTP implements http.Handler: the REST API and the token endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.rest.ServeHTTP(w, r) }

// Calls returns the counters of requests so far.
func (s *Server) Calls() CallStats { return s.rest.Calls() }

// Queries lists the SOQL text of every query request so far (rest.Server.Queries).
func (s *Server) Queries() []string { return s.rest.Queries() }

// ChargeLog lists every charged call in arrival order.
func (s *Server) ChargeLog() []ChargedCall { return s.rest.ChargeLog() }

// SetUsage sets the calls used today, as if other applications spent them.
func (s *Server) SetUsage(used int64) { s.rest.SetUsage(used) }

// AddUsage spends n more calls of the allowance.
func (s *Server) AddUsage(n int64) { s.rest.AddUsage(n) }

// Usage returns the calls used and the daily maximum.
func (s *Server) Usage() (used, limit int64) { return s.rest.Usage() }

// SetAppUsage sets the calls the connected app has used of its quota
// (Options.AppQuota).
func (s *Server) SetAppUsage(used int64) { s.rest.SetAppUsage(used) }

// AppUsage returns the app's calls used and its quota (0: none).
func (s *Server) AppUsage() (used, quota int64) { return s.rest.AppUsage() }

// InjectFault queues a fault (rest.Fault says how faults match and fire).
func (s *Server) InjectFault(f Fault) { s.rest.InjectFault(f) }

// PendingFaults is how many injected faults have not fired completely.
func (s *Server) PendingFaults() int { return s.rest.PendingFaults() }

// RefuseTokens makes every token request answer 400 with OAuth error code
// and description for d by the server's clock (rest.Server.RefuseTokens).
func (s *Server) RefuseTokens(code, description string, d time.Duration) {
	s.rest.RefuseTokens(code, description, d)
}

// Locked reports whether the integration user is locked out (see
// Options.LockoutAfter).
func (s *Server) Locked() bool { return s.rest.Locked() }

// Unlock unlocks the integration user, as an admin would, and resets its
// count of consecutive failed logins.
func (s *Server) Unlock() { s.rest.Unlock() }

// FailedLogins is how many token requests naming a user have failed
// (rest.Server.FailedLogins).
func (s *Server) FailedLogins() int { return s.rest.FailedLogins() }

// ExpireSessions invalidates every access token issued so far, as a session
// timeout or an admin revoking sessions would; open Subscribe streams end.
func (s *Server) ExpireSessions() { s.rest.ExpireSessions() }

// ExpireLocators invalidates every open query locator, as when Salesforce
// drops idle cursors.
func (s *Server) ExpireLocators() { s.rest.ExpireLocators() }

// SetDownloadRate caps how fast each LogFile download from now on is served,
// in bytes per second on the wire (after gzip); 0 lifts the cap.
func (s *Server) SetDownloadRate(bytesPerSecond int64) { s.rest.SetDownloadRate(bytesPerSecond) }
