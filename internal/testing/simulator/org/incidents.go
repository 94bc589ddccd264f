package org

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/elf"
)

// Security incidents the simulator injects on request (Config.Incidents,
// Org.Inject, sfsim -incidents), each as the records Salesforce would
// write for it on every source that sees it, so that the detections in
// docs/detections.md can be tested: each must find its incident, and none
// may fire on the clean data the generators make.
const (
	// 12 failed logins of one user from one IP within 4 minutes.
	IncidentFailedLoginBurst = "failed_login_burst"
	// Password spray: 2 failed logins for each of 7 users from one IP
	// within 4 minutes.
	IncidentPasswordSpray = "password_spray"
	// A successful login from a country the user never logged in from.
	IncidentNewCountry = "new_country_login"
	// An admin logs in as another user.
	IncidentLoginAs = "login_as"
	// A privileged permission set, an admin profile and a profile
	// permission granted.
	IncidentPermissionChange = "permission_change"
	// One user exports 3 reports of 25,000 rows and 25 more from Event
	// Monitoring's view, within the hour.
	IncidentMassReportExport = "mass_report_export"
	// A Threat Detection API anomaly.
	IncidentAPIAnomaly = "api_anomaly"
	// A connected app's stolen token exports the org within the hour
	// (UNC6395 with the Salesloft Drift tokens): Bulk API 2.0 query jobs,
	// Bulk API batches, REST query pages through the app and SOAP
	// queryMore calls, each source far above 50,000 rows.
	IncidentMassAPIExport = "mass_api_export"
	// A user's account used by clients it never used: a vished user's
	// authorized "Data Loader" (UNC6040) and the scripted clients of the
	// 2025 advisories (python-requests/2.32.4,
	// Salesforce-Multi-Org-Fetcher/1.0).
	IncidentNewAPIClient = "new_api_client"
	// A connected app's refresh token used from an address the app never
	// refreshed from.
	IncidentRefreshTokenNewAddress = "refresh_token_new_address"
)

// IncidentNames lists every incident Inject knows, in a stable order.
func IncidentNames() []string { return slices.Clone(incidentNames) }

var incidentNames = []string{
	IncidentFailedLoginBurst, IncidentPasswordSpray, IncidentNewCountry, IncidentLoginAs,
	IncidentPermissionChange, IncidentMassReportExport, IncidentAPIAnomaly,
	IncidentMassAPIExport, IncidentNewAPIClient, IncidentRefreshTokenNewAddress,
}

// Incident is the ground truth of one injected incident.
type Incident struct {
	Name string
	At   time.Time // when it was injected; its records are at most 30 min older
	// UserID and Username are the user it concerns: the one attacked,
	// logging in, changed or exporting. For login_as and permission_change
	// the acting admin is ActorID/ActorUsername.
	UserID, Username       string
	ActorID, ActorUsername string
	IP                     string // the client address, where it has one
	Country                string // new_country_login: the new country (CountryIso)
	HomeCountry            string // new_country_login: the user's usual one
	// App and AppID are the connected app it concerns (name, 15-character
	// Id): the exporting app, the app refreshing from a new address.
	App, AppID string
	// Clients are the clients and user agents new_api_client used.
	Clients []string
	// Apps are the apps oauth_app_authorized authorized (AppName).
	Apps []string
	// Records are the ids of the records it added, by object; for
	// EventLogFile the file's Id (its rows are all the incident's).
	Records map[string][]string
}

// The addresses incidents come from: documentation ranges (RFC 5737),
// which the generators' random addresses never hit in practice.
const (
	burstIP    = "198.51.100.23"
	sprayIP    = "203.0.113.66"
	travelIP   = "192.0.2.44"
	loginAsIP  = "198.51.100.7"
	exporterIP = "192.0.2.91"
	anomalyIP  = "203.0.113.200"
	apiDumpIP  = "198.51.100.140"
	newUAIP    = "203.0.113.45"
	refreshIP  = "198.51.100.201"
)

// travelCity is where new_country_login logs in from: in no user's
// home country (cities holds those).
var travelCity = struct {
	iso, city string
	lat, lon  float64
}{"RO", "Bucharest", 44.4268, 26.1025}

// homeCity is where a user always logs in from on clean data: one of
// cities, fixed by the user's id, so that a login from elsewhere is news.
func homeCity(u simUser) (iso, city string, lat, lon float64) {
	h := fnv.New32a()
	h.Write([]byte(u.id))
	c := cities[h.Sum32()%uint32(len(cities))]
	return c.iso, c.city, c.lat, c.lon
}

// setHome puts a LoginEvent at u's home.
func setHome(le map[string]any, u simUser) {
	le["CountryIso"], le["City"], le["LoginLatitude"], le["LoginLongitude"] = homeCity(u)
}

// seededELFEventTypes are the event types SeedLogFiles writes files for:
// all but LoginAs, which a clean org has no events of (an admin logging
// in as a user is an incident the detections report; IncidentLoginAs
// writes its file).
func seededELFEventTypes() []string {
	return slices.DeleteFunc(elf.EventTypes(), func(t string) bool { return t == "LoginAs" })
}

// genReportEvent is clean report activity: mostly runs, some exports,
// never more than 1,500 rows (mass_report_export's threshold is 10,000
// rows per user and hour). Operation values are Salesforce's picklist
// (confirmed: ReportExported, ReportRunFromLightning, ReportRunFromClassic).
func genReportEvent(g *Generator, ts time.Time) map[string]any {
	rec, _ := g.eventCommon(ts)
	delete(rec, "UserType")
	r := reports[g.rnd.IntN(len(reports))]
	rec["Operation"] = g.pick("ReportRunFromLightning", "ReportRunFromLightning", "ReportRunFromClassic", "ReportExported")
	rec["ReportId"] = r.id
	rec["Name"] = r.name
	rec["QueriedEntities"] = r.entity
	rec["ColumnHeaders"] = r.columns
	rec["RowsProcessed"] = float64(1 + g.rnd.IntN(1500))
	rec["Format"] = g.pick("Tabular", "Summary", "Matrix")
	rec["EventSource"] = g.pick("Lightning", "Lightning", "Classic")
	rec["IsScheduled"] = false
	rec["PolicyOutcome"] = "NoAction"
	if rec["Operation"] == "ReportExported" {
		rec["ExportFileFormat"] = g.pick("CSV", "XLSX")
	}
	return rec
}

var reports = []struct{ id, name, entity, columns string }{
	{"00O5g000004PipeAAA", "Pipeline by Stage", "Opportunity", "[Opportunity.Name, Opportunity.StageName, Opportunity.Amount]"},
	{"00O5g000004AcctAAA", "All Accounts", "Account", "[Account.Name, Account.Industry, Account.Owner.Name]"},
	{"00O5g000004CntcAAA", "Contacts with Email", "Contact", "[Contact.Name, Contact.Email, Contact.Phone]"},
}

// Inject adds the records of incident name at the org's Now and
// returns its ground truth (also kept for Incidents).
func (o *Org) Inject(name string) (Incident, error) {
	add, ok := incidentBuilders[name]
	if !ok {
		return Incident{}, fmt.Errorf("simulator: unknown incident %q (known: %s)", name, strings.Join(incidentNames, ", "))
	}
	at := o.cfg.Now().UTC()
	in := &injection{o: o, inc: Incident{Name: name, At: at, Records: map[string][]string{}}}
	// A burst lies in the 15-minute bucket before the current one, so the
	// detections' aligned buckets (stats by _time:15m) never split it,
	// and at least 10 minutes back, where big objects' readers have been.
	in.burst = at.Truncate(15 * time.Minute).Add(-14 * time.Minute)
	o.mu.Lock()
	add(in, o.gen)
	o.mu.Unlock()
	for _, f := range in.files { // AddLogFile takes o.mu itself
		in.inc.Records["EventLogFile"] = append(in.inc.Records["EventLogFile"], o.AddLogFile(f))
	}
	o.incMu.Lock()
	o.incidents = append(o.incidents, in.inc)
	o.incMu.Unlock()
	return in.inc, nil
}

// Incidents returns every incident injected so far, in order.
func (o *Org) Incidents() []Incident {
	o.incMu.Lock()
	defer o.incMu.Unlock()
	return slices.Clone(o.incidents)
}

// injectConfig injects Config.Incidents; New calls it.
func (o *Org) injectConfig() {
	for _, name := range o.cfg.Incidents {
		if _, err := o.Inject(name); err != nil {
			panic(err)
		}
	}
}

// injection is one Inject call; its builder runs with o.mu held.
type injection struct {
	o     *Org
	inc   Incident
	burst time.Time // where bursts start
	files []LogFile
}

func (in *injection) insert(object string, rec map[string]any) {
	in.inc.Records[object] = append(in.inc.Records[object], in.o.mustInsert(object, rec))
}

// elf queues a daily log file of eventType whose rows are generated, then
// changed by set (row i, column name → value).
func (in *injection) elf(eventType string, rows int, set func(i int) map[string]string) {
	day := in.inc.At.Truncate(24 * time.Hour)
	names, _ := elf.Columns(eventType)
	g := elf.NewRowGen(eventType, DefaultOrgID, fileSeed(in.o.cfg.Seed, LogFile{EventType: eventType, LogDate: in.inc.At}), day, time.Hour,
		usersForELF(in.o.gen.users)...)
	var out [][]string
	for i := range rows {
		row := slices.Clone(g.Next(nil))
		for col, v := range set(i) {
			j := slices.Index(names, col)
			if j < 0 {
				panic("simulator: " + eventType + " has no column " + col)
			}
			row[j] = v
		}
		out = append(out, row)
	}
	// Published now: a file newer than every file the receiver has seen.
	in.files = append(in.files, LogFile{EventType: eventType, LogDate: day, CreatedDate: in.inc.At, Rows: out})
}

// elfTime is the TIMESTAMP and TIMESTAMP_DERIVED cells of a row at t.
func elfTime(t time.Time, cells map[string]string) map[string]string {
	cells["TIMESTAMP"] = t.UTC().Format("20060102150405.000")
	cells["TIMESTAMP_DERIVED"] = t.UTC().Format("2006-01-02T15:04:05.000Z")
	return cells
}

func (in *injection) user(u simUser) {
	in.inc.UserID, in.inc.Username = u.id, u.username
}

func (in *injection) actor(u simUser) {
	in.inc.ActorID, in.inc.ActorUsername = u.id, u.username
}

// The users incidents concern: users[0] is the integration user, then
// seedUsers' people in order.
const (
	uAdmin = 1
	uJane  = 2
	uJohn  = 3
	uPriya = 4
	uLi    = 5
)

var incidentBuilders = map[string]func(in *injection, g *Generator){
	// incidents_oauth.go: the 2025 campaigns through connected apps
	IncidentMassAPIExport:          injectMassAPIExport,
	IncidentNewAPIClient:           injectNewAPIClient,
	IncidentRefreshTokenNewAddress: injectRefreshTokenNewAddress,

	IncidentFailedLoginBurst: func(in *injection, g *Generator) {
		u := g.users[uJane]
		in.user(u)
		in.inc.IP = burstIP
		for i := range 12 {
			in.failedLogin(g, u, burstIP, in.burst.Add(time.Duration(i)*20*time.Second))
		}
		in.failedELFLogins(func(i int) (simUser, time.Time) { return u, in.burst.Add(time.Duration(i) * 20 * time.Second) }, 12, burstIP)
	},
	IncidentPasswordSpray: func(in *injection, g *Generator) {
		in.inc.IP = sprayIP
		targets := g.users[1:] // every person, none of them twice in a row
		n := 2 * len(targets)
		at := func(i int) (simUser, time.Time) {
			return targets[i%len(targets)], in.burst.Add(time.Duration(i) * 15 * time.Second)
		}
		for i := range n {
			u, ts := at(i)
			in.failedLogin(g, u, sprayIP, ts)
		}
		in.failedELFLogins(at, n, sprayIP)
	},
	IncidentNewCountry: func(in *injection, g *Generator) {
		u := g.users[uPriya]
		in.user(u)
		in.inc.IP, in.inc.Country = travelIP, travelCity.iso
		in.inc.HomeCountry, _, _, _ = homeCity(u)
		ts := in.inc.At.Add(-5 * time.Minute)
		lh := genLoginHistory(g, ts)
		lh["UserId"], lh["Status"], lh["SourceIp"], lh["CountryIso"] = u.id, LoginSuccess, travelIP, travelCity.iso
		browserLogin(lh)
		in.insert("LoginHistory", lh)
		le := genLoginEvent(g, ts)
		le["UserId"], le["Username"], le["Status"], le["SourceIp"] = u.id, u.username, LoginSuccess, travelIP
		browserLogin(le)
		le["CountryIso"], le["City"] = travelCity.iso, travelCity.city
		le["LoginLatitude"], le["LoginLongitude"] = travelCity.lat, travelCity.lon
		le["SessionKey"] = g.key(16)
		in.insert("LoginEvent", le)
	},
	IncidentLoginAs: func(in *injection, g *Generator) {
		admin, target := g.users[uAdmin], g.users[uJohn]
		in.actor(admin)
		in.user(target)
		in.inc.IP = loginAsIP
		ts := in.inc.At.Add(-6 * time.Minute)
		// suOrgAdminLogin/suOrgAdminLogout: attested in public Setup Audit
		// Trail action lists (not in Salesforce's object reference, which
		// documents only PermSetCreate as an example Action).
		for i, a := range []string{"suOrgAdminLogin", "suOrgAdminLogout"} {
			verb := map[int]string{0: "Logged in", 1: "Logged out"}[i]
			in.insert("SetupAuditTrail", map[string]any{
				"Action": a, "Section": "Manage Users", "CreatedDate": ts.Add(time.Duration(i) * time.Minute),
				"CreatedById": admin.id, "Display": verb + " using Login-As access for " + target.name,
			})
		}
		rec := genLoginAsEvent(g, ts)
		delete(rec, "UserType")
		rec["UserId"], rec["Username"], rec["SourceIp"] = target.id, target.username, loginAsIP
		rec["DelegatedUsername"], rec["DelegatedOrganizationId"] = admin.username, in.o.cfg.OrgID
		in.insert("LoginAsEvent", rec)
		// Event Monitoring's LoginAs rows: what the admin did as the user
		// (USER_ID the user, DELEGATED_USER_* the admin, as documented).
		in.elf("LoginAs", 3, func(i int) map[string]string {
			return elfTime(ts.Add(time.Duration(30+i*40)*time.Second), map[string]string{
				"USER_ID": target.id[:15], "USER_ID_DERIVED": target.id,
				"DELEGATED_USER_ID": admin.id[:15], "DELEGATED_USER_NAME": admin.username,
				"DELEGATED_ORGANIZATION_ID": in.o.cfg.OrgID[:15], "CLIENT_IP": loginAsIP,
				"REQUEST_STATUS": "S",
			})
		})
	},
	IncidentPermissionChange: func(in *injection, g *Generator) {
		admin, target := g.users[uAdmin], g.users[uLi]
		in.actor(admin)
		in.user(target)
		ts := in.inc.At.Add(-8 * time.Minute)
		// Action names as public Setup Audit Trail action lists give them
		// (PermSetAssign, changedprofileforuser, profilePermChangedCustom);
		// only PermSetCreate is confirmed by Salesforce's object reference.
		for i, a := range []struct{ action, display string }{
			{"PermSetAssign", fmt.Sprintf("Permission set Modify All Data Access: assigned to user %s (UserID: [%s])", target.name, target.id[:15])},
			{"changedprofileforuser", "Changed profile for user " + target.name + " from Standard User to System Administrator"},
			{"profilePermChangedCustom", "Changed profile Sales User: general user permission View All Data was changed from disabled to enabled"},
		} {
			in.insert("SetupAuditTrail", map[string]any{
				"Action": a.action, "Section": "Manage Users", "CreatedDate": ts.Add(time.Duration(i) * time.Minute),
				"CreatedById": admin.id, "Display": a.display,
			})
		}
	},
	IncidentMassReportExport: func(in *injection, g *Generator) {
		u := g.users[uLi]
		in.user(u)
		in.inc.IP = exporterIP
		for i := range 3 {
			rec := genReportEvent(g, in.burst.Add(time.Duration(i)*time.Minute))
			rec["UserId"], rec["Username"], rec["SourceIp"] = u.id, u.username, exporterIP
			rec["Operation"], rec["ExportFileFormat"] = "ReportExported", "CSV"
			rec["RowsProcessed"] = float64(25_000)
			in.insert("ReportEvent", rec)
		}
		in.elf("ReportExport", 25, func(i int) map[string]string {
			return elfTime(in.burst.Add(time.Duration(i)*8*time.Second), map[string]string{
				"USER_ID": u.id[:15], "USER_ID_DERIVED": u.id, "CLIENT_IP": exporterIP,
			})
		})
	},
	IncidentAPIAnomaly: func(in *injection, g *Generator) {
		u := g.users[uJohn]
		in.user(u)
		in.inc.IP = anomalyIP
		ts := in.inc.At.Add(-7 * time.Minute)
		rec, _ := g.eventCommon(ts)
		delete(rec, "UserType")
		delete(rec, "SessionLevel") // not a field of the store (catalog.yaml)
		rec["UserId"], rec["Username"], rec["SourceIp"] = u.id, u.username, anomalyIP
		rec["ApiAnomalyEventNumber"] = "AAE-" + strconv.Itoa(1000+g.rnd.IntN(9000))
		rec["CreatedDate"] = ts.Add(90 * time.Second) // detection lags the event
		rec["Operation"], rec["QueriedEntities"] = "Query", "Contact"
		rec["RequestIdentifier"] = g.key(20)
		rec["RowsProcessed"] = float64(250_000)
		rec["Score"] = 92.5
		rec["Summary"] = "API request retrieved 250000 rows, far above the user's usual volume"
		rec["SecurityEventData"] = `{"score":92.5,"evidence":[{"source":"` + anomalyIP + `"}]}`
		rec["Uri"], rec["UserAgent"] = "/services/data/v66.0/query", "python-requests/2.31"
		rec["PolicyOutcome"] = "Notified"
		in.insert("ApiAnomalyEventStore", rec)
	},
}

// failedLogin adds the LoginHistory row and the LoginEvent of one failed
// password login of u from ip at ts.
func (in *injection) failedLogin(g *Generator, u simUser, ip string, ts time.Time) {
	lh := genLoginHistory(g, ts)
	lh["UserId"], lh["Status"], lh["SourceIp"] = u.id, LoginInvalidPassword, ip
	lh["CountryIso"], _, _, _ = homeCity(u)
	browserLogin(lh)
	in.insert("LoginHistory", lh)
	le := genLoginEvent(g, ts)
	le["UserId"], le["Username"], le["Status"], le["SourceIp"] = u.id, u.username, LoginInvalidPassword, ip
	browserLogin(le)
	le["SessionKey"] = nil // a failed login opens no session
	setHome(le, u)
	in.insert("LoginEvent", le)
}

// browserLogin makes a generated LoginHistory row or LoginEvent a user's
// password login in a browser, never an app's OAuth login: an incident
// about a user is not one about an app (oauth.go).
func browserLogin(rec map[string]any) {
	rec["LoginType"], rec["Application"], rec["LoginSubType"] = "Application", "Browser", nil
	if _, ok := rec["ForwardedForIp"]; ok {
		rec["ForwardedForIp"] = nil
	}
	if _, ok := rec["UserAgent"]; ok && rec["UserAgent"] == nil {
		rec["UserAgent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36"
	}
}

// failedELFLogins queues the Event Monitoring Login rows of n failed
// logins from ip; at gives each one's user and time. The address is in
// both CLIENT_IP and SOURCE_IP, where Salesforce has it on failed logins.
func (in *injection) failedELFLogins(at func(i int) (simUser, time.Time), n int, ip string) {
	in.elf("Login", n, func(i int) map[string]string {
		u, ts := at(i)
		return elfTime(ts, map[string]string{
			"USER_ID": u.id[:15], "USER_ID_DERIVED": u.id, "USER_NAME": u.username,
			"LOGIN_STATUS": "LOGIN_ERROR_INVALID_PASSWORD", "REQUEST_STATUS": "F",
			"CLIENT_IP": ip, "SOURCE_IP": ip, "SESSION_KEY": "", "LOGIN_TYPE": "A", // A: Application (a password login)
		})
	})
}
