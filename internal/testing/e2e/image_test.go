//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestImage builds the container image with make image, as a user does,
// and reads it back without running it (machines here cannot run
// containers): its configuration from the engine's image archive, its files
// from the archive's layers. The binary inside must be the very file make
// build made, static, and runnable by the image's unprivileged user.
//
// It needs podman, or docker with a running daemon, and skips without one;
// .ci/run installs podman, so in CI it always runs. CONTAINER_ENGINE picks
// the engine and its flags, as it does for make image.
func TestImage(t *testing.T) {
	engine := containerEngine(t)
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "Dockerfile"))
	builderConfig, err := os.ReadFile(filepath.Join(root, "builder-config.yaml"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^  version: (\d+\.\d+\.\d+)$`).FindSubmatch(builderConfig)
	require.NotNil(t, m, "builder-config.yaml: no dist.version")
	version := string(m[1])

	// A name of the test's own, so a user's otelcol-salesforce:latest stays.
	const name = "localhost/otelcol-salesforce-e2e"
	ref, latest := name+":"+version, name+":latest"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel) // after the rmi below: cleanups run last-in first-out
	engineCmd := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, engine[0], append(engine[1:], args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("%s %s: %w: %s", strings.Join(engine, " "), strings.Join(args, " "), err, stderr.String())
		}
		return out, nil
	}
	t.Cleanup(func() {
		if _, err := engineCmd("rmi", ref, latest); err != nil {
			t.Logf("removing the test's tags: %v", err)
		}
	})

	start := time.Now()
	mk := exec.CommandContext(ctx, "make", "--no-print-directory", "-C", root, "image",
		"IMAGE="+name, "CONTAINER_ENGINE="+strings.Join(engine, " "))
	// Not the e2e target's own make: its jobserver is not ours.
	mk.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=")
	})
	out, err := mk.CombinedOutput()
	require.NoError(t, err, "make image:\n%s", out)
	t.Logf("make image (make build, then the image) took %s", time.Since(start).Round(100*time.Millisecond))

	// Both tags name one image.
	id, err := engineCmd("image", "inspect", "--format", "{{.Id}}", ref)
	require.NoError(t, err)
	idLatest, err := engineCmd("image", "inspect", "--format", "{{.Id}}", latest)
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(id)), strings.TrimSpace(string(idLatest)), "%s and %s", ref, latest)
	size, err := engineCmd("image", "inspect", "--format", "{{.Size}}", ref)
	require.NoError(t, err)
	t.Logf("image %s: %s bytes", ref, strings.TrimSpace(string(size)))

	archive := filepath.Join(t.TempDir(), "image.tar")
	_, err = engineCmd("save", "-o", archive, ref)
	require.NoError(t, err)
	img := readImageArchive(t, archive)

	// The configuration.
	cfg := img.config.Config
	require.Equal(t, []string{"/otelcol-salesforce"}, cfg.Entrypoint)
	require.Equal(t, []string{"--config", "/etc/otelcol/config.yaml"}, cfg.Cmd)
	require.Equal(t, map[string]struct{}{"13133/tcp": {}}, cfg.ExposedPorts)
	require.Equal(t, version, cfg.Labels["org.opencontainers.image.version"])
	um := regexp.MustCompile(`^(\d+)(?::(\d+))?$`).FindStringSubmatch(cfg.User)
	require.NotNil(t, um, "USER %q is not numeric (Kubernetes' runAsNonRoot cannot check a name)", cfg.User)
	uid, _ := strconv.Atoi(um[1])
	require.NotZero(t, uid, "USER is root")
	require.Equal(t, "linux", img.config.OS)

	// Exactly these files: nothing else of the repository is sent in.
	require.ElementsMatch(t, []string{
		"etc/", "etc/passwd", "etc/group", "etc/ssl/", "etc/ssl/certs/",
		"etc/ssl/certs/ca-certificates.crt", "otelcol-salesforce",
	}, img.names())
	for _, f := range img.files {
		require.Zero(t, f.hdr.Uid, "%s belongs to uid %d, not root: the collector could change it", f.hdr.Name, f.hdr.Uid)
		if f.hdr.Typeflag == tar.TypeDir {
			require.Equal(t, int64(0o005), f.hdr.Mode&0o005, "%s (%o): the user cannot enter it", f.hdr.Name, f.hdr.Mode)
		} else {
			require.Equal(t, int64(0o004), f.hdr.Mode&0o004, "%s (%o): the user cannot read it", f.hdr.Name, f.hdr.Mode)
		}
	}

	// The binary is the one make build made: the same bytes, static, for
	// the image's architecture, executable by the user.
	bin := img.files["otelcol-salesforce"]
	require.Equal(t, int64(0o755), bin.hdr.Mode&0o7777)
	built, err := os.ReadFile(filepath.Join(root, "_build", "otelcol-salesforce"))
	require.NoError(t, err)
	require.Equal(t, sha256Hex(built), sha256Hex(bin.data), "the image's /otelcol-salesforce is not _build/otelcol-salesforce")
	t.Logf("/otelcol-salesforce is _build/otelcol-salesforce: sha256 %s, %d bytes", sha256Hex(bin.data), len(bin.data))
	exe, err := elf.NewFile(bytes.NewReader(bin.data))
	require.NoError(t, err)
	for _, p := range exe.Progs {
		require.NotEqual(t, elf.PT_INTERP, p.Type, "the binary asks for a dynamic loader: not static (CGO_ENABLED=1?)")
	}
	libs, err := exe.ImportedLibraries()
	require.NoError(t, err)
	require.Empty(t, libs, "the binary needs shared libraries")
	arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386",
		elf.EM_ARM: "arm", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64"}[exe.Machine]
	if exe.Machine == elf.EM_PPC64 {
		arch = map[bool]string{true: "ppc64le", false: "ppc64"}[exe.ByteOrder == binary.LittleEndian]
	}
	require.Equal(t, arch, img.config.Architecture, "the image's architecture is not the binary's (%s)", exe.Machine)

	// CA certificates where Go looks first, and they parse.
	ca := img.files["etc/ssl/certs/ca-certificates.crt"]
	n := 0
	for rest := ca.data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); block.Type == "CERTIFICATE" && err == nil {
			n++
		}
	}
	require.Greater(t, n, 10, "only %d certificates in the CA bundle", n)
	t.Logf("/etc/ssl/certs/ca-certificates.crt: %d certificates", n)

	// The user has a name, and the user's group is its own.
	entry := ""
	for line := range strings.Lines(string(img.files["etc/passwd"].data)) {
		if f := strings.Split(strings.TrimSpace(line), ":"); len(f) == 7 && f[2] == um[1] {
			entry = line
			if um[2] != "" {
				require.Equal(t, um[2], f[3], "/etc/passwd gives %s another group than USER", f[0])
			}
		}
	}
	require.NotEmpty(t, entry, "no /etc/passwd line for uid %d", uid)
}

// containerEngine is the engine make image would use, with its flags:
// CONTAINER_ENGINE if set, else podman, else docker with a running daemon.
func containerEngine(t *testing.T) []string {
	if e := strings.Fields(os.Getenv("CONTAINER_ENGINE")); len(e) > 0 {
		return e
	}
	if _, err := exec.LookPath("podman"); err == nil {
		return []string{"podman"}
	}
	if _, err := exec.LookPath("docker"); err == nil {
		if exec.Command("docker", "info").Run() == nil {
			return []string{"docker"}
		}
		t.Skip("docker is installed but its daemon does not answer, and podman is not installed: the image is not built (.ci/run installs podman)")
	}
	t.Skip("neither podman nor docker is installed: the image is not built (.ci/run installs podman)")
	return nil
}

// image is what an engine's saved image archive (docker-archive, or
// docker's OCI layout with its manifest.json) holds.
type image struct {
	config struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Config       struct {
			User         string              `json:"User"`
			Entrypoint   []string            `json:"Entrypoint"`
			Cmd          []string            `json:"Cmd"`
			ExposedPorts map[string]struct{} `json:"ExposedPorts"`
			Labels       map[string]string   `json:"Labels"`
		} `json:"config"`
	}
	files map[string]imageFile // by path, the layers applied in order
}

type imageFile struct {
	hdr  *tar.Header
	data []byte
}

func (img *image) names() []string {
	var names []string
	for name, f := range img.files {
		if f.hdr.Typeflag == tar.TypeDir {
			name += "/"
		}
		names = append(names, name)
	}
	return names
}

func readImageArchive(t *testing.T, archive string) *image {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	// The archive's regular files, by name (symbolic links are only
	// docker-archive's per-layer aliases).
	entries := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if hdr.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			entries[path.Clean(hdr.Name)] = b
		}
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	require.NoError(t, json.Unmarshal(entries["manifest.json"], &manifest), "manifest.json")
	require.Len(t, manifest, 1)
	img := &image{files: map[string]imageFile{}}
	require.NoError(t, json.Unmarshal(entries[path.Clean(manifest[0].Config)], &img.config), "image config")
	for _, layer := range manifest[0].Layers {
		b, ok := entries[path.Clean(layer)]
		require.True(t, ok, "layer %s not in the archive", layer)
		var r io.Reader = bytes.NewReader(b)
		if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			r, err = gzip.NewReader(r)
			require.NoError(t, err)
		}
		lr := tar.NewReader(r)
		for {
			hdr, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			name := strings.TrimPrefix(path.Clean(hdr.Name), "./")
			if base := path.Base(name); strings.HasPrefix(base, ".wh.") {
				delete(img.files, path.Join(path.Dir(name), strings.TrimPrefix(base, ".wh.")))
				continue
			}
			data, err := io.ReadAll(lr)
			require.NoError(t, err)
			img.files[name] = imageFile{hdr: hdr, data: data}
		}
	}
	return img
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
