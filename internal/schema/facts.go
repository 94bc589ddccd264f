package schema

// fact is one thing a record says, however its source spells it: the
// table binds each to fields per source, and every schema renders the
// same facts.
type fact uint8

const (
	fUserID         fact = iota // the 18-character user Id (the receiver's user.id)
	fUserIDRaw                  // the user Id as the source writes it (ELF USER_ID: 15 characters)
	fUserName                   // the Salesforce username
	fUserType                   // the user's type or license (USER_TYPE, UserType)
	fTargetUser                 // the user a change was made to (SetupAuditTrail Display)
	fTargetUserID               // that user's Id, where Display gives it
	fDelegateUser               // who acted for the user: LoginAs admin, SetupAuditTrail DelegateUser
	fDelegateUserID             // the delegate's Id
	fSourceIP                   // the client's address
	fClient                     // the client as the source writes it: an address, or "Salesforce.com IP"
	fLoginHost                  // the login host (LoginUrl: login.salesforce.com)
	fURL                        // the URL or path requested
	fPage                       // a page or record viewed, when there is no URL (UriEvent Name)
	fHTTPMethod
	fStatusCode
	fRequestBytes
	fResponseBytes
	fUserAgent // a User-Agent header
	fBrowser   // a browser name (LoginEvent Browser)
	fOS        // a platform name (LoginEvent Platform)
	fCreated   // when Salesforce created the record (CreatedDate)
	fDuration  // in nanoseconds, from the field's unit
	fEventID   // the event's own id (EventIdentifier, an Id)
	fRequestID // the transaction's id (REQUEST_ID)
	fOrgID     // the org Id the record names (ORGANIZATION_ID, 15 characters)
	fSession   // the session key
	fLoginKey  // the login key that ties a session's events together
	fSessionLevel
	fSessionType
	fUserInitiated // a logout the user asked for
	fTLS           // the TLS protocol as written: "TLSv1.2", "TLS 1.2"
	fCipher
	fGeoCity
	fGeoCountry
	fGeoCountryISO
	fGeoLat
	fGeoLon
	fLoginType
	fAPIType
	fAPIVersion
	fApplication
	fOutcome // "success" or "failure", from the table's outcome rule
	fReason  // why it failed
	fOperation
	fEntity // the object or report acted on
	fRows
	fQuery
	fClientName
	fConnectedApp
	fAction // SetupAuditTrail Action
	fSection
	fDisplay
	fSummary // a threat detection's summary
	fScore
	fSubtype // UniversalAnomalyEvent AnomalySubType
	numFacts
)

// factNames are the table's names of the facts.
var factNames = map[string]fact{
	"user_id": fUserID, "user_id_raw": fUserIDRaw, "user_name": fUserName, "user_type": fUserType,
	"target_user": fTargetUser, "delegate_user": fDelegateUser, "delegate_user_id": fDelegateUserID,
	"source_ip": fSourceIP, "client": fClient, "login_host": fLoginHost, "url": fURL, "page": fPage,
	"http_method": fHTTPMethod, "status_code": fStatusCode, "request_bytes": fRequestBytes,
	"response_bytes": fResponseBytes, "user_agent": fUserAgent, "browser": fBrowser, "os": fOS,
	"created": fCreated, "duration": fDuration, "event_id": fEventID, "request_id": fRequestID,
	"org_id": fOrgID, "session": fSession, "login_key": fLoginKey, "session_level": fSessionLevel,
	"session_type": fSessionType, "user_initiated": fUserInitiated, "tls": fTLS, "cipher": fCipher,
	"geo_city": fGeoCity, "geo_country": fGeoCountry, "geo_country_iso": fGeoCountryISO,
	"geo_lat": fGeoLat, "geo_lon": fGeoLon, "login_type": fLoginType, "api_type": fAPIType,
	"api_version": fAPIVersion, "application": fApplication, "outcome": fOutcome, "reason": fReason,
	"operation": fOperation, "entity": fEntity, "rows": fRows, "query": fQuery,
	"client_name": fClientName, "connected_app": fConnectedApp, "action": fAction,
	"section": fSection, "display": fDisplay, "summary": fSummary, "score": fScore, "subtype": fSubtype,
}

// kind is what a fact accepts: a value of another kind is passed over for
// the next field.
type kind uint8

const (
	kindString kind = iota
	kindIP
	kindNumber
	kindTime
	kindBool
)

var factKinds = [numFacts]kind{
	fSourceIP: kindIP, fStatusCode: kindNumber, fRequestBytes: kindNumber, fResponseBytes: kindNumber,
	fDuration: kindNumber, fRows: kindNumber, fScore: kindNumber, fGeoLat: kindNumber, fGeoLon: kindNumber,
	fCreated: kindTime, fUserInitiated: kindBool,
}

// Outcomes.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
)
