package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/falconer-sec/falconer/registry/rulesfile"
)

// Limits bound what Pull accepts from a registry. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	// ManifestSize and ConfigSize bound the manifest and config blob.
	ManifestSize, ConfigSize int64
	// LayerSize bounds each compressed layer.
	LayerSize int64
	// UnpackedSize bounds the total size of the rule files once
	// decompressed; Files bounds their number.
	UnpackedSize int64
	Files        int
}

// DefaultLimits are the limits used for zero fields of Limits.
var DefaultLimits = Limits{
	ManifestSize: 4 << 20,
	ConfigSize:   1 << 20,
	LayerSize:    64 << 20,
	UnpackedSize: 256 << 20,
	Files:        4096,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.ManifestSize > 0 {
		d.ManifestSize = l.ManifestSize
	}
	if l.ConfigSize > 0 {
		d.ConfigSize = l.ConfigSize
	}
	if l.LayerSize > 0 {
		d.LayerSize = l.LayerSize
	}
	if l.UnpackedSize > 0 {
		d.UnpackedSize = l.UnpackedSize
	}
	if l.Files > 0 {
		d.Files = l.Files
	}
	return d
}

// PullOptions configures Pull.
type PullOptions struct {
	Remote
	Limits Limits
	// Progress reports the transfer.
	Progress Progress
}

// Pulled is an artifact read back from a registry, checked and unpacked in
// memory.
type Pulled struct {
	// Repository is registry/repository; Digest the manifest digest.
	Repository string
	Digest     string
	// Manifest is the decoded manifest and Config falcoctl's config.
	Manifest ocispec.Manifest
	Config   Config
	// RuleFiles are the files of the rulesfile layer, sorted by name.
	RuleFiles []File
	// Compiled is the compiled ruleset, nil if the artifact has none.
	Compiled []byte
}

// Ref returns the digest reference of the pulled artifact.
func (p *Pulled) Ref() string { return p.Repository + "@" + p.Digest }

// Pull fetches the artifact named by ref (registry/repository[:tag|@digest],
// tag latest by default), checks media types, sizes and digests, and unpacks
// the rule files in memory. A registry cannot make it read more than the
// limits allow.
func Pull(ctx context.Context, ref string, opts PullOptions) (*Pulled, error) {
	c, err := newClient(ref, opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	lim := opts.Limits.withDefaults()
	repoName := c.ref.Registry + "/" + c.ref.Repository
	reference := c.ref.Reference
	if reference == "" {
		reference = TagLatest
	}
	wrap := func(err error) error { return fmt.Errorf("pull %s:%s: %w", repoName, reference, classify(err)) }
	repo, err := c.repository()
	if err != nil {
		return nil, wrap(err)
	}
	repo.MaxMetadataBytes = lim.ManifestSize
	repo.ManifestMediaTypes = []string{ocispec.MediaTypeImageManifest}

	desc, rc, err := repo.FetchReference(ctx, reference)
	if err != nil {
		return nil, wrap(err)
	}
	mb, err := readBlob(rc, desc, lim.ManifestSize)
	if err != nil {
		return nil, wrap(err)
	}
	if d, err := digest.Parse(reference); err == nil && d != desc.Digest {
		return nil, wrap(fmt.Errorf("%w: manifest digest %s, asked for %s", ErrInvalidArtifact, desc.Digest, d))
	}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return nil, wrap(fmt.Errorf("%w: manifest media type %q, want %q", ErrInvalidArtifact, desc.MediaType, ocispec.MediaTypeImageManifest))
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, wrap(fmt.Errorf("%w: manifest: %v", ErrInvalidArtifact, err))
	}
	rules, compiled, err := checkManifest(m)
	if err != nil {
		return nil, wrap(err)
	}

	p := newProgress(opts.Progress, "pulled")
	fetch := func(d ocispec.Descriptor, limit int64) ([]byte, error) {
		if d.Size < 0 || d.Size > limit {
			return nil, fmt.Errorf("%w: %s of %d bytes is over the limit of %d", ErrInvalidArtifact, label(d), d.Size, limit)
		}
		rc, err := repo.Fetch(ctx, d)
		if err != nil {
			if kindOf(err) == nil {
				// Not a transport or status error: the registry's answer
				// does not match the descriptor.
				return nil, fmt.Errorf("%w: %v", ErrInvalidArtifact, err)
			}
			return nil, err
		}
		b, err := readBlob(p.reader(d, rc), d, limit)
		if err != nil {
			return nil, err
		}
		p.done(d, "")
		return b, nil
	}

	cb, err := fetch(m.Config, lim.ConfigSize)
	if err != nil {
		return nil, wrap(err)
	}
	var cfg Config
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return nil, wrap(fmt.Errorf("%w: config: %v", ErrInvalidArtifact, err))
	}
	lb, err := fetch(rules, lim.LayerSize)
	if err != nil {
		return nil, wrap(err)
	}
	files, err := ReadRulesLayer(bytes.NewReader(lb), lim)
	if err != nil {
		return nil, wrap(err)
	}
	out := &Pulled{
		Repository: repoName,
		Digest:     desc.Digest.String(),
		Manifest:   m,
		Config:     cfg,
		RuleFiles:  files,
	}
	if compiled != nil {
		if out.Compiled, err = fetch(*compiled, lim.LayerSize); err != nil {
			return nil, wrap(err)
		}
	}
	return out, nil
}

// checkManifest checks the manifest's media types and returns the rulesfile
// layer and the compiled layer (nil when absent).
func checkManifest(m ocispec.Manifest) (rules ocispec.Descriptor, compiled *ocispec.Descriptor, err error) {
	if m.SchemaVersion != 2 {
		return rules, nil, fmt.Errorf("%w: schema version %d", ErrInvalidArtifact, m.SchemaVersion)
	}
	if m.MediaType != "" && m.MediaType != ocispec.MediaTypeImageManifest {
		return rules, nil, fmt.Errorf("%w: manifest media type %q", ErrInvalidArtifact, m.MediaType)
	}
	if m.Config.MediaType != MediaTypeRulesfileConfig {
		return rules, nil, fmt.Errorf("%w: config media type %q, want %q", ErrInvalidArtifact, m.Config.MediaType, MediaTypeRulesfileConfig)
	}
	if len(m.Layers) == 0 || m.Layers[0].MediaType != MediaTypeRulesfileLayer {
		return rules, nil, fmt.Errorf("%w: first layer is not a %s", ErrInvalidArtifact, MediaTypeRulesfileLayer)
	}
	for _, l := range m.Layers[1:] {
		if l.MediaType != MediaTypeCompiledRuleset || compiled != nil {
			return rules, nil, fmt.Errorf("%w: unexpected layer of media type %q", ErrInvalidArtifact, l.MediaType)
		}
		l := l
		compiled = &l
	}
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if err := d.Digest.Validate(); err != nil {
			return rules, nil, fmt.Errorf("%w: digest %q: %v", ErrInvalidArtifact, d.Digest, err)
		}
	}
	return m.Layers[0], compiled, nil
}

// readBlob reads exactly desc.Size bytes (at most limit) from rc, closes it
// and checks the digest.
func readBlob(rc io.ReadCloser, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	defer rc.Close()
	if desc.Size < 0 || desc.Size > limit {
		return nil, fmt.Errorf("%w: %s of %d bytes is over the limit of %d", ErrInvalidArtifact, label(desc), desc.Size, limit)
	}
	b, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != desc.Size {
		return nil, fmt.Errorf("%w: %s: got %d bytes, descriptor says %d", ErrInvalidArtifact, label(desc), len(b), desc.Size)
	}
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidArtifact, label(desc), err)
	}
	if got := desc.Digest.Algorithm().FromBytes(b); got != desc.Digest {
		return nil, fmt.Errorf("%w: %s: content digest %s, descriptor says %s", ErrInvalidArtifact, label(desc), got, desc.Digest)
	}
	return b, nil
}

// ReadRulesLayer unpacks a rulesfile layer (tar.gz) in memory within the
// limits' UnpackedSize and Files; see rulesfile.Read. Its errors wrap
// ErrInvalidArtifact.
func ReadRulesLayer(r io.Reader, lim Limits) ([]File, error) {
	lim = lim.withDefaults()
	files, err := rulesfile.Read(r, rulesfile.Limits{UnpackedSize: lim.UnpackedSize, Files: lim.Files})
	if err != nil {
		return nil, &classified{kind: ErrInvalidArtifact, err: err}
	}
	return files, nil
}

// CompiledFileName is the name Extract gives the compiled ruleset.
const CompiledFileName = "ruleset.fcr"

// Extract writes the rule files, and the compiled ruleset as
// CompiledFileName when there is one, under dir, creating it if needed. No
// write can leave dir: names were checked when the layer was read, and the
// writes go through an os.Root. It returns the paths written, relative to
// dir.
func (p *Pulled) Extract(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	defer root.Close()
	files := p.RuleFiles
	if p.Compiled != nil {
		files = append(append([]File(nil), files...), File{Name: CompiledFileName, Data: p.Compiled})
	}
	var written []string
	for _, f := range files {
		if err := rulesfile.CheckName(f.Name); err != nil {
			return written, fmt.Errorf("extract %q: %w", f.Name, err)
		}
		if d := path.Dir(f.Name); d != "." {
			if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
				return written, fmt.Errorf("extract %q: %w", f.Name, err)
			}
		}
		if err := root.WriteFile(filepath.FromSlash(f.Name), f.Data, 0o644); err != nil {
			return written, fmt.Errorf("extract %q: %w", f.Name, err)
		}
		written = append(written, f.Name)
	}
	return written, nil
}
