package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const noSuchColumn = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."

func versionedQuery(ver, soql string) string {
	return "/services/data/v" + ver + "/query?q=" + url.QueryEscape(soql)
}

func errorMessage(t *testing.T, r response) string {
	t.Helper()
	var errs []struct{ ErrorCode, Message string }
	require.NoError(t, json.Unmarshal(r.body, &errs), string(r.body))
	require.Len(t, errs, 1)
	return errs[0].Message
}

func describeFields(t *testing.T, s *Server, tok, ver, object string) map[string]bool {
	t.Helper()
	r := get(t, s, tok, "/services/data/v"+ver+"/sobjects/"+object+"/describe", nil)
	require.Equal(t, 200, r.status, string(r.body))
	var d struct{ Fields []struct{ Name string } }
	require.NoError(t, json.Unmarshal(r.body, &d))
	out := map[string]bool{}
	for _, f := range d.Fields {
		out[f.Name] = true
	}
	return out
}

func TestVersionAtMost(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"9.0", "10.0", true}, // numerically, not as text
		{"10.0", "9.0", false},
		{"37.0", "37.0", true},
		{"37.1", "37.0", false},
		{"36.9", "37.0", true},
		{"66.0", "58.0", false},
		{"v66.0", "66.0", false},
		{"66", "66.0", false},
		{"", "66.0", false},
		{"-1.0", "66.0", false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, versionAtMost(tc.a, tc.b), "%s <= %s", tc.a, tc.b)
	}
}

func TestBuiltinSinceVersionsParse(t *testing.T) {
	want := map[string]string{
		"LoginHistory.ForwardedForIp": "57.0", "LoginHistory.AuthMethodReference": "51.0",
		"LoginHistory.CipherSuite": "37.0", "LoginHistory.LoginGeoId": "34.0",
		"SetupAuditTrail.DelegateUser": "35.0", "SetupAuditTrail.CreatedByContext": "48.0",
		"EventLogFile.Interval": "37.0", "EventLogFile.Sequence": "37.0",
	}
	for _, o := range builtinSchemas() {
		if o.Since != "" {
			_, ok := parseAPIVersion(o.Since)
			require.True(t, ok, "%s Since %q", o.Name, o.Since)
		}
		for _, f := range o.Fields {
			if f.Since == "" {
				continue
			}
			_, ok := parseAPIVersion(f.Since)
			require.True(t, ok, "%s.%s Since %q", o.Name, f.Name, f.Since)
			require.True(t, versionAtMost(f.Since, DefaultAPIVersion), "%s.%s is newer than the default version", o.Name, f.Name)
			if w, ok := want[o.Name+"."+f.Name]; ok {
				require.Equal(t, w, f.Since, "%s.%s", o.Name, f.Name)
				delete(want, o.Name+"."+f.Name)
			}
		}
	}
	require.Empty(t, want, "fields not found")
}

func TestFieldsSinceAPIVersion(t *testing.T) {
	s := NewTestServer(t, testOptions())
	s.AddLogFile(LogFile{EventType: "Login", LogDate: testNow.Add(-48 * time.Hour), GenRows: 1})
	tok := login(t, s)
	tests := []struct {
		name, ver, soql string
		wantCode        string // "" = 200
		wantMsg         string // with wantCode: the message ends with this
	}{
		{"select at its version", "57.0", "SELECT Id, ForwardedForIp FROM LoginHistory", "", ""},
		{"select before its version", "56.0", "SELECT Id, ForwardedForIp FROM LoginHistory", "INVALID_FIELD",
			"No such column 'ForwardedForIp' on entity 'LoginHistory'. " + noSuchColumn},
		{"case-insensitive name", "56.0", "SELECT forwardedforip FROM LoginHistory", "INVALID_FIELD",
			"No such column 'forwardedforip' on entity 'LoginHistory'. " + noSuchColumn},
		{"where", "50.0", "SELECT Id FROM LoginHistory WHERE AuthMethodReference = 'x'", "INVALID_FIELD",
			"No such column 'AuthMethodReference' on entity 'LoginHistory'. " + noSuchColumn},
		{"order by", "36.0", "SELECT Id FROM EventLogFile ORDER BY Sequence", "INVALID_FIELD",
			"No such column 'Sequence' on entity 'EventLogFile'. " + noSuchColumn},
		{"object-prefixed path", "36.0", "SELECT LoginHistory.CipherSuite FROM LoginHistory", "INVALID_FIELD",
			"No such column 'LoginHistory.CipherSuite' on entity 'LoginHistory'. " + noSuchColumn},
		{"hourly fields from 37.0", "37.0", "SELECT Id, Interval, Sequence FROM EventLogFile ORDER BY Sequence", "", ""},
		{"numeric comparison", "34.0", "SELECT LoginGeoId FROM LoginHistory", "", ""},
		{"older field still there", "36.0", "SELECT LoginGeoId, Status FROM LoginHistory WHERE LoginGeoId != null", "", ""},
		{"setup audit trail", "47.0", "SELECT Id FROM SetupAuditTrail WHERE CreatedByContext = 'Apex'", "INVALID_FIELD",
			"No such column 'CreatedByContext' on entity 'SetupAuditTrail'. " + noSuchColumn},
		{"relationship still there", "35.0", "SELECT CreatedBy.Username, DelegateUser FROM SetupAuditTrail", "", ""},
		{"object before its version", "20.0", "SELECT Id FROM LoginHistory", "INVALID_TYPE",
			"sObject type 'LoginHistory' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"event log files from 32.0", "31.0", "SELECT Id FROM EventLogFile", "INVALID_TYPE", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, tok, versionedQuery(tc.ver, tc.soql), nil)
			if answered(t, r, tc.wantCode) {
				return
			}
			msg := errorMessage(t, r)
			require.Contains(t, msg, "ERROR at Row:1:Column:", "Salesforce's caret shape")
			require.True(t, strings.HasSuffix(msg, tc.wantMsg), msg)
		})
	}

	t.Run("describe", func(t *testing.T) {
		for _, tc := range []struct {
			ver, object   string
			have, missing []string
		}{
			{"66.0", "LoginHistory", []string{"ForwardedForIp", "AuthMethodReference", "OptionsIsGet", "Id"}, nil},
			{"56.0", "LoginHistory", []string{"LoginSubType", "AuthMethodReference", "CipherSuite"}, []string{"ForwardedForIp", "HttpMethod"}},
			{"36.0", "LoginHistory", []string{"LoginGeoId", "ApiType", "Status"}, []string{"CipherSuite", "TlsProtocol", "CountryIso", "AuthMethodReference"}},
			{"36.0", "EventLogFile", []string{"LogFileFieldNames", "EventType"}, []string{"Interval", "Sequence"}},
			{"34.0", "SetupAuditTrail", []string{"Action", "CreatedById"}, []string{"DelegateUser", "CreatedByContext", "ResponsibleNamespacePrefix"}},
		} {
			got := describeFields(t, s, tok, tc.ver, tc.object)
			for _, f := range tc.have {
				require.True(t, got[f], "v%s %s.%s", tc.ver, tc.object, f)
			}
			for _, f := range tc.missing {
				require.False(t, got[f], "v%s %s.%s", tc.ver, tc.object, f)
			}
		}
		r := get(t, s, tok, "/services/data/v20.0/sobjects/LoginHistory/describe", nil)
		require.Equal(t, 404, r.status)
		require.Equal(t, "NOT_FOUND", r.errorCode(t))
	})

	t.Run("retrieve", func(t *testing.T) {
		id := s.Records("LoginHistory")[0].ID
		r := get(t, s, tok, "/services/data/v56.0/sobjects/LoginHistory/"+id, nil)
		require.Equal(t, 200, r.status, string(r.body))
		require.Contains(t, string(r.body), `"LoginSubType":`)
		require.NotContains(t, string(r.body), `"ForwardedForIp":`)
	})
}

func TestHiddenFields(t *testing.T) {
	opts := testOptions()
	opts.HiddenFields = map[string][]string{"loginhistory": {"forwardedforip", "SourceIp"}}
	s := NewTestServer(t, opts)
	tok := login(t, s)
	other, otherTok := signedIn(t) // another org: unaffected

	s.HideField("SetupAuditTrail", "CreatedById")
	s.HideField("User", "Name")
	tests := []struct {
		name, soql string
		wantMsg    string // "" = 200
	}{
		{"hidden by option", "SELECT Id, ForwardedForIp FROM LoginHistory",
			"No such column 'ForwardedForIp' on entity 'LoginHistory'. " + noSuchColumn},
		{"option names are case-insensitive", "SELECT Id FROM LoginHistory WHERE SourceIp = '1.2.3.4'",
			"No such column 'SourceIp' on entity 'LoginHistory'. " + noSuchColumn},
		{"order by", "SELECT Id FROM LoginHistory ORDER BY ForwardedForIp",
			"No such column 'ForwardedForIp' on entity 'LoginHistory'. " + noSuchColumn},
		{"visible fields still work", "SELECT Id, Status, LoginTime FROM LoginHistory", ""},
		{"hidden lookup hides its relationship", "SELECT CreatedBy.Username FROM SetupAuditTrail",
			"Didn't understand relationship 'CreatedBy' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."},
		{"hidden lookup", "SELECT CreatedById FROM SetupAuditTrail",
			"No such column 'CreatedById' on entity 'SetupAuditTrail'. " + noSuchColumn},
		{"hidden field behind a relationship", "SELECT Owner.Name FROM Security_Case__c",
			"No such column 'Name' on entity 'User'. " + noSuchColumn},
		{"visible field behind a relationship", "SELECT Owner.Username FROM Security_Case__c", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := "INVALID_FIELD"
			if tc.wantMsg == "" {
				code = ""
			}
			r := get(t, s, tok, queryPath(tc.soql), nil)
			if answered(t, r, code) {
				return
			}
			msg := errorMessage(t, r)
			require.True(t, strings.HasSuffix(msg, tc.wantMsg), msg)
			require.Equal(t, 200, get(t, other, otherTok, queryPath(tc.soql), nil).status, "the other org sees it")
		})
	}

	got := describeFields(t, s, tok, "66.0", "LoginHistory")
	require.False(t, got["ForwardedForIp"])
	require.False(t, got["SourceIp"])
	require.True(t, got["Status"])
	require.True(t, describeFields(t, other, otherTok, "66.0", "LoginHistory")["ForwardedForIp"])

	// Ground truth keeps the values.
	require.Contains(t, s.Records("LoginHistory")[0].Fields, "ForwardedForIp")

	for _, bad := range []struct{ object, field string }{{"Nope", "Id"}, {"LoginHistory", "Nope"}, {"LoginHistory", "id"}} {
		require.Panics(t, func() { s.HideField(bad.object, bad.field) }, "%s.%s", bad.object, bad.field)
	}
}

func TestHideFieldWhileServing(t *testing.T) {
	s, tok := signedIn(t)
	var wg sync.WaitGroup
	statuses := make(chan int, 100)
	for _, path := range []string{queryPath("SELECT Id, CountryIso FROM LoginHistory LIMIT 1"), "/services/data/v66.0/sobjects/LoginHistory/describe"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					statuses <- 0
					continue
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			}
		}()
	}
	s.HideField("LoginHistory", "TlsProtocol")
	s.HideField("LoginHistory", "CountryIso")
	wg.Wait()
	close(statuses)
	for st := range statuses {
		require.Contains(t, []int{200, 400}, st)
	}
	r := get(t, s, tok, queryPath("SELECT Id, CountryIso FROM LoginHistory LIMIT 1"), nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, "INVALID_FIELD", r.errorCode(t))
	// RemoveField still works alongside.
	s.RemoveField("LoginHistory", "Browser")
	require.Equal(t, 400, get(t, s, tok, queryPath("SELECT Browser FROM LoginHistory"), nil).status)
}

func TestAPIVersions(t *testing.T) {
	opts := testOptions()
	opts.APIVersion = "58.0"
	s := NewTestServer(t, opts)
	tok := login(t, s)

	for _, path := range []string{"/services/data/", "/services/data"} {
		r := get(t, s, "", path, nil) // no session needed
		require.Equal(t, 200, r.status, string(r.body))
		var list []struct{ Label, URL, Version string }
		require.NoError(t, json.Unmarshal(r.body, &list))
		require.Len(t, list, 58-20+1)
		require.Equal(t, "20.0", list[0].Version)
		require.Equal(t, "Winter '11", list[0].Label)
		require.Equal(t, "/services/data/v20.0", list[0].URL)
		require.Equal(t, "58.0", list[len(list)-1].Version)
		require.Equal(t, "Summer '23", list[len(list)-1].Label)
		for i := 1; i < len(list); i++ {
			require.True(t, versionAtMost(list[i-1].Version, list[i].Version) && list[i-1].Version != list[i].Version, "ascending")
		}
	}
	used, _ := s.Usage()
	require.Zero(t, used, "the listing is not charged")
	c := s.Calls()
	require.Equal(t, int64(2), c.Versions)
	require.Zero(t, c.Total, "the listing is not an API call")

	notFound := `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`
	tests := []struct {
		path string
		want int
	}{
		{"/services/data/v58.0/limits", 200},
		{"/services/data/v20.0/limits", 200},
		{"/services/data/v59.0/limits", 404},
		{"/services/data/v66.0/limits", 404},
		{"/services/data/v100.0/limits", 404},
		{"/services/data/v19.0/limits", 404},
		{"/services/data/v9.0/limits", 404},
		{versionedQuery("66.0", "SELECT Id FROM LoginHistory"), 404},
		{versionedQuery("58.0", "SELECT Id, ForwardedForIp FROM LoginHistory"), 200},
		{"/services/data/v66.0/sobjects/LoginHistory/describe", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			before, _ := s.Usage()
			r := get(t, s, tok, tc.path, nil)
			require.Equal(t, tc.want, r.status, string(r.body))
			after, _ := s.Usage()
			if tc.want == 404 {
				require.JSONEq(t, notFound, string(r.body))
				require.Equal(t, before, after, "not charged")
			} else {
				require.Equal(t, before+1, after)
			}
		})
	}
	// Without a session the version does not matter: 401 first.
	require.Equal(t, 401, get(t, s, "", "/services/data/v66.0/limits", nil).status)

	t.Run("default is 66.0", func(t *testing.T) {
		d := NewTestServer(t, testOptions())
		r := get(t, d, "", "/services/data/", nil)
		require.Equal(t, 200, r.status)
		var list []struct{ Label, Version string }
		require.NoError(t, json.Unmarshal(r.body, &list))
		require.Equal(t, struct{ Label, Version string }{"Spring '26", "66.0"}, list[len(list)-1])
	})

	t.Run("faults", func(t *testing.T) {
		d := NewTestServer(t, testOptions())
		d.InjectFault(Fault{Status: 503}) // empty Path: data API calls only
		require.Equal(t, 200, get(t, d, "", "/services/data/", nil).status)
		require.Equal(t, 1, d.PendingFaults())
		d.InjectFault(Fault{Path: "/services/data/", Drop: true})
		d.SetUsage(5)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		_, err := client.Get(d.URL() + "/services/data/")
		require.Error(t, err)
		used, _ := d.Usage()
		require.Equal(t, int64(5), used, "a dropped listing refunds nothing")
	})

	for _, bad := range []string{"v66.0", "66", "19.0", "sixty"} {
		o := testOptions()
		o.APIVersion = bad
		require.Panics(t, func() { New(o) }, bad)
	}
}
