package org

import (
	"time"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/elf"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// The incidents of the 2025 campaigns against Salesforce orgs, which came
// through connected apps and OAuth tokens rather than passwords (issue
// #25): Google Threat Intelligence's UNC6040 (users talked into
// authorizing a modified Data Loader,
// https://cloud.google.com/blog/topics/threat-intelligence/voice-phishing-data-extortion)
// and UNC6395 (the Salesloft Drift tokens,
// https://cloud.google.com/blog/topics/threat-intelligence/data-theft-salesforce-instances-via-salesloft-drift),
// each written as the log files and objects that record it.

// The scripted clients the advisories name (user agents, as published by
// Google and Palo Alto Networks for UNC6395 and by Salesforce for the
// Gainsight tokens; Datadog's rule def-000-mtq matches the two
// Salesforce-* ones on every use:
// https://docs.datadoghq.com/security/default_rules/def-000-mtq/).
const (
	uaPythonRequests  = "python-requests/2.32.4"
	uaMultiOrgFetcher = "Salesforce-Multi-Org-Fetcher/1.0"
)

// ticketPortal is UNC6040's connected app: a modified Data Loader, in
// some cases renamed "My Ticket Portal" (GTIG). It declares Data Loader's
// client; its Id is new to the org.
var ticketPortal = elf.App{ID: sfid.New("0H4", 910_001)[:15], Name: "My Ticket Portal",
	Client: elf.Apps[0].Client, UserAgent: elf.Apps[0].UserAgent}

// The user whose app exports the org, and the app refreshing from a new
// address: John works through Acme Chat Connector (elf.AppFor(uJohn)), a
// third-party chat integration like Drift.
const uChatAppUser = uJohn

// exportObjects are what UNC6395 exported (Account, Contact, Case,
// Opportunity, User, per the advisories).
var exportObjects = []string{"Account", "Contact", "Case", "Opportunity"}

// injectMassAPIExport is a chat integration's stolen token exporting the
// org within minutes, through every API that reports rows, each source far
// above the 50,000 rows an hour the mass_api_export detection alerts on.
func injectMassAPIExport(in *injection, g *Generator) {
	u := g.users[uChatAppUser]
	app := g.appOf(u)
	in.user(u)
	in.inc.IP, in.inc.App, in.inc.AppID = apiDumpIP, app.Name, app.ID
	who := func(t time.Time, cells map[string]string) map[string]string {
		cells["USER_ID"], cells["USER_ID_DERIVED"], cells["CLIENT_IP"] = u.id[:15], u.id, apiDumpIP
		return elfTime(t, cells)
	}
	at := func(i int) time.Time { return in.burst.Add(time.Duration(i) * 10 * time.Second) }

	// Bulk API 2.0 query jobs, one per object: an event per state, rows
	// reported "for this event" on InProgress and JobComplete (75,000 a
	// job, 300,000 in all).
	states := []struct{ status, rows string }{
		{"Open", ""}, {"UploadComplete", ""}, {"InProgress", "20000"}, {"InProgress", "20000"},
		{"InProgress", "20000"}, {"JobComplete", "15000"},
	}
	in.elf("BulkApi2", len(exportObjects)*len(states), func(i int) map[string]string {
		job, st := i/len(states), states[i%len(states)]
		return who(at(i), map[string]string{
			"JOB_ID": sfid.New("750", 720_000+uint64(job))[:15], "JOB_STATUS": st.status, "OPERATION_TYPE": "query",
			"ENTITY_TYPE": exportObjects[job], "RECORDS_PROCESSED": st.rows, "RECORDS_FAILED": "0",
			"URI": "/services/data/v58.0/jobs/query",
		})
	})
	// A Bulk API job of 12 batches of 10,000 Contacts (120,000).
	in.elf("BulkApi", 12, func(i int) map[string]string {
		return who(at(i), map[string]string{
			"JOB_ID": sfid.New("750", 730_000)[:15], "BATCH_ID": sfid.New("751", 730_000+uint64(i))[:15],
			"OPERATION_TYPE": "query", "ENTITY_TYPE": "Contact", "ROWS_PROCESSED": "10000",
			"NUMBER_FAILURES": "0", "SUCCESS": "1", "MESSAGE": "",
		})
	})
	// 40 REST query pages of 2,000 rows through the app (80,000).
	in.elf("RestApi", 40, func(i int) map[string]string {
		obj := exportObjects[i%len(exportObjects)]
		return who(at(i), map[string]string{
			"URI": "/services/data/v58.0/query", "METHOD": "GET", "STATUS_CODE": "200", "REQUEST_STATUS": "S",
			"ENTITY_NAME": obj, "QUERY": "SELECT Id, Name FROM " + obj, "ROWS_PROCESSED": "2000",
			"CONNECTED_APP_ID": app.ID, "CLIENT_NAME": app.Client, "EXCEPTION_MESSAGE": "",
		})
	})
	// 30 SOAP queryMore batches of 2,000 (60,000).
	in.elf("API", 30, func(i int) map[string]string {
		return who(at(i), map[string]string{
			"METHOD_NAME": "queryMore", "ENTITY_NAME": "Contact", "ROWS_PROCESSED": "2000", "REQUEST_STATUS": "S",
			"CLIENT_NAME": app.Client, "EXCEPTION_MESSAGE": "",
		})
	})
	// API Total Usage names the app behind the REST calls, without Event
	// Monitoring (no row counts).
	in.elf("ApiTotalUsage", 40, func(i int) map[string]string {
		return elfTime(at(i), map[string]string{
			"USER_ID": u.id[:15], "CLIENT_IP": apiDumpIP, "USER_NAME": u.username, "API_FAMILY": "REST", "API_RESOURCE": "/v58.0/query", "HTTP_METHOD": "GET",
			"STATUS_CODE": "200", "CONNECTED_APP_ID": app.ID, "CONNECTED_APP_NAME": app.Name, "CLIENT_NAME": app.Client,
			"ENTITY_NAME": exportObjects[i%len(exportObjects)], "API_CLIENT_CATEGORY": "EXTERNAL_APPLICATION",
		})
	})
}

// injectNewAPIClient is a user's account used by clients it never used: a
// vished user's authorized "My Ticket Portal" (a modified Data Loader,
// UNC6040) querying through SOAP, and scripted clients logging in with
// OAuth and counting the org's tables (the advisories' user agents and
// "SELECT COUNT() FROM ..." reconnaissance).
func injectNewAPIClient(in *injection, g *Generator) {
	u := g.users[uJane]
	in.user(u)
	in.inc.IP, in.inc.App, in.inc.AppID = newUAIP, ticketPortal.Name, ticketPortal.ID
	in.inc.Clients = []string{uaPythonRequests, uaMultiOrgFetcher, ticketPortal.Client}
	at := func(i int) time.Time { return in.burst.Add(time.Duration(i) * 30 * time.Second) }

	// OAuth logins (LOGIN_TYPE i, Remote Access 2.0): BROWSER_TYPE is the
	// client's User-Agent.
	in.elf("Login", 2, func(i int) map[string]string {
		return elfTime(at(i), map[string]string{
			"USER_ID": u.id[:15], "USER_ID_DERIVED": u.id, "USER_NAME": u.username,
			"LOGIN_TYPE": "i", "BROWSER_TYPE": uaPythonRequests, "LOGIN_STATUS": "LOGIN_NO_ERROR",
			"REQUEST_STATUS": "S", "CLIENT_IP": newUAIP, "SOURCE_IP": newUAIP, "FORWARDED_FOR_IP": "",
		})
	})
	// The reconnaissance queries, as Real-Time Event Monitoring records
	// them (ApiEvent's UserAgent: the HTTP User-Agent).
	for i, obj := range []string{"Account", "Contact", "User"} {
		rec, _ := g.eventCommon(at(2 + i))
		delete(rec, "UserType")
		rec["UserId"], rec["Username"], rec["SourceIp"] = u.id, u.username, newUAIP
		rec["ApiType"], rec["ApiVersion"], rec["Operation"] = "REST", "58.0", "Query"
		rec["Application"], rec["Client"], rec["ConnectedAppId"] = "N/A", nil, nil
		rec["Query"], rec["QueriedEntities"] = "SELECT COUNT() FROM "+obj, obj
		rec["Records"], rec["RowsProcessed"], rec["RowsReturned"] = `{"totalSize":1}`, float64(1), float64(1)
		rec["ElapsedTime"], rec["UserAgent"] = int64(40+i), uaMultiOrgFetcher
		rec["EvaluationTime"], rec["PolicyOutcome"], rec["AdditionalInfo"] = float64(2), "NoAction", "{}"
		in.insert("ApiEvent", rec)
	}
	// The modified Data Loader's SOAP queries, and API Total Usage naming
	// the new app behind them.
	in.elf("API", 3, func(i int) map[string]string {
		return elfTime(at(5+i), map[string]string{
			"USER_ID": u.id[:15], "USER_ID_DERIVED": u.id, "CLIENT_IP": newUAIP, "REQUEST_STATUS": "S",
			"METHOD_NAME": "query", "ENTITY_NAME": "Contact", "ROWS_PROCESSED": "200", "CLIENT_NAME": ticketPortal.Client,
			"EXCEPTION_MESSAGE": "",
		})
	})
	in.elf("ApiTotalUsage", 3, func(i int) map[string]string {
		return elfTime(at(5+i), map[string]string{
			"USER_ID": u.id[:15], "USER_NAME": u.username, "CLIENT_IP": newUAIP, "API_FAMILY": "SOAP",
			"API_RESOURCE": "query", "HTTP_METHOD": "POST", "STATUS_CODE": "200", "ENTITY_NAME": "Contact",
			"CONNECTED_APP_ID": ticketPortal.ID, "CONNECTED_APP_NAME": ticketPortal.Name, "CLIENT_NAME": ticketPortal.Client,
			"API_CLIENT_CATEGORY": "EXTERNAL_APPLICATION",
		})
	})
}

// injectRefreshTokenNewAddress is a chat integration's refresh token used
// from an address the app never refreshed from (UNC6395 ran the Drift
// tokens from Tor exits and cloud hosts): three refresh-token logins, on
// LoginHistory and LoginEvent, from the user's home country.
func injectRefreshTokenNewAddress(in *injection, g *Generator) {
	u := g.users[uChatAppUser]
	app := g.appOf(u)
	in.user(u)
	in.inc.IP, in.inc.App, in.inc.AppID = refreshIP, app.Name, app.ID
	for i := range 3 {
		ts := in.inc.At.Add(-time.Duration(8-i) * time.Minute)
		lh := genLoginHistory(g, ts)
		lh["UserId"], lh["Status"], lh["SourceIp"], lh["ForwardedForIp"] = u.id, LoginSuccess, refreshIP, nil
		lh["LoginType"], lh["LoginSubType"], lh["Application"] = loginTypeOAuth2, subTypeRefreshToken, app.Name
		lh["ApiType"], lh["ApiVersion"], lh["Browser"], lh["Platform"] = "REST", "58.0", "Unknown", "Unknown"
		lh["CountryIso"], _, _, _ = homeCity(u)
		in.insert("LoginHistory", lh)
		le := genLoginEvent(g, ts)
		le["UserId"], le["Username"], le["Status"], le["SourceIp"] = u.id, u.username, LoginSuccess, refreshIP
		le["LoginType"], le["LoginSubType"], le["Application"] = loginTypeOAuth2, subTypeRefreshToken, app.Name
		le["ApiType"], le["ApiVersion"], le["Browser"], le["Platform"], le["UserAgent"] = "REST", "58.0", "Unknown", "Unknown", nil
		le["SessionKey"] = g.key(16)
		setHome(le, u)
		in.insert("LoginEvent", le)
	}
}
