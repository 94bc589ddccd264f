package catalog

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the README's and docs/catalog.md's catalog sections")

// The README's and docs/catalog.md's tables of streams, permissions,
// severities and objects are the catalog's: run
// `go test ./internal/catalog -update` after changing the catalog.
func TestDocsFollowTheCatalog(t *testing.T) {
	for file, want := range map[string][]string{
		"../../README.md":       {"permissions", "severity"},
		"../../docs/catalog.md": {"objects", "storage", "events", "event-log-objects", "event-log-files", "inventory"},
		"../../docs/records.md": {"roles", "field-severity", "object-rules"},
	} {
		path := filepath.Clean(file)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		got, found := Splice(string(b))
		assert.ElementsMatch(t, want, found, "%s: the catalog sections it holds", path)
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			continue
		}
		assert.Equal(t, string(b), got, "%s is out of step with the catalog: run go test ./internal/catalog -update", path)
	}
}
