package ci_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/falconer-sec/falconer/ci"
)

// testRepo is a repository built with go-git for a test.
type testRepo struct {
	t    testing.TB
	dir  string
	repo *git.Repository
	wt   *git.Worktree
	when time.Time
}

func newRepo(t testing.TB) *testRepo {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: r, wt: wt, when: time.Date(2026, 2, 19, 10, 0, 0, 0, time.UTC)}
}

func (r *testRepo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit adds everything and commits it an hour after the previous commit.
func (r *testRepo) commit(msg string) plumbing.Hash {
	r.t.Helper()
	if err := r.wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	r.when = r.when.Add(time.Hour)
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: r.when}
	h, err := r.wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

func (r *testRepo) tag(name string, h plumbing.Hash, annotated bool) {
	r.t.Helper()
	var opts *git.CreateTagOptions
	if annotated {
		opts = &git.CreateTagOptions{Message: name, Tagger: &object.Signature{Name: "Test", Email: "test@example.com", When: r.when}}
	}
	if _, err := r.repo.CreateTag(name, h, opts); err != nil {
		r.t.Fatal(err)
	}
}

func describe(t *testing.T, dir string, opts ci.Options) *ci.Info {
	t.Helper()
	info, err := ci.Describe(dir, opts)
	if err != nil {
		t.Fatalf("Describe(%s): %v", dir, err)
	}
	return info
}

func TestDescribe(t *testing.T) {
	r := newRepo(t)
	r.write("rules/a.yaml", "- list: a\n  items: []\n")
	c1 := r.commit("first")
	if _, err := r.repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{"https://user:secret@example.com/org/rules.git"}}); err != nil {
		t.Fatal(err)
	}

	// No tag yet: a pseudo-version from 0.0.0.
	info := describe(t, filepath.Join(r.dir, "rules"), ci.Options{})
	want0 := "0.0.0-20260219110000-" + c1.String()[:12]
	if info.Version != want0 || info.NearestTag != "" || info.Distance != -1 {
		t.Errorf("untagged: Version %q NearestTag %q Distance %d; want %q", info.Version, info.NearestTag, info.Distance, want0)
	}
	if info.Root != r.dir || info.Commit != c1.String() || info.Branch != "master" || info.Dirty {
		t.Errorf("untagged: %+v", info)
	}
	if !info.CommitTime.Equal(time.Date(2026, 2, 19, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("CommitTime = %v", info.CommitTime)
	}
	if info.RemoteURL != "https://example.com/org/rules.git" {
		t.Errorf("RemoteURL = %q, want the URL without credentials", info.RemoteURL)
	}

	// Tagged: the tag's version; the highest of several tags wins.
	r.tag("v1.2.3", c1, true)
	r.tag("v1.2.3-rc.1", c1, false)
	r.tag("not-a-version", c1, false)
	info = describe(t, r.dir, ci.Options{})
	if info.Version != "1.2.3" || info.NearestTag != "v1.2.3" || info.Distance != 0 || len(info.Tags) != 2 || info.Tags[0] != "v1.2.3" {
		t.Errorf("tagged: %+v", info)
	}

	// Two commits later: a pseudo-version after 1.2.3.
	r.write("rules/b.yaml", "- list: b\n  items: []\n")
	r.commit("second")
	r.write("rules/c.yaml", "- list: c\n  items: []\n")
	c3 := r.commit("third")
	info = describe(t, r.dir, ci.Options{})
	want := "1.2.4-0.20260219130000-" + c3.String()[:12]
	if info.Version != want || info.NearestTag != "v1.2.3" || info.Distance != 2 || len(info.Tags) != 0 {
		t.Errorf("after tag: Version %q NearestTag %q Distance %d; want %q v1.2.3 2", info.Version, info.NearestTag, info.Distance, want)
	}

	// Dirty: a modified file, then an untracked one.
	r.write("rules/c.yaml", "changed\n")
	info = describe(t, r.dir, ci.Options{})
	if !info.Dirty || info.Version != want+".dirty" {
		t.Errorf("modified: Dirty %v Version %q", info.Dirty, info.Version)
	}
	if err := info.RequireClean(); !errors.Is(err, ci.ErrDirty) {
		t.Errorf("RequireClean = %v, want ErrDirty", err)
	}
	r.commit("fourth")
	r.write("untracked.yaml", "x\n")
	if info = describe(t, r.dir, ci.Options{}); !info.Dirty {
		t.Errorf("untracked file: not dirty")
	}
	r.write(".gitignore", "untracked.yaml\n")
	c5 := r.commit("ignore")
	if info = describe(t, r.dir, ci.Options{}); info.Dirty || info.RequireClean() != nil {
		t.Errorf("ignored file: dirty")
	}

	// A tag on HEAD with a dirty tree is not that version.
	r.tag("v1.3.0", c5, false)
	r.write("rules/a.yaml", "changed\n")
	info = describe(t, r.dir, ci.Options{})
	if want := "1.3.1-0.20260219150000-" + c5.String()[:12] + ".dirty"; info.Version != want {
		t.Errorf("dirty at tag: Version %q, want %q", info.Version, want)
	}

	// Detached HEAD: no branch.
	if err := r.wt.Checkout(&git.CheckoutOptions{Hash: c3, Force: true}); err != nil {
		t.Fatal(err)
	}
	info = describe(t, r.dir, ci.Options{})
	if info.Branch != "" || info.Commit != c3.String() {
		t.Errorf("detached: Branch %q Commit %s", info.Branch, info.Commit)
	}
}

func TestDescribeTagPrefix(t *testing.T) {
	r := newRepo(t)
	r.write("a.yaml", "x\n")
	c := r.commit("one")
	r.tag("v9.0.0", c, false)
	r.tag("rules/v0.4.0", c, true)
	info := describe(t, r.dir, ci.Options{TagPrefix: "rules/"})
	if info.Version != "0.4.0" || info.NearestTag != "rules/v0.4.0" {
		t.Errorf("prefixed: Version %q NearestTag %q", info.Version, info.NearestTag)
	}
}

// TestDescribeMerge checks the distance through a merge: the nearest tag is
// on the closest tagged ancestor of either parent.
func TestDescribeMerge(t *testing.T) {
	r := newRepo(t)
	r.write("a.yaml", "a\n")
	base := r.commit("base")
	r.tag("v1.0.0", base, false)
	if err := r.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("side"), Create: true}); err != nil {
		t.Fatal(err)
	}
	r.write("b.yaml", "b\n")
	side := r.commit("side")
	r.tag("v1.1.0", side, false)
	if err := r.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("master")}); err != nil {
		t.Fatal(err)
	}
	r.write("c.yaml", "c\n")
	r.commit("main 1")
	r.write("d.yaml", "d\n")
	main2 := r.commit("main 2")
	// A merge commit with both parents.
	if err := r.wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "T", Email: "t@example.com", When: r.when.Add(time.Hour)}
	m, err := r.wt.Commit("merge", &git.CommitOptions{Author: sig, Committer: sig, Parents: []plumbing.Hash{main2, side}, AllowEmptyCommits: true})
	if err != nil {
		t.Fatal(err)
	}
	info := describe(t, r.dir, ci.Options{})
	if info.NearestTag != "v1.1.0" || info.Distance != 1 || info.Commit != m.String() {
		t.Errorf("merge: NearestTag %q Distance %d", info.NearestTag, info.Distance)
	}
}

func TestDescribeErrors(t *testing.T) {
	if _, err := ci.Describe(t.TempDir(), ci.Options{}); !errors.Is(err, ci.ErrNotRepository) {
		t.Errorf("Describe(empty dir) = %v, want ErrNotRepository", err)
	}
	// A repository without commits has no HEAD.
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ci.Describe(dir, ci.Options{}); err == nil {
		t.Errorf("Describe(no commits) succeeded")
	}
}

func TestPseudoVersion(t *testing.T) {
	at := time.Date(2026, 2, 19, 10, 0, 0, 0, time.FixedZone("x", 3600))
	const h = "0123456789abcdef0123"
	tests := []struct {
		base  string
		dirty bool
		want  string
	}{
		{"", false, "0.0.0-20260219090000-0123456789ab"},
		{"1.2.3", false, "1.2.4-0.20260219090000-0123456789ab"},
		{"1.3.0-rc.1", true, "1.3.0-rc.1.0.20260219090000-0123456789ab.dirty"},
	}
	for _, tt := range tests {
		if got := ci.PseudoVersion(tt.base, at, h, tt.dirty); got != tt.want {
			t.Errorf("PseudoVersion(%q, dirty=%v) = %q, want %q", tt.base, tt.dirty, got, tt.want)
		}
	}
}
