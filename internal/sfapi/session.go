package sfapi

import (
	"context"
	"fmt"

	"github.com/sfevents/salesforcereceiver/internal/auth"
)

// Session is the current access token and the org it is for: what a
// non-REST API (the Pub/Sub API's gRPC metadata) needs. Its String never
// shows the token.
type Session struct {
	AccessToken string
	InstanceURL string
	OrgID       string
	UserID      string // the integration user the token acts as

	tok *auth.Token // the token it came from, for Refresh
}

// String never shows the access token.
func (s Session) String() string {
	return fmt.Sprintf("sfapi.Session{AccessToken: [redacted], InstanceURL: %q, OrgID: %q, UserID: %q}", s.InstanceURL, s.OrgID, s.UserID)
}

// GoString keeps %#v from printing the access token too.
func (s Session) GoString() string { return s.String() }

// Session returns the current token of the client's shared token source,
// signing in if there is none, with the client's retries.
func (c *Client) Session(ctx context.Context) (Session, error) {
	tok, err := withRetries(ctx, c, "token", func() (*auth.Token, error) {
		t, err := c.tokens.Token(ctx)
		return t, classifyTokenErr(ctx, err)
	})
	if err != nil {
		return Session{}, err
	}
	return sessionOf(tok), nil
}

// RefreshSession replaces stale, a session another API refused, with a
// new token. Callers holding the same stale session share one sign-in;
// a token that already differs from stale is returned as is.
func (c *Client) RefreshSession(ctx context.Context, stale Session) (Session, error) {
	tok, err := withRetries(ctx, c, "token", func() (*auth.Token, error) {
		t, err := c.tokens.Refresh(ctx, stale.tok)
		return t, classifyTokenErr(ctx, err)
	})
	if err != nil {
		return Session{}, err
	}
	return sessionOf(tok), nil
}

func sessionOf(t *auth.Token) Session {
	return Session{AccessToken: t.AccessToken, InstanceURL: t.InstanceURL, OrgID: t.OrgID, UserID: t.UserID, tok: t}
}
