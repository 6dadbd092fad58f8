package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// PushOptions configures Push.
type PushOptions struct {
	Remote
	// Tags replaces the computed tags (the exact version and the floating
	// X.Y, X and latest) when not nil.
	Tags []string
	// Progress reports the transfer.
	Progress Progress
}

// PushResult describes a pushed artifact.
type PushResult struct {
	// Repository is registry/repository, Digest the manifest digest, so
	// that Repository + "@" + Digest names the artifact immutably.
	Repository string
	Digest     string
	// Tags are the tags set, exact version first.
	Tags []string
	// Size is the total size of manifest, config and layers in bytes.
	Size int64
}

// Ref returns the digest reference of the pushed artifact.
func (r *PushResult) Ref() string { return r.Repository + "@" + r.Digest }

// Push uploads a to the repository named by ref (registry/repository, any
// tag or digest in ref is ignored) and tags it. Blobs already present are not
// uploaded again.
func Push(ctx context.Context, ref string, a *Artifact, opts PushOptions) (*PushResult, error) {
	c, err := newClient(ref, opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	repoName := c.ref.Registry + "/" + c.ref.Repository
	repo, err := c.repository()
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", repoName, err)
	}

	tags := opts.Tags
	if tags == nil {
		existing, err := listTags(ctx, repo)
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", repoName, classify(err))
		}
		if tags, err = Tags(a.Config.Version, existing); err != nil {
			return nil, fmt.Errorf("push %s: %w", repoName, err)
		}
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("push %s: no tags", repoName)
	}

	store := memory.New()
	for _, d := range append([]ocispec.Descriptor{a.Manifest.Config}, a.Manifest.Layers...) {
		b, _ := a.Blob(d.Digest)
		if err := store.Push(ctx, d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
			return nil, fmt.Errorf("push %s: %w", repoName, err)
		}
	}
	if err := store.Push(ctx, a.Descriptor, bytes.NewReader(a.ManifestBytes)); err != nil {
		return nil, fmt.Errorf("push %s: %w", repoName, err)
	}
	if err := store.Tag(ctx, a.Descriptor, tags[0]); err != nil {
		return nil, fmt.Errorf("push %s: %w", repoName, err)
	}

	p := newProgress(opts.Progress, "pushed")
	copyOpts := oras.CopyOptions{}
	copyOpts.PostCopy = func(_ context.Context, d ocispec.Descriptor) error {
		p.done(d, "")
		return nil
	}
	copyOpts.OnCopySkipped = func(_ context.Context, d ocispec.Descriptor) error {
		p.done(d, " (exists)")
		return nil
	}
	if p.Live {
		copyOpts.Concurrency = 1
	}
	exists, err := repo.Exists(ctx, a.Descriptor)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", repoName, classify(err))
	}
	src := &progressTarget{Store: store, p: p}
	if _, err := oras.Copy(ctx, src, tags[0], repo, tags[0], copyOpts); err != nil {
		return nil, fmt.Errorf("push %s: %w", repoName, classify(err))
	}
	if exists {
		p.done(a.Descriptor, " (exists)")
	}
	for _, t := range tags[1:] {
		if err := repo.Tag(ctx, a.Descriptor, t); err != nil {
			return nil, fmt.Errorf("push %s: tag %s: %w", repoName, t, classify(err))
		}
	}
	return &PushResult{
		Repository: repoName,
		Digest:     a.Descriptor.Digest.String(),
		Tags:       tags,
		Size:       a.Size(),
	}, nil
}

// progressTarget is a memory store whose reads are reported.
type progressTarget struct {
	*memory.Store
	p *progress
}

// Fetch implements content.Fetcher.
func (t *progressTarget) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	return progressStorage{ReadOnlyStorage: t.Store, p: t.p}.Fetch(ctx, desc)
}

// listTags returns every tag of repo; a repository that does not exist yet
// has none.
func listTags(ctx context.Context, repo interface {
	Tags(ctx context.Context, last string, fn func([]string) error) error
}) ([]string, error) {
	var all []string
	err := repo.Tags(ctx, "", func(tags []string) error {
		all = append(all, tags...)
		return nil
	})
	var ec *errcode.ErrorResponse
	if errors.As(err, &ec) && ec.StatusCode == http.StatusNotFound || errors.Is(err, errdef.ErrNotFound) {
		return nil, nil
	}
	return all, err
}
