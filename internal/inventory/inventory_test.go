package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// rec is one delivered record, read back.
type rec struct {
	object, change, key, uid string
	user                     string
	body                     map[string]any
	at                       time.Time
}

// harness drives a Source over a simulator as the runner does: the
// cursor it keeps is the one the last accepted page carried, through
// JSON as the checkpoint store keeps it.
type harness struct {
	t      *testing.T
	sim    *simulator.Server
	client *sfapi.Client
	now    time.Time
	opts   Options
	cursor Cursor
	logs   *observer.ObservedLogs
	pages  int
}

func newHarness(t *testing.T, simOpts simulator.Options, opts Options) *harness {
	t.Helper()
	sim := simulator.NewTestServer(t, simOpts)
	h := &harness{t: t, sim: sim, client: sftest.Client(t, sim), now: time.Now().UTC(), opts: opts}
	return h
}

// source is a new Source, as after a restart.
func (h *harness) source() *Source {
	core, logs := observer.New(zap.InfoLevel)
	h.logs = logs
	o := h.opts
	o.Now = func() time.Time { return h.now }
	o.Logger = zap.New(core)
	o.UserID = func(ctx context.Context) (string, error) {
		s, err := h.client.Session(ctx)
		return s.UserID, err
	}
	return New(h.client, o)
}

// poll runs one poll of src and returns the records it delivered.
func (h *harness) poll(src *Source) []rec {
	h.t.Helper()
	ctx := context.Background()
	org, err := h.client.Org(ctx)
	require.NoError(h.t, err)
	var out []rec
	err = src.Poll(ctx, org, h.cursor, func(_ context.Context, logs plog.Logs, next Cursor) error {
		h.pages++
		out = append(out, records(logs)...)
		b, err := json.Marshal(next)
		require.NoError(h.t, err)
		h.cursor = Cursor{}
		require.NoError(h.t, json.Unmarshal(b, &h.cursor))
		return nil
	})
	require.NoError(h.t, err)
	return out
}

func records(logs plog.Logs) []rec {
	var out []rec
	lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		lr := lrs.At(i)
		a := lr.Attributes()
		get := func(k string) string { v, _ := a.Get(k); return v.Str() }
		r := rec{object: get("salesforce.event_type"), change: get("salesforce.inventory.change"), key: get("salesforce.inventory.key"),
			uid: get("log.record.uid"), user: get("user.id"), at: lr.Timestamp().AsTime()}
		if lr.Body().Type() == pcommon.ValueTypeMap {
			r.body = lr.Body().Map().AsRaw()
		}
		out = append(out, r)
	}
	return out
}

// count is how many records of object have the change kind.
func count(rs []rec, object, change string) int {
	n := 0
	for _, r := range rs {
		if r.object == object && r.change == change {
			n++
		}
	}
	return n
}

// privileged is how many assignments hold one of the default permissions.
func privileged(sim *simulator.Server) int {
	sets := map[any]bool{}
	for _, r := range sim.Records("PermissionSet") {
		for _, p := range DefaultPermissions {
			if r.Fields[p] == true {
				sets[r.ID] = true
			}
		}
	}
	n := 0
	for _, r := range sim.Records("PermissionSetAssignment") {
		if sets[r.Fields["PermissionSetId"]] {
			n++
		}
	}
	return n
}

func userID(sim *simulator.Server, username string) string {
	for _, u := range sim.Records("User") {
		if u.Fields["Username"] == username {
			return u.ID
		}
	}
	panic("no user " + username)
}

// The first reading is a snapshot of the org; nothing changes, nothing is
// delivered; each change is exactly one record with its fields before and
// after; three restarts in between deliver nothing; a day later the
// snapshot holds the org as it is.
func TestChangesAndSnapshots(t *testing.T) {
	h := newHarness(t, simulator.Options{History: -1}, Options{})
	first := h.poll(h.source())
	tokens, apps := len(h.sim.Records("OauthToken")), len(h.sim.Records("ConnectedApplication"))
	assert.Equal(t, tokens, count(first, "OauthToken", Snapshot))
	assert.Equal(t, apps, count(first, "ConnectedApplication", Snapshot))
	assert.Equal(t, privileged(h.sim), count(first, "PermissionSetAssignment", Snapshot))
	require.Len(t, first, tokens+apps+privileged(h.sim), "a snapshot and nothing else")
	assert.Empty(t, h.poll(h.source()), "no change, no record")

	jane, priya := userID(h.sim, "jane.doe@sfsim.example.com"), userID(h.sim, "priya.patel@sfsim.example.com")
	steps := []struct {
		name   string
		act    func() error
		object string
		change string
		check  func(t *testing.T, r rec)
	}{
		{"authorize a new app", func() error { _, err := h.sim.AuthorizeForeignApp(jane, "Data Loader"); return err },
			"OauthToken", Added, func(t *testing.T, r rec) {
				assert.Equal(t, "Data Loader", r.body["AppName"])
				assert.Equal(t, jane, r.user)
				assert.Equal(t, "jane.doe@sfsim.example.com", r.body["User.Username"])
			}},
		{"revoke a token", func() error { _, err := h.sim.RevokeToken(jane, "Salesforce for iOS"); return err },
			"OauthToken", Removed, func(t *testing.T, r rec) { assert.Equal(t, "Salesforce for iOS", r.body["AppName"]) }},
		{"grant Modify All Data", func() error { _, err := h.sim.AssignPermissionSet(priya, simulator.PermSetModifyAllData); return err },
			"PermissionSetAssignment", Added, func(t *testing.T, r rec) {
				assert.Equal(t, true, r.body["PermissionSet.PermissionsModifyAllData"])
				assert.Equal(t, "Modify_All_Data_Access", r.body["PermissionSet.Name"])
				assert.Equal(t, priya, r.user)
			}},
		{"remove a user's permission set", func() error {
			_, err := h.sim.UnassignPermissionSet(userID(h.sim, "john.smith@sfsim.example.com"), "Apex_Developer")
			return err
		}, "PermissionSetAssignment", Removed, func(t *testing.T, r rec) { assert.Equal(t, "Apex_Developer", r.body["PermissionSet.Name"]) }},
		{"an app's policy relaxed", func() error { return h.sim.SetAdminApprovedOnly("Dataloader Partner", false) },
			"ConnectedApplication", Changed, func(t *testing.T, r rec) {
				assert.Equal(t, false, r.body["OptionsAllowAdminApprovedUsersOnly"])
				assert.Equal(t, true, r.body["before"].(map[string]any)["OptionsAllowAdminApprovedUsersOnly"])
				assert.Equal(t, false, r.body["after"].(map[string]any)["OptionsAllowAdminApprovedUsersOnly"])
				assert.Contains(t, r.body["after"], "LastModifiedDate")
			}},
		{"a token used", func() error { return h.sim.UseToken(jane, "Salesforce for Outlook") }, "", "", nil},
	}
	uids := map[string]bool{}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h.now = h.now.Add(time.Hour)
			require.NoError(t, st.act())
			got := h.poll(h.source())
			if st.object == "" {
				require.Empty(t, got, "a token's use alone is no change")
				return
			}
			require.Len(t, got, 1)
			r := got[0]
			assert.Equal(t, st.object, r.object)
			assert.Equal(t, st.change, r.change)
			assert.Equal(t, h.now.Truncate(time.Microsecond), r.at.Truncate(time.Microsecond), "timed at the reading")
			assert.False(t, uids[r.uid])
			uids[r.uid] = true
			st.check(t, r)
			for range 3 { // restarts: no phantom changes
				assert.Empty(t, h.poll(h.source()))
			}
		})
	}

	h.now = h.now.Add(DefaultSnapshotEvery)
	day := h.poll(h.source())
	require.Equal(t, len(h.sim.Records("OauthToken")), count(day, "OauthToken", Snapshot))
	require.Equal(t, privileged(h.sim), count(day, "PermissionSetAssignment", Snapshot))
	require.Len(t, day, len(h.sim.Records("OauthToken"))+len(h.sim.Records("ConnectedApplication"))+privileged(h.sim))
	var snapApps []string
	for _, r := range day {
		if r.object == "OauthToken" {
			snapApps = append(snapApps, r.body["AppName"].(string))
		}
	}
	var orgApps []string
	for _, r := range h.sim.Records("OauthToken") {
		orgApps = append(orgApps, r.Fields["AppName"].(string))
	}
	assert.ElementsMatch(t, orgApps, snapApps, "the daily snapshot matches the org")
	assert.Empty(t, h.poll(h.source()))
}

// A page delivered but not saved (a crash between the two) is delivered
// again with the same uids: one change, one uid.
func TestUIDsStableAcrossACrash(t *testing.T) {
	h := newHarness(t, simulator.Options{History: -1}, Options{})
	h.poll(h.source())
	saved := h.cursor
	_, err := h.sim.AssignPermissionSet(userID(h.sim, "li.wei@sfsim.example.com"), simulator.PermSetViewAllData)
	require.NoError(t, err)
	h.now = h.now.Add(time.Minute)
	first := h.poll(h.source())
	h.cursor = saved // the crash: the cursor of the page was never saved
	h.now = h.now.Add(time.Minute)
	again := h.poll(h.source())
	require.Len(t, first, 1)
	require.Len(t, again, 1)
	assert.Equal(t, first[0].uid, again[0].uid)
	// The same item removed and added back is a new change, with a new uid.
	_, err = h.sim.UnassignPermissionSet(userID(h.sim, "li.wei@sfsim.example.com"), simulator.PermSetViewAllData)
	require.NoError(t, err)
	require.Len(t, h.poll(h.source()), 1)
	_, err = h.sim.AssignPermissionSet(userID(h.sim, "li.wei@sfsim.example.com"), simulator.PermSetViewAllData)
	require.NoError(t, err)
	back := h.poll(h.source())
	require.Len(t, back, 1)
	assert.NotEqual(t, first[0].uid, back[0].uid)
}

// Tokens are read in pages by UserId, and a user whose tokens fill a page
// by AppName: every token arrives, whatever the page size.
func TestTokenPaging(t *testing.T) {
	for _, rows := range []int{5, 6, 7, 2000} {
		h := newHarness(t, simulator.Options{History: -1}, Options{Parts: []string{PartOAuthTokens}, TokenPageRows: rows})
		jane := userID(h.sim, "jane.doe@sfsim.example.com")
		for i := range 12 { // Jane holds more tokens than a page: 5 of Slack, one each of others
			app := "Slack"
			if i >= 5 {
				app = "App " + strconv.Itoa(i)
			}
			_, err := h.sim.AuthorizeApp(jane, app)
			require.NoError(t, err)
		}
		got := h.poll(h.source())
		require.Equal(t, len(h.sim.Records("OauthToken")), count(got, "OauthToken", Snapshot), "page of %d", rows)
		keys := map[string]bool{}
		for _, r := range got {
			keys[r.key] = true
		}
		require.Len(t, keys, len(got), "one record per token")
		if rows < 2000 {
			assert.True(t, slices.ContainsFunc(h.sim.Queries(), func(q string) bool { return strings.Contains(q, "ORDER BY AppName") }),
				"Jane's tokens were read by app")
		}
		for _, q := range h.sim.Queries() {
			assert.NotContains(t, q, "OFFSET")
		}
	}
}

// Where more tokens share one user and app than a query returns (only
// with a page smaller than Salesforce's five approvals per app and user),
// those it could not read are kept, not reported removed.
func TestTokensReadInPartAreKept(t *testing.T) {
	h := newHarness(t, simulator.Options{History: -1}, Options{Parts: []string{PartOAuthTokens}})
	jane := userID(h.sim, "jane.doe@sfsim.example.com")
	for range 5 {
		_, err := h.sim.AuthorizeApp(jane, "Slack")
		require.NoError(t, err)
	}
	require.NotEmpty(t, h.poll(h.source()))
	h.opts.TokenPageRows = 3
	h.now = h.now.Add(time.Hour)
	_, err := h.sim.AuthorizeApp(userID(h.sim, "li.wei@sfsim.example.com"), "Salesforce CLI")
	require.NoError(t, err)
	got := h.poll(h.source())
	require.Len(t, got, 1, "one token added, none of Jane's taken for removed")
	assert.Equal(t, Added, got[0].change)
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("more tokens share one user and app than one query returns").Len())
	// Salesforce's cap: one query returns no more than 2,500 tokens.
	require.LessOrEqual(t, New(h.client, Options{}).opts.TokenPageRows, 2500)
}

// Without Customize Application OauthToken shows only the integration
// user's tokens: the connection test says so; when the permission is
// granted later, the next reading is a snapshot, not every other user's
// tokens "added".
func TestTokenVisibility(t *testing.T) {
	opts := simulator.Options{History: -1, OwnRowsOnly: []string{"OauthToken"}}
	h := newHarness(t, opts, Options{Parts: []string{PartOAuthTokens}})
	src := h.source()
	ready, err := src.Checks()[0].Check(context.Background())
	require.NoError(t, err)
	assert.Contains(t, ready.Partial, "OauthToken shows only the integration user's own tokens")
	own := h.poll(src)
	require.Len(t, own, 1)
	assert.Equal(t, "own", h.cursor.Parts["OauthToken"].Scope)

	// The same org with Customize Application: the cursor carries over.
	saved := h.cursor
	h2 := newHarness(t, simulator.Options{History: -1}, Options{Parts: []string{PartOAuthTokens}})
	h2.cursor, h2.now = saved, h.now.Add(time.Hour)
	all := h2.poll(h2.source())
	require.Equal(t, len(h2.sim.Records("OauthToken")), count(all, "OauthToken", Snapshot))
	assert.Zero(t, count(all, "OauthToken", Added))
	assert.Equal(t, 1, h2.logs.FilterMessageSnippet("OauthToken now shows every user's tokens").Len())
	ready, err = h2.source().Checks()[0].Check(context.Background())
	require.NoError(t, err)
	assert.Empty(t, ready.Partial)
}

// The connection test has a line per object; an object the org does not
// expose (External Client Apps here) is said so and gone without, not an
// error; an object the user may not read is.
func TestChecks(t *testing.T) {
	h := newHarness(t, simulator.Options{History: -1, DeniedObjects: []string{"PermissionSetAssignment"}}, Options{})
	src := h.source()
	var objects []string
	for _, c := range src.Checks() {
		objects = append(objects, c.Stream.Object)
		ready, err := c.Check(context.Background())
		switch c.Stream.Object {
		case "PermissionSetAssignment":
			require.Error(t, err)
			assert.Equal(t, sfapi.ClassQuery, sfapi.Classify(err))
			assert.Equal(t, "View Setup and Configuration", c.Stream.Access.Needs)
		case "ExternalClientApplication":
			require.NoError(t, err)
			assert.Contains(t, ready.Note, "not shown to the integration user")
		default:
			require.NoError(t, err, c.Stream.Object)
		}
	}
	assert.Equal(t, []string{"OauthToken", "ConnectedApplication", "ExternalClientApplication", "PermissionSetAssignment"}, objects)
	// A poll delivers what it can read and reports what it cannot.
	ctx := context.Background()
	org, err := h.client.Org(ctx)
	require.NoError(t, err)
	var got []rec
	err = src.Poll(ctx, org, Cursor{}, func(_ context.Context, l plog.Logs, _ Cursor) error { got = append(got, records(l)...); return nil })
	require.ErrorContains(t, err, "PermissionSetAssignment")
	assert.NotContains(t, err.Error(), "ExternalClientApplication")
	assert.Equal(t, len(h.sim.Records("OauthToken")), count(got, "OauthToken", Snapshot))
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("The org does not show this object").Len())
}

// A permission the org does not have is left out of the query (and
// named), not a failing query.
func TestPermissionFieldsFromTheDescribe(t *testing.T) {
	h := newHarness(t, simulator.Options{History: -1, HiddenFields: map[string][]string{"PermissionSet": {"PermissionsModifyMetadata"}}},
		Options{Parts: []string{PartPrivilegedUsers}})
	src := h.source()
	ready, err := src.Checks()[0].Check(context.Background())
	require.NoError(t, err)
	assert.Contains(t, ready.Missing, "PermissionSet.PermissionsModifyMetadata")
	got := h.poll(src)
	require.Len(t, got, privileged(h.sim))
	assert.NotContains(t, got[0].body, "PermissionSet.PermissionsModifyMetadata")
	assert.Contains(t, got[0].body, "PermissionSet.PermissionsApiEnabled", "reported, though not a criterion")
}

// No query names a secret field, and no record carries a secret's value,
// over readings, changes and snapshots.
func TestNeverASecret(t *testing.T) {
	h := newHarness(t, simulator.Options{History: -1}, Options{TokenPageRows: 3})
	var all []rec
	all = append(all, h.poll(h.source())...)
	h.sim.InventoryChurn()
	_, err := h.sim.Inject(simulator.IncidentOAuthAppAuthorized)
	require.NoError(t, err)
	h.now = h.now.Add(25 * time.Hour)
	all = append(all, h.poll(h.source())...)
	require.NotEmpty(t, all)
	for _, q := range h.sim.Queries() {
		assert.Empty(t, sfapi.SecretFieldIn(q), q)
	}
	var secrets []string
	for _, r := range h.sim.Records("OauthToken") {
		for _, f := range []string{"AccessToken", "RequestToken", "DeleteToken"} {
			secrets = append(secrets, r.Fields[f].(string))
		}
	}
	require.NotEmpty(t, secrets)
	b, err := json.Marshal(h.cursor)
	require.NoError(t, err)
	// Failures name the record, never the value: a test's output must not
	// hold a token either.
	for i, r := range all {
		text := jsonOf(t, r.body) + " " + r.uid + " " + r.key + " " + r.user
		require.Zero(t, valuesIn(text, secrets), "record %d (%s %s) holds a token value", i, r.object, r.change)
		for _, f := range []string{"AccessToken", "RequestToken", "DeleteToken"} {
			require.NotContains(t, r.body, f)
		}
	}
	require.Zero(t, valuesIn(string(b), secrets), "the checkpoint holds a token value")
}

// valuesIn counts the values text holds, without naming them.
func valuesIn(text string, values []string) int {
	n := 0
	for _, v := range values {
		if strings.Contains(text, v) {
			n++
		}
	}
	return n
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// The receiver's record vocabulary: one mapping per object, the stream's.
func TestMapping(t *testing.T) {
	src := New(nil, Options{})
	for _, p := range src.parts {
		assert.Equal(t, StreamName, p.mapping.Stream)
		assert.Equal(t, "salesforce.inventory", p.mapping.EventName)
		assert.Equal(t, p.entry.Name, p.mapping.EventType)
	}
	_ = convert.Resource{}
}

// fakeOrg answers the inventory's describes and queries of
// ConnectedApplication from a fixed page; every other object is not
// there.
type fakeOrg struct{ page *sfapi.QueryResult }

func (f fakeOrg) Describe(_ context.Context, _ sfapi.Caller, object string) (*sfapi.Describe, error) {
	if object != "ConnectedApplication" {
		return nil, &sfapi.APIError{Status: 404, Code: sfapi.CodeNotFound, Message: "The requested resource does not exist"}
	}
	return sftest.Describe(object, "Id", "Name"), nil
}

func (f fakeOrg) Query(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	return f.page, nil
}

func (f fakeOrg) QueryMore(context.Context, sfapi.Caller, string, int) (*sfapi.QueryResult, error) {
	return nil, errors.New("no more pages")
}

// A row Salesforce sent that does not decode is delivered as its text,
// under one uid each time, and the others are compared as ever.
func TestUnreadableRowsAreDelivered(t *testing.T) {
	page := sftest.Page(true, "", []byte(`{"Id":"0H45g0000000001AAA","Name":"Slack"}`), []byte(`"not a record"`))
	src := New(fakeOrg{page: page}, Options{Parts: []string{PartConnectedApps}})
	var cursor Cursor
	poll := func() []rec {
		var out []rec
		err := src.Poll(context.Background(), convert.Resource{OrgID: "00D5g0000SimOrgEQE"}, cursor, func(_ context.Context, l plog.Logs, next Cursor) error {
			out = append(out, records(l)...)
			cursor = next
			return nil
		})
		require.NoError(t, err, "an object the org does not show is gone without")
		return out
	}
	first, again := poll(), poll()
	require.Len(t, first, 2)
	assert.Equal(t, Snapshot, first[1].change)
	assert.Nil(t, first[0].body, "the unreadable row, as its text")
	require.Len(t, again, 1, "the readable row did not change")
	assert.Equal(t, first[0].uid, again[0].uid)
	assert.Len(t, cursor.Parts["ConnectedApplication"].Items, 1)
}
