package ci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrRevision reports a revision that names no commit of the repository.
var ErrRevision = errors.New("unknown revision")

// Snapshot is the tree of one commit, read from the repository's object
// store (not the work tree) as a read-only file system. Paths are relative
// to the repository root, slash-separated, as io/fs wants them. Blobs are
// read only when a file is opened.
//
// Symbolic links and submodules are listed by ReadDir but cannot be
// opened: a ruleset read from a commit holds that commit's files only.
type Snapshot struct {
	// Revision is the revision as given; Commit the full hash it resolved
	// to and CommitTime the commit's committer time (UTC).
	Revision   string
	Commit     string
	CommitTime time.Time

	repo *git.Repository
	tree *object.Tree
}

// Tree resolves rev in the repository containing dir and returns that
// commit's tree. rev is anything git rev-parse accepts that go-git
// supports: a full or abbreviated hash, a branch, a tag (annotated tags
// are peeled), HEAD, and the ~N and ^N suffixes.
func Tree(dir, rev string) (*Snapshot, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("read %s at %s: %w", dir, rev, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", dir, rev, err)
	}
	h, err := resolve(r, rev)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", dir, rev, err)
	}
	c, err := r.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: commit %s: %w", dir, rev, h, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: tree of %s: %w", dir, rev, h, err)
	}
	return &Snapshot{Revision: rev, Commit: h.String(), CommitTime: c.Committer.When.UTC(), repo: r, tree: t}, nil
}

// resolve turns a revision into a commit hash. go-git's parser is given
// only what it is known to handle, and a panic inside it is turned into an
// error: a revision comes from a command line or a CI variable.
func resolve(r *git.Repository, rev string) (h plumbing.Hash, err error) {
	if rev == "" || strings.ContainsAny(rev, " \t\n\x00") || strings.HasPrefix(rev, "-") {
		return plumbing.ZeroHash, fmt.Errorf("%w %q", ErrRevision, rev)
	}
	defer func() {
		if p := recover(); p != nil {
			h, err = plumbing.ZeroHash, fmt.Errorf("%w %q: %v", ErrRevision, rev, p)
		}
	}()
	got, err := r.ResolveRevision(plumbing.Revision(rev))
	if err != nil || got == nil || got.IsZero() {
		if err == nil || errors.Is(err, plumbing.ErrReferenceNotFound) || errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, io.EOF) {
			return plumbing.ZeroHash, fmt.Errorf("%w %q", ErrRevision, rev)
		}
		return plumbing.ZeroHash, fmt.Errorf("%w %q: %v", ErrRevision, rev, err)
	}
	return *got, nil
}

// lookup finds the entry for name: the root tree for ".", else the tree
// entry. It returns fs errors wrapped in *fs.PathError.
func (s *Snapshot) lookup(op, name string) (*object.TreeEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &object.TreeEntry{Name: ".", Mode: filemode.Dir, Hash: s.tree.Hash}, nil
	}
	e, err := s.tree.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

// Open implements fs.FS.
func (s *Snapshot) Open(name string) (fs.File, error) {
	e, err := s.lookup("open", name)
	if err != nil {
		return nil, err
	}
	switch {
	case e.Mode == filemode.Dir:
		ents, err := s.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &snapshotDir{info: s.info(name, e), entries: ents}, nil
	case e.Mode.IsFile() && e.Mode != filemode.Symlink:
		data, err := s.blob(e.Hash)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &snapshotFile{info: s.info(name, e), r: bytes.NewReader(data)}, nil
	default:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%s is not a regular file in commit %s", modeName(e.Mode), s.Commit[:12])}
	}
}

// ReadFile implements fs.ReadFileFS.
func (s *Snapshot) ReadFile(name string) ([]byte, error) {
	e, err := s.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if e.Mode == filemode.Dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	if !e.Mode.IsFile() || e.Mode == filemode.Symlink {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%s is not a regular file in commit %s", modeName(e.Mode), s.Commit[:12])}
	}
	data, err := s.blob(e.Hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir implements fs.ReadDirFS: the entries sorted by name.
func (s *Snapshot) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := s.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if e.Mode != filemode.Dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	t, err := s.repo.TreeObject(e.Hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, 0, len(t.Entries))
	for i := range t.Entries {
		te := t.Entries[i]
		out = append(out, fs.FileInfoToDirEntry(s.info(path.Join(name, te.Name), &te)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Stat implements fs.StatFS.
func (s *Snapshot) Stat(name string) (fs.FileInfo, error) {
	e, err := s.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return s.info(name, e), nil
}

func (s *Snapshot) blob(h plumbing.Hash) ([]byte, error) {
	b, err := s.repo.BlobObject(h)
	if err != nil {
		return nil, err
	}
	rc, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (s *Snapshot) info(name string, e *object.TreeEntry) *snapshotInfo {
	return &snapshotInfo{s: s, name: path.Base(name), entry: *e}
}

func modeName(m filemode.FileMode) string {
	switch m {
	case filemode.Symlink:
		return "symbolic link"
	case filemode.Submodule:
		return "submodule"
	}
	return "entry of mode " + m.String()
}

// snapshotInfo is the fs.FileInfo of a tree entry. A blob's size is read
// from the object store when asked for.
type snapshotInfo struct {
	s     *Snapshot
	name  string
	entry object.TreeEntry
}

func (i *snapshotInfo) Name() string { return i.name }

func (i *snapshotInfo) Size() int64 {
	if i.entry.Mode == filemode.Dir || i.entry.Mode == filemode.Submodule {
		return 0
	}
	n, err := i.s.repo.Storer.EncodedObjectSize(i.entry.Hash)
	if err != nil {
		return 0
	}
	return n
}

func (i *snapshotInfo) Mode() fs.FileMode {
	switch i.entry.Mode {
	case filemode.Dir:
		return fs.ModeDir | 0o555
	case filemode.Executable:
		return 0o555
	case filemode.Symlink:
		return fs.ModeSymlink | 0o444
	case filemode.Submodule:
		return fs.ModeIrregular | 0o444
	}
	return 0o444
}

func (i *snapshotInfo) ModTime() time.Time { return i.s.CommitTime }
func (i *snapshotInfo) IsDir() bool        { return i.entry.Mode == filemode.Dir }
func (i *snapshotInfo) Sys() any           { return nil }

// snapshotFile is an open blob.
type snapshotFile struct {
	info *snapshotInfo
	r    *bytes.Reader
}

func (f *snapshotFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *snapshotFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *snapshotFile) Close() error               { return nil }

// snapshotDir is an open tree.
type snapshotDir struct {
	info    *snapshotInfo
	entries []fs.DirEntry
	off     int
}

func (d *snapshotDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *snapshotDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}
func (d *snapshotDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *snapshotDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}
