package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// TestWatchDirectory edits a watched rules directory: an added rule is
// swapped in, a broken file is refused (the previous ruleset stays, the
// status and the Target say why), a fix is swapped in again, and a change
// that compiles to the same ruleset causes no swap.
func TestWatchDirectory(t *testing.T) {
	dir := t.TempDir()
	def, err := os.ReadFile("../rulesets/default/falconer_rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a_default.yaml", string(def))
	f, err := agent.NewFollower(agent.FollowConfig{Watch: []string{dir}, WatchInterval: 30 * time.Millisecond, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := len(rs.Program.Rules)
	if rs.Version != "local" || !strings.HasPrefix(rs.Digest, "sha256:") {
		t.Errorf("Init = %s %s", rs.Digest, rs.Version)
	}
	target := newTargetRecorder(rs)
	runFollower(t, f, target)
	rules := func() []ir.Rule { return target.active.Program.Rules }

	const extra = `
- rule: Watched extra rule
  desc: added while the agent runs
  condition: open_read and fd.name = /nonexistent/falconer-watch-marker
  output: watched (file=%fd.name)
  priority: NOTICE
`
	write("b_extra.yaml", extra)
	target.until(t, "the added rule", 5*time.Second, func() bool { return len(rules()) == base+1 })

	write("b_extra.yaml", "- rule: Broken\n  condition: evt.type = \n")
	target.until(t, "the broken file refused", 5*time.Second, func() bool { return len(target.rejections) == 1 })
	target.mu.Lock()
	rj := target.rejections[0]
	n := len(rules())
	target.mu.Unlock()
	if rj.Reason != agent.ReasonCompile || !strings.Contains(rj.Err, "b_extra.yaml") || rj.Ref != dir {
		t.Errorf("rejection = %+v, want a compile error naming b_extra.yaml", rj)
	}
	if n != base+1 {
		t.Errorf("after the broken edit %d rules active, want the previous %d", n, base+1)
	}
	if st := f.Status().Sources[0]; !strings.Contains(st.LastError, "b_extra.yaml") || st.LastRejection == nil {
		t.Errorf("status = %+v, want the compile error", st)
	}

	// The broken edit undone: the active ruleset again, so no swap, and
	// the error is cleared.
	target.mu.Lock()
	swaps := target.activations
	target.mu.Unlock()
	write("b_extra.yaml", extra)
	waitStatus(t, f, "the error cleared", 5*time.Second, func(st agent.SourceStatus) bool { return st.LastError == "" })
	target.mu.Lock()
	if target.activations != swaps {
		t.Errorf("undoing a refused edit caused %d swaps, want 0", target.activations-swaps)
	}
	target.mu.Unlock()

	write("b_extra.yaml", "# nothing here yet\n")
	target.until(t, "the rule removed", 5*time.Second, func() bool { return len(rules()) == base })
}

// TestWatchCompiled watches a compiled ruleset written by a build.
func TestWatchCompiled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruleset.fcr")
	writeFCR := func(p *ir.Program) {
		t.Helper()
		data, err := ir.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	v1 := compileRules(t)
	writeFCR(v1)
	f, err := agent.NewFollower(agent.FollowConfig{Watch: []string{path}, WatchInterval: 30 * time.Millisecond, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.Init(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	target := newTargetRecorder(rs)
	runFollower(t, f, target)
	v2 := compileRules(t, markerRuleFile(t, "Watched marker", "/nonexistent/falconer-watch-marker"))
	writeFCR(v2)
	target.until(t, "the new build", 5*time.Second, func() bool { return len(target.active.Program.Rules) == len(v2.Rules) })

	if err := os.WriteFile(path, []byte(`{"format":99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	target.until(t, "the bad build refused", 5*time.Second, func() bool { return len(target.rejections) == 1 })
	if r := target.rejectionsOf(""); len(r) != 1 || r[0].Reason != agent.ReasonDecode {
		t.Errorf("rejections = %+v, want one decode failure", r)
	}
}

// TestWatchMissing checks that a watched path that does not load stops
// Init with the reason.
func TestWatchMissing(t *testing.T) {
	f, err := agent.NewFollower(agent.FollowConfig{Watch: []string{filepath.Join(t.TempDir(), "nope")}, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Init(context.Background()); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Init = %v, want an error naming the path", err)
	}
}
