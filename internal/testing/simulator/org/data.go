package org

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// NewRegistry builds the objects of a new org: the User object the others
// point at, the ordinary objects LoginHistory and SetupAuditTrail, the
// catalog's storage objects and Event Log Objects, the custom object and
// EventLogFile (each org has its own: RemoveField changes one). To add a Salesforce object, add it to internal/catalog;
// the simulator's own objects are appended here.
//
// LoginHistory, SetupAuditTrail and EventLogFile keep their field lists
// here, where each field's version note is; TestObjectSchemasAgainstTheCatalog
// holds them to the catalog's entries, which were copied from them.
func NewRegistry() Registry {
	reg := Registry{}
	reg.add(&Schema{
		// Only the fields records point at and tests read; the rest of
		// User's fields are not simulated.
		Name:      "User",
		KeyPrefix: "005", // "005" is User's key prefix in every org
		Doc:       "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm",
		Fields: []Field{
			{Name: "Id", Type: TypeID},
			{Name: "Username", Type: TypeString},
			{Name: "Name", Type: TypeString},
			{Name: "IsActive", Type: TypeBoolean},
			// "Standard" for the org's own users (the Profile object's
			// UserType values: https://developer.salesforce.com/docs/atlas.en-us.226.0.object_reference.meta/object_reference/sforce_api_objects_profile.htm).
			{Name: "UserType", Type: TypeString},
		},
	})
	reg.add(&Schema{
		Name:           "LoginHistory",
		KeyPrefix:      "0Ya",
		Doc:            "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_loginhistory.htm",
		TimestampField: "LoginTime",
		generate:       genLoginHistory,
		// Since values follow Salesforce's object reference ("This field is
		// available in API version N and later"); see each comment for
		// which are confirmed there and which are inferred.
		Since: "21.0", // confirmed
		Fields: []Field{
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
	reg.add(&Schema{
		Name:           "SetupAuditTrail",
		KeyPrefix:      "0Ym",
		Doc:            "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_setupaudittrail.htm",
		Since:          "15.0", // confirmed
		TimestampField: "CreatedDate",
		generate:       genSetupAuditTrail,
		Fields: []Field{
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
	addInventorySchemas(reg)      // inventory.go
	addEventLogObjectSchemas(reg) // eventlogobjects.go
	addCustomObjectSchema(reg)    // below
	reg.add(eventLogFileSchema())
	return reg
}

func genLoginHistory(g *Generator, ts time.Time) map[string]any {
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
		rec["LoginType"] = g.pick(loginTypeOAuth2, "Other Apex API", "Partner Product")
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
	if api {
		g.oauthLogin(rec, u) // oauth.go: the user's app, refreshing from its egress
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

func genSetupAuditTrail(g *Generator, ts time.Time) map[string]any {
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

// addCustomObjectSchema registers the custom object. It is the
// simulator's own, as any org's custom object would be; its fields follow
// the standard fields every custom object has (Object Reference, "System
// Fields":
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm).
func addCustomObjectSchema(reg Registry) {
	reg.add(&Schema{
		Name: "Security_Case__c", KeyPrefix: "a0S", TimestampField: "LastModifiedDate",
		Doc:      "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm",
		generate: genSecurityCase,
		Fields: []Field{
			{Name: "Id", Type: TypeID},
			{Name: "Name", Type: TypeString},
			{Name: "OwnerId", Type: TypeReference, RelName: "Owner", RefObject: "User"},
			{Name: "CreatedById", Type: TypeReference, RelName: "CreatedBy", RefObject: "User"},
			{Name: "CreatedDate", Type: TypeDateTime},
			{Name: "LastModifiedDate", Type: TypeDateTime},
			{Name: "SystemModstamp", Type: TypeDateTime},
			{Name: "IsDeleted", Type: TypeBoolean},
			{Name: "Subject__c", Type: TypeString},
			{Name: "Severity__c", Type: TypeString},
			{Name: "Status__c", Type: TypeString},
			{Name: "Risk_Score__c", Type: TypeDouble},
			{Name: "Affected_Users__c", Type: TypeInt},
			{Name: "Is_Escalated__c", Type: TypeBoolean},
			{Name: "Source_Ip__c", Type: TypeString},
		},
	})
}

func genSecurityCase(g *Generator, ts time.Time) map[string]any {
	owner := g.users[g.rnd.IntN(len(g.users))]
	return map[string]any{
		"Name":              fmt.Sprintf("SC-%06d", g.rnd.IntN(1_000_000)),
		"OwnerId":           owner.id,
		"CreatedById":       g.user().id,
		"CreatedDate":       ts.Add(-time.Duration(g.rnd.IntN(72)) * time.Hour),
		"LastModifiedDate":  ts,
		"SystemModstamp":    ts,
		"IsDeleted":         false,
		"Subject__c":        g.pick("Suspicious login", "Credential stuffing", "Mass export", "Permission change", "Session hijack suspected"),
		"Severity__c":       g.pick("Low", "Medium", "High", "Critical"),
		"Status__c":         g.pick("New", "Investigating", "Closed"),
		"Risk_Score__c":     float64(g.rnd.IntN(1000)) / 10,
		"Affected_Users__c": int64(1 + g.rnd.IntN(40)),
		"Is_Escalated__c":   g.chance(0.2),
		"Source_Ip__c":      g.ip(),
	}
}

// LoginHistory Status values, which the token endpoint records and
// incidents write. Salesforce does not document the list; these are the
// strings orgs show ("Success", "Invalid Password", "Password
// Lockout", "Failed: API security token required" are well attested; the
// JWT ones follow the same "Failed: ..." form and are not confirmed).
const (
	LoginSuccess          = "Success"
	LoginInvalidPassword  = "Invalid Password"
	LoginLockout          = "Password Lockout"
	LoginTokenRequired    = "Failed: API security token required"
	LoginInvalidSignature = "Failed: Invalid Signature"
	LoginInvalidTimestamp = "Failed: Invalid Timestamp"
	LoginInvalidAudience  = "Failed: Invalid Audience"
	LoginNotApproved      = "Failed: OAuth Consumer Not Approved"
	// LoginFlowBlocked is what Login History shows for a password grant
	// on an org that blocks the flow; the token endpoint itself answers
	// only "authentication failure", as for a wrong password (reported in
	// jsforce/jsforce#1506; Salesforce help,
	// https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_disable_username_password_flow_ca.htm).
	LoginFlowBlocked = "Username-Password Flow Disabled"
)
