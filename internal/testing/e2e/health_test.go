//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// receiverHealth is the salesforce receiver's status as healthcheckv2
// reports it ("" while the endpoint does not answer).
func receiverHealth(addr string) string {
	resp, err := http.Get("http://" + addr + "/health/status?verbose")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var body map[string]any
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return ""
	}
	return findStatus(body, "receiver:salesforce")
}

// findStatus looks for component name anywhere in healthcheckv2's tree.
func findStatus(node map[string]any, name string) string {
	comps, _ := node["components"].(map[string]any)
	for k, v := range comps {
		child, _ := v.(map[string]any)
		if k == name {
			s, _ := child["status"].(string)
			return s
		}
		if s := findStatus(child, name); s != "" {
			return s
		}
	}
	return ""
}

// The built collector with healthcheckv2, as make run has it: the
// receiver's status is OK within 30s of records flowing again after each
// transient fault, beginning with a Pub/Sub endpoint that does not listen
// yet when the collector starts.
func TestHealthFollowsTheStreams(t *testing.T) {
	pubAddr, healthAddr := sftest.FreeAddr(t), sftest.FreeAddr(t)
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: 200, SetupAuditTrailRows: -1}, envConfig{
		HealthAddr: healthAddr,
		Receiver:   "    pubsub:\n      endpoint: " + pubAddr + "\n" + pubsubBlock(100, loginTopic),
	})
	e.start()
	var seen []string
	watch := func(d time.Duration, until func(string) bool) bool {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			st := receiverHealth(healthAddr)
			if len(seen) == 0 || seen[len(seen)-1] != st {
				seen = append(seen, st)
			}
			if until(st) {
				return true
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	// flowing publishes until the topic's events arrive again: after a
	// fault the subscription comes back on its reconnect backoff (up to
	// a minute after many failures in a row).
	flowing := func(what string) {
		t.Helper()
		var pub []simulator.PublishedEvent
		require.Eventually(t, func() bool {
			pub = append(pub, e.sim.Publish(loginTopic, 1)...)
			return e.sink.received(e.wantPub(pub)) > 0
		}, 90*time.Second, 250*time.Millisecond, "%s: events flow again", what)
		healed := time.Now()
		require.True(t, watch(30*time.Second, func(s string) bool { return s == "StatusOK" }),
			"%s: healthcheckv2 shows the receiver OK within 30s of records flowing (seen %v)", what, seen)
		t.Logf("HEALTH %s: OK %v after records flowed again; statuses seen %v", what, time.Since(healed).Round(time.Millisecond), seen)
		seen = nil
	}

	require.True(t, watch(30*time.Second, func(s string) bool { return s == "StatusRecoverableError" }),
		"the Pub/Sub endpoint not listening is a recoverable error (seen %v)", seen)
	_, err := e.sim.StartPubSub(pubAddr)
	require.NoError(t, err)
	flowing("Pub/Sub endpoint listening")

	for _, tc := range []struct {
		name  string
		fault func()
	}{
		{"Pub/Sub UNAVAILABLE", func() {
			e.sim.InjectPubSubFault(simulator.PubSubFault{Topic: loginTopic, Code: codes.Unavailable, ErrorCode: simulator.PubSubErrUnavailable, Times: 3})
		}},
		{"Pub/Sub connection dropped", func() {
			e.sim.InjectPubSubFault(simulator.PubSubFault{Topic: loginTopic, Drop: true, Times: 2})
		}},
		{"503s on the query", func() {
			e.sim.InjectFault(simulator.Fault{Path: "/query", Status: 503, Times: 4})
			e.sim.Arrive("LoginHistory", 3, time.Now())
		}},
	} {
		tc.fault()
		e.sim.Publish(loginTopic, 1)
		require.True(t, watch(30*time.Second, func(s string) bool { return s == "StatusRecoverableError" }),
			"%s: reported as recoverable (seen %v)", tc.name, seen)
		flowing(tc.name)
		m, d := e.waitAll(30*time.Second, "LoginHistory")
		require.Zero(t, m+d, "%s: LoginHistory missing %d, duplicated %d", tc.name, m, d)
	}
	e.stop(syscall.SIGTERM)
}
