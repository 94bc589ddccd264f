package org_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
)

func TestRemoveField(t *testing.T) {
	s := simulator.NewTestServer(t, simtest.Options())
	s.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: simtest.Now.Add(-48 * time.Hour), GenRows: 1})
	s.RemoveField("EventLogFile", "Interval")
	tok := simtest.Login(t, s)
	r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id FROM EventLogFile WHERE Interval = 'Daily'"), nil)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "INVALID_FIELD", r.ErrorCode(t))
	recs, _ := simtest.QueryAll(t, s, tok, "SELECT Id FROM EventLogFile WHERE Sequence = 0", 0)
	require.Len(t, recs, 1)
}

func TestFieldsSinceAPIVersion(t *testing.T) {
	s := simulator.NewTestServer(t, simtest.Options())
	s.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: simtest.Now.Add(-48 * time.Hour), GenRows: 1})
	tok := simtest.Login(t, s)
	tests := []struct {
		name, ver, soql string
		wantCode        string // "" = 200
		wantMsg         string // with wantCode: the message ends with this
	}{
		{"select at its version", "57.0", "SELECT Id, ForwardedForIp FROM LoginHistory", "", ""},
		{"select before its version", "56.0", "SELECT Id, ForwardedForIp FROM LoginHistory", "INVALID_FIELD",
			"No such column 'ForwardedForIp' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"case-insensitive name", "56.0", "SELECT forwardedforip FROM LoginHistory", "INVALID_FIELD",
			"No such column 'forwardedforip' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"where", "50.0", "SELECT Id FROM LoginHistory WHERE AuthMethodReference = 'x'", "INVALID_FIELD",
			"No such column 'AuthMethodReference' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"order by", "36.0", "SELECT Id FROM EventLogFile ORDER BY Sequence", "INVALID_FIELD",
			"No such column 'Sequence' on entity 'EventLogFile'. " + simtest.NoSuchColumn},
		{"object-prefixed path", "36.0", "SELECT LoginHistory.CipherSuite FROM LoginHistory", "INVALID_FIELD",
			"No such column 'LoginHistory.CipherSuite' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"hourly fields from 37.0", "37.0", "SELECT Id, Interval, Sequence FROM EventLogFile ORDER BY Sequence", "", ""},
		{"numeric comparison", "34.0", "SELECT LoginGeoId FROM LoginHistory", "", ""},
		{"older field still there", "36.0", "SELECT LoginGeoId, Status FROM LoginHistory WHERE LoginGeoId != null", "", ""},
		{"setup audit trail", "47.0", "SELECT Id FROM SetupAuditTrail WHERE CreatedByContext = 'Apex'", "INVALID_FIELD",
			"No such column 'CreatedByContext' on entity 'SetupAuditTrail'. " + simtest.NoSuchColumn},
		{"relationship still there", "35.0", "SELECT CreatedBy.Username, DelegateUser FROM SetupAuditTrail", "", ""},
		{"object before its version", "20.0", "SELECT Id FROM LoginHistory", "INVALID_TYPE",
			"sObject type 'LoginHistory' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"event log files from 32.0", "31.0", "SELECT Id FROM EventLogFile", "INVALID_TYPE", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := simtest.Get(t, s, tok, simtest.VersionedQuery(tc.ver, tc.soql), nil)
			if simtest.Answered(t, r, tc.wantCode) {
				return
			}
			msg := r.ErrorMessage(t)
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
			got := simtest.DescribeFields(t, s, tok, tc.ver, tc.object)
			for _, f := range tc.have {
				require.True(t, got[f], "v%s %s.%s", tc.ver, tc.object, f)
			}
			for _, f := range tc.missing {
				require.False(t, got[f], "v%s %s.%s", tc.ver, tc.object, f)
			}
		}
		r := simtest.Get(t, s, tok, "/services/data/v20.0/sobjects/LoginHistory/describe", nil)
		require.Equal(t, 404, r.Status)
		require.Equal(t, "NOT_FOUND", r.ErrorCode(t))
	})

	t.Run("retrieve", func(t *testing.T) {
		id := s.Records("LoginHistory")[0].ID
		r := simtest.Get(t, s, tok, "/services/data/v56.0/sobjects/LoginHistory/"+id, nil)
		require.Equal(t, 200, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), `"LoginSubType":`)
		require.NotContains(t, string(r.Body), `"ForwardedForIp":`)
	})
}

func TestHiddenFields(t *testing.T) {
	opts := simtest.Options()
	opts.HiddenFields = map[string][]string{"loginhistory": {"forwardedforip", "SourceIp"}}
	s := simulator.NewTestServer(t, opts)
	tok := simtest.Login(t, s)
	other, otherTok := simtest.SignedIn(t) // another org: unaffected

	s.HideField("SetupAuditTrail", "CreatedById")
	s.HideField("User", "Name")
	tests := []struct {
		name, soql string
		wantMsg    string // "" = 200
	}{
		{"hidden by option", "SELECT Id, ForwardedForIp FROM LoginHistory",
			"No such column 'ForwardedForIp' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"option names are case-insensitive", "SELECT Id FROM LoginHistory WHERE SourceIp = '1.2.3.4'",
			"No such column 'SourceIp' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"order by", "SELECT Id FROM LoginHistory ORDER BY ForwardedForIp",
			"No such column 'ForwardedForIp' on entity 'LoginHistory'. " + simtest.NoSuchColumn},
		{"visible fields still work", "SELECT Id, Status, LoginTime FROM LoginHistory", ""},
		{"hidden lookup hides its relationship", "SELECT CreatedBy.Username FROM SetupAuditTrail",
			"Didn't understand relationship 'CreatedBy' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."},
		{"hidden lookup", "SELECT CreatedById FROM SetupAuditTrail",
			"No such column 'CreatedById' on entity 'SetupAuditTrail'. " + simtest.NoSuchColumn},
		{"hidden field behind a relationship", "SELECT Owner.Name FROM Security_Case__c",
			"No such column 'Name' on entity 'User'. " + simtest.NoSuchColumn},
		{"visible field behind a relationship", "SELECT Owner.Username FROM Security_Case__c", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := "INVALID_FIELD"
			if tc.wantMsg == "" {
				code = ""
			}
			r := simtest.Get(t, s, tok, simtest.QueryPath(tc.soql), nil)
			if simtest.Answered(t, r, code) {
				return
			}
			msg := r.ErrorMessage(t)
			require.True(t, strings.HasSuffix(msg, tc.wantMsg), msg)
			require.Equal(t, 200, simtest.Get(t, other, otherTok, simtest.QueryPath(tc.soql), nil).Status, "the other org sees it")
		})
	}

	got := simtest.DescribeFields(t, s, tok, "66.0", "LoginHistory")
	require.False(t, got["ForwardedForIp"])
	require.False(t, got["SourceIp"])
	require.True(t, got["Status"])
	require.True(t, simtest.DescribeFields(t, other, otherTok, "66.0", "LoginHistory")["ForwardedForIp"])

	// Ground truth keeps the values.
	require.Contains(t, s.Records("LoginHistory")[0].Fields, "ForwardedForIp")

	for _, bad := range []struct{ object, field string }{{"Nope", "Id"}, {"LoginHistory", "Nope"}, {"LoginHistory", "id"}} {
		require.Panics(t, func() { s.HideField(bad.object, bad.field) }, "%s.%s", bad.object, bad.field)
	}
}

func TestHideFieldWhileServing(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	var wg sync.WaitGroup
	statuses := make(chan int, 100)
	for _, path := range []string{simtest.QueryPath("SELECT Id, CountryIso FROM LoginHistory LIMIT 1"), "/services/data/v66.0/sobjects/LoginHistory/describe"} {
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
	r := simtest.Get(t, s, tok, simtest.QueryPath("SELECT Id, CountryIso FROM LoginHistory LIMIT 1"), nil)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "INVALID_FIELD", r.ErrorCode(t))
	// RemoveField still works alongside.
	s.RemoveField("LoginHistory", "Browser")
	require.Equal(t, 400, simtest.Get(t, s, tok, simtest.QueryPath("SELECT Browser FROM LoginHistory"), nil).Status)
}
