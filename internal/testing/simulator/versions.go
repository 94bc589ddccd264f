package simulator

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// oldestAPIVersion is the oldest version the simulated org serves and lists:
// the simulator's own floor (Salesforce retires old versions from time to
// time; an org serves fewer).
var oldestAPIVersion = apiVersion{20, 0}

// servesVersion reports whether the org serves ver: 20.0 up to
// Options.APIVersion, compared numerically.
func (s *Server) servesVersion(ver string) bool {
	v, ok := parseAPIVersion(ver)
	newest, _ := parseAPIVersion(s.opts.APIVersion)
	return ok && v.compare(oldestAPIVersion) >= 0 && v.compare(newest) <= 0
}

// versionLabel names the release of a major version, as the Versions
// resource does: 20.0 is Winter '11, then Spring, Summer, Winter... (66.0 is
// Spring '26).
func versionLabel(major int) string {
	i := major - oldestAPIVersion.major
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
	newest, _ := parseAPIVersion(s.opts.APIVersion)
	out := []map[string]string{}
	for m := oldestAPIVersion.major; m <= newest.major; m++ {
		v := strconv.Itoa(m) + ".0"
		out = append(out, map[string]string{"label": versionLabel(m), "url": "/services/data/v" + v, "version": v})
	}
	writeJSON(w, http.StatusOK, out)
}

// view is what a request under API version ver may see of the schema.
func (s *Server) view(ver string) *schemaView {
	s.hiddenMu.RLock()
	defer s.hiddenMu.RUnlock()
	return &schemaView{ver: ver, hidden: s.hidden}
}

// HideField hides a field from the integration user, as field-level
// security does: from then on describe omits it and SOQL naming it (in
// SELECT, WHERE, ORDER BY or a relationship path) answers INVALID_FIELD
// "No such column". Hiding a reference field hides its relationship too.
// It affects this server only, is safe to call while serving (requests
// already being answered are not affected), and panics on an unknown
// object or field, or on Id, which field-level security cannot hide.
func (s *Server) HideField(object, name string) {
	sch := s.reg.lookup(object)
	if sch == nil {
		panic("simulator: unknown object " + object)
	}
	f := sch.field(name)
	if f == nil {
		panic("simulator: no field " + name + " on " + sch.Name)
	}
	if f.Name == "Id" {
		panic("simulator: field-level security cannot hide Id")
	}
	o, n := strings.ToLower(sch.Name), strings.ToLower(f.Name)
	s.hiddenMu.Lock()
	defer s.hiddenMu.Unlock()
	// Copy on write: views handed out keep the map they were given.
	next := make(hiddenFields, len(s.hidden)+1)
	for k, v := range s.hidden {
		next[k] = v
	}
	next[o] = maps.Clone(next[o])
	if next[o] == nil {
		next[o] = map[string]bool{}
	}
	next[o][n] = true
	s.hidden = next
}
