package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/retry"
)

// passwordRefusals stops the password flow before Salesforce's lockout
// (3 invalid attempts is the strictest lockout policy an org can set).
const passwordRefusals = 3

// Guard is the one sign-in of an org that every stream shares. It asks
// the Source for tokens one attempt at a time, and once Salesforce refused
// the credentials (invalid_grant, invalid_client, ...) it answers every
// caller with that refusal, without a request, until the next attempt is
// due, paced by retry.SignIn (5s doubling to 30m): a wrong
// key or password never turns into a storm of failed logins in the org's
// LoginHistory. For the password flow it stops after 3 refusals in a row
// until restart, so the integration user is never locked out. A 5xx or an
// unreachable endpoint is not a refusal: those fail as any transient
// error does and are retried by the caller.
type Guard struct {
	src *Source
	log *zap.Logger
	now func() time.Time
	// pace spaces attempts after a refusal.
	pace retry.Policy

	attempt chan struct{} // one token request at a time

	mu       sync.Mutex
	gen      uint64                      // attempts completed
	refusals int                         // in a row
	waits    *backoff.ExponentialBackOff // since the first of them
	lastErr  error                       // the last refusal
	next     time.Time
	stopped  bool
}

// NewGuard wraps src.
func NewGuard(src *Source, logger *zap.Logger) *Guard {
	if logger == nil {
		logger = zap.NewNop()
	}
	src.log = logger
	return &Guard{src: src, log: logger, now: time.Now, pace: retry.SignIn,
		attempt: make(chan struct{}, 1)}
}

// ErrStopped wraps the last refusal once the password flow stopped
// signing in.
var ErrStopped = errors.New("salesforce oauth: stopped signing in after repeated refusals; fix the credentials and restart")

// Token returns the cached token, or signs in as the guard allows.
func (g *Guard) Token(ctx context.Context) (*Token, error) {
	if t := g.src.cached(); t != nil {
		return t, nil
	}
	return g.signIn(ctx, nil, false)
}

// Refresh replaces stale, as Source.Refresh does, within the guard.
func (g *Guard) Refresh(ctx context.Context, stale *Token) (*Token, error) {
	if t := g.src.cached(); t != nil && stale != nil && t.AccessToken != stale.AccessToken {
		return t, nil
	}
	return g.signIn(ctx, stale, true)
}

func (g *Guard) signIn(ctx context.Context, stale *Token, refresh bool) (*Token, error) {
	for {
		g.mu.Lock()
		stopped, wait, gen, last := g.stopped, g.next.Sub(g.now()), g.gen, g.lastErr
		g.mu.Unlock()
		if (stopped || wait > 0) && last != nil {
			// Not yet (or, for the password flow, not again): the caller
			// gets the refusal without a request, and waits as it does for
			// any refusal only an operator can fix.
			return nil, last
		}
		select {
		case g.attempt <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		g.mu.Lock()
		if g.gen != gen {
			// Another caller's attempt finished while this one waited:
			// share its outcome rather than make another request.
			err := g.lastErr
			g.mu.Unlock()
			<-g.attempt
			if err != nil {
				return nil, err
			}
			if t := g.src.cached(); t != nil {
				return t, nil
			}
			continue
		}
		g.mu.Unlock()
		var (
			tok *Token
			err error
		)
		if refresh {
			tok, err = g.src.Refresh(ctx, stale)
		} else {
			tok, err = g.src.Token(ctx)
		}
		g.record(ctx, err)
		<-g.attempt
		return tok, err
	}
}

// record moves the guard's state after one attempt.
func (g *Guard) record(ctx context.Context, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		if g.refusals > 0 {
			g.log.Info("Salesforce accepted the credentials again", zap.Int("refusals_before", g.refusals))
		}
		g.refusals, g.lastErr, g.next = 0, nil, time.Time{}
	case ctx.Err() != nil:
		return // not an outcome: the caller gave up
	case IsPermanent(err):
		g.refusals++
		g.lastErr = err
		if g.src.cfg.Flow == FlowPassword && g.refusals >= passwordRefusals {
			g.stopped = true
			g.lastErr = fmt.Errorf("%w (%d refusals in a row): %w", ErrStopped, g.refusals, err)
			g.log.Error("Salesforce refused the password "+fmt.Sprint(g.refusals)+" times in a row; not signing in again until restart, so the integration user is not locked out",
				zap.String("flow", string(g.src.cfg.Flow)), zap.String("fix", g.src.cfg.Flow.Fix()), zap.Error(err))
		} else {
			if g.refusals == 1 {
				g.waits = g.pace.New(0)
			}
			wait := g.waits.NextBackOff()
			g.next = g.now().Add(wait)
			g.log.Error("Salesforce refused the credentials; every stream waits for the next sign-in attempt",
				zap.String("flow", string(g.src.cfg.Flow)), zap.Int("refusals", g.refusals),
				zap.Duration("next_attempt_in", wait), zap.String("fix", g.src.cfg.Flow.Fix()), zap.Error(err))
		}
	default:
		return // transient: the caller retries as for any transient error
	}
	g.gen++
}

// cached is the current token, if any, without fetching.
func (s *Source) cached() *Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Fix says what usually fixes a refused token request in this flow.
func (f Flow) Fix() string {
	switch f {
	case FlowJWTBearer:
		return "check that the app's certificate matches private_key_file, the user is pre-authorized (Permitted Users: admin approved, profile or permission set added), and audience is https://test.salesforce.com for sandboxes"
	case FlowClientCredentials:
		return "enable the Client Credentials Flow on the app, set its Run As user, and use your My Domain URL as login_url"
	case FlowRefreshToken:
		return "the refresh token was revoked or expired, or the app's refresh token policy ended it: authorize again and update refresh_token"
	case FlowPassword:
		return "check username, password and security_token; Salesforce answers \"authentication failure\" also when the org blocks this flow, as orgs created since Summer '23 do by default (Setup, OAuth and OpenID Connect Settings, Allow OAuth Username-Password Flows; the user's Login History then says Username-Password Flow Disabled), and External Client Apps never offer it: prefer jwt_bearer or client_credentials; unlock the user in Setup if Salesforce locked it"
	}
	return "check client_id and the flow's credentials"
}

// Registry shares one Guard among every receiver that signs in with the
// same credentials, so an org's streams make one sign-in whichever
// receiver they belong to. The first receiver's HTTP client and logger
// serve them all.
type Registry struct {
	mu sync.Mutex
	m  map[[32]byte]*shared
}

type shared struct {
	g    *Guard
	refs int
}

// Shared is the process-wide registry.
var Shared = &Registry{}

// Get returns the Guard for cfg, creating its Source on first use, and a
// release func to call on shutdown: the last release forgets it, so a
// restart with fixed credentials starts afresh.
func (r *Registry) Get(cfg Config, logger *zap.Logger) (*Guard, func(), error) {
	key := cfg.key()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[[32]byte]*shared{}
	}
	sh, ok := r.m[key]
	if !ok {
		src, err := NewSource(cfg)
		if err != nil {
			return nil, nil, err
		}
		sh = &shared{g: NewGuard(src, logger)}
		r.m[key] = sh
	}
	sh.refs++
	var once sync.Once
	return sh.g, func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if sh.refs--; sh.refs == 0 && r.m[key] == sh {
				delete(r.m, key)
			}
		})
	}, nil
}

// key identifies a sign-in: the endpoint, the flow and every credential.
// It is a hash, so no secret is kept as a map key.
func (c Config) key() [32]byte {
	parts := []string{string(c.Flow), c.LoginURL, c.ClientID, c.ClientSecret, c.Username, c.Password,
		c.SecurityToken, c.RefreshToken, string(c.PrivateKeyPEM), c.Audience}
	for i, p := range parts {
		parts[i] = fmt.Sprintf("%d:%s", len(p), p)
	}
	return sha256.Sum256([]byte(strings.Join(parts, "|")))
}
