package elf

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite testdata/<EventType>.csv from the generator")

var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

const testOrg = "00D5g0000SimOrgEQE"

// Generated files carry every cell a CSV reader gets wrong.
func TestGeneratedRowsAreTricky(t *testing.T) {
	g := NewRowGen("ReportExport", testOrg, 1, testNow, time.Hour)
	seen := map[string]bool{}
	for range 200 {
		for _, v := range g.Next(nil) {
			seen[v] = true
		}
	}
	for _, c := range trickyCells {
		require.True(t, seen[c], "%q", c)
	}
}

// Every event type of the catalog is served, with its entry's columns and
// types, and testdata/<EventType>.csv is a sample of its file: a new type's
// sample is written by go test ./internal/testing/simulator/elf -update.
func TestEventTypesFollowTheCatalog(t *testing.T) {
	var want []string
	for _, e := range catalog.EventTypes() {
		want = append(want, e.Name)
	}
	assert.ElementsMatch(t, want, EventTypes())
	for _, e := range catalog.EventTypes() {
		t.Run(e.Name, func(t *testing.T) {
			names, types := Columns(e.Name)
			require.Equal(t, e.FieldNames(), names)
			for i, f := range e.Fields {
				assert.Equal(t, f.Type, types[i], f.Name)
			}
			var rows [][]string
			g := NewRowGen(e.Name, testOrg, 7, testNow, time.Hour)
			for range 6 {
				rows = append(rows, slices.Clone(g.Next(nil)))
			}
			got := EncodeCSV(names, rows)
			path := filepath.Join("testdata", e.Name+".csv")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			golden, err := os.ReadFile(path)
			require.NoError(t, err, "no sample of %s: run go test ./internal/testing/simulator/elf -update", e.Name)
			assert.Equal(t, string(golden), string(got), "%s: the generator changed: check the rows, then -update", path)
			all, err := csv.NewReader(bytes.NewReader(golden)).ReadAll()
			require.NoError(t, err)
			require.Equal(t, names, all[0], "the sample's header is the entry's columns")
		})
	}
	assert.Nil(t, schema("NoSuchType"))
}

// Rows hold what the pages document: EVENT_TYPE the type, listed values
// where a page lists them, numbers in Number columns, 15- and 18-character
// user ids of one user, and times inside the file's span.
func TestRowsAreDocumented(t *testing.T) {
	for _, e := range catalog.EventTypes() {
		t.Run(e.Name, func(t *testing.T) {
			g := NewRowGen(e.Name, testOrg, 3, testNow, time.Hour)
			for range 300 {
				row := g.Next(nil)
				for i, f := range e.Fields {
					v := row[i]
					if vals := e.ValuesOf(f.Name); len(vals) > 0 && !slices.Contains(trickyCells, v) {
						assert.Contains(t, vals, v, "%s: a value the page lists", f.Name)
					}
					if f.Type == "Number" && v != "" {
						_, err := strconv.ParseFloat(v, 64)
						assert.NoError(t, err, "%s: a number", f.Name)
					}
					if f.Type == "Boolean" {
						assert.Contains(t, []string{"0", "1"}, v, f.Name)
					}
				}
				cell := func(col string) string {
					if j := slices.Index(e.FieldNames(), col); j >= 0 {
						return row[j]
					}
					return ""
				}
				assert.Equal(t, e.Name, cell("EVENT_TYPE"))
				if d := cell("USER_ID_DERIVED"); d != "" {
					assert.Equal(t, cell("USER_ID"), d[:15])
				}
				ts, err := time.Parse("2006-01-02T15:04:05.000Z", cell("TIMESTAMP_DERIVED"))
				require.NoError(t, err)
				assert.False(t, ts.Before(testNow) || !ts.Before(testNow.Add(time.Hour)), "%v in the file's hour", ts)
				assert.Equal(t, ts.Format("20060102150405.000"), cell("TIMESTAMP"))
			}
		})
	}
}

// What a user does is stable: its name, its connected app and the client
// name and user agent that app sends, on every source; an API client's
// login carries the app's user agent, a browser login the user's browser.
// Row counts of clean files stay at most 2,000 per request.
func TestUsersAreStable(t *testing.T) {
	users := []User{
		{ID: "0055g00000Ab1AAAAA", Username: "one@example.com"}, {ID: "0055g00000Ab2AAAAA", Username: "two@example.com"},
		{ID: "0055g00000Ab3AAAAA", Username: "three@example.com"}, {ID: "0055g00000Ab4AAAAA", Username: "four@example.com"},
		{ID: "0055g00000Ab5AAAAA", Username: "five@example.com"},
	}
	userIndex := map[string]int{}
	for i, u := range users {
		userIndex[u.ID[:15]] = i
	}
	apiLogins, browserLogins := 0, 0
	for _, typ := range []string{"Login", "API", "RestApi", "ApiTotalUsage", "BulkApi", "Report"} {
		e := catalog.EventType(typ)
		g := NewRowGen(typ, testOrg, 11, testNow, 24*time.Hour, users...)
		for range 400 {
			row := g.Next(nil)
			cell := func(col string) (string, bool) {
				if j := slices.Index(e.FieldNames(), col); j >= 0 {
					return row[j], true
				}
				return "", false
			}
			uid, _ := cell("USER_ID")
			i, ok := userIndex[uid]
			require.True(t, ok, "%s: a row about one of the users: %s", typ, uid)
			app := AppFor(i)
			if v, ok := cell("USER_NAME"); ok {
				assert.Equal(t, users[i].Username, v, typ)
			}
			if v, ok := cell("CLIENT_NAME"); ok {
				assert.Equal(t, app.Client, v, typ)
			}
			if v, ok := cell("CONNECTED_APP_ID"); ok {
				assert.Equal(t, app.ID, v, typ)
			}
			if v, ok := cell("CONNECTED_APP_NAME"); ok {
				assert.Equal(t, app.Name, v, typ)
			}
			if lt, ok := cell("LOGIN_TYPE"); ok {
				ua, _ := cell("BROWSER_TYPE")
				if slices.Contains(apiLoginTypes, lt) {
					apiLogins++
					assert.Equal(t, app.UserAgent, ua, "an API client's login")
				} else {
					browserLogins++
					assert.Equal(t, browserFor(i), ua, "a browser login")
				}
			}
			for _, col := range []string{"ROWS_PROCESSED", "ROW_COUNT"} {
				if v, ok := cell(col); ok {
					n, err := strconv.Atoi(v)
					require.NoError(t, err)
					assert.LessOrEqual(t, n, 2000, "%s.%s", typ, col)
				}
			}
			if v, ok := cell("USER_AGENT"); ok && typ == "RestApi" {
				_, err := strconv.Atoi(v)
				assert.NoError(t, err, "RestApi USER_AGENT is a numeric client code")
			}
		}
	}
	assert.Positive(t, apiLogins)
	assert.Positive(t, browserLogins)
}
