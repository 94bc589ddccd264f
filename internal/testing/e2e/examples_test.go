//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/schema/schematest"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

// The recipes under examples/ are tested as they are: validated by the
// built collector, and the mapping recipes run against the simulator.
const examplesDir = "../../../examples"

// exampleEnv is every variable the examples read: the org's sign-in, the
// storage directory and the backends' endpoints.
func exampleEnv(loginURL, keyFile, storageDir, endpoint string) map[string]string {
	return map[string]string{
		"SF_LOGIN_URL":          loginURL,
		"SF_CLIENT_ID":          "e2e-client",
		"SF_USERNAME":           "integration@e2e.example.com",
		"SF_KEY_FILE":           keyFile,
		"OTELCOL_STORAGE_DIR":   storageDir,
		"ELASTIC_OTLP_ENDPOINT": endpoint,
		"ELASTIC_API_KEY":       "e2e-api-key",
		"SPLUNK_OTLP_ENDPOINT":  endpoint,
		"OCSF_OTLP_ENDPOINT":    endpoint,
		"LOKI_OTLP_ENDPOINT":    endpoint,
		"KAFKA_BROKER":          "127.0.0.1:9092",
	}
}

// requiredEnv are the ${env:NAME} references without a default.
var requiredEnv = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}`)

// uncommented is a YAML text without its comments (a commented-out
// alternative needs no variable).
func uncommented(yaml string) string {
	var b strings.Builder
	for line := range strings.Lines(yaml) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

func environ(vars map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// Every config under examples/ validates with the built collector, and
// exampleEnv sets every variable it needs (an unset one would expand to ""
// and could hide a broken recipe).
func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no examples under %s", examplesDir)
	dir := t.TempDir()
	_, keyPEM := sftest.RSAKey(t)
	keyFile := filepath.Join(dir, "sf.key")
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))
	vars := exampleEnv("https://acme.my.salesforce.com", keyFile, dir, "http://127.0.0.1:4318")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, m := range requiredEnv.FindAllStringSubmatch(uncommented(string(b)), -1) {
				require.Contains(t, vars, m[1], "%s reads ${env:%s}: give it a value in exampleEnv", f, m[1])
			}
			cmd := exec.Command(*collectorPath, "validate", "--config", f)
			cmd.Env = append(os.Environ(), environ(vars)...)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
		})
	}
}

// runRecipe runs examples/<file> as it is against the simulator: the
// receiver signs in to it and the recipe's exporter delivers to the sink.
// It returns what arrived once every LoginHistory, SetupAuditTrail and
// EventLogFile record and some LoginEvent rows did.
func runRecipe(t *testing.T, file string) (*env, []sinkRecord) {
	t.Helper()
	e := newBareEnv(t, simulator.Options{})
	files := seedELF(e, 200)
	e.config, _ = filepath.Abs(filepath.Join(examplesDir, file))
	e.environ = environ(exampleEnv(e.sim.URL(), e.keyFile, filepath.Join(e.dir, "storage"), e.sink.srv.URL))
	// The collector's own metrics would listen on :8888, which another
	// collector on the machine may hold.
	e.args = []string{"--set=service.telemetry.metrics.level=none"}
	e.sink.keepRecords()
	e.start()
	tl := e.waitTally(120*time.Second, func() map[string]string {
		return merge(e.wantSOQL("LoginHistory", "SetupAuditTrail"), e.wantELF(files))
	})
	require.Zero(t, tl.Missing, "%s: %s", file, tl)
	require.Eventually(t, func() bool {
		return slices.ContainsFunc(e.sink.records(), func(r sinkRecord) bool {
			return r.Attrs[semconv.AttrEventType] == "LoginEvent"
		})
	}, 60*time.Second, 200*time.Millisecond, "no LoginEvent row arrived")
	// error_mode ignore: a statement that fails on a real record is only logged.
	for _, msg := range []string{"failed to execute statement", "failed to eval condition", "silently ignored a nil value"} {
		require.NotContains(t, e.log(), msg, "%s on the simulator's records", file)
	}
	return e, e.sink.records()
}

// recipeCase checks the records one rule of a recipe maps.
type recipeCase struct {
	name  string
	match func(r sinkRecord) bool
	// want: the attributes a matched record must carry; a nil value means
	// the attribute must be absent.
	want func(r sinkRecord) map[string]any
	// cover: attribute=value pairs that at least one matched record must
	// have, so each branch of the rule is exercised.
	cover []string
}

// checkRecipe applies every case to recs and reports the first mismatches.
func checkRecipe(t *testing.T, recs []sinkRecord, cases []recipeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			matched, seen := 0, map[string]bool{}
			var bad []string
			for _, r := range recs {
				if !tc.match(r) {
					continue
				}
				matched++
				for k, want := range tc.want(r) {
					got, ok := r.Attrs[k]
					switch {
					case want == nil && ok:
						bad = append(bad, fmt.Sprintf("%s: %s = %v, want absent (attrs %v)", recordName(r), k, got, r.Attrs))
					case want != nil && !equalValue(got, want):
						bad = append(bad, fmt.Sprintf("%s: %s = %#v, want %#v (attrs %v, body %v)", recordName(r), k, got, want, r.Attrs, r.Body))
					}
				}
				// A failed login is WARN on every source, a successful one INFO,
				// whatever names the recipe gives the outcome.
				if out, ok := loginOutcome(r); ok && (out == "failure") != (r.Severity == plog.SeverityNumberWarn) {
					bad = append(bad, fmt.Sprintf("%s: outcome %s with severity %v", recordName(r), out, r.Severity))
				}
				for _, c := range tc.cover {
					k, v, _ := strings.Cut(c, "=")
					if fmt.Sprint(r.Attrs[k]) == v {
						seen[c] = true
					}
				}
			}
			require.Positive(t, matched, "no record matched")
			if len(bad) > 0 {
				t.Fatalf("%d mismatches in %d records, the first:\n%s", len(bad), matched, strings.Join(bad[:min(5, len(bad))], "\n"))
			}
			for _, c := range tc.cover {
				require.True(t, seen[c], "no matched record has %s", c)
			}
			t.Logf("%d records mapped as expected", matched)
		})
	}
}

func recordName(r sinkRecord) string {
	return fmt.Sprintf("%s %v %v", r.Event, r.Attrs[semconv.AttrEventType], r.Attrs[semconv.AttrRecordID])
}

// equalValue compares an attribute (AsRaw) with a wanted string or []string.
func equalValue(got, want any) bool {
	if w, ok := want.([]string); ok {
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if g[i] != w[i] {
				return false
			}
		}
		return true
	}
	return got == want
}

// recipeTruth is what the simulator holds, to check mapped records against.
type recipeTruth struct {
	rows      map[string]simulator.Record // LoginHistory and SetupAuditTrail, by Id
	usernames []string
	host      string // the instance URL's host:port
}

func newRecipeTruth(t *testing.T, e *env) recipeTruth {
	tr := recipeTruth{rows: map[string]simulator.Record{}}
	for _, o := range []string{"LoginHistory", "SetupAuditTrail"} {
		for _, r := range e.sim.Records(o) {
			tr.rows[r.ID] = r
		}
	}
	for _, u := range e.sim.Records("User") {
		tr.usernames = append(tr.usernames, u.Fields["Username"].(string))
	}
	u, err := url.Parse(e.sim.URL())
	require.NoError(t, err)
	tr.host = u.Host
	return tr
}

// row is the simulator's record behind r.
func (tr recipeTruth) row(r sinkRecord) map[string]any {
	return tr.rows[fmt.Sprint(r.Attrs[semconv.AttrRecordID])].Fields
}

// target is the user a SetupAuditTrail Display names, "" if none.
func (tr recipeTruth) target(display string) string {
	for _, u := range tr.usernames {
		if strings.Contains(display, u) {
			return u
		}
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// realIP is v unless it is absent or the literal Salesforce logs for its
// own logins, which names no address (nil: no IP attribute).
// realIP is the first value that is an IP address: the receiver's rule for
// client.address, which the recipes pass on as source.ip / src.
func realIP(vs ...any) any {
	for _, v := range vs {
		if _, err := netip.ParseAddr(str(v)); err == nil {
			return str(v)
		}
	}
	return nil
}

// loginOutcome is a login record's outcome as either recipe maps it.
func loginOutcome(r sinkRecord) (string, bool) {
	if r.Attrs["event.action"] == "login-attempt" {
		out, ok := r.Attrs["event.outcome"].(string)
		return out, ok
	}
	if r.Attrs["com.splunk.sourcetype"] == "salesforce:authentication" {
		out, ok := r.Attrs["action"].(string)
		return out, ok
	}
	return "", false
}

func isStream(event string) func(sinkRecord) bool {
	return func(r sinkRecord) bool { return r.Event == event }
}

func isType(event, typ string) func(sinkRecord) bool {
	return func(r sinkRecord) bool { return r.Event == event && r.Attrs[semconv.AttrEventType] == typ }
}

func isLoginEvent(r sinkRecord) bool { return r.Attrs[semconv.AttrEventType] == "LoginEvent" }

// outcome is success when status is ok, else failure; reason is the status
// of a failure.
func outcome(status, ok string) (outcome string, reason any) {
	if status == ok {
		return "success", nil
	}
	return "failure", status
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// elfDatasets is the ECS event.dataset of each EventLogFile type the
// simulator seeds (docs/schemas.md; Report, LightningPageView have no rule
// of their own: salesforce.<event type>).
var elfDatasets = map[string]string{
	"Login": "salesforce.login", "Logout": "salesforce.logout", "LoginAs": "salesforce.login_as",
	"API": "salesforce.api", "RestApi": "salesforce.api", "URI": "salesforce.uri", "ReportExport": "salesforce.report",
	"Report": "salesforce.report", "LightningPageView": "salesforce.lightning_page_view", "ApexExecution": "salesforce.apex",
	"BulkApi": "salesforce.api", "BulkApi2": "salesforce.api", "ApiTotalUsage": "salesforce.api",
}

// requestOutcome is the outcome REQUEST_STATUS gives: S and R succeeded,
// F, A and N failed, anything else says nothing.
func requestOutcome(status any) any {
	switch status {
	case "S", "R":
		return "success"
	case "F", "A", "N":
		return "failure"
	}
	return nil
}

// examples/ecs.yaml (schema: ecs) on the simulator's records: logins,
// setup changes and Event Monitoring rows carry the ECS fields Elastic's
// Salesforce integration sets for them.
func TestRecipeECS(t *testing.T) {
	e, recs := runRecipe(t, "ecs.yaml")
	tr := newRecipeTruth(t, e)
	login := func(provider string, want map[string]any) map[string]any {
		maps.Copy(want, map[string]any{
			"event.category": []string{"authentication"}, "event.type": []string{"info"}, "event.action": "login-attempt",
			"event.module": "salesforce", "event.kind": "event", "event.dataset": "salesforce.login",
			"data_stream.dataset": "salesforce.login", "event.provider": provider, "ecs.version": "8.11.0",
		})
		return want
	}
	checkRecipe(t, recs, []recipeCase{
		{
			name:  "LoginHistory",
			match: isStream(semconv.EventLoginHistory),
			want: func(r sinkRecord) map[string]any {
				row := tr.row(r)
				out, reason := outcome(str(row["Status"]), "Success")
				return login("Object", map[string]any{
					"event.outcome": out, "event.reason": reason, "event.id": row["Id"],
					"source.ip": realIP(row["SourceIp"]), "source.geo.country_iso_code": row["CountryIso"],
					"user.id": convert.ID18(str(row["UserId"])), "event.url": row["LoginUrl"],
				})
			},
			cover: []string{"event.outcome=success", "event.outcome=failure"},
		},
		{
			name:  "EventLogFile Login",
			match: isType(semconv.EventEventLogFile, "Login"),
			want: func(r sinkRecord) map[string]any {
				out, reason := outcome(str(r.Body["LOGIN_STATUS"]), "LOGIN_NO_ERROR")
				want := login("EventLogFile", map[string]any{
					"event.outcome": out, "event.reason": reason, "event.url": r.Body["URI"],
					"source.ip": realIP(r.Body["SOURCE_IP"], r.Body["CLIENT_IP"]), "user.name": r.Body["USER_NAME"],
					"user.email": r.Body["USER_NAME"], "http.request.id": r.Body["REQUEST_ID"],
				})
				if ip := want["source.ip"]; ip != nil {
					want["related.ip"] = []string{ip.(string)}
				}
				return want
			},
			cover: []string{"event.outcome=success", "event.outcome=failure"},
		},
		{
			name:  "LoginEvent",
			match: isLoginEvent,
			want: func(r sinkRecord) map[string]any {
				out, reason := outcome(str(r.Body["Status"]), "Success")
				return login("Object", map[string]any{
					"event.outcome": out, "event.reason": reason, "event.id": r.Body["EventIdentifier"],
					"source.ip": realIP(r.Body["SourceIp"]), "user.name": r.Body["Username"], "user.email": r.Body["Username"],
					"source.geo.city_name": r.Body["City"], "event.url": r.Body["LoginUrl"],
				})
			},
			cover: []string{"event.outcome=success"},
		},
		{
			name:  "SetupAuditTrail",
			match: isStream(semconv.EventSetupAuditTrail),
			want: func(r sinkRecord) map[string]any {
				row := tr.row(r)
				want := map[string]any{
					"event.action": row["Action"], "event.outcome": "success", "event.kind": "event",
					"event.dataset": "salesforce.setupaudittrail", "event.type": []string{"admin"},
					"event.category": []string{"configuration"}, "event.id": row["Id"],
					"user.name": row["CreatedBy"].(map[string]any)["Username"], "user.target.name": nil,
					"salesforce.setup_audit_trail.section": row["Section"],
				}
				if row["Section"] == "Manage Users" {
					want["event.category"] = []string{"iam"}
					want["user.target.name"] = orNil(tr.target(str(row["Display"])))
				}
				return want
			},
			cover: []string{"event.action=PermSetAssign", "event.action=changedsessiontimeout"},
		},
		{
			name: "other EventLogFile rows",
			match: func(r sinkRecord) bool {
				return r.Event == semconv.EventEventLogFile && r.Attrs[semconv.AttrEventType] != "Login"
			},
			want: func(r sinkRecord) map[string]any {
				typ := str(r.Attrs[semconv.AttrEventType])
				ds, ok := elfDatasets[typ]
				if !ok {
					ds = "(add " + typ + " to elfDatasets)"
				}
				want := map[string]any{"event.dataset": ds, "event.provider": "EventLogFile", "event.outcome": nil,
					"organization.id": r.Body["ORGANIZATION_ID"]}
				switch typ {
				case "Logout", "ApexExecution", "BulkApi2", "ApiTotalUsage": // no outcome column
				case "BulkApi": // a batch's SUCCESS
					want["event.outcome"] = map[any]any{true: "success", false: "failure"}[r.Body["SUCCESS"]]
				default:
					want["event.outcome"] = requestOutcome(r.Body["REQUEST_STATUS"])
				}
				return want
			},
			cover: []string{"event.outcome=success", "event.outcome=failure", "event.dataset=salesforce.api", "event.dataset=salesforce.apex"},
		},
	})
}

// cimChange is the CIM Change action of each SetupAuditTrail Action the
// simulator writes; an Action missing here fails the test.
var cimChange = map[string]string{
	"changedPassword": "updated", "resetPassword": "updated", "createduser": "created",
	"deactivateduser": "updated", "changedprofileforuser": "acl_modified", "PermSetAssign": "acl_modified",
	"PermSetUnassign": "acl_modified", "loginasgrantedtoorg": "acl_modified", "changedsessiontimeout": "updated",
	"insertConnectedApplication": "created", "changedApexClass": "updated", "changedNetworkAccess": "updated",
}

// loginTypes names the LOGIN_TYPE codes of the EventLogFile Login type, as
// its page lists them:
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventlogfile_login.htm
var loginTypes = map[string]string{
	"7": "AppExchange", "A": "Application", "s": "Certificate-based login", "k": "Chatter Communities External User",
	"n": "Chatter Communities External User Third Party SSO", "x": "Cross Tenant Login", "r": "Employee Login to Community",
	"z": "Lightning Login", "l": "Networks Portal API Only", "6": "Remote Access Client", "i": "Remote Access 2.0",
	"I": "Other Apex API", "w": "Passwordless Login", "3": "Customer Service Portal", "q": "Partner Portal Third-Party SSO",
	"9": "Partner Portal", "5": "SAML Idp Initiated SSO", "m": "SAML Chatter Communities External User SSO",
	"b": "SAML Customer Service Portal SSO", "c": "SAML Partner Portal SSO", "h": "SAML Site SSO", "8": "SAML Sfdc Initiated SSO",
	"E": "SelfService", "j": "Third Party SSO", "R": "Partner Product",
}

// cimSourcetypes is the sourcetype of each EventLogFile type the simulator
// seeds besides Login.
var cimSourcetypes = map[string]string{
	"Logout": "salesforce:logout", "API": "salesforce:api", "RestApi": "salesforce:api", "URI": "salesforce:web",
	"ReportExport": "salesforce:report", "Report": "salesforce:report", "LightningPageView": "salesforce:lightning_page_view",
	"ApexExecution": "salesforce:apex", "LoginAs": "salesforce:authentication",
	"BulkApi": "salesforce:api", "BulkApi2": "salesforce:api", "ApiTotalUsage": "salesforce:api",
}

// examples/splunk-cim.yaml (schema: cim) on the simulator's records: logins
// carry the Authentication data model's fields, setup changes Change's,
// page requests Web's.
func TestRecipeSplunkCIM(t *testing.T) {
	e, recs := runRecipe(t, "splunk-cim.yaml")
	tr := newRecipeTruth(t, e)
	auth := func(want map[string]any) map[string]any {
		maps.Copy(want, map[string]any{
			"app": "salesforce", "vendor_product": "Salesforce", "dest": tr.host, "signature": "Salesforce login",
			"com.splunk.sourcetype": "salesforce:authentication", "com.splunk.index": "main",
		})
		return want
	}
	checkRecipe(t, recs, []recipeCase{
		{
			name:  "Authentication: LoginHistory",
			match: isStream(semconv.EventLoginHistory),
			want: func(r sinkRecord) map[string]any {
				row := tr.row(r)
				action, reason := outcome(str(row["Status"]), "Success")
				return auth(map[string]any{
					"action": action, "reason": reason, "src": realIP(row["SourceIp"]),
					"user_id": convert.ID18(str(row["UserId"])), "authentication_method": row["LoginType"],
				})
			},
			cover: []string{"action=success", "action=failure"},
		},
		{
			name:  "Authentication: EventLogFile Login",
			match: isType(semconv.EventEventLogFile, "Login"),
			want: func(r sinkRecord) map[string]any {
				action, reason := outcome(str(r.Body["LOGIN_STATUS"]), "LOGIN_NO_ERROR")
				return auth(map[string]any{
					"action": action, "reason": reason, "src": realIP(r.Body["SOURCE_IP"], r.Body["CLIENT_IP"]),
					"user": r.Body["USER_NAME"], "authentication_method": loginTypes[str(r.Body["LOGIN_TYPE"])],
				})
			},
			cover: []string{"action=success", "action=failure"},
		},
		{
			name:  "Authentication: LoginEvent",
			match: isLoginEvent,
			want: func(r sinkRecord) map[string]any {
				action, reason := outcome(str(r.Body["Status"]), "Success")
				return auth(map[string]any{
					"action": action, "reason": reason, "src": realIP(r.Body["SourceIp"]), "user": r.Body["Username"],
				})
			},
			cover: []string{"action=success"},
		},
		{
			name:  "Change: SetupAuditTrail",
			match: isStream(semconv.EventSetupAuditTrail),
			want: func(r sinkRecord) map[string]any {
				row := tr.row(r)
				action, ok := cimChange[str(row["Action"])]
				if !ok {
					action = "(add " + str(row["Action"]) + " to cimChange)"
				}
				actor := row["CreatedBy"].(map[string]any)["Username"]
				want := map[string]any{
					"command": row["Action"], "action": action, "status": "success",
					"src_user": actor, "user": actor, "object": row["Section"],
					"object_category": "setup", "change_type": "configuration",
					"app": "salesforce", "vendor_product": "Salesforce", "dest": tr.host,
					"com.splunk.sourcetype": "salesforce:change",
				}
				if row["Section"] == "Manage Users" {
					want["object_category"], want["change_type"] = "user", "AAA"
					if target := tr.target(str(row["Display"])); target != "" {
						want["object"], want["user"] = target, target
					}
				}
				return want
			},
			cover: []string{"action=created", "action=updated", "action=acl_modified", "change_type=AAA", "change_type=configuration"},
		},
		{
			name: "other EventLogFile rows",
			match: func(r sinkRecord) bool {
				return r.Event == semconv.EventEventLogFile && r.Attrs[semconv.AttrEventType] != "Login"
			},
			want: func(r sinkRecord) map[string]any {
				typ := str(r.Attrs[semconv.AttrEventType])
				st, ok := cimSourcetypes[typ]
				if !ok {
					st = "(add " + typ + " to cimSourcetypes)"
				}
				want := map[string]any{"com.splunk.sourcetype": st, "app": "salesforce", "src": realIP(r.Body["CLIENT_IP"])}
				if st == "salesforce:web" {
					// A URI that is a path (the simulator also writes a few
					// that are not, as bad data).
					want["uri_path"] = nil
					if strings.HasPrefix(str(r.Body["URI"]), "/") {
						want["uri_path"] = r.Body["URI"]
					}
				}
				return want
			},
			cover: []string{"com.splunk.sourcetype=salesforce:web", "com.splunk.sourcetype=salesforce:api"},
		},
	})
}

// examples/ocsf.yaml (schema: ocsf) on the simulator's records: every record
// is a valid OCSF 1.8.0 event of its source's class.
func TestRecipeOCSF(t *testing.T) {
	_, recs := runRecipe(t, "ocsf.yaml")
	check, err := schematest.LoadOCSF(filepath.Join(repoRoot, "internal", "schema", "testdata", "ocsf", "1.8.0.json"))
	require.NoError(t, err)
	classes := map[string]int64{}
	for _, r := range recs {
		require.Empty(t, check.Check(r.Body), "%s %v", recordName(r), r.Body)
		class := r.Body["class_uid"].(int64)
		var want []int64
		switch typ := r.Attrs[semconv.AttrEventType]; {
		case r.Event == semconv.EventLoginHistory, typ == "Login", typ == "LoginEvent", typ == "Logout":
			want = []int64{3002}
		case r.Event == semconv.EventSetupAuditTrail:
			want = []int64{3001, 3004}
		case typ == "API", typ == "RestApi", typ == "ReportExport":
			want = []int64{6003, 0} // 0: a call with no client and no user
		case typ == "URI":
			want = []int64{6001, 0} // 0: a URI that is no path
		}
		if want != nil {
			require.Contains(t, want, class, "%s: class %d", recordName(r), class)
		}
		classes[fmt.Sprint(r.Event, " ", r.Attrs[semconv.AttrEventType])] = class
	}
	t.Logf("%d records pass the OCSF class check; classes: %v", len(recs), classes)
}
