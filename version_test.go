package salesforcereceiver

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The release a user pins (README), the distribution built here
// (builder-config.yaml, whose version make image tags) and the newest
// CHANGELOG heading name one version.
func TestVersionsAgree(t *testing.T) {
	find := func(name, pattern string) string {
		m := regexp.MustCompile(pattern).FindStringSubmatch(readRepoFile(t, name))
		require.NotNil(t, m, "%s: no match for %s", name, pattern)
		return m[1]
	}
	release := find("CHANGELOG.md", `(?m)^## (v\d+\.\d+\.\d+)\b`)
	require.Equal(t, release, "v"+find("builder-config.yaml", `(?m)^  version: (\d+\.\d+\.\d+)$`), "builder-config.yaml dist.version")
	require.Equal(t, release, find("builder-config.yaml", `gomod: github.com/sfevents/salesforcereceiver (v\S+)`), "builder-config.yaml receiver gomod")
	require.Equal(t, release, find("README.md", `gomod: github.com/sfevents/salesforcereceiver (v\S+)`), "README pin")
	tags := regexp.MustCompile(`registry\.example\.com/otelcol-salesforce:(\S+)`).FindAllStringSubmatch(readRepoFile(t, "README.md"), -1)
	require.NotEmpty(t, tags, "README: no image tag")
	for _, tag := range tags {
		require.Equal(t, release, "v"+tag[1], "README image tag (make image tags dist.version)")
	}
}

// The black-box peer (internal/bench/peer/stock-builder-config.yaml) is the
// distribution with filelog in place of this receiver, so the comparison's
// binaries differ only in the receiver.
func TestPeerManifest(t *testing.T) {
	gomods := func(name string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`(?m)^  - gomod: (\S+ \S+)$`).FindAllStringSubmatch(readRepoFile(t, name), -1) {
			out = append(out, m[1])
		}
		return out
	}
	dist := gomods("builder-config.yaml")
	require.Contains(t, dist[0], "github.com/sfevents/salesforcereceiver ", "the receiver comes first")
	want := append([]string{"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver v0.165.1"}, dist[1:]...)
	require.Equal(t, want, gomods("internal/bench/peer/stock-builder-config.yaml"))
}

// readRepoFile is a file of this checkout, by its path from the root.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}
