// Package ci is the GitOps pipeline of a rules repository. It reads the
// repository with go-git: its state (Describe: commit, branch, tag, dirty
// state, remote, version) and the files of any revision (Tree). Build lints,
// compiles and tests the rules at the checked-out commit; Release.Publish
// pushes the result, signs it and attests its provenance and test report.
package ci

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/mod/semver"
)

// ErrNotRepository reports a directory that is not inside a git work tree.
var ErrNotRepository = errors.New("not a git repository")

// ErrDirty reports uncommitted changes where a clean tree is required.
var ErrDirty = errors.New("work tree has uncommitted changes")

// Options configures Describe.
type Options struct {
	// TagPrefix is stripped from tag names before they are read as
	// versions, for repositories tagging "rules/v1.2.3"; tags without it
	// are ignored. Empty means plain "v1.2.3" or "1.2.3" tags.
	TagPrefix string
	// Remote is the remote whose URL is reported; empty means "origin".
	Remote string
}

// Info is the state of a repository's checked-out commit.
type Info struct {
	// Root is the work tree's root directory.
	Root string
	// Commit is the full hash of HEAD; CommitTime its committer time
	// (UTC), the time an artifact built from it is stamped with.
	Commit     string
	CommitTime time.Time
	// Branch is the checked-out branch, empty on a detached HEAD.
	Branch string
	// Tags are the version tags pointing at HEAD, highest first.
	Tags []string
	// Dirty reports changes in the work tree or index, untracked files
	// included (ignored files are not).
	Dirty bool
	// RemoteURL is the URL of the remote, credentials removed; empty when
	// the remote is not configured.
	RemoteURL string
	// NearestTag is the highest version tag on the closest tagged
	// ancestor of HEAD (HEAD included), Distance the number of commits
	// between them; empty and -1 when no ancestor is tagged.
	NearestTag string
	Distance   int
	// Version is the semantic version (no "v") of HEAD: the tag's version
	// when HEAD is tagged and clean, else a pseudo-version (see
	// PseudoVersion).
	Version string
}

// Describe reads the repository containing dir.
func Describe(dir string, opts Options) (*Info, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("describe %s: %w", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", dir, err)
	}
	head, err := r.Head()
	if err != nil {
		return nil, fmt.Errorf("describe %s: HEAD: %w", dir, err)
	}
	commit, err := r.CommitObject(head.Hash())
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", dir, err)
	}
	info := &Info{
		Root:       wt.Filesystem.Root(),
		Commit:     commit.Hash.String(),
		CommitTime: commit.Committer.When.UTC(),
		Distance:   -1,
	}
	if head.Name().IsBranch() {
		info.Branch = head.Name().Short()
	}

	st, err := wt.Status()
	if err != nil {
		return nil, fmt.Errorf("describe %s: status: %w", dir, err)
	}
	info.Dirty = !st.IsClean()

	remote := opts.Remote
	if remote == "" {
		remote = git.DefaultRemoteName
	}
	if rem, err := r.Remote(remote); err == nil && len(rem.Config().URLs) > 0 {
		info.RemoteURL = redactURL(rem.Config().URLs[0])
	} else if err != nil && !errors.Is(err, git.ErrRemoteNotFound) {
		return nil, fmt.Errorf("describe %s: remote %s: %w", dir, remote, err)
	}

	tags, err := versionTags(r, opts.TagPrefix)
	if err != nil {
		return nil, fmt.Errorf("describe %s: tags: %w", dir, err)
	}
	info.Tags = tags[commit.Hash]
	near, dist, err := nearestTag(r, commit, tags, opts.TagPrefix)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", dir, err)
	}
	info.NearestTag, info.Distance = near, dist

	if len(info.Tags) > 0 && !info.Dirty {
		info.Version = tagVersion(info.Tags[0], opts.TagPrefix)
	} else {
		base := ""
		if near != "" {
			base = tagVersion(near, opts.TagPrefix)
		}
		info.Version = PseudoVersion(base, info.CommitTime, info.Commit, info.Dirty)
	}
	return info, nil
}

// RequireClean returns ErrDirty when the tree has uncommitted changes.
func (i *Info) RequireClean() error {
	if i.Dirty {
		return fmt.Errorf("%s: %w (commit or stash them, or force)", i.Root, ErrDirty)
	}
	return nil
}

// versionTags maps each tagged commit to its version tags, highest first.
// Annotated tags are peeled to their commit.
func versionTags(r *git.Repository, prefix string) (map[plumbing.Hash][]string, error) {
	iter, err := r.Tags()
	if err != nil {
		return nil, err
	}
	out := map[plumbing.Hash][]string{}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().Short()
		if tagVersion(name, prefix) == "" {
			return nil
		}
		h := ref.Hash()
		if to, err := r.TagObject(h); err == nil {
			c, err := to.Commit()
			if err != nil {
				// A tag of a tree or blob names no version of ours.
				return nil
			}
			h = c.Hash
		} else if !errors.Is(err, plumbing.ErrObjectNotFound) {
			return err
		}
		out[h] = append(out[h], name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for h, names := range out {
		sort.Slice(names, func(i, j int) bool {
			return semver.Compare("v"+tagVersion(names[i], prefix), "v"+tagVersion(names[j], prefix)) > 0
		})
		out[h] = names
	}
	return out, nil
}

// tagVersion returns the version a tag names ("v1.2.3" or "1.2.3" after
// the prefix gives "1.2.3"), or "" when it names none.
func tagVersion(tag, prefix string) string {
	rest, ok := strings.CutPrefix(tag, prefix)
	if !ok {
		return ""
	}
	rest = strings.TrimPrefix(rest, "v")
	v := "v" + rest
	if !semver.IsValid(v) || semver.Canonical(v) != v || strings.Contains(rest, "+") {
		return ""
	}
	return rest
}

// nearestTag walks the history breadth-first from c and returns the highest
// version tag of the first tagged commit, with its distance.
func nearestTag(r *git.Repository, c *object.Commit, tags map[plumbing.Hash][]string, prefix string) (string, int, error) {
	if len(tags) == 0 {
		return "", -1, nil
	}
	type item struct {
		c *object.Commit
		d int
	}
	seen := map[plumbing.Hash]bool{c.Hash: true}
	queue := []item{{c, 0}}
	bestDist := -1
	best := ""
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if bestDist >= 0 && it.d > bestDist {
			break
		}
		if names, ok := tags[it.c.Hash]; ok {
			if best == "" || semver.Compare("v"+tagVersion(names[0], prefix), "v"+tagVersion(best, prefix)) > 0 {
				best = names[0]
			}
			bestDist = it.d
			continue
		}
		for _, ph := range it.c.ParentHashes {
			if seen[ph] {
				continue
			}
			seen[ph] = true
			p, err := r.CommitObject(ph)
			if err != nil {
				return "", -1, fmt.Errorf("commit %s: %w", ph, err)
			}
			queue = append(queue, item{p, it.d + 1})
		}
	}
	return best, bestDist, nil
}

// PseudoVersion returns a version for an untagged (or dirty) commit, in
// the manner of Go's pseudo-versions so that it sorts after base and
// before the next release:
//
//	no base:          0.0.0-20260219100000-0123456789ab
//	base 1.2.3:       1.2.4-0.20260219100000-0123456789ab
//	base 1.3.0-rc.1:  1.3.0-rc.1.0.20260219100000-0123456789ab
//
// A dirty tree appends ".dirty". The result is a valid semver without build
// metadata, usable as an OCI tag.
func PseudoVersion(base string, t time.Time, commit string, dirty bool) string {
	stamp := t.UTC().Format("20060102150405")
	short := commit
	if len(short) > 12 {
		short = short[:12]
	}
	var v string
	switch {
	case base == "":
		v = "0.0.0-" + stamp + "-" + short
	case semver.Prerelease("v"+base) != "":
		v = base + ".0." + stamp + "-" + short
	default:
		parts := strings.SplitN(base, ".", 3)
		patch := 0
		fmt.Sscanf(parts[2], "%d", &patch)
		v = fmt.Sprintf("%s.%s.%d-0.%s-%s", parts[0], parts[1], patch+1, stamp, short)
	}
	if dirty {
		v += ".dirty"
	}
	return v
}

// redactURL removes credentials from a remote URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Scheme == "" {
		return raw
	}
	u.User = nil
	return u.String()
}
