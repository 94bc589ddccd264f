package salesforcereceiver

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/architecture.md names every package under internal/ (a package
// inside a named one, such as the simulator's own, counts as named), so
// its layout table cannot fall behind the tree.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	b, err := os.ReadFile("docs/architecture.md")
	require.NoError(t, err)
	doc := string(b)
	named := func(dir string) bool {
		for d := dir; d != "." && d != "internal"; d = path.Dir(d) {
			if strings.Contains(doc, "`"+d+"`") {
				return true
			}
		}
		return false
	}
	var pkgs int
	require.NoError(t, filepath.WalkDir("internal", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		goFiles, _ := filepath.Glob(filepath.Join(p, "*.go"))
		if len(goFiles) == 0 {
			return nil
		}
		pkgs++
		assert.True(t, named(filepath.ToSlash(p)), "docs/architecture.md does not name %s", p)
		return nil
	}))
	assert.Greater(t, pkgs, 20)
}
