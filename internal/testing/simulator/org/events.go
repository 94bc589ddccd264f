package org

import (
	"fmt"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// The generators of events (the Real-Time Event Monitoring storage objects'
// rows and their topics' events). Their fields are the catalog entries'
// (each names its Salesforce page); their values are the simulator's own,
// shaped as the pages describe the fields (picklist values where a page
// lists them, e.g. ReportEvent's Operation).

// eventCommon fills the fields every event storage object shares.
func (g *Generator) eventCommon(ts time.Time) (map[string]any, simUser) {
	u := g.user()
	return map[string]any{
		"EventIdentifier": g.uuid(),
		"EventDate":       ts,
		"UserId":          u.id,
		"Username":        u.username,
		"SourceIp":        g.ip(),
		"SessionKey":      g.key(16),
		"LoginKey":        g.key(16),
		"SessionLevel":    g.pick("STANDARD", "STANDARD", "HIGH_ASSURANCE"),
		"UserType":        g.pick("Standard", "Standard", "CsnOnly"),
	}, u
}

var cities = []struct {
	iso, city string
	lat, lon  float64
}{
	{"US", "San Francisco", 37.7749, -122.4194},
	{"US", "New York", 40.7128, -74.006},
	{"GB", "London", 51.5074, -0.1278},
	{"DE", "Berlin", 52.52, 13.405},
	{"FR", "Paris", 48.8566, 2.3522},
	{"IN", "Bengaluru", 12.9716, 77.5946},
	{"JP", "Tokyo", 35.6762, 139.6503},
}

func genLoginEvent(g *Generator, ts time.Time) map[string]any {
	rec, u := g.eventCommon(ts)
	rec["Status"] = "Success"
	if g.chance(0.1) {
		rec["Status"] = g.pick("Invalid Password", "Failed: Computer activation required", "User Locked Out")
		rec["SessionKey"] = nil
	}
	api := g.chance(0.3)
	rec["LoginType"] = g.pick("Application", "Application", "SAML Idp Initiated SSO")
	rec["LoginUrl"] = g.pick("login.salesforce.com", "simorg.my.salesforce.com")
	rec["Browser"] = g.pick("Chrome 124", "Chrome 125", "Firefox 126", "Safari 17", "Edge 124")
	rec["Platform"] = g.pick("Windows 10", "Windows 11", "Mac OSX", "Linux", "iPhone iOS")
	rec["Application"] = g.pick("Browser", "Browser", "Salesforce for iOS")
	rec["UserAgent"] = g.pick(
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0")
	rec["ApiType"], rec["ApiVersion"], rec["ClientVersion"] = "N/A", "N/A", "N/A"
	if api {
		rec["LoginType"] = g.pick(loginTypeOAuth2, "Other Apex API")
		rec["ApiType"] = g.pick("SOAP Partner", "REST")
		rec["ApiVersion"] = g.pick("60.0", "64.0", "66.0")
		rec["ClientVersion"] = rec["ApiVersion"]
		rec["Browser"], rec["Platform"], rec["UserAgent"] = "Unknown", "Unknown", nil
		g.oauthLogin(rec, u) // oauth.go: the user's app, refreshing from its egress
	}
	setHome(rec, u) // incidents.go: a new country is an incident
	rec["TlsProtocol"] = g.pick("TLS 1.2", "TLS 1.3")
	rec["CipherSuite"] = g.pick("ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384")
	rec["HttpMethod"] = g.pick("POST", "POST", "GET")
	rec["AdditionalInfo"] = "{}"
	rec["EvaluationTime"] = float64(g.rnd.IntN(20))
	rec["PolicyOutcome"] = g.pick("NoAction", "NoAction", "NoAction", "Notified", "Block")
	rec["LoginHistoryId"] = sfid.New("0Ya", g.rnd.Uint64N(1<<40))
	return rec
}

func genLogoutEvent(g *Generator, ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	rec["SessionType"] = g.pick("UI", "UI", "Oauth2", "API")
	rec["AppType"] = g.pick("1000", "1001", "1003")
	rec["Platform"] = g.pick("Windows 10", "Mac OSX", "Linux")
	if g.chance(0.3) {
		rec["RelatedEventIdentifier"] = g.uuid()
	}
	return rec
}

var apiQueries = []struct{ entities, query string }{
	{"Account", "SELECT Id, Name FROM Account"},
	{"Contact", "SELECT Id, Email FROM Contact WHERE AccountId != null"},
	{"User", "SELECT Id, Username, IsActive FROM User"},
	{"Opportunity", "SELECT Id, Amount, StageName FROM Opportunity"},
	{"Account, Contact", "SELECT Id, (SELECT Id FROM Contacts) FROM Account"},
}

// genApiEvent is a query by a user's connected app (elf.AppFor, as in the
// log files): its name, the client it declares and its user agent.
// ConnectedAppId "populates when a call triggers an OAuth 2.0
// authentication process ... When a user associated with the call already
// has an active authentication token, the ConnectedAppID is set to a null
// value" (ApiEvent's page).
func genApiEvent(g *Generator, ts time.Time) map[string]any {
	rec, u := g.eventCommon(ts)
	app := g.appOf(u)
	q := apiQueries[g.rnd.IntN(len(apiQueries))]
	rows := float64(g.rnd.IntN(5000))
	rec["ApiType"] = g.pick("REST", "SOAP Partner", "Bulk API 2.0")
	rec["ApiVersion"] = g.pick("60.0", "64.0", "66.0")
	rec["Application"], rec["Client"] = app.Name, app.Client
	rec["ConnectedAppId"] = nil
	if g.chance(0.3) {
		rec["ConnectedAppId"] = app.ID
	}
	rec["Operation"] = g.pick("Query", "Query", "QueryMore", "Describe")
	rec["Platform"] = g.pick("Linux", "Mac OSX", "Windows 10")
	rec["Query"] = q.query
	rec["QueriedEntities"] = q.entities
	rec["Records"] = `{"totalSize":` + fmt.Sprint(int(rows)) + `}`
	rec["RowsProcessed"] = rows
	rec["RowsReturned"] = min(rows, 2000)
	rec["ElapsedTime"] = int64(5 + g.rnd.IntN(3000))
	rec["UserAgent"] = app.UserAgent
	rec["EvaluationTime"] = float64(g.rnd.IntN(10))
	rec["PolicyOutcome"] = "NoAction"
	rec["AdditionalInfo"] = "{}"
	return rec
}

// genLoginAsEvent is an admin logging in as another user: Username is the
// user logged in as, DelegatedUsername the admin (LoginAsEvent's page:
// https://developer.salesforce.com/docs/atlas.en-us.platform_events.meta/platform_events/sforce_api_objects_loginasevent.htm).
func genLoginAsEvent(g *Generator, ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	rec["DelegatedUsername"], rec["DelegatedOrganizationId"] = g.users[uAdmin].username, DefaultOrgID
	rec["LoginAsCategory"], rec["TargetUrl"] = "OrgAdmin", "/lightning/page/home"
	rec["LoginType"], rec["Application"] = "Application", "Browser"
	rec["Browser"], rec["Platform"] = "Chrome 125", "Mac OSX"
	return rec
}

// genUniversalAnomalyEvent is a Threat Detection anomaly in the unified
// schema: AnomalySubType says which (UniversalAnomalyEvent's page:
// https://developer.salesforce.com/docs/atlas.en-us.platform_events.meta/platform_events/sforce_api_objects_universalanomalyevent.htm).
// The summaries are the simulator's own.
func genUniversalAnomalyEvent(g *Generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	sub := anomalySubTypes[g.rnd.IntN(len(anomalySubTypes))]
	rec["AnomalySubType"] = sub
	rec["EvaluationTime"] = float64(g.rnd.IntN(20))
	summary := map[string]string{
		"ApiAnomaly":         "API request retrieved far more rows than the user's usual volume",
		"CredentialStuffing": "Successful credential stuffing attack detected",
		"GuestUserAnomaly":   "Guest user accessed an unusual number of records",
		"LoginAnomaly":       "Login attempt anomaly: unusual location, device and time",
		"MCPAnomaly":         "Agent tool calls far above the usual volume",
		"ReportAnomaly":      "Anomalous report export: far more rows than usual were exported",
		"SessionHijacking":   "Session hijacking attempt detected: the session's browser fingerprint changed",
	}[sub]
	return g.anomaly(rec, summary)
}

func genLoginEventStream(g *Generator, ts time.Time) map[string]any {
	rec := genLoginEvent(g, ts) // the storage object's values
	rec["EventUuid"] = g.uuid()
	rec["CreatedDate"] = ts
	return rec
}

func (g *Generator) rtemCommon(ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	rec["EventUuid"] = g.uuid()
	rec["CreatedDate"] = ts
	delete(rec, "SessionLevel")
	delete(rec, "UserType")
	return rec
}

func (g *Generator) anomaly(rec map[string]any, summary string) map[string]any {
	score := float64(g.rnd.IntN(1000)) / 10
	rec["Score"] = score
	rec["Summary"] = summary
	rec["SecurityEventData"] = fmt.Sprintf(`{"score":%g,"evidence":[{"source":"%s"}]}`, score, rec["SourceIp"])
	rec["PolicyId"] = sfid.New("0Nl", g.rnd.Uint64N(1<<20))
	rec["PolicyOutcome"] = g.pick("NoAction", "Notified", "Notified", "Block")
	return rec
}

func genApiAnomalyEvent(g *Generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	q := apiQueries[g.rnd.IntN(len(apiQueries))]
	rows := float64(5000 + g.rnd.IntN(500000))
	rec["Operation"] = g.pick("Query", "QueryMore")
	rec["QueriedEntities"] = q.entities
	rec["RequestIdentifier"] = g.key(20)
	rec["RowsProcessed"] = rows
	rec["Uri"] = "/services/data/v66.0/query"
	rec["UserAgent"] = g.pick("SFDX Toolbelt - 2.40.7", "Java/17.0.10", "python-requests/2.31")
	return g.anomaly(rec, fmt.Sprintf("API request retrieved %d rows, far above the user's usual volume", int(rows)))
}

func genSessionHijackingEvent(g *Generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["CurrentIp"], rec["PreviousIp"] = g.ip(), rec["SourceIp"]
	rec["CurrentPlatform"], rec["PreviousPlatform"] = g.pick("Linux x86_64", "Win32"), g.pick("MacIntel", "Win32")
	rec["CurrentScreen"], rec["PreviousScreen"] = g.pick("(1920,1080)", "(2560,1440)"), "(1440,900)"
	rec["CurrentWindow"], rec["PreviousWindow"] = "(1200,800)", "(1440,789)"
	rec["CurrentUserAgent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
	rec["PreviousUserAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
	return g.anomaly(rec, "Successful session hijacking attempt detected: the session's browser fingerprint changed")
}

func genCredentialStuffingEvent(g *Generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["AcceptLanguage"] = g.pick("en-US,en;q=0.9", "de-DE,de;q=0.8")
	rec["LoginType"] = "Application"
	rec["LoginUrl"] = "login.salesforce.com"
	rec["UserAgent"] = "python-requests/2.31.0"
	return g.anomaly(rec, "Successful credential stuffing attack detected from "+rec["SourceIp"].(string))
}

func genReportAnomalyEvent(g *Generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["Report"] = sfid.New("00O", g.rnd.Uint64N(1<<20))
	return g.anomaly(rec, "Anomalous report export: far more rows than usual were exported")
}

func genPermissionSetEvent(g *Generator, ts time.Time) map[string]any {
	rec := g.rtemCommon(ts)
	rec["SessionLevel"] = "STANDARD"
	rec["EventSource"] = g.pick("UI", "API")
	rec["HasExternalUsers"] = g.chance(0.1)
	rec["LoginHistoryId"] = sfid.New("0Ya", g.rnd.Uint64N(1<<40))
	rec["Operation"] = g.pick("AssignedToUsers", "PermissionsAdded", "PermissionsRemoved")
	rec["ParentIdList"] = sfid.New("0PS", g.rnd.Uint64N(1<<20))
	rec["ParentNameList"] = g.pick("Sales_Ops", "Modify_All_Data_Admins", "Integration_API")
	rec["PermissionExpirationList"] = nil
	rec["PermissionList"] = g.pick("ModifyAllData", "ViewAllData", "ApiEnabled,ViewSetup")
	rec["PermissionType"] = "UserPermission"
	rec["PolicyId"] = nil
	rec["PolicyOutcome"] = "NoAction"
	rec["UserCount"] = int64(1 + g.rnd.IntN(5))
	rec["UserIdList"] = g.user().id
	return rec
}
