package soqlstream

import (
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// LoginHistory reads every login to the org, keyed by LoginTime.
var LoginHistory = Spec{
	Stream: stream.Descriptor{
		Name:     "login_history",
		Priority: sfapi.PrioritySecurity,
		Object:   "LoginHistory",
		Access: stream.Access{
			Needs: "Manage Users, View All Data",
			Fix:   "give the integration user's profile Manage Users and View All Data",
		},
		Map: convert.Mapping{EventName: convert.EventLoginHistory, TimestampField: "LoginTime"}.ForObject("LoginHistory"),
	},
	Fields: []string{
		"UserId", "LoginType", "SourceIp", "LoginUrl", "Browser", "Platform", "Status",
		"Application", "ClientVersion", "ApiType", "ApiVersion", "CountryIso",
		"AuthMethodReference", "LoginGeoId", "TlsProtocol", "CipherSuite",
		"LoginSubType", "ForwardedForIp", "OptionsIsGet", "OptionsIsPost",
	},
}

// SetupAuditTrail reads the org's configuration changes, keyed by CreatedDate.
var SetupAuditTrail = Spec{
	Stream: stream.Descriptor{
		Name:     "setup_audit_trail",
		Priority: sfapi.PrioritySecurity,
		Object:   "SetupAuditTrail",
		Access: stream.Access{
			Needs: "View Setup and Configuration",
			Fix:   "give the integration user's profile View Setup and Configuration (View All Data covers it)",
		},
		Map: convert.Mapping{EventName: convert.EventSetupAuditTrail, TimestampField: "CreatedDate"},
	},
	Fields: []string{
		"Action", "Section", "CreatedById", "CreatedBy.Username", "Display", "DelegateUser",
		"ResponsibleNamespacePrefix", "CreatedByContext", "CreatedByIssuer",
	},
}
