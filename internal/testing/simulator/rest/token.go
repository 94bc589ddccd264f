package rest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	grantPassword          = "password"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
	grantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"

	// Salesforce rejects JWT assertions whose exp is more than ~3 minutes out.
	maxAssertionLifetime = 3*time.Minute + 30*time.Second
)

// The token endpoint's OAuth 2.0 flows: username-password
// (https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_username_password_flow.htm&type=5),
// refresh token (https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_refresh_token_flow.htm&type=5),
// client credentials (https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_client_credentials_flow.htm&type=5)
// and JWT bearer (https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_jwt_flow.htm&type=5:
// the assertion's exp must be within three minutes). Refusals use the
// standard OAuth error body {"error", "error_description"} ("OAuth 2.0
// Authorization Errors":
// https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_flow_errors.htm&type=5).
// The descriptions are those real orgs send ("authentication failure",
// "invalid client credentials", "expired access/refresh token", "invalid
// assertion", ...); "must use HTTP POST" and "malformed form body" are the
// simulator's own.

type oauthError struct {
	code, desc string
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "must use HTTP POST"})
		return
	}
	if oe := s.refusal(); oe != nil { // RefuseTokens
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": oe.code, "error_description": oe.desc})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed form body"})
		return
	}
	if oe := s.checkGrant(r); oe != nil { // password and jwt_bearer grants are recorded (logins.go)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": oe.code, "error_description": oe.desc})
		return
	}
	tok := s.IssueToken()
	base := s.baseURL(r)
	id := base + "/id/" + s.cfg.OrgID + "/" + s.cfg.UserID
	issued := strconv.FormatInt(s.cfg.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(s.cfg.ClientSecret))
	mac.Write([]byte(id + issued))
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": tok,
		"instance_url": base,
		"id":           id,
		"token_type":   "Bearer",
		"issued_at":    issued,
		"signature":    base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		"scope":        "api",
	})
}

// checkGrant validates the credentials of one token request.
func (s *Server) checkGrant(r *http.Request) *oauthError {
	o := s.cfg
	f := r.PostForm
	badClient := &oauthError{"invalid_client", "invalid client credentials"}
	switch f.Get("grant_type") {
	case grantPassword:
		if f.Get("client_id") != o.ClientID || f.Get("client_secret") != o.ClientSecret {
			return badClient
		}
		return s.passwordLogin(r, f.Get("username"), f.Get("password"))
	case grantClientCredentials:
		if f.Get("client_id") != o.ClientID || f.Get("client_secret") != o.ClientSecret {
			return badClient
		}
	case grantRefreshToken:
		// The secret is optional for refresh (PKCE/public clients), but must
		// be right when sent.
		if f.Get("client_id") != o.ClientID || (f.Has("client_secret") && f.Get("client_secret") != o.ClientSecret) {
			return badClient
		}
		if f.Get("refresh_token") != o.RefreshToken {
			return &oauthError{"invalid_grant", "expired access/refresh token"}
		}
	case grantJWTBearer:
		return s.jwtLogin(r, f.Get("assertion"))
	default:
		return &oauthError{"unsupported_grant_type", "grant type not supported"}
	}
	return nil
}

func (s *Server) checkAssertion(assertion string) *oauthError {
	o := s.cfg
	invalid := &oauthError{"invalid_grant", "invalid assertion"}
	if o.JWTPublicKey == nil || assertion == "" {
		return invalid
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(assertion, claims,
		func(*jwt.Token) (any, error) { return o.JWTPublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(o.Now),
		jwt.WithExpirationRequired(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return &oauthError{"invalid_grant", "expired authorization code"}
	case err != nil:
		return invalid
	case claims.Issuer != o.ClientID:
		return &oauthError{"invalid_client_id", "client identifier invalid"}
	case claims.Subject != o.Username:
		return &oauthError{"invalid_grant", "user hasn't approved this consumer"}
	case !slices.Contains(claims.Audience, o.Audience):
		return &oauthError{"invalid_grant", "audience is invalid"}
	case claims.ExpiresAt.Sub(o.Now()) > maxAssertionLifetime:
		return &oauthError{"invalid_grant", "invalid assertion expiration"}
	}
	return nil
}

// IssueToken mints an opaque session id shaped like Salesforce's
// (<org id 15>!<secret>), as a successful token request does.
func (s *Server) IssueToken() string {
	tok := s.cfg.OrgID[:min(15, len(s.cfg.OrgID))] + "!AR" + rand.Text()
	s.authMu.Lock()
	s.tokens[tok] = struct{}{}
	s.authMu.Unlock()
	return tok
}

// ValidToken reports whether tok is an access token the org issued and
// still honors.
func (s *Server) ValidToken(tok string) bool {
	if tok == "" {
		return false
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	_, ok := s.tokens[tok]
	return ok
}

// ExpireSessions invalidates every access token issued so far, as a session
// timeout or an admin revoking sessions would.
func (s *Server) ExpireSessions() {
	s.authMu.Lock()
	clear(s.tokens)
	s.authMu.Unlock()
	if s.cfg.SessionsExpired != nil {
		s.cfg.SessionsExpired() // the Pub/Sub API ends its streams
	}
}

// bearer returns the session id of "Bearer x" (or the older "OAuth x").
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "OAuth "} {
		if len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) {
			return strings.TrimSpace(h[len(scheme):])
		}
	}
	return ""
}

// handleIdentity serves the identity URL of token responses ("Identity
// URLs": https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_openid.htm&type=5).
// The 403 "Bad_OAuth_Token" and 404 bodies are what real orgs send; the
// page gives no error texts.
func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[1] != s.cfg.OrgID || parts[2] != s.cfg.UserID {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not Found"})
		return
	}
	if !s.ValidToken(bearer(r)) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "Bad_OAuth_Token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":              s.baseURL(r) + r.URL.Path,
		"organization_id": s.cfg.OrgID,
		"user_id":         s.cfg.UserID,
		"username":        s.cfg.Username,
		"active":          true,
	})
}
