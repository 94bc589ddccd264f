package rest

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/soql"
)

// The Query resource (GET /services/data/vNN.N/query and queryAll, and
// their query locators), sObject retrieve, and the records they render.

// locator is a snapshot of a query result, as Salesforce's query cursor:
// later pages come from it even while records arrive.
type locator struct {
	sel      selection
	rows     []*org.Row
	batch    int
	ver      string
	seq      uint64 // creation order, to break ties of lastUsed
	created  time.Time
	lastUsed time.Time
}

// How long a query locator lives (App Limits Cheatsheet, "API Query Cursor
// Limits":
// https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-apicursors.html;
// help 000384958): since API 56.0, two days after the query ran, with no
// limit on open cursors; before, 15 minutes without use, and at most 10
// per user.
const (
	locatorLife     = 48 * time.Hour
	locatorIdleOld  = 15 * time.Minute
	locatorsPerUser = 10
	// maxLocators bounds the simulator's own memory, not Salesforce's rule.
	maxLocators = 1000
)

// expired says whether l is gone at now.
func (l *locator) expired(now time.Time) bool {
	if v, ok := org.ParseAPIVersion(l.ver); ok && v.Compare(org.APIVersion{Major: 56, Minor: 0}) >= 0 {
		return now.Sub(l.created) > locatorLife
	}
	return now.Sub(l.lastUsed) > locatorIdleOld
}

// batchSize reads the Sforce-Query-Options header: batchSize from 200 to
// 2,000, default 2,000 (REST API Developer Guide, "Query Options Header":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm).
// A value out of range is clamped: the simulator's choice (the page says
// the number of records returned may differ from the requested size).
func batchSize(h http.Header) int {
	for opt := range strings.SplitSeq(h.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return min(max(n, 200), 2000)
		}
	}
	return 2000
}

// maxQueryLog bounds Queries' memory (the simulator's own).
const maxQueryLog = 10000

// Queries lists the SOQL text of every query request so far (the latest
// 10,000), in arrival order, whatever the answer was.
func (s *Server) Queries() []string {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return slices.Clone(s.queries)
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, ver string) {
	s.statsMu.Lock()
	if len(s.queries) >= maxQueryLog {
		s.queries = slices.Delete(s.queries, 0, len(s.queries)-maxQueryLog+1)
	}
	s.queries = append(s.queries, r.URL.Query().Get("q"))
	s.statsMu.Unlock()
	q, err := soql.Parse(r.URL.Query().Get("q"))
	if err == nil {
		reg := s.org.Schemas()
		if s.denied(q.Object()) {
			reg = org.Registry{} // without permission, Salesforce denies the object exists
		}
		err = q.Bind(reg, s.org.View(ver))
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	batch := batchSize(r.Header)
	name := q.Schema().Name
	var rows []*org.Row
	s.org.Locked(func(tx org.Tx) { rows = q.Run(s.ownRows(name, tx.Rows(name)), s.cfg.Now()) })
	if c := q.Schema().QueryCap; c.Total > 0 && !q.Count() {
		// An object with a row cap of its own (OauthToken: "A query() call
		// returns up to 500 rows. A queryMore() call returns 500 more, up
		// to 2500 total. No more records are returned after 2500."):
		// pages of that size whatever the header asks, and nothing past
		// the total. The page does not say what totalSize then holds: the
		// rows returned, here.
		batch = c.Page
		rows = rows[:min(len(rows), c.Total)]
	}
	sel := selection{sch: q.Schema(), cols: q.Columns()}
	id := ""
	if !q.Count() && len(rows) > batch {
		s.locMu.Lock()
		id = s.newLocatorLocked(&locator{sel: sel, rows: rows, batch: batch, ver: ver})
		s.locMu.Unlock()
	}
	if q.Count() {
		writeRaw(w, http.StatusOK, []byte(`{"totalSize":`+strconv.Itoa(len(rows))+`,"done":true,"records":[]}`))
		return
	}
	writeRaw(w, http.StatusOK, renderPage(sel, rows, 0, batch, ver, id))
}

// ownRows is rows as the integration user may see them (Config.OwnRowsOnly).
func (s *Server) ownRows(object string, rows []*org.Row) []*org.Row {
	if !slices.ContainsFunc(s.cfg.OwnRowsOnly, func(o string) bool { return strings.EqualFold(o, object) }) {
		return rows
	}
	var own []*org.Row
	for _, r := range rows {
		if id, _ := r.Fields["UserId"].(string); len(id) >= 15 && id[:15] == s.cfg.UserID[:15] {
			own = append(own, r)
		}
	}
	return own
}

func (s *Server) newLocatorLocked(l *locator) string {
	now := s.cfg.Now()
	l.created, l.lastUsed = now, now
	for id, old := range s.locators {
		if old.expired(now) {
			delete(s.locators, id)
		}
	}
	limit := maxLocators
	if v, ok := org.ParseAPIVersion(l.ver); ok && v.Compare(org.APIVersion{Major: 56, Minor: 0}) < 0 {
		limit = locatorsPerUser // one integration user: the old per-user cap
	}
	for len(s.locators) >= limit {
		var oldest string
		for id, old := range s.locators {
			if o := s.locators[oldest]; oldest == "" || old.lastUsed.Before(o.lastUsed) ||
				old.lastUsed.Equal(o.lastUsed) && old.seq < o.seq {
				oldest = id
			}
		}
		delete(s.locators, oldest)
	}
	s.locSeq++
	l.seq = s.locSeq
	id := sfid.New("01g", s.locSeq)
	id = sfid.WithChecksum("01gSIM" + id[6:15])
	s.locators[id] = l
	return id
}

func (s *Server) handleQueryMore(w http.ResponseWriter, ver, ref string) {
	invalid := func() { writeErrors(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator") }
	id, offStr, ok := strings.Cut(ref, "-")
	off, err := strconv.Atoi(offStr)
	if !ok || err != nil || off < 0 {
		invalid()
		return
	}
	s.locMu.Lock()
	l := s.locators[id]
	now := s.cfg.Now()
	if l != nil && l.expired(now) {
		delete(s.locators, id)
		l = nil
	}
	if l == nil || off > len(l.rows) {
		s.locMu.Unlock()
		invalid()
		return
	}
	// Pages stay re-readable while the locator lives, so a client can retry
	// a page whose response was cut off.
	l.lastUsed = now
	s.locMu.Unlock()
	writeRaw(w, http.StatusOK, renderPage(l.sel, l.rows, off, l.batch, ver, id))
}

// ExpireLocators invalidates every open query locator, as when Salesforce
// drops idle cursors.
func (s *Server) ExpireLocators() {
	s.locMu.Lock()
	clear(s.locators)
	s.locMu.Unlock()
}

// handleSObject answers GET /sobjects/{name}/{id} with every field the
// request may see (REST API Developer Guide, "sObject Rows":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm).
// Big objects, Event Log Objects and OauthToken support no retrieve() (their
// pages list describeSObjects() and query() only): their rows answer 404.
func (s *Server) handleSObject(w http.ResponseWriter, ver string, parts []string) {
	sch := s.org.Schema(parts[0])
	view := s.org.View(ver)
	if sch == nil || len(parts) != 2 || !view.ObjectVisible(sch) || sch.PlaceholderID() || sch.NullID {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	var rw *org.Row
	s.org.Locked(func(tx org.Tx) { rw = tx.Row(sch.Name, parts[1]) })
	if rw == nil {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	sel := selection{sch: sch}
	for _, f := range view.Fields(sch) {
		sel.cols = append(sel.cols, &soql.Column{Path: f.Name, Field: f})
	}
	var buf bytes.Buffer
	renderRecord(&buf, sel, rw, ver)
	writeRaw(w, http.StatusOK, buf.Bytes())
}

// selection is what an answer renders of each row: the object's
// attributes and the selected fields.
type selection struct {
	sch  *org.Schema
	cols []*soql.Column // in SELECT order
}

// renderPage is a Query resource answer: totalSize, done, nextRecordsUrl
// while more remain, and records with their attributes (REST API Developer
// Guide, "Query" and "Execute a SOQL Query":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm,
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm).
// The locator's form (01g..., then "-" and the offset) is what real orgs
// send; the docs only say to follow nextRecordsUrl.
func renderPage(sel selection, rows []*org.Row, off, batch int, ver, locatorID string) []byte {
	end := min(off+batch, len(rows))
	var buf bytes.Buffer
	buf.WriteString(`{"totalSize":`)
	buf.WriteString(strconv.Itoa(len(rows)))
	buf.WriteString(`,"done":`)
	buf.WriteString(strconv.FormatBool(end >= len(rows)))
	if end < len(rows) {
		buf.WriteString(`,"nextRecordsUrl":`)
		writeJSONString(&buf, "/services/data/v"+ver+"/query/"+locatorID+"-"+strconv.Itoa(end))
	}
	buf.WriteString(`,"records":[`)
	for i, rw := range rows[off:end] {
		if i > 0 {
			buf.WriteByte(',')
		}
		renderRecord(&buf, sel, rw, ver)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// writeAttributes opens a record with its attributes; a row without an Id
// (OauthToken's is always null) gets no url: no page shows what
// Salesforce sends there.
func writeAttributes(buf *bytes.Buffer, object, id, ver string) {
	buf.WriteString(`{"attributes":{"type":`)
	writeJSONString(buf, object)
	if id != "" {
		buf.WriteString(`,"url":`)
		writeJSONString(buf, "/services/data/v"+ver+"/sobjects/"+object+"/"+id)
	}
	buf.WriteString(`}`)
}

// renderRecord writes selected fields in SELECT order, with the fields of a
// relationship grouped into one nested object as Salesforce does.
func renderRecord(buf *bytes.Buffer, sel selection, rw *org.Row, ver string) {
	id := rw.ID
	switch {
	case sel.sch.PlaceholderID():
		id = catalog.PlaceholderID // big objects, Event Log Objects
	case sel.sch.NullID:
		id = ""
	}
	writeAttributes(buf, sel.sch.Name, id, ver)
	done := map[string]bool{}
	for _, ref := range sel.cols {
		if ref.Rel == "" {
			if done[ref.Path] {
				continue
			}
			done[ref.Path] = true
			buf.WriteByte(',')
			writeJSONString(buf, ref.Field.Name)
			buf.WriteByte(':')
			writeValue(buf, rw.Fields[ref.Field.Name])
			continue
		}
		if done[ref.Rel] {
			continue
		}
		done[ref.Rel] = true
		buf.WriteByte(',')
		writeJSONString(buf, ref.Rel)
		buf.WriteByte(':')
		rel, _ := rw.Fields[ref.Rel].(map[string]any)
		if rel == nil {
			buf.WriteString("null")
			continue
		}
		relID, _ := rel["Id"].(string)
		writeAttributes(buf, ref.RelTo, relID, ver)
		seen := map[string]bool{}
		for _, other := range sel.cols {
			if other.Rel != ref.Rel || seen[other.Field.Name] {
				continue
			}
			seen[other.Field.Name] = true
			buf.WriteByte(',')
			writeJSONString(buf, other.Field.Name)
			buf.WriteByte(':')
			writeValue(buf, rel[other.Field.Name])
		}
		buf.WriteByte('}')
	}
	buf.WriteByte('}')
}

// FormatDateTime renders a time the way the REST API does (REST API
// Developer Guide, "Valid Date and DateTime Formats":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_valid_date_formats.htm).
func FormatDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func writeValue(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case string:
		writeJSONString(buf, v)
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case float64:
		buf.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case time.Time:
		writeJSONString(buf, FormatDateTime(v))
	default:
		buf.Write(marshal(v))
	}
}
