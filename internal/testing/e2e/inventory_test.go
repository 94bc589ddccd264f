//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// readmeQuery is the README's ```logsql <id> block.
func readmeQuery(t *testing.T, id string) string {
	t.Helper()
	b, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```logsql " + id + "\n(.*?)\n```").FindSubmatch(b)
	require.NotNil(t, m, "README.md has no ```logsql %s block", id)
	return string(m[1])
}

// The README's answers to "who can read our org?" hold, in VictoriaLogs,
// what the org holds after its tokens and assignments changed: the apps
// with tokens (not a revoked one) and since when, the day's token changes,
// and who holds Modify All Data or View All Data now.
func TestInventoryQueries(t *testing.T) {
	v := startVictoriaLogs(t)
	e := newEnvWith(t, simulator.Options{History: -1}, envConfig{LogsEndpoint: v.base + "/insert/opentelemetry/v1/logs",
		Receiver: "    inventory:\n      enabled: true\n      poll_interval: 1s"})
	snapshot := inventoryItems(e.sim)
	e.start()
	inventory := func() int { _, uniq := v.counts(t); return uniq["salesforce.inventory"] }
	require.Eventually(t, func() bool { return inventory() >= snapshot }, 60*time.Second, 200*time.Millisecond)
	want := snapshot + e.sim.InventoryChurn()
	require.Eventually(t, func() bool { return inventory() == want }, 60*time.Second, 200*time.Millisecond)
	// The admin's second all-data permission set (the churn's) taken away
	// again: a removal the picture must leave out.
	admin := ""
	for _, u := range e.sim.Records("User") {
		if u.Fields["Username"] == "admin@sfsim.example.com" {
			admin = u.ID
		}
	}
	_, err := e.sim.UnassignPermissionSet(admin, simulator.PermSetViewAllData)
	require.NoError(t, err)
	want++
	for _, name := range []string{simulator.IncidentOAuthAppAuthorized, simulator.IncidentPrivilegeGrant} {
		inc, err := e.sim.Inject(name)
		require.NoError(t, err)
		for _, ids := range inc.Records {
			want += len(ids)
		}
	}
	require.Eventually(t, func() bool { return inventory() == want }, 60*time.Second, 200*time.Millisecond)
	e.stop(syscall.SIGTERM)

	usernames := map[string]string{}
	for _, u := range e.sim.Records("User") {
		usernames[u.ID] = u.Fields["Username"].(string)
	}
	query := func(id string) []map[string]string {
		rows, err := v.queryUntil(context.Background(), readmeQuery(t, id), "")
		require.NoError(t, err, id)
		require.NotEmpty(t, rows, id)
		return rows
	}

	t.Run("apps", func(t *testing.T) {
		type app struct {
			tokens int
			users  map[string]bool
			since  string
		}
		truth := map[string]*app{}
		for _, r := range e.sim.Records("OauthToken") {
			name := r.Fields["AppName"].(string)
			a := truth[name]
			if a == nil {
				a = &app{users: map[string]bool{}}
				truth[name] = a
			}
			a.tokens++
			a.users[r.Fields["UserId"].(string)] = true
			if c := simulator.FormatDateTime(r.Fields["CreatedDate"].(time.Time)); a.since == "" || c < a.since {
				a.since = c
			}
		}
		rows := query("inventory_apps")
		require.Len(t, rows, len(truth))
		for _, r := range rows {
			a := truth[r["AppName"]]
			require.NotNil(t, a, r["AppName"])
			require.Equal(t, strconv.Itoa(a.tokens), r["tokens"], r["AppName"])
			require.Equal(t, strconv.Itoa(len(a.users)), r["users"], r["AppName"])
			require.Equal(t, a.since, r["since"], r["AppName"])
		}
	})

	t.Run("token changes", func(t *testing.T) {
		rows := query("inventory_token_changes")
		kinds := map[string]int{}
		var apps []string
		for _, r := range rows {
			kinds[r["salesforce.inventory.change"]]++
			apps = append(apps, r["AppName"])
		}
		// The churn authorized three and revoked one; the incident two.
		require.Equal(t, map[string]int{"added": 5, "removed": 1}, kinds)
		for _, inc := range e.sim.Incidents() {
			for _, a := range inc.Apps {
				require.Contains(t, apps, a)
			}
		}
	})

	t.Run("all-data users", func(t *testing.T) {
		grants := map[string]bool{}
		for _, r := range e.sim.Records("PermissionSet") {
			if r.Fields["PermissionsModifyAllData"] == true || r.Fields["PermissionsViewAllData"] == true {
				grants[r.ID] = true
			}
		}
		truth := map[string][]string{}
		for _, r := range e.sim.Records("PermissionSetAssignment") {
			if grants[r.Fields["PermissionSetId"].(string)] {
				u := usernames[r.Fields["AssigneeId"].(string)]
				truth[u] = append(truth[u], r.Fields["PermissionSet"].(map[string]any)["Name"].(string))
			}
		}
		require.Len(t, truth, 2, "the admin and the incident's user")
		rows := query("inventory_all_data_users")
		require.Len(t, rows, len(truth))
		for _, r := range rows {
			var through []string
			require.NoError(t, json.Unmarshal([]byte(r["through"]), &through))
			slices.Sort(through)
			want := truth[r["user.name"]]
			slices.Sort(want)
			require.Equal(t, want, through, r["user.name"])
		}
	})
}
