// Package semconv is the receiver's record vocabulary: the event names and
// attribute keys its log records carry (docs/records.md says where each
// comes from). The instrumentation scope is metadata.ScopeName.
package semconv

// Event names, one per stream kind.
const (
	EventLoginHistory    = "salesforce.login_history"
	EventSetupAuditTrail = "salesforce.setup_audit_trail"
	EventEventLogFile    = "salesforce.event_log_file"
	EventObject          = "salesforce.object"
	EventPubSub          = "salesforce.pubsub_event"
	// EventInventory: a change of the org's inventory (a token, app or
	// privileged assignment added, removed or changed), or one item of a
	// snapshot of it.
	EventInventory = "salesforce.inventory"
)

// Attribute keys.
const (
	AttrOrgID        = "salesforce.org.id"
	AttrInstanceURL  = "salesforce.instance.url"
	AttrEventType    = "salesforce.event_type"
	AttrRecordID     = "salesforce.record.id"
	AttrLogFileID    = "salesforce.log_file.id"
	AttrParseError   = "salesforce.parse_error"
	AttrUserID       = "user.id"
	AttrUserName     = "user.name"
	AttrClientAddr   = "client.address"
	AttrUserAgent    = "user_agent.original"
	AttrURLPath      = "url.path"
	AttrSessionID    = "session.id"
	AttrLogRecordUID = "log.record.uid"
	AttrPubSubTopic  = "salesforce.pubsub.topic"
	// AttrLoginKey and AttrLoginHistoryID link the views of one login:
	// LoginEvent carries both, ELF rows the key, LoginHistory rows the id.
	AttrLoginKey       = "salesforce.login.key"
	AttrLoginHistoryID = "salesforce.login_history.id"
	// AttrInventoryChange is an inventory record's kind: added, removed,
	// changed or snapshot; AttrInventoryKey the item it is about.
	AttrInventoryChange = "salesforce.inventory.change"
	AttrInventoryKey    = "salesforce.inventory.key"
)
