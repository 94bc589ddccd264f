package salesforcereceiver

import (
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// inventoryConfig reads the simulator's inventory every second, and
// nothing else.
func inventoryConfig(sim *simulator.Server) *Config {
	cfg := simConfig(sim)
	cfg.LoginHistory.Enabled, cfg.SetupAuditTrail.Enabled = false, false
	cfg.Inventory = InventoryConfig{Enabled: true, PollInterval: time.Second, SnapshotInterval: 24 * time.Hour}
	return cfg
}

// changes are the inventory records the sink holds, by their change.
func changes(s *sftest.Sink) map[string][]plog.LogRecord {
	out := map[string][]plog.LogRecord{}
	for _, lr := range s.Records() {
		if lr.EventName() == "salesforce.inventory" {
			c, _ := lr.Attributes().Get("salesforce.inventory.change")
			out[c.Str()] = append(out[c.Str()], lr)
		}
	}
	return out
}

// polled waits until the inventory has begun to read its last part n more
// times (each poll ends with PermissionSetAssignment; the connection
// test's query has a LIMIT): with n = 2, the poll before is over.
func polled(t *testing.T, sim *simulator.Server, n int) {
	t.Helper()
	reads := func() int {
		c := 0
		for _, q := range sim.Queries() {
			if strings.Contains(q, "FROM PermissionSetAssignment WHERE (") && strings.HasSuffix(q, "ORDER BY Id") {
				c++
			}
		}
		return c
	}
	want := reads() + n
	require.Eventually(t, func() bool { return reads() >= want }, 20*time.Second, 10*time.Millisecond)
}

// The built receiver, restarted over file storage: the first start
// delivers a snapshot of the org; authorizing an app, revoking a token,
// granting Modify All Data and removing a user's permission set each
// deliver exactly one change record, with the fields before and after;
// three restarts in between deliver nothing.
func TestInventoryThroughRestarts(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{History: -1})
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("file_storage", t.TempDir())
	cfg := inventoryConfig(sim)
	id := storagetest.NewStorageID("file_storage")
	cfg.Storage = &id
	require.NoError(t, cfg.Validate())
	sink := sftest.NewSink()
	stop := startReceiver(t, cfg, sink, host, nil)
	polled(t, sim, 2)
	snapshot := len(changes(sink)["snapshot"])
	require.Equal(t, len(sim.Records("OauthToken"))+len(sim.Records("ConnectedApplication"))+3, snapshot,
		"every token and app, and the three privileged assignments")
	require.Len(t, sink.Records(), snapshot)

	user := func(name string) string {
		for _, u := range sim.Records("User") {
			if u.Fields["Username"] == name+"@sfsim.example.com" {
				return u.ID
			}
		}
		t.Fatalf("no user %s", name)
		return ""
	}
	for _, step := range []struct {
		name, change string
		act          func() error
	}{
		{"authorize a new app", "added", func() error { _, err := sim.AuthorizeForeignApp(user("jane.doe"), "Data Loader"); return err }},
		{"revoke a token", "removed", func() error { _, err := sim.RevokeToken(user("li.wei"), "Slack"); return err }},
		{"grant Modify All Data", "added", func() error {
			_, err := sim.AssignPermissionSet(user("priya.patel"), simulator.PermSetModifyAllData)
			return err
		}},
		{"remove a user's permission set", "removed", func() error { _, err := sim.UnassignPermissionSet(user("john.smith"), "Apex_Developer"); return err }},
	} {
		before := len(sink.Records())
		require.NoError(t, step.act(), step.name)
		require.Eventually(t, func() bool { return len(sink.Records()) > before }, 20*time.Second, 10*time.Millisecond, step.name)
		polled(t, sim, 2)
		for range 3 {
			stop()
			stop = startReceiver(t, cfg, sink, host, nil)
			polled(t, sim, 2)
		}
		got := sink.Records()[before:]
		require.Len(t, got, 1, "%s: one record, and nothing after three restarts", step.name)
		c, _ := got[0].Attributes().Get("salesforce.inventory.change")
		assert.Equal(t, step.change, c.Str(), step.name)
	}
	stop()
	all := changes(sink)
	assert.Len(t, all["added"], 2)
	assert.Len(t, all["removed"], 2)
	_, dup := sink.Missing(sftest.UID, map[string]string{})
	assert.Zero(t, dup)
	for uid, n := range sink.Counts(sftest.UID) {
		assert.Equal(t, 1, n, uid)
	}
}

// Without Customize Application OauthToken holds only the integration
// user's tokens, and no error says so: the connection test does, naming
// the permission, with a line for each object of the inventory.
func TestConnectionTestNoticesOnlyOwnTokens(t *testing.T) {
	sim := simulator.NewTestServer(t, simulator.Options{History: -1, OwnRowsOnly: []string{"OauthToken"}})
	_, logs, stop := startObserved(t, inventoryConfig(sim), newStatusHost(), zap.InfoLevel)
	defer stop()
	partial := streamLines(t, logs, 4)
	require.Len(t, partial, 1)
	ctx := partial[0].ContextMap()
	assert.Equal(t, "inventory", ctx["stream"])
	assert.Equal(t, "OauthToken", ctx["object"])
	assert.Equal(t, "Customize Application", ctx["needs"])
	assert.Contains(t, ctx["why"], "only the integration user's own tokens")
	var objects []any
	for _, e := range logs.FilterMessage("Stream ready").All() {
		objects = append(objects, e.ContextMap()["object"])
		if e.ContextMap()["object"] == "ExternalClientApplication" {
			assert.Contains(t, e.ContextMap()["note"], "not shown to the integration user")
		}
	}
	assert.ElementsMatch(t, []any{"ConnectedApplication", "ExternalClientApplication", "PermissionSetAssignment"}, objects)
}
