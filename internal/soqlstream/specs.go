package soqlstream

import "github.com/sfevents/salesforcereceiver/internal/convert"

// LoginHistory reads every login to the org, keyed by LoginTime.
var LoginHistory = Spec{
	Object:         "LoginHistory",
	TimestampField: "LoginTime",
	Fields: []string{
		"UserId", "LoginType", "SourceIp", "LoginUrl", "Browser", "Platform", "Status",
		"Application", "ClientVersion", "ApiType", "ApiVersion", "CountryIso",
		"AuthMethodReference", "LoginGeoId", "TlsProtocol", "CipherSuite",
		"LoginSubType", "ForwardedForIp", "OptionsIsGet", "OptionsIsPost",
	},
	Mapping: convert.Mapping{
		EventName:      "salesforce.login_history",
		Stream:         "login_history",
		TimestampField: "LoginTime",
	},
}

// SetupAuditTrail reads the org's configuration changes, keyed by CreatedDate.
var SetupAuditTrail = Spec{
	Object:         "SetupAuditTrail",
	TimestampField: "CreatedDate",
	Fields: []string{
		"Action", "Section", "CreatedById", "CreatedBy.Username", "Display", "DelegateUser",
		"ResponsibleNamespacePrefix", "CreatedByContext", "CreatedByIssuer",
	},
	Mapping: convert.Mapping{
		EventName:      "salesforce.setup_audit_trail",
		Stream:         "setup_audit_trail",
		TimestampField: "CreatedDate",
	},
}
