package simulator

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// eloServer serves Event Log Object rows at once (no delay) on a clock the
// test moves.
func eloServer(t *testing.T, set func(o *Options)) (*Server, string, *atomic.Int64) {
	t.Helper()
	var clock atomic.Int64
	clock.Store(testNow.UnixNano())
	o := testOptions()
	o.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	o.EventLogObjectDelay = NoEventLogObjectDelay
	o.EventLogObjectRows = map[string]int{"LoginEventLog": 300, "ApiTotalUsageEventLog": 50}
	if set != nil {
		set(&o)
	}
	s := NewTestServer(t, o)
	return s, login(t, s), &clock
}

func soqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Big objects and Event Log Objects answer the empty Id; Threat Detection
// stores their own.
func TestPlaceholderIDs(t *testing.T) {
	s, tok, _ := eloServer(t, nil)
	s.Publish("/event/UniversalAnomalyEvent", 3)
	for _, tc := range []struct {
		object, where string
		placeholder   bool
	}{
		{"LoginEvent", "", true},
		{"ApiEvent", "WHERE EventDate > 2024-04-30T00:00:00Z", true},
		{"LoginEventLog", "", true},
		{"ApiTotalUsageEventLog", "WHERE Timestamp > 2024-04-30T00:00:00Z", true},
		{"UniversalAnomalyEventStore", "", false},
		{"LoginHistory", "", false},
	} {
		t.Run(tc.object, func(t *testing.T) {
			recs, _ := queryAll(t, s, tok, "SELECT Id FROM "+tc.object+" "+tc.where, 0)
			require.NotEmpty(t, recs)
			seen := map[string]bool{}
			for _, r := range recs {
				id := r["Id"].(string)
				url := r["attributes"].(map[string]any)["url"].(string)
				require.True(t, strings.HasSuffix(url, "/sobjects/"+tc.object+"/"+id), url)
				if tc.placeholder {
					require.Equal(t, catalog.PlaceholderID, id)
				} else {
					require.Len(t, id, 18)
					require.False(t, catalog.IsPlaceholderID(id))
					require.False(t, seen[id], "unique")
				}
				seen[id] = true
			}
		})
	}
}

// Describe of an Event Log Object: its catalog fields, no Id; not there
// before the object's version.
func TestEventLogObjectDescribe(t *testing.T) {
	s, tok, _ := eloServer(t, nil)
	for _, e := range catalog.OfKind(catalog.KindEventLogObject) {
		t.Run(e.Name, func(t *testing.T) {
			r := get(t, s, tok, "/services/data/v66.0/sobjects/"+e.Name+"/describe", nil)
			require.Equal(t, 200, r.status, string(r.body))
			var d struct {
				Name      string
				KeyPrefix *string
				Fields    []struct{ Name, Type string }
			}
			require.NoError(t, json.Unmarshal(r.body, &d))
			require.Nil(t, d.KeyPrefix)
			var names []string
			for _, f := range d.Fields {
				names = append(names, f.Name)
				want := describeType(org.CatalogType(e.Field(f.Name).Type))
				if f.Name == "Timestamp" {
					want = "datetime"
				}
				require.Equal(t, want, f.Type, f.Name)
			}
			require.Equal(t, e.FieldNames(), names)
			older, _ := org.ParseAPIVersion(e.Since)
			older.Major--
			r = get(t, s, tok, "/services/data/v"+older.String()+"/sobjects/"+e.Name+"/describe", nil)
			require.Equal(t, 404, r.status)
			r = get(t, s, tok, "/services/data/v"+older.String()+"/query?q=SELECT+Timestamp+FROM+"+e.Name, nil)
			answered(t, r, "INVALID_TYPE")
		})
	}
}

// Global describe lists what the org has at the request's version.
func TestDescribeGlobal(t *testing.T) {
	s := NewTestServer(t, func() Options { o := testOptions(); o.DeniedObjects = []string{"SetupAuditTrail"}; return o }())
	tok := login(t, s)
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
		r := get(t, s, tok, "/services/data/v"+ver+"/sobjects/", nil)
		require.Equal(t, 200, r.status, string(r.body))
		var g global
		require.NoError(t, json.Unmarshal(r.body, &g))
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
	r := get(t, s, tok, "/services/data/v66.0/sobjects", nil)
	require.Equal(t, 200, r.status, "without the trailing slash too")
}
