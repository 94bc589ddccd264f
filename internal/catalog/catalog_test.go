package catalog

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The embedded catalog parses, every entry names its Salesforce page, and
// what the kinds imply holds.
func TestCatalog(t *testing.T) {
	require.NoError(t, parse(catalogYAML, eventLogObjectsYAML, inventoryYAML).err)
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
	c := parse([]byte("objects:\n  - name: X\n    kind: inventory\n    doc: https://developer.salesforce.com/x\n    key: Id\n    timestamp: T\n    access: {needs: a, fix: b}\n    secret: [Nope]\n    fields: [Id id, T datetime]\n"), nil)
	require.ErrorContains(t, c.err, "X: Nope is not among its fields")
}

func TestPlaceholder(t *testing.T) {
	assert.True(t, IsPlaceholderID("000000000000000AAA"))
	assert.True(t, IsPlaceholderID("000000000000000"))
	assert.False(t, IsPlaceholderID("0Ya5g0000SimAAAAA"))
}

func TestBrokenCatalogIsReported(t *testing.T) {
	c := parse([]byte("objects:\n  - name: X\n    kind: object\n    doc: https://example.com\n    key: Id\n    timestamp: T\n    access: {needs: a, fix: b}\n"), nil)
	require.ErrorContains(t, c.err, "not a Salesforce page")
	c = parse([]byte("objects:\n  - name: X\n    kind: object\n    fields: [Id nonsense]\n"), nil)
	require.ErrorContains(t, c.err, "nonsense")
}

func fieldsOf(rs []RoleField) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Field)
	}
	return out
}
