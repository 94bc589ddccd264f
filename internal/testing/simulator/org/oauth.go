package org

// OAuth logins of connected apps, as LoginHistory and LoginEvent record
// them: LoginType "Remote Access 2.0" (LoginHistory's picklist value
// Oauth2, label "Remote Access 2.0") with LoginSubType the OAuth flow, a
// refresh token's "OAuth Refresh Token" (value OauthRefreshToken; Object
// Reference, LoginHistory:
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_loginhistory.htm).
// Which of a picklist's value or label a query returns is not documented;
// the simulator returns the labels, as it does for LoginType, and the
// detections accept both. Application is the connected app's name (the
// page says only "The application used to access the organization").
//
// An integration refreshes its token from its own servers: on clean data
// an app's refresh-token logins come only from its egress addresses, so a
// refresh from anywhere else is news (IncidentRefreshTokenNewAddress).

const (
	loginTypeOAuth2     = "Remote Access 2.0"
	subTypeRefreshToken = "OAuth Refresh Token"
)

// appEgress are the addresses each connected app (elf.Apps) refreshes its
// tokens from: public-looking addresses the simulator's own, apart from
// the documentation ranges incidents use.
var appEgress = map[string][]string{
	"Data Loader":         {"52.41.96.10", "52.41.96.11"},
	"Salesforce CLI":      {"34.198.17.20", "34.198.17.21"},
	"sfsim Integration":   {"35.160.4.7"},
	"Acme Chat Connector": {"44.193.67.12", "44.193.67.13"},
}

// oauthLogin makes rec (a LoginHistory row or LoginEvent, an API login of
// u) a login through u's connected app; a Remote Access 2.0 login is
// mostly the app refreshing its token from its egress addresses.
func (g *Generator) oauthLogin(rec map[string]any, u simUser) {
	app := g.appOf(u)
	rec["Application"] = app.Name
	if rec["LoginType"] != loginTypeOAuth2 || !g.chance(0.7) {
		return
	}
	rec["LoginSubType"] = subTypeRefreshToken
	rec["SourceIp"] = g.pick(appEgress[app.Name]...)
	// "isn't populated for logins completed via OAuth flows"
	// (LoginHistory ForwardedForIp).
	if _, ok := rec["ForwardedForIp"]; ok {
		rec["ForwardedForIp"] = nil
	}
}
