package rest

import (
	"net/http"
	"strconv"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
)

// OldestAPIVersion is the oldest version the simulated org serves and lists:
// the simulator's own floor (Salesforce retires old versions from time to
// time; an org serves fewer).
var OldestAPIVersion = org.APIVersion{Major: 20, Minor: 0}

// servesVersion reports whether the org serves ver: 20.0 up to
// Config.APIVersion, compared numerically.
func (s *Server) servesVersion(ver string) bool {
	v, ok := org.ParseAPIVersion(ver)
	newest, _ := org.ParseAPIVersion(s.cfg.APIVersion)
	return ok && v.Compare(OldestAPIVersion) >= 0 && v.Compare(newest) <= 0
}

// versionLabel names the release of a major version, as the Versions
// resource does: 20.0 is Winter '11, then Spring, Summer, Winter... (66.0 is
// Spring '26).
func versionLabel(major int) string {
	i := major - OldestAPIVersion.Major
	if i < 0 {
		return ""
	}
	season := [...]string{"Winter", "Spring", "Summer"}[i%3]
	return season + " '" + strconv.Itoa(11+i/3)
}

// handleVersions answers GET /services/data/ with every version the org
// serves, oldest first, as {label, url, version} (REST API Developer Guide,
// "Versions": https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm).
// It needs no session and is not charged.
func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,HEAD")
		return
	}
	newest, _ := org.ParseAPIVersion(s.cfg.APIVersion)
	out := []map[string]string{}
	for m := OldestAPIVersion.Major; m <= newest.Major; m++ {
		v := strconv.Itoa(m) + ".0"
		out = append(out, map[string]string{"label": versionLabel(m), "url": "/services/data/v" + v, "version": v})
	}
	writeJSON(w, http.StatusOK, out)
}
