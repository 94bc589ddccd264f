package org

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// The org's inventory: who holds OAuth tokens (OauthToken), which connected
// apps it has (ConnectedApplication) and which users hold which permission
// sets (PermissionSet, PermissionSetAssignment), as internal/catalog's
// inventory.yaml lists them, with the actions that change them: a user
// authorizes an app or has a token revoked, a permission set is assigned or
// removed. ExternalClientApplication is not simulated: Salesforce documents
// no queryable object for it (inventory.yaml), so this org, like an org that
// does not expose it, answers NOT_FOUND for it.
//
// Access rules are the REST API's: OauthToken without Customize Application
// shows only the integration user's own tokens, with no error
// (Config.OwnRowsOnly, by UserId, as LoginHistory); objects the integration
// user may not read answer INVALID_TYPE (Config.DeniedObjects).
//
// Nothing here writes SetupAuditTrail rows: the audit trail is its own
// simulation (incidents.go), so that each detection is tested on the data
// it reads.

// inventoryObjects are the inventory objects the simulator serves.
var inventoryObjects = []string{"OauthToken", "ConnectedApplication", "PermissionSet", "PermissionSetAssignment"}

// addInventorySchemas registers them from the catalog.
func addInventorySchemas(reg Registry) {
	for _, name := range inventoryObjects {
		e := catalog.Lookup(name)
		sch := &Schema{Name: e.Name, KeyPrefix: keyPrefix(e.Name), Doc: e.Doc, Since: e.Since,
			Fields: catalogFields(e), TimestampField: e.Timestamp}
		switch name {
		case "OauthToken":
			// "Id: Reserved for future use. Currently, the value is always
			// null." Supported calls: describeSObjects() and query().
			sch.NullID = true
			sch.QueryCap.Page, sch.QueryCap.Total = 500, 2500
		case "ConnectedApplication":
			// 0H4: the prefix of the doc's own example of a connected app
			// id (ApiTotalUsage CONNECTED_APP_ID, "0H4RM00000000Kr0AI").
			sch.KeyPrefix = "0H4"
		}
		reg.add(sch)
	}
}

// App is a connected app as users authorize it: its label (OauthToken's
// AppName) and App Picker item (AppMenuItemId).
type App struct {
	Name, MenuItemID string
	// ID is its ConnectedApplication row ("" for an app defined in another
	// org, which this org holds tokens of but no ConnectedApplication).
	ID string
}

// The clean org's connected apps. Labels are the simulator's own:
// Salesforce's own apps as orgs commonly show them, and one third party.
var orgApps = []string{"Salesforce for Outlook", "Dataloader Partner", "Salesforce CLI", "Salesforce for iOS",
	"Salesforce for Android", "Slack"}

// The clean org's permission sets: the profiles' own (IsOwnedByProfile)
// and assignable ones, with the powerful permissions each grants. The
// names are the simulator's own.
var orgPermissionSets = []struct {
	name, label, profile string // profile: its owning profile's name, "" for an assignable set
	perms                []string
}{
	{"X00e_SystemAdministrator", "System Administrator", "System Administrator", []string{"ModifyAllData", "ViewAllData",
		"CustomizeApplication", "AuthorApex", "ManageUsers", "ApiEnabled", "ModifyMetadata", "ViewSetup", "AssignPermissionSets"}},
	{"X00e_StandardUser", "Standard User", "Standard User", []string{"ApiEnabled"}},
	// The integration user's: what the README asks for (Customize
	// Application shows every user's tokens).
	{"X00e_IntegrationUser", "Integration User", "Integration User", []string{"ApiEnabled", "ViewSetup", "CustomizeApplication"}},
	{"Sales_Cloud_User", "Sales Cloud User", "", nil},
	{"Report_Builder", "Report Builder", "", nil},
	{"Apex_Developer", "Apex Developer", "", []string{"AuthorApex", "CustomizeApplication", "ViewSetup"}},
	{"View_All_Data_Access", "View All Data Access", "", []string{"ViewAllData"}},
	{"Modify_All_Data_Access", "Modify All Data Access", "", []string{"ModifyAllData", "ViewAllData"}},
}

// Permission set names the actions and incidents use.
const (
	PermSetModifyAllData = "Modify_All_Data_Access"
	PermSetViewAllData   = "View_All_Data_Access"
	PermSetReportBuilder = "Report_Builder"
)

// inventory is the org's knowledge of its apps and permission sets by
// name (guarded by Org.mu).
type inventory struct {
	apps     map[string]App    // by label
	permSets map[string]string // PermissionSet Id by Name
}

// seedInventory gives the clean org its apps, tokens, permission sets and
// assignments. New calls it after seedUsers.
func (o *Org) seedInventory() {
	o.inv = inventory{apps: map[string]App{}, permSets: map[string]string{}}
	now := o.cfg.Now().UTC()
	g := o.gen
	for _, name := range orgApps {
		created := now.Add(-time.Duration(200+g.rnd.IntN(400)) * 24 * time.Hour)
		id := o.mustInsert("ConnectedApplication", map[string]any{
			"Name": name, "CreatedDate": created, "CreatedById": g.users[uAdmin].id,
			"LastModifiedDate": created.Add(time.Duration(g.rnd.IntN(100)) * 24 * time.Hour), "LastModifiedById": g.users[uAdmin].id,
			"OptionsAllowAdminApprovedUsersOnly": name == "Dataloader Partner",
			"OptionsRefreshTokenValidityMetric":  false, "RefreshTokenValidityPeriod": int64(0),
			"OptionsHasSessionLevelPolicy": false, "OptionsTokenExchangeManageBitEnabled": false,
			"MobileSessionTimeout": "MIN15", "PinLength": "4",
		})
		o.inv.apps[name] = App{Name: name, ID: id, MenuItemID: o.newMenuItemID()}
	}
	for _, ps := range orgPermissionSets {
		rec := map[string]any{"Name": ps.name, "Label": ps.label, "IsOwnedByProfile": ps.profile != "",
			"IsCustom": ps.profile == "", "SystemModstamp": now.Add(-90 * 24 * time.Hour)}
		if ps.profile != "" {
			rec["ProfileId"] = sfid.New("00e", uint64(len(o.inv.permSets)+1))
		}
		for _, f := range o.reg.Lookup("PermissionSet").Fields {
			if perm, ok := strings.CutPrefix(f.Name, "Permissions"); ok {
				rec[f.Name] = slices.Contains(ps.perms, perm)
			}
		}
		o.inv.permSets[ps.name] = o.mustInsert("PermissionSet", rec)
	}
	// Everyone holds their profile's set; some people more.
	assign := func(u simUser, set string, at time.Time) {
		o.mustInsert("PermissionSetAssignment", o.assignment(u.id, set, at))
	}
	assign(g.users[0], "X00e_IntegrationUser", now.Add(-60*24*time.Hour))
	for i, u := range g.users[1:] {
		profile := "X00e_StandardUser"
		if i+1 == uAdmin {
			profile = "X00e_SystemAdministrator"
		}
		assign(u, profile, now.Add(-time.Duration(100+i)*24*time.Hour))
	}
	assign(g.users[uJohn], "Apex_Developer", now.Add(-40*24*time.Hour))
	assign(g.users[uJane], "Sales_Cloud_User", now.Add(-30*24*time.Hour))
	assign(g.users[uPriya], "Sales_Cloud_User", now.Add(-30*24*time.Hour))
	assign(g.users[uLi], PermSetReportBuilder, now.Add(-20*24*time.Hour))
	// Tokens: the apps people use, authorized days to months ago.
	for _, t := range []struct {
		user int
		apps []string
	}{
		{0, []string{"Salesforce CLI"}},
		{uAdmin, []string{"Salesforce CLI", "Dataloader Partner"}},
		{uJane, []string{"Salesforce for iOS", "Salesforce for Outlook"}},
		{uJohn, []string{"Dataloader Partner", "Slack"}},
		{uPriya, []string{"Salesforce for Android"}},
		{uLi, []string{"Salesforce for Outlook", "Slack"}},
	} {
		for _, app := range t.apps {
			o.insertToken(g.users[t.user], o.inv.apps[app], now.Add(-time.Duration(5+g.rnd.IntN(300))*24*time.Hour))
		}
	}
}

// assignment is a PermissionSetAssignment of set to user at at.
func (o *Org) assignment(userID, set string, at time.Time) map[string]any {
	return map[string]any{"AssigneeId": userID, "PermissionSetId": o.inv.permSets[set], "SystemModstamp": at,
		"IsActive": true, "IsRevoked": false}
}

// newMenuItemID is a new App Picker item id (AppMenuItem's key prefix is
// not documented: the simulator's own).
func (o *Org) newMenuItemID() string {
	return sfid.New(keyPrefix("AppMenuItem"), 1000+uint64(len(o.inv.apps))+o.gen.rnd.Uint64N(1<<30))
}

// tokenSecret is a value of one of OauthToken's secret fields: a refresh
// token, authorization code or revocation handle. Their format is not
// documented; these are long random strings with a marker the tests that
// scan for leaks can also find.
func (g *Generator) tokenSecret() string { return "5Aep861" + g.key(80) }

// insertToken adds u's token for app, created at created and used since.
func (o *Org) insertToken(u simUser, app App, created time.Time) string {
	g := o.gen
	used := created.Add(time.Duration(g.rnd.Int64N(int64(o.cfg.Now().Sub(created)) + 1)))
	return o.mustInsert("OauthToken", map[string]any{
		"UserId": u.id, "AppName": app.Name, "AppMenuItemId": app.MenuItemID, "CreatedDate": created,
		"LastUsedDate": used, "UseCount": int64(1 + g.rnd.IntN(5000)),
		"AccessToken": g.tokenSecret(), "RequestToken": g.tokenSecret(), "DeleteToken": g.tokenSecret(),
	})
}

// userByID is the org's user with id (ok false when none).
func (g *Generator) userByID(id string) (simUser, bool) {
	i := slices.IndexFunc(g.users, func(u simUser) bool { return u.id == id })
	if i < 0 {
		return simUser{}, false
	}
	return g.users[i], true
}

// ---- actions ----

// Apps lists the org's connected apps, and any app of another org its
// users authorized, by label.
func (o *Org) Apps() []App {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]App, 0, len(o.inv.apps))
	for _, a := range o.inv.apps {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b App) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// AuthorizeApp has user (an Id) authorize the app labeled app, as the
// OAuth approval page does: a new token (OauthToken row) of the user for
// the app, created now; it returns the token row's id (Record.ID). An app
// the org does not know is one defined in another org (no
// ConnectedApplication row, a new App Picker item).
func (o *Org) AuthorizeApp(user, app string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.authorize(user, app, false)
}

// AuthorizeForeignApp is AuthorizeApp of an app defined in another org
// under the label app, whether or not the org has an app of that label:
// a new App Picker item, as for the modified "Data Loader" of
// Google Threat Intelligence's UNC6040 reports.
func (o *Org) AuthorizeForeignApp(user, app string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.authorize(user, app, true)
}

func (o *Org) authorize(user, app string, foreign bool) (string, error) {
	u, ok := o.gen.userByID(user)
	if !ok {
		return "", fmt.Errorf("simulator: no user %s", user)
	}
	a, known := o.inv.apps[app]
	if !known || foreign {
		a = App{Name: app, MenuItemID: o.newMenuItemID()}
		if !known {
			o.inv.apps[app] = a
		}
	}
	// "Every connected application permits five distinctive approvals per
	// user. Once a sixth approval is created, the oldest approval is
	// revoked" (Salesforce Help, "Manage OAuth Access for Your Connected
	// Apps", as quoted in
	// https://docs.oracle.com/en/cloud/paas/integration-cloud/sforce-adapter/error-when-connected-app-attempts-access-your-salesforce-data.html).
	var held []*Row
	for _, r := range o.st.table("OauthToken").rows {
		if r.Fields["UserId"] == u.id && r.Fields["AppMenuItemId"] == a.MenuItemID {
			held = append(held, r)
		}
	}
	if len(held) >= 5 {
		oldest := slices.MinFunc(held, func(x, y *Row) int {
			return x.Fields["CreatedDate"].(time.Time).Compare(y.Fields["CreatedDate"].(time.Time))
		})
		o.st.remove("OauthToken", oldest.ID)
	}
	return o.insertToken(u, a, o.cfg.Now().UTC()), nil
}

// RevokeToken revokes user's newest token for the app labeled app, as
// the revoke endpoint does with its DeleteToken: the row is gone. It
// returns the row's id.
func (o *Org) RevokeToken(user, app string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := o.token(user, app)
	if id == "" || !o.st.remove("OauthToken", id) {
		return "", fmt.Errorf("simulator: user %s holds no token for %q", user, app)
	}
	return id, nil
}

// UseToken records one use of user's newest token for app now: its
// LastUsedDate and UseCount move ("How often the token has been used").
func (o *Org) UseToken(user, app string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := o.token(user, app)
	if id == "" {
		return fmt.Errorf("simulator: user %s holds no token for %q", user, app)
	}
	n, _ := o.st.table("OauthToken").byID[id].Fields["UseCount"].(int64)
	return o.st.update("OauthToken", id, map[string]any{"LastUsedDate": o.cfg.Now().UTC(), "UseCount": n + 1})
}

// token is the id of user's newest token for app ("" when none); o.mu held.
func (o *Org) token(user, app string) string {
	var id string
	var newest time.Time
	for _, r := range o.st.table("OauthToken").rows {
		if r.Fields["UserId"] == user && r.Fields["AppName"] == app {
			if c, _ := r.Fields["CreatedDate"].(time.Time); id == "" || !c.Before(newest) {
				id, newest = r.ID, c
			}
		}
	}
	return id
}

// AssignPermissionSet assigns the permission set named set to user (an
// Id) now, and returns the assignment's Id. PermSetModifyAllData and
// PermSetViewAllData grant Modify All Data and View All Data.
func (o *Org) AssignPermissionSet(user, set string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.gen.userByID(user); !ok {
		return "", fmt.Errorf("simulator: no user %s", user)
	}
	if o.inv.permSets[set] == "" {
		return "", fmt.Errorf("simulator: no permission set %q", set)
	}
	return o.st.insert("PermissionSetAssignment", o.assignment(user, set, o.cfg.Now().UTC()))
}

// UnassignPermissionSet removes user's assignment of the permission set
// named set ("To update an assignment, delete an existing assignment") and
// returns its Id.
func (o *Org) UnassignPermissionSet(user, set string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ps := o.inv.permSets[set]
	for _, r := range o.st.table("PermissionSetAssignment").rows {
		if r.Fields["AssigneeId"] == user && r.Fields["PermissionSetId"] == ps {
			o.st.remove("PermissionSetAssignment", r.ID)
			return r.ID, nil
		}
	}
	return "", fmt.Errorf("simulator: user %s holds no assignment of %q", user, set)
}

// SetAdminApprovedOnly changes the OAuth policy of the org's connected app
// labeled app, as an admin does in its settings: whether only
// admin-approved users may use it (OptionsAllowAdminApprovedUsersOnly;
// false: users may self-authorize). LastModifiedDate moves to now.
func (o *Org) SetAdminApprovedOnly(app string, only bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.inv.apps[app]
	if !ok || a.ID == "" {
		return fmt.Errorf("simulator: the org has no connected app %q", app)
	}
	return o.st.update("ConnectedApplication", a.ID, map[string]any{
		"OptionsAllowAdminApprovedUsersOnly": only, "LastModifiedDate": o.cfg.Now().UTC(), "LastModifiedById": o.gen.users[uAdmin].id})
}

// InventoryChurn is a clean org's routine changes to its inventory, none
// of them an incident: people authorize apps the org already uses and use
// their tokens, one revokes a token, an admin (who holds Modify All Data
// through the profile) is given View All Data Access as well, and a user
// an ordinary permission set. It returns how many inventory items changed
// (tokens added or removed, privileged assignments added).
func (o *Org) InventoryChurn() int {
	u := func(i int) string {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.gen.users[i].id
	}
	must := func(_ string, err error) {
		if err != nil {
			panic(err)
		}
	}
	must(o.AuthorizeApp(u(uPriya), "Salesforce for Outlook"))
	must(o.AuthorizeApp(u(uJane), "Slack"))
	must(o.AuthorizeApp(u(uAdmin), "Dataloader Partner")) // a known tool, under its own App Picker item
	must(o.RevokeToken(u(uLi), "Slack"))
	must("", o.UseToken(u(uJane), "Salesforce for iOS"))
	must("", o.UseToken(u(uJohn), "Dataloader Partner"))
	must(o.AssignPermissionSet(u(uAdmin), PermSetViewAllData))
	must(o.AssignPermissionSet(u(uJane), PermSetReportBuilder))
	return 5 // three tokens added, one removed, one privileged assignment
}

// ---- incidents ----

// Incidents that change the inventory. An incident is a change between two
// readings of it: injected at New (Config.Incidents) it is part of the
// org's first picture, so inject it (Inject, sfsim -inject-after) after a
// collector's first reading.
const (
	// Two users authorize OAuth apps the org never had: one named as a
	// known tool ("Data Loader") under an App Picker item of its own, as
	// UNC6040's modified Data Loader, and one the org never saw at all.
	IncidentOAuthAppAuthorized = "oauth_app_authorized"
	// A user is newly given Modify All Data (and View All Data with it).
	IncidentPrivilegeGrant = "privilege_grant"
)

// The apps oauth_app_authorized authorizes.
const (
	knownToolApp = "Data Loader"
	unknownApp   = "Acme Sync Connector"
)

// Kept here, beside the objects they change.
func init() {
	incidentNames = append(incidentNames, IncidentOAuthAppAuthorized, IncidentPrivilegeGrant)
	incidentBuilders[IncidentOAuthAppAuthorized] = func(in *injection, g *Generator) {
		victim, other := g.users[uJane], g.users[uPriya]
		in.user(victim)
		in.inc.Apps = []string{knownToolApp, unknownApp}
		for _, a := range []struct {
			u   simUser
			app string
		}{{victim, knownToolApp}, {other, unknownApp}} {
			id, err := in.o.authorize(a.u.id, a.app, true)
			if err != nil {
				panic(err)
			}
			in.inc.Records["OauthToken"] = append(in.inc.Records["OauthToken"], id)
		}
	}
	incidentBuilders[IncidentPrivilegeGrant] = func(in *injection, g *Generator) {
		u := g.users[uPriya]
		in.user(u)
		in.actor(g.users[uAdmin])
		in.insert("PermissionSetAssignment", in.o.assignment(u.id, PermSetModifyAllData, in.inc.At))
	}
}
