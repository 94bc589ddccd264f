package catalog

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The embedded catalog parses, every entry names its Salesforce page, and
// what the kinds imply holds.
func TestCatalog(t *testing.T) {
	require.NoError(t, parse(catalogYAML, eventLogObjectsYAML, eventLogFilesYAML, inventoryYAML).err)
	c := load()
	version := regexp.MustCompile(`^[1-9][0-9]\.0$`)
	for _, e := range c.entries {
		t.Run(e.Name, func(t *testing.T) {
			if e.Since != "" {
				assert.Regexp(t, version, e.Since)
			}
			if e.Topic != "" {
				assert.Equal(t, KindStorage, e.Kind, "only storage objects pair with a topic")
				assert.Same(t, e, ByEvent(e.Topic))
				assert.Regexp(t, version, e.TopicSince)
			}
			switch e.Kind {
			case KindStorage, KindEvent:
				assert.Equal(t, "EventIdentifier", e.Key, "Salesforce documents EventIdentifier as the event's id")
				assert.Equal(t, "EventDate", e.Timestamp)
			case KindEventLogObject:
				assert.Equal(t, KeyDigest, e.Key, "no Event Log Object documents a unique key")
				assert.Equal(t, "View Event Log Object Data", e.Access.Needs)
				assert.True(t, strings.HasSuffix(e.Name, "EventLog"))
				assert.NotNil(t, e.Field("Timestamp"))
				assert.True(t, IsEventLogObject(e.Name))
			case KindObject:
				assert.Equal(t, "Id", e.Key)
			case KindInventory:
				assert.Contains(t, []string{"Id", KeyDigest}, e.Key)
			}
			for _, f := range e.Secret {
				assert.NotNil(t, e.Field(f), "a secret is a field the doc lists: %s", f)
			}
			for _, f := range e.Fields {
				if f.Since != "" {
					assert.Regexp(t, version, f.Since, f.Name)
				}
			}
			for role := range e.Roles {
				assert.Contains(t, c.roles, role, "a role the shared table has")
			}
		})
	}
}

// Every threat detection event Salesforce documents, with its store, and
// the Real-Time Event Monitoring storage objects.
func TestThreatEventsAndStorage(t *testing.T) {
	threats := map[string]string{
		"ApiAnomalyEvent": "ApiAnomalyEventStore", "CredentialStuffingEvent": "CredentialStuffingEventStore",
		"ReportAnomalyEvent": "ReportAnomalyEventStore", "SessionHijackingEvent": "SessionHijackingEventStore",
		"GuestUserAnomalyEvent": "GuestUserAnomalyEventStore", "LoginAnomalyEvent": "LoginAnomalyEventStore",
		"UniversalAnomalyEvent": "UniversalAnomalyEventStore",
	}
	for event, store := range threats {
		e := ByEvent(event)
		require.NotNil(t, e, event)
		assert.Equal(t, store, e.Name)
		assert.True(t, e.Threat(), event)
		assert.False(t, e.Big, "Threat Detection stores are standard objects")
		assert.Equal(t, "CreatedDate", e.CursorField(), "detection is late: paged on when the row was written")
	}
	assert.Equal(t, "66.0", Lookup("UniversalAnomalyEventStore").Since)
	for _, big := range []string{"LoginEvent", "LogoutEvent", "LoginAsEvent", "ApiEvent", "ReportEvent", "ListViewEvent",
		"UriEvent", "LightningUriEvent", "BulkApiResultEventStore", "FileEventStore", "PermissionSetEventStore",
		"IdentityVerificationEvent", "IdentityProviderEventStore"} {
		e := Lookup(big)
		require.NotNil(t, e, big)
		assert.True(t, e.Big, big)
		assert.Equal(t, KindStorage, e.Kind)
	}
	for _, none := range []string{"MobileEmailEvent", "MobileScreenshotEvent", "MobileTelephonyEvent", "MobileEnforcedPolicyEvent"} {
		e := ByEvent(none)
		require.NotNil(t, e, none)
		assert.Equal(t, KindEvent, e.Kind, "%s has no storage object", none)
	}
	assert.Equal(t, "LoginEvent", ByEvent("LoginEventStream").Name)
	assert.Contains(t, Lookup("LogoutEvent").TopicAccess().Needs, "Customize Application")
	assert.Nil(t, ByEvent("Security_Alert__e"))
}

func TestEventLogObjects(t *testing.T) {
	elos := OfKind(KindEventLogObject)
	assert.GreaterOrEqual(t, len(elos), 44)
	aura := Lookup("AuraRequestEventLog")
	require.NotNil(t, aura)
	assert.Equal(t, "61.0", aura.Since)
	assert.Equal(t, "AuraRequest", aura.EventLogFile)
	roles := RolesOf(aura)
	assert.Contains(t, fieldsOf(roles["user.id"]), "UserIdentifier")
	assert.Contains(t, fieldsOf(roles["client.address"]), "ClientIp")
	assert.True(t, IsEventLogObject("SomeFutureEventLog"))
	assert.False(t, IsEventLogObject("IdpEventLog"))
	assert.False(t, IsEventLogObject("LoginEvent"))
}

func TestRoles(t *testing.T) {
	lh := RolesOf(Lookup("LoginHistory"))
	assert.Equal(t, RoleField{Field: "Status", OK: "Success"}, lh[RoleLoginStatus][0])
	assert.Equal(t, "Id", lh["salesforce.login_history.id"][0].Field)
	shared := RolesOf(nil)
	assert.NotContains(t, fieldsOf(shared[RoleLoginStatus]), "Status", "Status is a login's only on login objects")
	assert.Equal(t, RoleField{Field: "LOGIN_STATUS", OK: "LOGIN_NO_ERROR"}, shared[RoleLoginStatus][0])
}

// OauthToken's refresh tokens and revocation handles are the catalog's
// secrets, and nothing else is.
func TestSecrets(t *testing.T) {
	assert.Equal(t, []string{"AccessToken", "RequestToken", "DeleteToken"}, SecretFields())
	tok := Lookup("OauthToken")
	require.NotNil(t, tok)
	assert.True(t, tok.IsSecret("accesstoken"), "case-insensitive, as SOQL is")
	assert.False(t, tok.IsSecret("AppName"))
	assert.Equal(t, KeyDigest, tok.Key, "OauthToken.Id is always null")
	assert.True(t, Lookup("ExternalClientApplication").Optional)
	c := parse([]byte("objects:\n  - name: X\n    kind: inventory\n    doc: https://developer.salesforce.com/x\n    key: Id\n    timestamp: T\n    access: {needs: a, fix: b}\n    secret: [Nope]\n    fields: [Id id, T datetime]\n"), nil, nil)
	require.ErrorContains(t, c.err, "X: Nope is not among its fields")
}

func TestPlaceholder(t *testing.T) {
	assert.True(t, IsPlaceholderID("000000000000000AAA"))
	assert.True(t, IsPlaceholderID("000000000000000"))
	assert.False(t, IsPlaceholderID("0Ya5g0000SimAAAAA"))
}

func TestBrokenCatalogIsReported(t *testing.T) {
	c := parse([]byte("objects:\n  - name: X\n    kind: object\n    doc: https://example.com\n    key: Id\n    timestamp: T\n    access: {needs: a, fix: b}\n"), nil, nil)
	require.ErrorContains(t, c.err, "not a Salesforce page")
	c = parse([]byte("objects:\n  - name: X\n    kind: object\n    fields: [Id nonsense]\n"), nil, nil)
	require.ErrorContains(t, c.err, "nonsense")

	// An event type is held to what every log file has.
	eventLogFile := []byte("objects:\n  - name: EventLogFile\n    kind: object\n    doc: https://developer.salesforce.com/x\n    key: Id\n    timestamp: CreatedDate\n    access: {needs: a, fix: b}\n")
	elf := func(body string) error {
		return parse(eventLogFile, nil, []byte("event_log_files:\n  - name: T\n    doc: https://developer.salesforce.com/t\n"+body)).err
	}
	cols := "    fields: [EVENT_TYPE String, TIMESTAMP String, TIMESTAMP_DERIVED DateTime, USER_ID Id]\n"
	require.NoError(t, elf(cols))
	require.ErrorContains(t, elf("    fields: [EVENT_TYPE String, TIMESTAMP_DERIVED DateTime]\n"), "no TIMESTAMP column")
	require.ErrorContains(t, elf("    fields: [EVENT_TYPE String, TIMESTAMP String, TIMESTAMP_DERIVED datetime]\n"), `type "datetime"`)
	require.ErrorContains(t, elf(cols+"    values: {LOGIN_TYPE: [A]}\n"), "LOGIN_TYPE, which is not among its columns")
	require.ErrorContains(t, elf(cols+"    roles: {user.id: [-USER_ID_DERIVED]}\n"), "USER_ID_DERIVED, which is not among its columns")
	require.ErrorContains(t, elf(cols+"  - name: T\n    doc: https://developer.salesforce.com/t\n"+cols), "listed twice")
	// Object fields keep SOQL types.
	require.ErrorContains(t, parse([]byte("objects:\n  - name: X\n    kind: object\n    doc: https://developer.salesforce.com/x\n    key: Id\n    timestamp: T\n    access: {needs: a, fix: b}\n    fields: [Id id, T Number]\n"), nil, nil).err,
		"an event type column's")
}

// EventLogFile event types: at least every type the simulator serves and
// the detections read, each with its page, the time columns, and the
// documented facts the receiver and the detections rely on.
func TestEventTypes(t *testing.T) {
	var names []string
	for _, e := range EventTypes() {
		names = append(names, e.Name)
		assert.Equal(t, KindEventLogFile, e.Kind)
		assert.Equal(t, KeyFileRow, e.Key)
		assert.Equal(t, "TIMESTAMP_DERIVED", e.Timestamp)
		assert.Equal(t, Lookup("EventLogFile").Access, e.Access, "%s: read through EventLogFile", e.Name)
		assert.Regexp(t, `^https://developer\.salesforce\.com/docs/atlas\.en-us\.object_reference\.meta/object_reference/sforce_api_objects_eventlogfile_[a-z0-9]+\.htm$`, e.Doc)
		assert.Same(t, e, EventType(e.Name))
		assert.Nil(t, Lookup(e.Name), "%s: an event type is not an object", e.Name)
		assert.Equal(t, e.Name, e.ValuesOf("EVENT_TYPE")[0], "%s: EVENT_TYPE is always the type", e.Name)
	}
	assert.Subset(t, names, []string{"Login", "Logout", "API", "RestApi", "URI", "Report", "ReportExport",
		"LightningPageView", "ApexExecution", "LoginAs", "BulkApi", "ApiTotalUsage"})
	assert.Equal(t, EventTypes(), OfKind(KindEventLogFile))
	assert.NotContains(t, All(), EventType("Login"))

	// Free without Event Monitoring: the EventLogFile page's list.
	for _, e := range EventTypes() {
		assert.Equal(t, slices.Contains([]string{"Login", "Logout", "ApiTotalUsage"}, e.Name), e.Free, e.Name)
	}
	// The columns the detections read, with their documented types.
	for _, c := range []struct{ typ, col, colType string }{
		{"RestApi", "USER_AGENT", "Number"}, {"RestApi", "CONNECTED_APP_ID", "Reference"},
		{"RestApi", "ROWS_PROCESSED", "Number"}, {"RestApi", "CLIENT_NAME", "String"},
		{"API", "ROWS_PROCESSED", "Number"}, {"API", "CLIENT_NAME", "String"},
		{"BulkApi", "ROWS_PROCESSED", "Number"}, {"BulkApi", "SUCCESS", "Boolean"},
		{"ApiTotalUsage", "CONNECTED_APP_ID", "String"}, {"ApiTotalUsage", "CONNECTED_APP_NAME", "String"},
		{"ApiTotalUsage", "CLIENT_NAME", "String"}, {"ApiTotalUsage", "API_VERSION", "Number"},
		{"Login", "BROWSER_TYPE", "String"}, {"Login", "LOGIN_TYPE", "String"}, {"Login", "FORWARDED_FOR_IP", "String"},
		{"Report", "ROW_COUNT", "Number"},
	} {
		f := EventType(c.typ).Field(c.col)
		require.NotNil(t, f, "%s.%s", c.typ, c.col)
		assert.Equal(t, c.colType, f.Type, "%s.%s", c.typ, c.col)
	}
	assert.Equal(t, "61.0", EventType("Login").Field("FORWARDED_FOR_IP").Since)
	assert.Nil(t, EventType("API").Field("CONNECTED_APP_ID"), "SOAP API rows name no connected app")
	assert.Nil(t, EventType("ApiTotalUsage").Field("ROWS_PROCESSED"))
	assert.Contains(t, EventType("Login").ValuesOf("LOGIN_TYPE"), "i", "Remote Access 2.0")
	assert.Equal(t, "S", EventType("API").ValuesOf("REQUEST_STATUS")[0], "shared values")
	assert.Nil(t, EventType("ReportExport").ValuesOf("REQUEST_STATUS"), "only for a type with the column")

	// RestApi's USER_AGENT is a numeric client code: it feeds no user agent.
	assert.NotContains(t, fieldsOf(RolesOf(EventType("RestApi"))["user_agent.original"]), "USER_AGENT")
	assert.Contains(t, fieldsOf(RolesOf(EventType("LightningPageView"))["user_agent.original"]), "USER_AGENT")
	assert.Contains(t, fieldsOf(RolesOf(nil)["user_agent.original"]), "USER_AGENT", "the shared table keeps it")
}

func fieldsOf(rs []RoleField) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Field)
	}
	return out
}
