package registry

import (
	"context"
	"fmt"
	"io"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
)

// Progress receives a line per transferred blob; with Live set it also
// receives carriage-return updates of the bytes moved so far, for a
// terminal.
type Progress struct {
	// W receives the output; nil discards it.
	W io.Writer
	// Live redraws a running byte count on one line (terminals only).
	Live bool
}

// progress is the per-operation state of a Progress.
type progress struct {
	Progress
	verb string
	mu   sync.Mutex
}

func newProgress(p Progress, verb string) *progress {
	return &progress{Progress: p, verb: verb}
}

func (p *progress) enabled() bool { return p != nil && p.W != nil }

// done prints the line of a finished blob.
func (p *progress) done(desc ocispec.Descriptor, note string) {
	if !p.enabled() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	clear := ""
	if p.Live {
		clear = "\r\033[K"
	}
	fmt.Fprintf(p.W, "%s%s %s %s %s%s\n", clear, p.verb, shortDigest(desc), label(desc), humanBytes(desc.Size), note)
}

// update redraws the running count of one blob.
func (p *progress) update(desc ocispec.Descriptor, n int64) {
	if !p.enabled() || !p.Live {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pct := int64(100)
	if desc.Size > 0 {
		pct = n * 100 / desc.Size
	}
	fmt.Fprintf(p.W, "\r\033[K%s %s %s %s/%s %d%%", p.verb, shortDigest(desc), label(desc), humanBytes(n), humanBytes(desc.Size), pct)
}

// reader wraps r to report the bytes read of desc.
func (p *progress) reader(desc ocispec.Descriptor, r io.ReadCloser) io.ReadCloser {
	if !p.enabled() || !p.Live {
		return r
	}
	return &countingReader{ReadCloser: r, p: p, desc: desc}
}

type countingReader struct {
	io.ReadCloser
	p    *progress
	desc ocispec.Descriptor
	n    int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n += int64(n)
	c.p.update(c.desc, c.n)
	return n, err
}

// progressStorage reports what is fetched from a storage.
type progressStorage struct {
	content.ReadOnlyStorage
	p *progress
}

// Fetch implements content.Fetcher.
func (s progressStorage) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := s.ReadOnlyStorage.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	return s.p.reader(desc, rc), nil
}

func shortDigest(desc ocispec.Descriptor) string {
	d := desc.Digest.Encoded()
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

func label(desc ocispec.Descriptor) string {
	if t := desc.Annotations[ocispec.AnnotationTitle]; t != "" {
		return t
	}
	switch desc.MediaType {
	case MediaTypeRulesfileConfig:
		return "config"
	case ocispec.MediaTypeImageManifest:
		return "manifest"
	}
	return desc.MediaType
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
