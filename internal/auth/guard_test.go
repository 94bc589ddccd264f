package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/retry"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// refusingServer answers token requests with status and an OAuth error
// until ok is set, then with a token.
type refusingServer struct {
	*httptest.Server
	requests atomic.Int32
	ok       atomic.Bool
	status   atomic.Int32
}

func newRefusingServer(t *testing.T, status int) *refusingServer {
	rs := &refusingServer{}
	rs.status.Store(int32(status))
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if rs.ok.Load() {
			_, _ = w.Write([]byte(`{"access_token":"tok","instance_url":"https://x.my.salesforce.com","id":"` + testIdentity + `","issued_at":"1714560000000"}`))
			return
		}
		w.WriteHeader(int(rs.status.Load()))
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"authentication failure"}`))
	}))
	t.Cleanup(rs.Close)
	return rs
}

func newTestGuard(t *testing.T, flow Flow, url string, firstWait time.Duration) (*Guard, *observer.ObservedLogs) {
	t.Helper()
	cfg := Config{Flow: flow, LoginURL: url, ClientID: "cid", ClientSecret: testSecret, Username: "u@example.com",
		Password: testPassword, RefreshToken: testRefresh}
	src, err := NewSource(cfg)
	require.NoError(t, err)
	core, logs := observer.New(zap.InfoLevel)
	g := NewGuard(src, zap.New(core))
	g.pace = retry.Policy{Initial: firstWait, Max: 8 * firstWait, Steady: true}
	return g, logs
}

// hammer has n callers ask for tokens back to back until ctx ends, as
// streams polling every few milliseconds would.
func hammer(ctx context.Context, g *Guard, n int) (errs atomic.Int32) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := g.Token(ctx); err != nil && ctx.Err() == nil {
					errs.Add(1)
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return
}

func TestGuardPacesRefusedSignIns(t *testing.T) {
	rs := newRefusingServer(t, http.StatusBadRequest)
	g, logs := newTestGuard(t, FlowRefreshToken, rs.URL, 50*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	errs := hammer(ctx, g, 4)
	// Attempts at 0, 50, 150, 350 ms (then 750): four, whatever the
	// number of callers; each caller saw the refusals.
	n := rs.requests.Load()
	assert.GreaterOrEqual(t, n, int32(3))
	assert.LessOrEqual(t, n, int32(5), "refused sign-ins are paced, not retried by every caller")
	assert.GreaterOrEqual(t, errs.Load(), n)
	refusals := logs.FilterMessageSnippet("Salesforce refused the credentials").All()
	require.NotEmpty(t, refusals)
	assert.Contains(t, refusals[0].ContextMap()["fix"], "authorize again")

	// Fixed (the app re-authorized): the next attempt succeeds and resets.
	// Until the next attempt is due, callers get the refusal.
	rs.ok.Store(true)
	var tok *Token
	require.Eventually(t, func() bool {
		var err error
		tok, err = g.Token(context.Background())
		return err == nil
	}, 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, "tok", tok.AccessToken)
	assert.Equal(t, 1, logs.FilterMessageSnippet("accepted the credentials again").Len())
}

func TestGuardStopsPasswordFlowBeforeLockout(t *testing.T) {
	rs := newRefusingServer(t, http.StatusBadRequest)
	g, logs := newTestGuard(t, FlowPassword, rs.URL, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	hammer(ctx, g, 4)
	assert.Equal(t, int32(passwordRefusals), rs.requests.Load(), "three refusals, then no more sign-ins until restart")
	stop := logs.FilterMessageSnippet("not signing in again until restart").All()
	require.Len(t, stop, 1)
	assert.Contains(t, stop[0].ContextMap()["fix"], "unlock the user")

	// Stopped: a caller gets the refusal at once, and no request is made.
	_, err := g.Token(context.Background())
	require.ErrorIs(t, err, ErrStopped)
	assert.True(t, IsPermanent(err))
	assert.Equal(t, int32(passwordRefusals), rs.requests.Load())
}

func TestGuardTransientErrorsAreNotRefusals(t *testing.T) {
	rs := newRefusingServer(t, http.StatusServiceUnavailable)
	g, _ := newTestGuard(t, FlowPassword, rs.URL, time.Hour)
	ctx := context.Background()
	for range 5 {
		_, err := g.Token(ctx)
		require.Error(t, err)
		assert.False(t, IsPermanent(err))
	}
	assert.Equal(t, int32(5), rs.requests.Load(), "a 503 is retried by the caller's own policy, and never stops the password flow")
	rs.ok.Store(true)
	_, err := g.Token(ctx)
	require.NoError(t, err)
}

func TestRegistrySharesOneGuardPerCredentials(t *testing.T) {
	cfg := Config{Flow: FlowRefreshToken, LoginURL: "https://login.salesforce.com", ClientID: "cid", RefreshToken: testRefresh}
	g1, release1, err := Shared.Get(cfg, nil)
	require.NoError(t, err)
	g2, release2, err := Shared.Get(cfg, nil)
	require.NoError(t, err)
	assert.Same(t, g1, g2)
	other := cfg
	other.RefreshToken = "another-refresh-token"
	g3, release3, err := Shared.Get(other, nil)
	require.NoError(t, err)
	assert.NotSame(t, g1, g3, "changed credentials sign in afresh")
	release3()
	release1()
	release2()
	release2() // idempotent
	g4, release4, err := Shared.Get(cfg, nil)
	require.NoError(t, err)
	defer release4()
	assert.NotSame(t, g1, g4, "forgotten once every receiver released it")
}

// An org that blocks the username-password flow answers "authentication
// failure", as for a wrong password: the receiver stops after three
// refusals, and the line names the org setting and the External Client
// App limitation.
func TestPasswordFlowBlocked(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{PasswordFlowBlocked: true})
	core, logs := observer.New(zap.InfoLevel)
	src, err := NewSource(Config{Flow: FlowPassword, LoginURL: sim.URL(), ClientID: simulator.DefaultClientID,
		ClientSecret: simulator.DefaultClientSecret, Username: simulator.DefaultUsername,
		Password: simulator.DefaultPassword, SecurityToken: simulator.DefaultSecurityToken})
	require.NoError(t, err)
	g := NewGuard(src, zap.New(core))
	g.pace = retry.Policy{Initial: time.Millisecond, Max: time.Millisecond, Steady: true}
	var last error
	require.Eventually(t, func() bool {
		_, last = g.Token(context.Background())
		return errors.Is(last, ErrStopped)
	}, 5*time.Second, 2*time.Millisecond)
	assert.Equal(t, int64(3), sim.Calls().Token, "three refusals, then none")
	stop := logs.FilterMessageSnippet("not signing in again until restart").All()
	require.Len(t, stop, 1)
	fix := stop[0].ContextMap()["fix"].(string)
	assert.Contains(t, fix, "Allow OAuth Username-Password Flows")
	assert.Contains(t, fix, "External Client Apps")
	var lh []string
	for _, r := range sim.Records("LoginHistory") {
		if r.Fields["Status"] == "Username-Password Flow Disabled" {
			lh = append(lh, r.ID)
		}
	}
	assert.Len(t, lh, 3, "the org's Login History says why")
}
