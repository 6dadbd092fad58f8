package ci_test

import (
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/falconer-sec/falconer/ci"
)

// ExampleTree reads a rule file as it was one commit ago.
func ExampleTree() {
	dir, err := os.MkdirTemp("", "rules-repo-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		log.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		log.Fatal(err)
	}
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, items := range []string{"[nc]", "[nc, ncat]"} {
		if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
			log.Fatal(err)
		}
		rule := "- list: network_tools\n  items: " + items + "\n"
		if err := os.WriteFile(filepath.Join(dir, "rules", "tools.yaml"), []byte(rule), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
			log.Fatal(err)
		}
		when = when.Add(time.Hour)
		sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: when}
		if _, err := wt.Commit("tools "+items, &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
			log.Fatal(err)
		}
	}

	snap, err := ci.Tree(dir, "HEAD~1")
	if err != nil {
		log.Fatal(err)
	}
	data, err := fs.ReadFile(snap, "rules/tools.yaml")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	fmt.Println(snap.CommitTime)
	// Output:
	// - list: network_tools
	//   items: [nc]
	// 2026-03-01 13:00:00 +0000 UTC
}
