package rest

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// loginState is the token endpoint's memory of logins; Server.loginMu
// guards it.
type loginState struct {
	consecutive int  // failed password logins of the integration user in a row
	locked      bool // the integration user is locked out
	failed      int  // failed token requests naming a user

	refuseUntil      time.Time // RefuseTokens: refuse every token request until then
	refuseCode, desc string
}

// RefuseTokens makes every token request answer 400 with OAuth error code
// and description (e.g. "invalid_client_id", as Salesforce answers while a
// new connected app propagates, or "invalid_grant"), whatever its
// credentials, for d by the server's clock; then the endpoint is normal
// again. An empty description takes a default for the code. Refused
// requests are answered before any user is authenticated: they add no
// LoginHistory row and count neither as failed logins nor toward a
// lockout. d <= 0 ends a refusal.
func (s *Server) RefuseTokens(code, description string, d time.Duration) {
	if description == "" {
		description = map[string]string{
			"invalid_client_id": "client identifier invalid",
			"invalid_client":    "invalid client credentials",
		}[code]
		if description == "" {
			description = "authentication failure"
		}
	}
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	s.login.refuseCode, s.login.desc = code, description
	s.login.refuseUntil = time.Time{}
	if d > 0 {
		s.login.refuseUntil = s.cfg.Now().Add(d)
	}
}

// refusal returns the error of a refused token request, or nil.
func (s *Server) refusal() *oauthError {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	if s.login.refuseUntil.IsZero() || !s.cfg.Now().Before(s.login.refuseUntil) {
		return nil
	}
	return &oauthError{s.login.refuseCode, s.login.desc}
}

// Locked reports whether the integration user is locked out (see
// Config.LockoutAfter).
func (s *Server) Locked() bool {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	return s.login.locked
}

// Unlock unlocks the integration user, as an admin would, and resets its
// count of consecutive failed logins.
func (s *Server) Unlock() {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	s.login.locked, s.login.consecutive = false, 0
}

// FailedLogins is how many token requests naming a user (password and
// jwt_bearer grants) have failed, locked-out attempts included. Requests
// rejected for their client credentials, before any user is looked at,
// and refused ones (RefuseTokens) are not counted.
func (s *Server) FailedLogins() int {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	return s.login.failed
}

// passwordLogin authenticates a password grant whose client is valid,
// keeping the lockout state, and records it.
func (s *Server) passwordLogin(r *http.Request, username, password string) *oauthError {
	o := s.cfg
	status := org.LoginSuccess
	s.loginMu.Lock()
	switch {
	case o.PasswordFlowBlocked:
		status = org.LoginFlowBlocked // the password is never looked at
	case username != o.Username:
		// Another user of the org, or nobody: no password of theirs works here.
		status = org.LoginInvalidPassword
	case s.login.locked:
		status = org.LoginLockout
	case password != o.Password+o.SecurityToken:
		status = org.LoginInvalidPassword
		if password == o.Password {
			status = org.LoginTokenRequired
		}
		s.login.consecutive++
		if o.LockoutAfter > 0 && s.login.consecutive >= o.LockoutAfter {
			s.login.locked = true
		}
	default:
		s.login.consecutive = 0
	}
	if status != org.LoginSuccess {
		s.login.failed++
	}
	s.loginMu.Unlock()
	s.recordLogin(r, username, status, "OAuth Username-Password Flow")
	if status != org.LoginSuccess {
		return &oauthError{"invalid_grant", "authentication failure"}
	}
	return nil
}

// jwtLogin checks a jwt_bearer assertion and records the attempt against
// the user its sub names (an assertion too broken to name one records
// nothing, as does one whose issuer is not the connected app).
func (s *Server) jwtLogin(r *http.Request, assertion string) *oauthError {
	oe := s.checkAssertion(assertion)
	claims := &jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(assertion, claims); err != nil || claims.Subject == "" {
		return oe
	}
	if oe != nil && oe.code == "invalid_client_id" {
		return oe // the client is wrong: no user was authenticated
	}
	status := org.LoginSuccess
	if oe != nil {
		switch oe.desc {
		case "expired authorization code", "invalid assertion expiration":
			status = org.LoginInvalidTimestamp
		case "audience is invalid":
			status = org.LoginInvalidAudience
		case "user hasn't approved this consumer":
			status = org.LoginNotApproved
		default:
			status = org.LoginInvalidSignature
		}
	}
	s.loginMu.Lock()
	if oe != nil {
		s.login.failed++
	} else if claims.Subject == s.cfg.Username && !s.login.locked {
		s.login.consecutive = 0
	}
	s.loginMu.Unlock()
	s.recordLogin(r, claims.Subject, status, "OAuth JWT Bearer Flow")
	return oe
}

// recordLogin adds the LoginHistory row of a token request for the user
// named username, at Now (nothing for a name no user of the org has).
func (s *Server) recordLogin(r *http.Request, username, status, subType string) {
	if s.cfg.NoLoginHistory {
		return
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	var forwarded any
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		forwarded = strings.TrimSpace(strings.Split(xff, ",")[0])
	}
	rec := map[string]any{
		"LoginTime":      s.cfg.Now(),
		"LoginType":      "Remote Access 2.0",
		"LoginSubType":   subType,
		"SourceIp":       ip,
		"ForwardedForIp": forwarded,
		"LoginUrl":       r.Host,
		"Browser":        "Unknown",
		"Platform":       "Unknown",
		"Status":         status,
		"Application":    "sfsim-collector",
		"ClientVersion":  "N/A",
		"ApiType":        "N/A",
		"ApiVersion":     "N/A",
		"OptionsIsGet":   r.Method == http.MethodGet,
		"OptionsIsPost":  r.Method == http.MethodPost,
	}
	if r.TLS != nil {
		rec["TlsProtocol"] = map[uint16]string{0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}[r.TLS.Version]
	}
	s.org.Locked(func(tx org.Tx) {
		for _, u := range tx.Rows("User") {
			if name, _ := u.Fields["Username"].(string); strings.EqualFold(name, username) {
				rec["UserId"] = u.ID
				tx.MustInsert("LoginHistory", rec)
				return
			}
		}
	})
}
