package ci_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/falconer-sec/falconer/ci"
)

func TestTree(t *testing.T) {
	r := newRepo(t)
	r.write("rules/a.yaml", "- list: a\n  items: [one]\n")
	r.write("README.md", "first\n")
	r.write("rules/sub/b.yml", "- list: b\n  items: []\n")
	c1 := r.commit("first")
	r.tag("v1.0.0", c1, true)
	r.write("rules/a.yaml", "- list: a\n  items: [two]\n")
	if err := os.Symlink("a.yaml", filepath.Join(r.dir, "rules", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	c2 := r.commit("second")
	// The work tree changes after the commit: Tree must not see it.
	r.write("rules/a.yaml", "uncommitted\n")

	tests := []struct {
		rev    string
		commit string
		a      string
	}{
		{"HEAD", c2.String(), "- list: a\n  items: [two]\n"},
		{"master", c2.String(), "- list: a\n  items: [two]\n"},
		{"HEAD~1", c1.String(), "- list: a\n  items: [one]\n"},
		{"HEAD^", c1.String(), "- list: a\n  items: [one]\n"},
		{"v1.0.0", c1.String(), "- list: a\n  items: [one]\n"},
		{c1.String(), c1.String(), "- list: a\n  items: [one]\n"},
		{c2.String()[:10], c2.String(), "- list: a\n  items: [two]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			snap, err := ci.Tree(filepath.Join(r.dir, "rules"), tt.rev)
			if err != nil {
				t.Fatalf("Tree(%q): %v", tt.rev, err)
			}
			if snap.Commit != tt.commit || snap.Revision != tt.rev {
				t.Errorf("Tree(%q) commit = %s, want %s", tt.rev, snap.Commit, tt.commit)
			}
			got, err := fs.ReadFile(snap, "rules/a.yaml")
			if err != nil || string(got) != tt.a {
				t.Errorf("Tree(%q) rules/a.yaml = %q, %v; want %q", tt.rev, got, err, tt.a)
			}
		})
	}

	snap, err := ci.Tree(r.dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if want := r.when.UTC(); !snap.CommitTime.Equal(want) {
		t.Errorf("CommitTime = %v, want %v", snap.CommitTime, want)
	}
	// The file system passes the standard library's conformance checks
	// (on the commit without the symbolic link, which cannot be opened).
	old, err := ci.Tree(r.dir, "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(old, "README.md", "rules/a.yaml", "rules/sub/b.yml"); err != nil {
		t.Error(err)
	}
	ents, err := fs.ReadDir(snap, "rules")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if e.Name() == "link.yaml" && e.Type() != fs.ModeSymlink {
			t.Errorf("link.yaml type = %v, want a symbolic link", e.Type())
		}
	}
	if got, want := len(names), 3; got != want || names[0] != "a.yaml" || names[1] != "link.yaml" || names[2] != "sub" {
		t.Errorf("ReadDir(rules) = %v, want [a.yaml link.yaml sub]", names)
	}
	// A symbolic link is not followed: it could point outside the commit.
	if _, err := fs.ReadFile(snap, "rules/link.yaml"); err == nil {
		t.Errorf("ReadFile(symlink) succeeded")
	}
	for _, name := range []string{"nope.yaml", "rules/nope", "/rules/a.yaml", "rules/../README.md", ""} {
		if _, err := fs.ReadFile(snap, name); err == nil {
			t.Errorf("ReadFile(%q) succeeded", name)
		}
	}
	if _, err := fs.ReadFile(snap, "rules"); err == nil {
		t.Errorf("ReadFile(directory) succeeded")
	}
}

func TestTreeErrors(t *testing.T) {
	r := newRepo(t)
	r.write("a.yaml", "x\n")
	r.commit("only")
	for _, rev := range []string{"nope", "HEAD~1", "HEAD^2", "v9.9.9", "", "-h", "HEAD~1 --all", "deadbeef", "HEAD@{yesterday}", "HEAD^{/x"} {
		snap, err := ci.Tree(r.dir, rev)
		if err == nil || snap != nil {
			t.Errorf("Tree(%q) = %v, %v; want an error", rev, snap, err)
			continue
		}
		if !errors.Is(err, ci.ErrRevision) {
			t.Errorf("Tree(%q) = %v, want ErrRevision", rev, err)
		}
	}
	if _, err := ci.Tree(t.TempDir(), "HEAD"); !errors.Is(err, ci.ErrNotRepository) {
		t.Errorf("Tree(not a repository) = %v, want ErrNotRepository", err)
	}
}

// FuzzTree resolves arbitrary revisions: Tree returns a snapshot or an
// error, never both, and never panics.
func FuzzTree(f *testing.F) {
	r := newRepo(f)
	dir := r.dir
	r.write("a.yaml", "a\n")
	h := r.commit("one")
	r.tag("v1.0.0", h, true)
	r.write("b.yaml", "b\n")
	r.commit("two")
	for _, s := range []string{"HEAD", "HEAD~1", "v1.0.0", "master^", h.String()[:7], "HEAD^{commit}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rev string) {
		snap, err := ci.Tree(dir, rev)
		if (snap == nil) == (err == nil) {
			t.Fatalf("Tree(%q) = %v, %v: want exactly one of a snapshot and an error", rev, snap, err)
		}
		if err == nil && len(snap.Commit) != 40 {
			t.Fatalf("Tree(%q).Commit = %q", rev, snap.Commit)
		}
	})
}
