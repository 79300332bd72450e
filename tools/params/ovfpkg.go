package params

import (
	"archive/tar"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/ovf"

	"github.com/vsphere-mcp/vsphere-mcp/tools/toolkit"
)

// An OVF package on the local disk: a .ovf descriptor with its files
// beside it, or one .ova (a tar of the descriptor, an optional manifest
// and the disks). The descriptor and the archive come from anywhere: every
// name in them is checked before it is opened, and nothing outside the
// package is read.

// MaxOVFDescriptor bounds the descriptor read into memory; real ones are
// tens of kilobytes.
const MaxOVFDescriptor = 16 << 20

// OVFPackage is an opened local OVF or OVA package.
type OVFPackage struct {
	// Path is the .ovf or .ova file, resolved.
	Path string
	OVA  bool
	// Descriptor is the .ovf text; Env is it parsed.
	Descriptor []byte
	Env        *ovf.Envelope
	// Sizes are the package's files (not the descriptor) by name.
	Sizes map[string]int64
	// Manifest holds the digests of the package's manifest (.mf) by file
	// name, when it has one.
	Manifest map[string]Digest
	// descName is the descriptor's name in the package.
	descName string
}

// Digest is one manifest line: SHA256(file)= hex.
type Digest struct{ Alg, Sum string }

// maxManifest bounds a manifest read into memory.
const maxManifest = 1 << 20

var digestAlgs = map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}

// parseManifest reads "SHA256(name)= hex" lines; others are ignored.
func parseManifest(b []byte) map[string]Digest {
	out := map[string]Digest{}
	for _, line := range strings.Split(string(b), "\n") {
		alg, rest, ok := strings.Cut(strings.TrimSpace(line), "(")
		if !ok {
			continue
		}
		name, sum, ok := strings.Cut(rest, ")=")
		if !ok || digestAlgs[strings.ToUpper(alg)] == nil {
			continue
		}
		out[name] = Digest{Alg: strings.ToUpper(alg), Sum: strings.ToLower(strings.TrimSpace(sum))}
	}
	return out
}

// Verifier hashes what is read of file name and checks it against the
// manifest at Check; without a manifest entry it checks nothing.
type Verifier struct {
	name string
	want Digest
	h    hash.Hash
}

// Verify returns a reader of r that hashes name's bytes for the manifest.
func (p *OVFPackage) Verify(name string, r io.Reader) (io.Reader, *Verifier) {
	d, ok := p.Manifest[name]
	if !ok {
		return r, &Verifier{name: name}
	}
	v := &Verifier{name: name, want: d, h: digestAlgs[d.Alg]()}
	return io.TeeReader(r, v.h), v
}

// Check compares the digest of what was read with the manifest.
func (v *Verifier) Check() error {
	if v == nil || v.h == nil {
		return nil
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Sum {
		return fmt.Errorf("%s does not match the package's manifest (%s %s, manifest says %s): the package is damaged or was altered", toolkit.Quote(v.name, 0), v.want.Alg, got, toolkit.Quote(v.want.Sum, 200))
	}
	return nil
}

// checkDescriptor verifies the descriptor against the manifest.
func (p *OVFPackage) checkDescriptor(name string) error {
	r, v := p.Verify(name, bytes.NewReader(p.Descriptor))
	_, _ = io.Copy(io.Discard, r)
	return v.Check()
}

// OpenOVFPackage reads the descriptor of the package at path (a local
// path the caller has already checked against the local-files rule).
func OpenOVFPackage(path string) (*OVFPackage, error) {
	p := &OVFPackage{Path: path, Sizes: map[string]int64{}, descName: filepath.Base(path)}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ova":
		p.OVA = true
		if err := p.scanOVA(); err != nil {
			return nil, err
		}
	case ".ovf":
		b, err := readLimited(path, MaxOVFDescriptor)
		if err != nil {
			return nil, err
		}
		p.Descriptor = b
		mf := strings.TrimSuffix(path, filepath.Ext(path)) + ".mf"
		if st, err := os.Stat(mf); err == nil && st.Mode().IsRegular() {
			if m, err := readLimited(mf, maxManifest); err == nil {
				p.Manifest = parseManifest(m)
			}
		}
	default:
		return nil, fmt.Errorf("%s is not an OVF package: give a .ova file or a .ovf descriptor (with its disks beside it)", toolkit.Quote(path, 0))
	}
	if err := p.checkDescriptor(p.descName); err != nil {
		return nil, err
	}
	env, err := ovf.Unmarshal(bytes.NewReader(p.Descriptor))
	if err != nil {
		return nil, fmt.Errorf("the OVF descriptor of %s does not parse: %s", toolkit.Quote(path, 0), toolkit.Quote(err.Error(), toolkit.TextMax))
	}
	if env.VirtualSystem == nil {
		if env.VirtualSystemCollection != nil {
			return nil, fmt.Errorf("%s describes a vApp (a VirtualSystemCollection); only packages of one VM are supported", toolkit.Quote(path, 0))
		}
		return nil, fmt.Errorf("the OVF descriptor of %s has no VirtualSystem", toolkit.Quote(path, 0))
	}
	p.Env = env
	if !p.OVA {
		dir := filepath.Dir(path)
		for _, f := range env.References {
			if err := CheckOVFFileName(f.Href); err != nil {
				return nil, err
			}
			st, err := os.Stat(filepath.Join(dir, f.Href))
			if err != nil {
				return nil, fmt.Errorf("the OVF references %s, which is not beside %s: %w", toolkit.Quote(f.Href, 0), toolkit.Quote(path, 0), PathCause(err))
			}
			if !st.Mode().IsRegular() {
				return nil, fmt.Errorf("%s referenced by the OVF is not a regular file", toolkit.Quote(f.Href, 0))
			}
			p.Sizes[f.Href] = st.Size()
		}
	} else {
		for _, f := range env.References {
			if _, ok := p.Sizes[f.Href]; !ok {
				return nil, fmt.Errorf("the OVA %s lacks %s, which its descriptor references", toolkit.Quote(path, 0), toolkit.Quote(f.Href, 0))
			}
		}
	}
	return p, nil
}

// CheckOVFFileName refuses a file name from a descriptor or archive that
// is not a plain name in the package's own directory.
func CheckOVFFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) || filepath.IsAbs(name) {
		return fmt.Errorf("the package names a file %s outside its own directory; refused", toolkit.Quote(name, 0))
	}
	return nil
}

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", toolkit.Quote(path, 0), PathCause(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", toolkit.Quote(path, 0), err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is over %d MB: not an OVF descriptor", toolkit.Quote(path, 0), max>>20)
	}
	return b, nil
}

// scanOVA lists the archive and reads its descriptor (the first .ovf).
func (p *OVFPackage) scanOVA() error {
	f, err := os.Open(p.Path)
	if err != nil {
		return fmt.Errorf("open %s: %w", toolkit.Quote(p.Path, 0), PathCause(err))
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s is not a valid OVA (a tar archive): %s", toolkit.Quote(p.Path, 0), toolkit.Quote(err.Error(), toolkit.TextMax))
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		name := h.Name
		if err := CheckOVFFileName(name); err != nil {
			return err
		}
		if strings.EqualFold(filepath.Ext(name), ".ovf") && p.Descriptor == nil {
			if h.Size > MaxOVFDescriptor {
				return fmt.Errorf("the descriptor %s in %s is over %d MB", toolkit.Quote(name, 0), toolkit.Quote(p.Path, 0), MaxOVFDescriptor>>20)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("read %s in %s: %w", toolkit.Quote(name, 0), toolkit.Quote(p.Path, 0), err)
			}
			p.Descriptor, p.descName = b, name
			continue
		}
		if strings.EqualFold(filepath.Ext(name), ".mf") && h.Size <= maxManifest && p.Manifest == nil {
			b, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("read %s in %s: %w", toolkit.Quote(name, 0), toolkit.Quote(p.Path, 0), err)
			}
			p.Manifest = parseManifest(b)
		}
		p.Sizes[name] = h.Size
	}
	if p.Descriptor == nil {
		return fmt.Errorf("the OVA %s holds no .ovf descriptor", toolkit.Quote(p.Path, 0))
	}
	return nil
}

// Entries lists the package's files with the descriptor first, as an OVA
// or a content library item holds them.
func (p *OVFPackage) Entries() []string {
	out := []string{p.DescriptorName()}
	for name := range p.Sizes {
		out = append(out, name)
	}
	return out
}

// DescriptorName is the descriptor's file name in the package.
func (p *OVFPackage) DescriptorName() string { return p.descName }

// Open opens one file of the package by name (an OVF reference).
func (p *OVFPackage) Open(name string) (io.ReadCloser, int64, error) {
	if err := CheckOVFFileName(name); err != nil {
		return nil, 0, err
	}
	size, ok := p.Sizes[name]
	if !ok {
		return nil, 0, fmt.Errorf("the package has no file %s", toolkit.Quote(name, 0))
	}
	if !p.OVA {
		f, err := os.Open(filepath.Join(filepath.Dir(p.Path), name))
		if err != nil {
			return nil, 0, err
		}
		return f, size, nil
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, 0, err
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			_ = f.Close()
			if err == io.EOF {
				err = fmt.Errorf("%s is no longer in %s", toolkit.Quote(name, 0), toolkit.Quote(p.Path, 0))
			}
			return nil, 0, err
		}
		if h.Name == name {
			return readCloser{tr, f}, h.Size, nil
		}
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// OVFDisk is one disk of a package.
type OVFDisk struct {
	ID            string `json:"id"`
	CapacityBytes int64  `json:"capacity_bytes"`
	File          string `json:"file,omitempty"`
	FileBytes     int64  `json:"file_bytes,omitempty"`
}

// OVFNetwork is one logical network a package's NICs connect to.
type OVFNetwork struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// OVFOption is one deployment option (a sizing choice).
type OVFOption struct {
	ID      string `json:"id"`
	Label   string `json:"label,omitempty"`
	Default bool   `json:"default,omitempty"`
}

// OVFProperty is one vApp property.
type OVFProperty struct {
	Key              string `json:"key" jsonschema:"What properties takes: classId.id.instanceId as in the OVF environment"`
	Type             string `json:"type"`
	Qualifiers       string `json:"qualifiers,omitempty"`
	Default          string `json:"default,omitempty"`
	UserConfigurable bool   `json:"user_configurable"`
	Password         bool   `json:"password,omitempty"`
	Label            string `json:"label,omitempty"`
	Description      string `json:"description,omitempty"`
}

// OVFSummary is what a package holds.
type OVFSummary struct {
	Name              string        `json:"name"`
	Product           string        `json:"product,omitempty"`
	SizeBytes         int64         `json:"size_bytes" jsonschema:"Bytes to transfer: the package's files"`
	CPUs              int64         `json:"cpus,omitempty"`
	MemoryMB          int64         `json:"memory_mb,omitempty"`
	GuestOS           string        `json:"guest_os,omitempty"`
	Disks             []OVFDisk     `json:"disks"`
	Networks          []OVFNetwork  `json:"networks"`
	DeploymentOptions []OVFOption   `json:"deployment_options,omitempty"`
	Properties        []OVFProperty `json:"properties"`
	EULA              bool          `json:"eula"`
}

// Summary describes the package.
func (p *OVFPackage) Summary() OVFSummary {
	s := SummarizeOVF(p.Env)
	for _, f := range p.Sizes {
		s.SizeBytes += f
	}
	for i, d := range s.Disks {
		if d.File != "" {
			s.Disks[i].FileBytes = p.Sizes[d.File]
		}
	}
	return s
}

// SummarizeOVF describes a parsed descriptor.
func SummarizeOVF(env *ovf.Envelope) OVFSummary {
	s := OVFSummary{Disks: []OVFDisk{}, Networks: []OVFNetwork{}, Properties: OVFProperties(env)}
	vs := env.VirtualSystem
	if vs == nil {
		return s
	}
	s.Name = vs.ID
	if vs.Name != nil && *vs.Name != "" {
		s.Name = *vs.Name
	}
	for _, pr := range vs.Product {
		if pr.Product != "" {
			s.Product = strings.TrimSpace(pr.Product + " " + pr.Version)
			break
		}
	}
	s.EULA = len(vs.Eula) > 0
	if vs.OperatingSystem != nil && vs.OperatingSystem.OSType != nil {
		s.GuestOS = *vs.OperatingSystem.OSType
	}
	if len(vs.VirtualHardware) > 0 {
		for _, it := range vs.VirtualHardware[0].Item {
			if it.ResourceType == nil || it.VirtualQuantity == nil || it.Configuration != nil {
				continue
			}
			switch *it.ResourceType {
			case 3:
				s.CPUs = int64(*it.VirtualQuantity)
			case 4:
				s.MemoryMB = int64(*it.VirtualQuantity)
			}
		}
	}
	if env.Disk != nil {
		files := map[string]string{}
		for _, f := range env.References {
			files[f.ID] = f.Href
		}
		for _, d := range env.Disk.Disks {
			od := OVFDisk{ID: d.DiskID, CapacityBytes: DiskCapacityBytes(d.Capacity, d.CapacityAllocationUnits)}
			if d.FileRef != nil {
				od.File = files[*d.FileRef]
			}
			s.Disks = append(s.Disks, od)
		}
	}
	if env.Network != nil {
		for _, n := range env.Network.Networks {
			s.Networks = append(s.Networks, OVFNetwork{Name: n.Name, Description: n.Description})
		}
	}
	if env.DeploymentOption != nil {
		for _, c := range env.DeploymentOption.Configuration {
			s.DeploymentOptions = append(s.DeploymentOptions, OVFOption{ID: c.ID, Label: c.Label, Default: c.Default != nil && *c.Default})
		}
	}
	return s
}

// OVFProperties lists the descriptor's vApp properties with the keys
// CreateImportSpec takes.
func OVFProperties(env *ovf.Envelope) []OVFProperty {
	out := []OVFProperty{}
	if env.VirtualSystem == nil {
		return out
	}
	for _, pr := range env.VirtualSystem.Product {
		for _, p := range pr.Property {
			op := OVFProperty{Key: pr.Key(p), Type: p.Type, UserConfigurable: p.UserConfigurable != nil && *p.UserConfigurable,
				Password: p.Password != nil && *p.Password}
			if p.Qualifiers != nil {
				op.Qualifiers = *p.Qualifiers
			}
			if p.Default != nil {
				op.Default = *p.Default
			}
			if p.Label != nil {
				op.Label = *p.Label
			}
			if p.Description != nil {
				op.Description = *p.Description
			}
			out = append(out, op)
		}
	}
	return out
}

// DiskCapacityBytes reads an OVF disk capacity with its allocation units
// ("byte * 2^30"); no units means bytes.
func DiskCapacityBytes(capacity string, units *string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(capacity), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	if units == nil {
		return n
	}
	f := strings.Fields(strings.ReplaceAll(*units, "*", " * "))
	if len(f) == 3 && f[0] == "byte" && f[1] == "*" {
		base, exp, ok := strings.Cut(f[2], "^")
		b, err1 := strconv.ParseFloat(base, 64)
		e := 1.0
		var err2 error
		if ok {
			e, err2 = strconv.ParseFloat(exp, 64)
		}
		if err1 == nil && err2 == nil {
			m := math.Pow(b, e)
			if float64(n)*m < math.MaxInt64 {
				return int64(float64(n) * m)
			}
		}
	}
	return n
}

// PathCause is a file error without the path it repeats (the message
// names the path already).
func PathCause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
