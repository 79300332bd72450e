package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// The files under test, relative to this package.
const (
	serverJSONPath = "../server.json"
	manifestPath   = "mcpb/manifest.json"
	dockerfilePath = "../Dockerfile"
	goreleaserPath = "../.goreleaser.yaml"
	// Written by `.ci/stamp-version VERSION --dist dist` after a release
	// or snapshot build; checked only when present.
	distServerJSON = "../dist/server.json"

	registrySchema = "testdata/server.schema.json"
	manifestSchema = "testdata/mcpb-manifest-v0.3.schema.json"
)

// serverJSON is the part of server.json the tests read.
type serverJSON struct {
	Schema     string `json:"$schema"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository struct {
		URL string `json:"url"`
	} `json:"repository"`
	Packages []struct {
		RegistryType    string `json:"registryType"`
		RegistryBaseURL string `json:"registryBaseUrl"`
		Identifier      string `json:"identifier"`
		Version         string `json:"version"`
		FileSha256      string `json:"fileSha256"`
		Transport       struct {
			Type string `json:"type"`
		} `json:"transport"`
		EnvironmentVariables []struct {
			Name       string `json:"name"`
			IsRequired bool   `json:"isRequired"`
			IsSecret   bool   `json:"isSecret"`
		} `json:"environmentVariables"`
	} `json:"packages"`
}

// manifest is the part of the mcpb manifest the tests read.
type manifest struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository struct {
		URL string `json:"url"`
	} `json:"repository"`
	Server struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  struct {
			Command string          `json:"command"`
			Env     json.RawMessage `json:"env"` // ordered: see envNames
		} `json:"mcp_config"`
	} `json:"server"`
	UserConfig map[string]struct {
		Type      string  `json:"type"`
		Required  bool    `json:"required"`
		Sensitive bool    `json:"sensitive"`
		Default   *string `json:"default"`
	} `json:"user_config"`
}

func readJSON[T any](t *testing.T, path string) (T, []byte) {
	t.Helper()
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v, b
}

// validate checks the JSON document at path against the JSON schema at
// schemaPath, with formats (uri, email) asserted as the registry does.
func validate(t *testing.T, schemaPath, path string) {
	t.Helper()
	sf, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(sf)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	loc := "file:///" + filepath.Base(schemaPath)
	if err := c.AddResource(loc, schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("%s is not valid against %s:\n%v", path, schemaPath, err)
	}
}

func TestServerJSONValidAgainstRegistrySchema(t *testing.T) {
	validate(t, registrySchema, serverJSONPath)

	// server.json names the schema it follows; the vendored copy must be
	// that one, or this test checks against the wrong rules.
	s, _ := readJSON[serverJSON](t, serverJSONPath)
	schema, _ := readJSON[struct {
		ID string `json:"$id"`
	}](t, registrySchema)
	if s.Schema != schema.ID {
		t.Errorf("server.json's $schema is %q, the vendored schema is %q: vendor the schema it names", s.Schema, schema.ID)
	}
}

// TestServerJSONRegistryRules checks what the official registry checks on
// top of the schema before it accepts an entry (its validators for mcpb and
// oci packages), short of fetching the artifacts.
func TestServerJSONRegistryRules(t *testing.T) {
	s, _ := readJSON[serverJSON](t, serverJSONPath)
	githubRelease := regexp.MustCompile(`^/[^/]+/[^/]+/releases/download/[^/]+/[^/]+$`)
	ociRef := regexp.MustCompile(`^ghcr\.io/[a-z0-9._-]+/[a-z0-9._-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	kinds := map[string]int{}
	for _, p := range s.Packages {
		kinds[p.RegistryType]++
		if p.Transport.Type != "stdio" {
			t.Errorf("%s: transport %q, want stdio", p.Identifier, p.Transport.Type)
		}
		if p.RegistryBaseURL != "" {
			t.Errorf("%s: %s packages must not have registryBaseUrl", p.Identifier, p.RegistryType)
		}
		switch p.RegistryType {
		case "mcpb":
			u, err := url.Parse(p.Identifier)
			if err != nil || u.Scheme != "https" || u.Host != "github.com" || !githubRelease.MatchString(u.Path) {
				t.Errorf("%s: an mcpb package must be an https GitHub release asset", p.Identifier)
			}
			if !strings.Contains(strings.ToLower(p.Identifier), "mcp") {
				t.Errorf("%s: an mcpb URL must contain \"mcp\"", p.Identifier)
			}
			if p.FileSha256 == "" {
				t.Errorf("%s: an mcpb package needs fileSha256", p.Identifier)
			}
		case "oci":
			if !ociRef.MatchString(p.Identifier) {
				t.Errorf("%s: want registry/namespace/repository:tag", p.Identifier)
			}
			if p.Version != "" || p.FileSha256 != "" {
				t.Errorf("%s: an oci package carries its version in the tag, and no fileSha256", p.Identifier)
			}
		default:
			t.Errorf("%s: unexpected registryType %q", p.Identifier, p.RegistryType)
		}
	}
	if kinds["oci"] != 1 || kinds["mcpb"] == 0 {
		t.Errorf("packages by type: %v, want one oci and the mcpb bundles", kinds)
	}
}

func TestManifestValidAgainstMCPBSchema(t *testing.T) {
	validate(t, manifestSchema, manifestPath)
}

// TestManifestMCPBValidate runs the mcpb CLI's own validation, when it is
// installed (.ci/pack-mcpb --install puts it in build/tools).
func TestManifestMCPBValidate(t *testing.T) {
	mcpb := "../build/tools/node_modules/.bin/mcpb"
	if _, err := os.Stat(mcpb); err != nil {
		p, err := exec.LookPath("mcpb")
		if err != nil {
			t.Skip("mcpb CLI not installed (run .ci/pack-mcpb --install; needs npm): " +
				"the manifest is still checked against the vendored mcpb schema")
		}
		mcpb = p
	}
	out, err := exec.Command(mcpb, "validate", manifestPath).CombinedOutput()
	if err != nil {
		t.Fatalf("mcpb validate %s: %v\n%s", manifestPath, err, out)
	}
}

// TestVersionsAgree is the version sync: the registry entry, its image tag,
// its download URLs and the bundle manifest carry one version, the one
// .ci/stamp-version wrote from the release tag.
func TestVersionsAgree(t *testing.T) {
	s, _ := readJSON[serverJSON](t, serverJSONPath)
	m, _ := readJSON[manifest](t, manifestPath)
	checkVersions(t, s, m)
}

func checkVersions(t *testing.T, s serverJSON, m manifest) {
	t.Helper()
	if s.Version == "" || s.Version != m.Version {
		t.Errorf("server.json version %q, mcpb manifest version %q: run .ci/stamp-version VERSION", s.Version, m.Version)
	}
	for _, p := range s.Packages {
		switch p.RegistryType {
		case "oci":
			if want := ":" + s.Version; !strings.HasSuffix(p.Identifier, want) {
				t.Errorf("image %s: want the tag %s", p.Identifier, s.Version)
			}
		case "mcpb":
			want := fmt.Sprintf("/releases/download/v%s/%s_%s_", s.Version, m.Name, s.Version)
			if !strings.Contains(p.Identifier, want) {
				t.Errorf("bundle %s: want %s…", p.Identifier, want)
			}
		}
	}
}

// TestNamesAgree: one server under one name. The registry refuses an image
// whose io.modelcontextprotocol.server.name label is not server.json's name.
func TestNamesAgree(t *testing.T) {
	s, _ := readJSON[serverJSON](t, serverJSONPath)
	m, _ := readJSON[manifest](t, manifestPath)
	g := readGoreleaser(t)

	if _, short, _ := strings.Cut(s.Name, "/"); short != m.Name || m.Name != g.ProjectName {
		t.Errorf("server.json name %q, manifest name %q, goreleaser project %q: want one name", s.Name, m.Name, g.ProjectName)
	}
	if s.Repository.URL != m.Repository.URL {
		t.Errorf("repository: server.json %q, manifest %q", s.Repository.URL, m.Repository.URL)
	}
	if want := "io.github." + strings.TrimPrefix(s.Repository.URL, "https://github.com/"); s.Name != want {
		t.Errorf("server.json name %q: the registry's GitHub namespace for %s is %q", s.Name, s.Repository.URL, want)
	}

	labels := dockerLabels(t)
	if got := labels["io.modelcontextprotocol.server.name"]; got != s.Name {
		t.Errorf("Dockerfile label io.modelcontextprotocol.server.name = %q, server.json name %q", got, s.Name)
	}
	if got := labels["org.opencontainers.image.source"]; got != s.Repository.URL {
		t.Errorf("Dockerfile label org.opencontainers.image.source = %q, want %q", got, s.Repository.URL)
	}
	for _, d := range g.DockersV2 {
		if got := d.Annotations["io.modelcontextprotocol.server.name"]; got != s.Name {
			t.Errorf(".goreleaser.yaml dockers_v2 annotation io.modelcontextprotocol.server.name = %q, want %q", got, s.Name)
		}
		for _, p := range s.Packages {
			if p.RegistryType == "oci" && !slices.ContainsFunc(d.Images, func(img string) bool {
				return strings.HasPrefix(p.Identifier, img+":")
			}) {
				t.Errorf("server.json image %s is not one of goreleaser's %v", p.Identifier, d.Images)
			}
		}
	}
}

type goreleaserConfig struct {
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		Goos   []string `yaml:"goos"`
		Goarch []string `yaml:"goarch"`
	} `yaml:"builds"`
	DockersV2 []struct {
		Images      []string          `yaml:"images"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"dockers_v2"`
}

func readGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	b, err := os.ReadFile(goreleaserPath)
	if err != nil {
		t.Fatal(err)
	}
	var g goreleaserConfig
	if err := yaml.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", goreleaserPath, err)
	}
	return g
}

// TestBundlesCoverReleaseTargets: server.json lists a bundle for every
// target goreleaser builds, and only those.
func TestBundlesCoverReleaseTargets(t *testing.T) {
	s, _ := readJSON[serverJSON](t, serverJSONPath)
	m, _ := readJSON[manifest](t, manifestPath)
	g := readGoreleaser(t)
	var want, got []string
	for _, b := range g.Builds {
		for _, os := range b.Goos {
			for _, arch := range b.Goarch {
				want = append(want, fmt.Sprintf("%s_%s_%s_%s.mcpb", m.Name, s.Version, os, arch))
			}
		}
	}
	for _, p := range s.Packages {
		if p.RegistryType == "mcpb" {
			got = append(got, p.Identifier[strings.LastIndex(p.Identifier, "/")+1:])
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("server.json bundles:\n  %v\ngoreleaser targets:\n  %v", got, want)
	}
}

// envNames lists an object's keys in the file's order.
func envNames(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var names []string
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, k.(string))
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// TestEnvironmentAgrees: the bundle passes its settings to the binary as
// the environment variables the registry entry describes, each from a
// user_config field; secrets are marked as such on both sides.
func TestEnvironmentAgrees(t *testing.T) {
	s, _ := readJSON[serverJSON](t, serverJSONPath)
	m, _ := readJSON[manifest](t, manifestPath)

	var env map[string]string
	if err := json.Unmarshal(m.Server.MCPConfig.Env, &env); err != nil {
		t.Fatal(err)
	}
	names := envNames(t, m.Server.MCPConfig.Env)
	for _, want := range []string{"VSPHERE_URL", "VSPHERE_USERNAME", "VSPHERE_PASSWORD", "VSPHERE_MCP_PROFILE", "VSPHERE_MCP_ROLE"} {
		if !slices.Contains(names, want) {
			t.Errorf("the bundle does not set %s", want)
		}
	}
	ref := regexp.MustCompile(`^\$\{user_config\.([a-z_]+)\}$`)
	for _, name := range names {
		sub := ref.FindStringSubmatch(env[name])
		if sub == nil {
			t.Errorf("bundle env %s = %q: want ${user_config.FIELD}", name, env[name])
			continue
		}
		uc, ok := m.UserConfig[sub[1]]
		if !ok {
			t.Errorf("bundle env %s uses user_config.%s, which is not declared", name, sub[1])
			continue
		}
		// Without a default, an empty optional field reaches the binary as
		// the literal "${user_config.…}" (mcpb's getMcpConfigForManifest
		// keeps unknown variables).
		if !uc.Required && (uc.Default == nil || *uc.Default != "") {
			t.Errorf("user_config.%s is optional: give it default \"\" so an empty field means unset", sub[1])
		}
		if secret := name == "VSPHERE_PASSWORD"; uc.Sensitive != secret {
			t.Errorf("user_config.%s sensitive = %v, want %v", sub[1], uc.Sensitive, secret)
		}
	}

	for _, p := range s.Packages {
		var got []string
		for _, e := range p.EnvironmentVariables {
			got = append(got, e.Name)
			if secret := e.Name == "VSPHERE_PASSWORD"; e.IsSecret != secret {
				t.Errorf("%s: %s isSecret = %v, want %v", p.Identifier, e.Name, e.IsSecret, secret)
			}
			if !slices.Contains(names, e.Name) {
				t.Errorf("%s: %s is not a variable the server is given by the bundle", p.Identifier, e.Name)
			}
		}
		switch p.RegistryType {
		case "mcpb":
			// The bundle is the package: it is configured by exactly these.
			if !slices.Equal(got, names) {
				t.Errorf("%s: environmentVariables %v, the bundle's env %v", p.Identifier, got, names)
			}
		case "oci":
			// No config file in the image: the connection comes from env.
			for _, e := range p.EnvironmentVariables {
				if strings.HasPrefix(e.Name, "VSPHERE_MCP_PROFILE") {
					t.Errorf("%s: the image has no config file to take a profile from", p.Identifier)
				}
				if want := e.Name == "VSPHERE_URL" || e.Name == "VSPHERE_USERNAME" || e.Name == "VSPHERE_PASSWORD"; e.IsRequired != want {
					t.Errorf("%s: %s isRequired = %v, want %v", p.Identifier, e.Name, e.IsRequired, want)
				}
			}
		}
	}

	if m.Server.Type != "binary" || m.Server.MCPConfig.Command != "${__dirname}/"+m.Server.EntryPoint {
		t.Errorf("server: type %q, entry_point %q, command %q: want a binary started from its entry point",
			m.Server.Type, m.Server.EntryPoint, m.Server.MCPConfig.Command)
	}
}

// TestCanonicalJSON: both files are as jq writes them (two-space indent,
// one element per line), so .ci/stamp-version changes only the version.
func TestCanonicalJSON(t *testing.T) {
	for _, path := range []string{serverJSONPath, manifestPath} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var compact, indented bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		indented.WriteByte('\n')
		if !bytes.Equal(indented.Bytes(), b) {
			t.Errorf("%s is not in canonical form: reformat it with jq . (two spaces, one element per line)", path)
		}
	}
}

// dockerLabels reads the LABEL instructions of the Dockerfile's final
// stage (line continuations joined, quotes removed).
func dockerLabels(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	labels := map[string]string{}
	pair := regexp.MustCompile(`([A-Za-z0-9._-]+)="([^"]*)"`)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "FROM ") {
			clear(labels) // only the final stage's labels reach the image
		}
		if strings.HasPrefix(line, "LABEL ") {
			for _, m := range pair.FindAllStringSubmatch(line, -1) {
				labels[m[1]] = m[2]
			}
		}
	}
	return labels
}

// TestDockerfile: the image the README promises: a static binary on
// distroless static, run as a non-root user, with vsphere-mcp as its
// entry point.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	var froms []string
	var user, entrypoint string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "FROM":
			froms = append(froms, line)
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entrypoint = strings.TrimSpace(strings.TrimPrefix(line, "ENTRYPOINT"))
		}
	}
	if len(froms) == 0 {
		t.Fatal("no FROM")
	}
	final := froms[len(froms)-1]
	if !strings.Contains(final, "gcr.io/distroless/static") && !strings.Contains(final, "scratch") {
		t.Errorf("final stage %q: want distroless static or scratch", final)
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0:") || user == "0" {
		t.Errorf("USER %q: want a non-root user", user)
	}
	if entrypoint != `["vsphere-mcp"]` {
		t.Errorf("ENTRYPOINT %s, want [\"vsphere-mcp\"]", entrypoint)
	}
	if !strings.Contains(text, "CGO_ENABLED=0") || !strings.Contains(text, "-trimpath") {
		t.Error("the source build must be static (CGO_ENABLED=0) and -trimpath, as the release's")
	}
}

// TestStampVersion runs .ci/stamp-version on copies of the two files, as the
// release step does, and checks the result with the tests above.
func TestStampVersion(t *testing.T) {
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: .ci/stamp-version needs it", tool)
		}
	}
	root := t.TempDir()
	copyFile := func(src, dst string, mode os.FileMode) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dst), b, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("../.ci/stamp-version", ".ci/stamp-version", 0o755)
	copyFile(serverJSONPath, "server.json", 0o644)
	copyFile(manifestPath, "release/mcpb/manifest.json", 0o644)
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command("bash", append([]string{filepath.Join(root, ".ci/stamp-version")}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("stamp-version %v: %v\n%s", args, err, out)
		}
	}

	const v = "9.8.7-rc.1"
	run("v" + v)
	s, sb := readJSON[serverJSON](t, filepath.Join(root, "server.json"))
	m, _ := readJSON[manifest](t, filepath.Join(root, "release/mcpb/manifest.json"))
	if s.Version != v {
		t.Fatalf("stamped server.json version %q, want %q", s.Version, v)
	}
	checkVersions(t, s, m)
	validate(t, registrySchema, filepath.Join(root, "server.json"))
	orig, _ := readJSON[serverJSON](t, serverJSONPath)
	if len(s.Packages) != len(orig.Packages) {
		t.Errorf("stamping changed the packages: %d, was %d", len(s.Packages), len(orig.Packages))
	}

	// --dist: a copy with each bundle's hash; the files stay as they were.
	dist := filepath.Join(root, "dist")
	if err := os.Mkdir(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, p := range s.Packages {
		if p.RegistryType == "mcpb" {
			name := p.Identifier[strings.LastIndex(p.Identifier, "/")+1:]
			body := []byte("bundle " + name)
			if err := os.WriteFile(filepath.Join(dist, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			want[p.Identifier] = hex.EncodeToString(sum[:])
		}
	}
	run(v, "--dist", dist)
	d, _ := readJSON[serverJSON](t, filepath.Join(dist, "server.json"))
	for _, p := range d.Packages {
		if p.RegistryType == "mcpb" && p.FileSha256 != want[p.Identifier] {
			t.Errorf("%s: fileSha256 %s, want %s", p.Identifier, p.FileSha256, want[p.Identifier])
		}
	}
	validate(t, registrySchema, filepath.Join(dist, "server.json"))
	if after, _ := os.ReadFile(filepath.Join(root, "server.json")); !bytes.Equal(after, sb) {
		t.Error("--dist changed server.json itself")
	}
}

// TestDistServerJSON checks the registry entry a release or snapshot wrote
// (dist/server.json, by .ci/stamp-version --dist): valid, and each bundle's
// hash that of the file built.
func TestDistServerJSON(t *testing.T) {
	if _, err := os.Stat(distServerJSON); err != nil {
		t.Skip("no dist/server.json: run .ci/release-snapshot (or the release) first")
	}
	validate(t, registrySchema, distServerJSON)
	s, _ := readJSON[serverJSON](t, distServerJSON)
	for _, p := range s.Packages {
		if p.RegistryType != "mcpb" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("../dist", p.Identifier[strings.LastIndex(p.Identifier, "/")+1:]))
		if err != nil {
			t.Errorf("%s: %v", p.Identifier, err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != p.FileSha256 {
			t.Errorf("%s: fileSha256 %s, the file's %s", p.Identifier, p.FileSha256, got)
		}
	}
}
