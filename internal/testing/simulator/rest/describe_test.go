package rest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/rest"
)

func TestDescribe(t *testing.T) {
	s, tok := simtest.SignedIn(t)
	type desc struct {
		Name   string
		Fields []struct {
			Name, Type       string
			Custom, Sortable bool
			RelationshipName *string
		}
	}
	tests := []struct {
		object               string
		standard, custom     []string
		sortable, unsortable string
	}{
		{"LoginEvent", []string{"Id", "EventIdentifier", "EventDate", "Username", "SourceIp"}, nil, "EventDate", "Username"},
		{"ApiEvent", []string{"RowsProcessed", "QueriedEntities"}, nil, "EventDate", "Operation"},
		{"security_case__c", []string{"Id", "Name", "OwnerId", "LastModifiedDate"}, []string{"Risk_Score__c", "Is_Escalated__c"}, "Name", ""},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) {
			r := simtest.Get(t, s, tok, "/services/data/v66.0/sobjects/"+tc.object+"/describe", nil)
			require.Equal(t, 200, r.Status, string(r.Body))
			var d desc
			require.NoError(t, json.Unmarshal(r.Body, &d))
			require.True(t, strings.EqualFold(tc.object, d.Name))
			custom, sortable := map[string]bool{}, map[string]bool{}
			for _, f := range d.Fields {
				custom[f.Name], sortable[f.Name] = f.Custom, f.Sortable
			}
			for _, f := range tc.standard {
				c, ok := custom[f]
				require.True(t, ok, f)
				require.False(t, c, f)
			}
			for _, f := range tc.custom {
				require.True(t, custom[f], f)
			}
			require.True(t, sortable[tc.sortable])
			if tc.unsortable != "" {
				require.False(t, sortable[tc.unsortable])
			}
		})
	}
	r := simtest.Get(t, s, tok, "/services/data/v66.0/sobjects/NoSuchEvent/describe", nil)
	require.Equal(t, 404, r.Status)
	require.Equal(t, "NOT_FOUND", r.ErrorCode(t))
}

// Describe of an Event Log Object: its catalog fields, no Id; not there
// before the object's version.
func TestEventLogObjectDescribe(t *testing.T) {
	s, tok, _ := simtest.ELOServer(t, nil)
	for _, e := range catalog.OfKind(catalog.KindEventLogObject) {
		t.Run(e.Name, func(t *testing.T) {
			r := simtest.Get(t, s, tok, "/services/data/v66.0/sobjects/"+e.Name+"/describe", nil)
			require.Equal(t, 200, r.Status, string(r.Body))
			var d struct {
				Name      string
				KeyPrefix *string
				Fields    []struct{ Name, Type string }
			}
			require.NoError(t, json.Unmarshal(r.Body, &d))
			require.Nil(t, d.KeyPrefix)
			var names []string
			for _, f := range d.Fields {
				names = append(names, f.Name)
				want := rest.DescribeType(org.CatalogType(e.Field(f.Name).Type))
				if f.Name == "Timestamp" {
					want = "datetime"
				}
				require.Equal(t, want, f.Type, f.Name)
			}
			require.Equal(t, e.FieldNames(), names)
			older, _ := org.ParseAPIVersion(e.Since)
			older.Major--
			r = simtest.Get(t, s, tok, "/services/data/v"+older.String()+"/sobjects/"+e.Name+"/describe", nil)
			require.Equal(t, 404, r.Status)
			r = simtest.Get(t, s, tok, "/services/data/v"+older.String()+"/query?q=SELECT+Timestamp+FROM+"+e.Name, nil)
			simtest.Answered(t, r, "INVALID_TYPE")
		})
	}
}

// Global describe lists what the org has at the request's version.
func TestDescribeGlobal(t *testing.T) {
	s := simulator.NewTestServer(t, func() simulator.Options {
		o := simtest.Options()
		o.DeniedObjects = []string{"SetupAuditTrail"}
		return o
	}())
	tok := simtest.Login(t, s)
	type global struct {
		Encoding     string
		MaxBatchSize int
		Sobjects     []struct {
			Name      string
			Queryable bool
			Urls      map[string]string
		}
	}
	read := func(ver string) map[string]bool {
		r := simtest.Get(t, s, tok, "/services/data/v"+ver+"/sobjects/", nil)
		require.Equal(t, 200, r.Status, string(r.Body))
		var g global
		require.NoError(t, json.Unmarshal(r.Body, &g))
		require.Equal(t, "UTF-8", g.Encoding)
		require.Equal(t, 200, g.MaxBatchSize)
		out := map[string]bool{}
		for _, o := range g.Sobjects {
			require.True(t, o.Queryable, o.Name)
			require.Equal(t, "/services/data/v"+ver+"/sobjects/"+o.Name+"/describe", o.Urls["describe"])
			out[o.Name] = true
		}
		return out
	}
	tests := []struct {
		ver         string
		has, hasNot []string
	}{
		{"66.0", []string{"LoginHistory", "EventLogFile", "LoginEvent", "UniversalAnomalyEventStore", "LoginEventLog", "BulkApiRequestEventLog", "User", "Security_Case__c"}, []string{"SetupAuditTrail"}},
		{"64.0", []string{"LoginAnomalyEventStore", "DatabaseSaveEventLog"}, []string{"UniversalAnomalyEventStore", "BulkApiRequestEventLog"}},
		{"60.0", []string{"GuestUserAnomalyEventStore", "RestApiEventLog"}, []string{"LoginEventLog", "LoginAnomalyEventStore"}},
		{"40.0", []string{"LoginEvent", "EventLogFile", "LoginHistory"}, []string{"LoginAsEvent", "RestApiEventLog", "ApiAnomalyEventStore"}},
		{"31.0", []string{"LoginHistory"}, []string{"EventLogFile", "LoginEvent"}},
	}
	for _, tc := range tests {
		t.Run(tc.ver, func(t *testing.T) {
			got := read(tc.ver)
			for _, n := range tc.has {
				require.True(t, got[n], n)
			}
			for _, n := range tc.hasNot {
				require.False(t, got[n], n)
			}
		})
	}
	r := simtest.Get(t, s, tok, "/services/data/v66.0/sobjects", nil)
	require.Equal(t, 200, r.Status, "without the trailing slash too")
}
