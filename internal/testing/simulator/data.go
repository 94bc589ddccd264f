package simulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// builtinSchemas is the object registry: the User object the others point
// at, the ordinary objects LoginHistory and SetupAuditTrail, the catalog's
// storage objects and Event Log Objects, the custom object and
// EventLogFile. To add a Salesforce object, add it to internal/catalog;
// the simulator's own objects are appended here.
//
// LoginHistory, SetupAuditTrail and EventLogFile keep their field lists
// here, where each field's version note is; TestObjectSchemasAgainstTheCatalog
// holds them to the catalog's entries, which were copied from them.
func builtinSchemas() registry {
	reg := registry{}
	reg.add(&objectSchema{
		// Only the fields records point at and tests read; the rest of
		// User's fields are not simulated.
		Name:      "User",
		KeyPrefix: "005", // "005" is User's key prefix in every org
		Doc:       "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm",
		Fields: []field{
			{Name: "Id", Type: TypeID},
			{Name: "Username", Type: TypeString},
			{Name: "Name", Type: TypeString},
			{Name: "IsActive", Type: TypeBoolean},
		},
	})
	reg.add(&objectSchema{
		Name:           "LoginHistory",
		KeyPrefix:      "0Ya",
		Doc:            "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_loginhistory.htm",
		TimestampField: "LoginTime",
		generate:       genLoginHistory,
		// Since values follow Salesforce's object reference ("This field is
		// available in API version N and later"); see each comment for
		// which are confirmed there and which are inferred.
		Since: "21.0", // confirmed
		Fields: []field{
			{Name: "Id", Type: TypeID},
			{Name: "UserId", Type: TypeReference, RefObject: "User"},
			{Name: "LoginTime", Type: TypeDateTime},
			{Name: "LoginType", Type: TypeString},
			{Name: "SourceIp", Type: TypeString},
			{Name: "LoginUrl", Type: TypeString},
			{Name: "Browser", Type: TypeString},
			{Name: "Platform", Type: TypeString},
			{Name: "Status", Type: TypeString},
			{Name: "Application", Type: TypeString},
			// As old as the object: listed without a version note in the
			// oldest references.
			{Name: "ClientVersion", Type: TypeString, Since: "21.0"},
			{Name: "ApiType", Type: TypeString, Since: "21.0"},
			{Name: "ApiVersion", Type: TypeString, Since: "21.0"},
			// Listed by API 44.0; the version is inferred (it came with the
			// TLS fields), not confirmed.
			{Name: "CountryIso", Type: TypeString, Since: "37.0"},
			{Name: "AuthMethodReference", Type: TypeString, Since: "51.0"}, // confirmed
			// The LoginGeo object it points at is available in 34.0
			// (confirmed); the simulator has no LoginGeo records.
			{Name: "LoginGeoId", Type: TypeReference, RefObject: "LoginGeo", Since: "34.0"},
			{Name: "TlsProtocol", Type: TypeString, Since: "37.0"}, // inferred from CipherSuite
			{Name: "CipherSuite", Type: TypeString, Since: "37.0"}, // confirmed
			// Absent from the API 44.0 reference; versions plausible,
			// unconfirmed. (LoginHistory has no HttpMethod: LoginEvent has;
			// OptionsIsGet and OptionsIsPost say how the login was sent.)
			{Name: "LoginSubType", Type: TypeString, Since: "52.0"},
			{Name: "ForwardedForIp", Type: TypeString, Since: "57.0"},
			{Name: "OptionsIsGet", Type: TypeBoolean, Since: "46.0"},
			{Name: "OptionsIsPost", Type: TypeBoolean, Since: "46.0"},
		},
	})
	reg.add(&objectSchema{
		Name:           "SetupAuditTrail",
		KeyPrefix:      "0Ym",
		Doc:            "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_setupaudittrail.htm",
		Since:          "15.0", // confirmed
		TimestampField: "CreatedDate",
		generate:       genSetupAuditTrail,
		Fields: []field{
			{Name: "Id", Type: TypeID},
			{Name: "Action", Type: TypeString},
			{Name: "Section", Type: TypeString},
			{Name: "CreatedDate", Type: TypeDateTime},
			{Name: "CreatedById", Type: TypeReference, RelName: "CreatedBy", RefObject: "User"},
			{Name: "Display", Type: TypeString},
			{Name: "DelegateUser", Type: TypeString, Since: "35.0"}, // confirmed
			// Absent from the references up to at least API 51.0; the
			// version is a guess.
			{Name: "ResponsibleNamespacePrefix", Type: TypeString, Since: "62.0"},
			// 48.0 in the versioned object reference (confirmed); the newer
			// reference says 45.0.
			{Name: "CreatedByContext", Type: TypeString, Since: "48.0"},
			{Name: "CreatedByIssuer", Type: TypeString, Since: "48.0"},
		},
	})
	addCatalogSchemas(reg)        // catalog.go: storage objects
	addEventLogObjectSchemas(reg) // eventlogobjects.go
	addCustomObjectSchema(reg)    // bigobjects.go
	reg.add(eventLogFileSchema())
	return reg
}

// generator holds the seeded randomness and the users generated records
// refer to. Callers hold Server.mu.
type generator struct {
	rnd         *rand.Rand
	users       []simUser // users[0] is the integration user
	geo         uint64
	eventNumber uint64 // the Threat Detection stores' *EventNumber (catalog.go)
}

type simUser struct{ id, username, name string }

func (g *generator) pick(xs ...string) string { return xs[g.rnd.IntN(len(xs))] }

func (g *generator) chance(p float64) bool { return g.rnd.Float64() < p }

func (g *generator) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.rnd.IntN(223), g.rnd.IntN(256), g.rnd.IntN(256), 1+g.rnd.IntN(254))
}

// user picks a user, favouring the integration user as real orgs do.
func (g *generator) user() simUser {
	if g.chance(0.3) {
		return g.users[0]
	}
	return g.users[g.rnd.IntN(len(g.users))]
}

func genLoginHistory(g *generator, ts time.Time) map[string]any {
	u := g.user()
	api := g.chance(0.35)
	// Users log in from home (incidents.go): a new country is an incident.
	home, _, _, _ := homeCity(u)
	rec := map[string]any{
		"UserId":         u.id,
		"LoginTime":      ts,
		"LoginType":      g.pick("Application", "Application", "Remote Access 2.0", "SAML Idp Initiated SSO", "Other Apex API"),
		"SourceIp":       g.ip(),
		"LoginUrl":       g.pick("login.salesforce.com", "simorg.my.salesforce.com"),
		"Browser":        g.pick("Chrome 124", "Chrome 125", "Firefox 126", "Safari 17", "Edge 124"),
		"Platform":       g.pick("Windows 10", "Windows 11", "Mac OSX", "Linux", "iPhone iOS", "Android 14"),
		"Status":         "Success",
		"Application":    g.pick("Browser", "Browser", "Salesforce for iOS", "Salesforce for Android"),
		"ClientVersion":  "N/A",
		"ApiType":        "N/A",
		"ApiVersion":     "N/A",
		"CountryIso":     home,
		"TlsProtocol":    g.pick("TLS 1.2", "TLS 1.3", "TLS 1.3"),
		"CipherSuite":    g.pick("ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"),
		"OptionsIsGet":   false,
		"OptionsIsPost":  false,
		"LoginGeoId":     nil,
		"ForwardedForIp": nil,
	}
	if api {
		rec["LoginType"] = g.pick("Remote Access 2.0", "Other Apex API", "Partner Product")
		rec["Application"] = g.pick("Data Loader", "Salesforce CLI", "sfsim Integration")
		rec["ApiType"] = g.pick("SOAP Partner", "REST")
		rec["ApiVersion"] = g.pick("60.0", "64.0", "66.0")
		rec["ClientVersion"] = rec["ApiVersion"]
		rec["Browser"], rec["Platform"] = "Unknown", "Unknown"
		rec["AuthMethodReference"] = g.pick("RFC8705", "")
		if rec["AuthMethodReference"] == "" {
			rec["AuthMethodReference"] = nil
		}
	}
	// How the login was sent: mostly POST.
	if g.chance(0.33) {
		rec["OptionsIsGet"] = true
	} else {
		rec["OptionsIsPost"] = true
	}
	switch {
	case g.chance(0.04):
		// Logins Salesforce itself performs carry this literal, not an IP.
		rec["SourceIp"] = "Salesforce.com IP"
	case g.chance(0.1):
		rec["ForwardedForIp"] = g.ip()
	}
	if !g.chance(0.15) {
		g.geo++
		rec["LoginGeoId"] = sfid.New("04F", 1_000_000+g.geo)
	}
	if g.chance(0.1) {
		rec["Status"] = g.pick("Invalid Password", "Invalid Password", "Failed: Computer activation required", "User Locked Out")
	}
	if g.chance(0.05) {
		rec["LoginSubType"] = g.pick("OAuth Username-Password Flow", "OAuth JWT Bearer Flow")
	}
	return rec
}

var auditActions = []struct{ action, section, display string }{
	{"changedPassword", "Manage Users", "Changed password for user %s"},
	{"resetPassword", "Manage Users", "Reset password for user %s"},
	{"createduser", "Manage Users", "Created new user %s"},
	{"deactivateduser", "Manage Users", "Deactivated user %s"},
	// Routine access changes: ordinary profiles and permission sets. Granting
	// admin-level ones is IncidentPermissionChange (incidents.go).
	{"changedprofileforuser", "Manage Users", "Changed profile for user %s from Standard User to Sales User"},
	{"PermSetAssign", "Manage Users", "Permission set Sales Cloud User: assigned to %s"},
	{"PermSetUnassign", "Manage Users", "Permission set Sales Cloud User: unassigned from %s"},
	{"loginasgrantedtoorg", "Security Controls", "Granted login access to %s"},
	{"changedsessiontimeout", "Session Settings", "Changed session timeout from 2 hours to 4 hours"},
	{"insertConnectedApplication", "Connected Apps", "Created connected app sfsim-collector"},
	{"changedApexClass", "Apex Class", "Changed Apex class code: LoginAuditHandler"},
	{"changedNetworkAccess", "Network Access", "Added trusted IP range 10.0.0.0 to 10.255.255.255"},
}

func genSetupAuditTrail(g *generator, ts time.Time) map[string]any {
	u := g.user()
	target := g.users[g.rnd.IntN(len(g.users))]
	a := auditActions[g.rnd.IntN(len(auditActions))]
	display := a.display
	if strings.Contains(display, "%s") {
		display = fmt.Sprintf(display, target.username)
	}
	rec := map[string]any{
		"Action":      a.action,
		"Section":     a.section,
		"CreatedDate": ts,
		"CreatedById": u.id,
		"Display":     display,
	}
	if g.chance(0.05) {
		rec["DelegateUser"] = g.users[len(g.users)-1].username // a login-as session
	}
	if g.chance(0.08) {
		rec["CreatedByContext"] = g.pick("Apex", "Metadata API")
		rec["ResponsibleNamespacePrefix"] = g.pick("sfsim", "")
		if rec["ResponsibleNamespacePrefix"] == "" {
			rec["ResponsibleNamespacePrefix"] = nil
		}
	}
	if g.chance(0.03) {
		rec["CreatedByIssuer"] = "https://idp.sfsim.example.com"
	}
	return rec
}

// runs describes how often generated events share one timestamp: with
// probability chance a time is used by 2..max events.
type runs struct {
	chance float64
	max    int
}

var (
	noRuns = runs{}
	// soqlRuns: runs of 2..30 records sharing a second, the case that
	// breaks receivers whose cursor is "timestamp > last seen".
	soqlRuns = runs{chance: 0.03, max: 30}
	// eventRuns: runs of 2..8 events sharing a millisecond, as busy orgs
	// produce in the Real-Time Event Monitoring objects.
	eventRuns = runs{chance: 0.05, max: 8}
)

// timestamps returns n times in [from, to), ascending, truncated to
// precision, some of them shared by runs of events.
func (g *generator) timestamps(n int, from, to time.Time, precision time.Duration, r runs) []time.Time {
	span := to.Sub(from)
	if n <= 0 || span <= 0 {
		return nil
	}
	out := make([]time.Time, 0, n)
	for len(out) < n {
		ts := from.Add(time.Duration(g.rnd.Int64N(int64(span)))).Truncate(precision)
		k := 1
		if r.chance > 0 && g.chance(r.chance) {
			k = 2 + g.rnd.IntN(r.max-1)
		}
		for range min(k, n-len(out)) {
			out = append(out, ts)
		}
	}
	slices.SortStableFunc(out, time.Time.Compare)
	return out
}

// arrivalBatch is how many rows of an object arrive on one tick of the
// program's clock: usually a few, sometimes a same-timestamp run.
func (g *generator) arrivalBatch(object string, runs bool) int {
	if runs && g.chance(0.1) {
		return 2 + g.rnd.IntN(29)
	}
	if object == "SetupAuditTrail" {
		return g.rnd.IntN(2)
	}
	return g.rnd.IntN(5)
}
