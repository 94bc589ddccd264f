package simulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescribe(t *testing.T) {
	s, tok := signedIn(t)
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
			r := get(t, s, tok, "/services/data/v66.0/sobjects/"+tc.object+"/describe", nil)
			require.Equal(t, 200, r.status, string(r.body))
			var d desc
			require.NoError(t, json.Unmarshal(r.body, &d))
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
	r := get(t, s, tok, "/services/data/v66.0/sobjects/NoSuchEvent/describe", nil)
	require.Equal(t, 404, r.status)
	require.Equal(t, "NOT_FOUND", r.errorCode(t))
}
