package salesforcereceiver

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The release a user pins (README), the distribution built here
// (builder-config.yaml) and the newest CHANGELOG heading name one version.
func TestVersionsAgree(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		return string(b)
	}
	find := func(name, pattern string) string {
		m := regexp.MustCompile(pattern).FindStringSubmatch(read(name))
		require.NotNil(t, m, "%s: no match for %s", name, pattern)
		return m[1]
	}
	release := find("CHANGELOG.md", `(?m)^## (v\d+\.\d+\.\d+)\b`)
	require.Equal(t, release, "v"+find("builder-config.yaml", `(?m)^  version: (\d+\.\d+\.\d+)$`), "builder-config.yaml dist.version")
	require.Equal(t, release, find("builder-config.yaml", `gomod: github.com/sfevents/salesforcereceiver (v\S+)`), "builder-config.yaml receiver gomod")
	require.Equal(t, release, find("README.md", `gomod: github.com/sfevents/salesforcereceiver (v\S+)`), "README pin")
}
