package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitURL(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want urlParts
		ok   bool
	}{
		{"/aura", urlParts{path: "/aura"}, true},
		// Elasticsearch's uri_parts drops the empty fragment and decodes.
		{"/one/one.app#", urlParts{path: "/one/one.app", extension: "app"}, true},
		{"/one/one.app#/sObject/Account/home", urlParts{path: "/one/one.app", extension: "app", fragment: "/sObject/Account/home"}, true},
		{"/auraFW/javascript/%7B%22mode%22%3A%22PROD%22%7D/aura_prod.js", urlParts{path: `/auraFW/javascript/{"mode":"PROD"}/aura_prod.js`, extension: "js"}, true},
		{"/services/data/v61.0/query?q=SELECT+Id", urlParts{path: "/services/data/v61.0/query", query: "q=SELECT+Id"}, true},
		{"https://api.partner.example:8443/v2/orders?batch=7", urlParts{scheme: "https", domain: "api.partner.example", port: 8443, path: "/v2/orders", query: "batch=7"}, true},
		{"https://acme.my.salesforce.com", urlParts{scheme: "https", domain: "acme.my.salesforce.com", path: "/"}, true},
		{"/dir.d/file", urlParts{path: "/dir.d/file"}, true},                            // only the last segment has an extension
		{"/bad%zzescape.js", urlParts{path: "/bad%zzescape.js", extension: "js"}, true}, // kept as it is
		{"CALLOUT-LOG", urlParts{}, false},
		{"login.salesforce.com", urlParts{}, false},
		{"", urlParts{}, false},
	} {
		got, ok := splitURL(tt.raw)
		assert.Equal(t, tt.ok, ok, tt.raw)
		assert.Equal(t, tt.want, got, tt.raw)
	}
}

func TestSplitTLS(t *testing.T) {
	for _, tt := range []struct{ in, proto, version string }{
		{"TLSv1.2", "tls", "1.2"}, // event log files
		{"TLS 1.3", "tls", "1.3"}, // objects
		{"TLSv1", "tls", "1"},
		{"SSLv3", "ssl", "3"},
		{"Unknown", "", ""},
		{"", "", ""},
		{"TLS 1.2 (something)", "", ""},
	} {
		p, v := splitTLS(tt.in)
		assert.Equal(t, [2]string{tt.proto, tt.version}, [2]string{p, v}, tt.in)
	}
}

func TestTargetUser(t *testing.T) {
	for _, tt := range []struct{ display, section, user, id string }{
		{"For user omar@acme.example, the User Verified Email status changed to verified", "Manage Users", "omar@acme.example", ""},
		{"For user omar@acme.example, the User Verified Email status changed to verified", "Connected Apps", "omar@acme.example", ""},
		{"Reset password for user li.wei@acme.example", "Manage Users", "li.wei@acme.example", ""},
		{"Created new user autoproc@00d5g00000simorg", "Manage Users", "autoproc@00d5g00000simorg", ""},
		{"Permission set Modify All Data: assigned to user Omar Haddad (UserID: [0055g00000KxQ3c])", "Manage Users", "", "0055g00000KxQ3c"},
		{"Granted login access to jane@acme.example", "Security Controls", "", ""}, // not a change to that user's account
		{"Changed session timeout from 2 hours to 4 hours", "Session Settings", "", ""},
	} {
		assert.Equal(t, tt.user, targetUser(tt.display, tt.section), tt.display)
		assert.Equal(t, tt.id, targetUserID(tt.display), tt.display)
	}
}

func TestCRUDActivity(t *testing.T) {
	for _, tt := range []struct {
		method, op string
		id         int
		name       string
	}{
		{"GET", "", 2, ""}, {"post", "", 1, ""}, {"PATCH", "", 3, ""}, {"DELETE", "", 4, ""},
		{"", "query", 2, ""}, {"", "queryAll", 2, ""}, {"", "describeGlobal", 2, ""}, {"", "create", 1, ""},
		{"", "upsert", 3, ""}, {"", "hardDelete", 4, ""}, {"", "ReportExport", 2, ""},
		{"", "convertLead", 99, "convertLead"}, {"", "", 99, "Unknown operation"},
	} {
		id, name := crudActivity(tt.method, tt.op)
		assert.Equal(t, tt.id, id, "%s %s", tt.method, tt.op)
		assert.Equal(t, tt.name, name, "%s %s", tt.method, tt.op)
	}
}

func TestSetupActivity(t *testing.T) {
	for _, tt := range []struct {
		action, section, target string
		class, activity         int
	}{
		{"createduser", "Manage Users", "li@acme.example", classAccountChange, 1},
		{"changedPassword", "Manage Users", "li@acme.example", classAccountChange, 3},
		{"resetPassword", "Manage Users", "li@acme.example", classAccountChange, 4},
		{"deactivateduser", "Manage Users", "li@acme.example", classAccountChange, 5},
		{"PermSetAssign", "Manage Users", "li@acme.example", classAccountChange, 7},
		{"PermSetUnassign", "Manage Users", "li@acme.example", classAccountChange, 8},
		{"changedUserEmailVerifiedStatusVerified", "Manage Users", "li@acme.example", classAccountChange, 99},
		{"PermSetAssign", "Manage Users", "", classEntityManagement, 99}, // no user named
		{"insertConnectedApplication", "Connected Apps", "", classEntityManagement, 1},
		{"changedsessiontimeout", "Session Settings", "", classEntityManagement, 3},
		{"deleteScratchOrg", "", "", classEntityManagement, 4},
		{"loginasgrantedtoorg", "Security Controls", "", classEntityManagement, 99},
	} {
		s := new(scratch)
		s.set(fAction, tt.action)
		s.set(fSection, tt.section)
		if tt.target != "" {
			s.set(fTargetUser, tt.target)
		}
		class, activity := setupActivity(s)
		assert.Equal(t, [2]int{tt.class, tt.activity}, [2]int{class, activity}, tt.action)
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"LightningPageView": "lightning_page_view", "URI": "uri", "RestApi": "rest_api", "API": "api",
		"ApiAnomalyEvent": "api_anomaly_event", "BulkApi2": "bulk_api2", "ContentTransfer": "content_transfer",
		"My_Event__e": "my_event__e", "UniversalAnomalyEventStore": "universal_anomaly_event_store",
	} {
		assert.Equal(t, want, snake(in), in)
	}
}

func TestOutcomeRule(t *testing.T) {
	login := outcomeRule{success: []string{"LOGIN_NO_ERROR"}}
	assert.Equal(t, outcomeSuccess, login.decide("LOGIN_NO_ERROR"))
	assert.Equal(t, outcomeFailure, login.decide("LOGIN_ERROR_INVALID_PASSWORD"))
	request := outcomeRule{success: []string{"S", "R"}, failure: []string{"F", "A", "N"}}
	assert.Equal(t, outcomeSuccess, request.decide("R"))
	assert.Equal(t, outcomeFailure, request.decide("N"))
	assert.Empty(t, request.decide("U"), "Undefined says nothing")
}
