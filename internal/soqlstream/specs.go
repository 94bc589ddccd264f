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
			// "Only users with Manage Users or Monitor Login History
			// permissions can access this object", except their own rows
			// (Object Reference, LoginHistory:
			// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_loginhistory.htm).
			Needs: "Monitor Login History (or Manage Users)",
			Fix:   "give the integration user Monitor Login History, the narrower of the two that show every user's logins, or Manage Users (without either LoginHistory holds only its own logins)",
		},
		Map: convert.Mapping{EventName: convert.EventLoginHistory, TimestampField: "LoginTime"}.ForObject("LoginHistory"),
	},
	OwnRows: "UserId",
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
			Fix:   "give the integration user View Setup and Configuration",
		},
		Map: convert.Mapping{EventName: convert.EventSetupAuditTrail, TimestampField: "CreatedDate"},
	},
	Fields: []string{
		"Action", "Section", "CreatedById", "CreatedBy.Username", "Display", "DelegateUser",
		"ResponsibleNamespacePrefix", "CreatedByContext", "CreatedByIssuer",
	},
}
