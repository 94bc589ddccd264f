package org

import (
	"testing"

	"github.com/stretchr/testify/require"
)

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
		require.Equal(t, tc.want, VersionAtMost(tc.a, tc.b), "%s <= %s", tc.a, tc.b)
	}
}

func TestBuiltinSinceVersionsParse(t *testing.T) {
	want := map[string]string{
		"LoginHistory.ForwardedForIp": "57.0", "LoginHistory.AuthMethodReference": "51.0",
		"LoginHistory.CipherSuite": "37.0", "LoginHistory.LoginGeoId": "34.0",
		"SetupAuditTrail.DelegateUser": "35.0", "SetupAuditTrail.CreatedByContext": "48.0",
		"EventLogFile.Interval": "37.0", "EventLogFile.Sequence": "37.0",
	}
	for _, o := range NewRegistry() {
		if o.Since != "" {
			_, ok := ParseAPIVersion(o.Since)
			require.True(t, ok, "%s Since %q", o.Name, o.Since)
		}
		for _, f := range o.Fields {
			if f.Since == "" {
				continue
			}
			_, ok := ParseAPIVersion(f.Since)
			require.True(t, ok, "%s.%s Since %q", o.Name, f.Name, f.Since)
			require.True(t, VersionAtMost(f.Since, DefaultAPIVersion), "%s.%s is newer than the default version", o.Name, f.Name)
			if w, ok := want[o.Name+"."+f.Name]; ok {
				require.Equal(t, w, f.Since, "%s.%s", o.Name, f.Name)
				delete(want, o.Name+"."+f.Name)
			}
		}
	}
	require.Empty(t, want, "fields not found")
}
