package agent_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/bpf/bpftest"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// markerChildEnv makes the test binary the event source of TestSwapLoss:
// "DIR:N:RATE" opens DIR/m.0 ... DIR/m.(N-1), RATE per second.
const markerChildEnv = "FALCONER_SWAPLOSS_CHILD"

// TestSwapLossMarkerChild is the event source TestSwapLoss starts; run on
// its own it skips.
func TestSwapLossMarkerChild(t *testing.T) {
	spec := os.Getenv(markerChildEnv)
	if spec == "" {
		t.Skip("the event source of TestSwapLoss, started by it")
	}
	parts := strings.Split(spec, ":")
	if len(parts) != 3 {
		t.Fatalf("%s=%q: want DIR:N:RATE", markerChildEnv, spec)
	}
	n, err1 := strconv.Atoi(parts[1])
	rate, err2 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || rate <= 0 {
		t.Fatalf("%s=%q: bad N or RATE", markerChildEnv, spec)
	}
	start := time.Now()
	opened := 0
	for i := range n {
		if ahead := time.Duration(float64(i)/rate*1e9) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
		f, err := os.Open(filepath.Join(parts[0], "m."+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		opened++
	}
	// Counted at the source: what the parent expects to see evaluated.
	fmt.Printf("opened %d in %s\n", opened, time.Since(start))
}

// alertCounter counts marker alerts per file and rule.
type alertCounter struct {
	mu     sync.Mutex
	byFile map[string][]string // fd.name -> rules that fired
}

func (c *alertCounter) add(a *eval.Alert) {
	if !strings.HasPrefix(a.Rule, "Swap marker") {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	name := fieldOf(a, "fd.name")
	c.byFile[name] = append(c.byFile[name], a.Rule)
}

func (c *alertCounter) files() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byFile)
}

// TestSwapLoss swaps the ruleset 50 times under a steady stream of
// triggering events counted at the source (a child process opening N
// distinct marker files at a fixed rate). Ruleset A names the marker rule
// "Swap marker A", B "Swap marker B": every event must raise exactly one
// alert, from A or from B. A lost event has none; an event evaluated twice,
// or by a mix of both rulesets, would have two. It reports the losses
// (goal 0) and the pause each swap caused (goal under 10ms).
func TestSwapLoss(t *testing.T) {
	bpftest.Privileged(t)
	const (
		events = 5000
		rate   = 2000.0 // events/s: 2.5s of events
		swaps  = 50
	)
	dir := t.TempDir()
	for i := range events {
		if err := os.WriteFile(filepath.Join(dir, "m."+strconv.Itoa(i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ruleFile := func(name string) string {
		p := filepath.Join(t.TempDir(), "swap_marker.yaml")
		rule := fmt.Sprintf(`
- rule: %s
  desc: a read of one of the swap test's marker files
  condition: open_read and fd.name startswith %q
  output: swap marker (file=%%fd.name)
  priority: NOTICE
`, name, dir+"/m.")
		if err := os.WriteFile(p, []byte(rule), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	progA := compileRules(t, ruleFile("Swap marker A"))
	progB := compileRules(t, ruleFile("Swap marker B"))

	counter := &alertCounter{byFile: map[string][]string{}}
	a, _ := runAgent(t, agent.Config{Program: progA, Digest: "A", Version: "A", OnAlert: counter.add, AllMatches: true})

	child := exec.Command(os.Args[0], "-test.run=^TestSwapLossMarkerChild$", "-test.v")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d:%g", markerChildEnv, dir, events, rate))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	opened := make(chan int, 1)
	go func() {
		n := -1
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, err := fmt.Sscanf(sc.Text(), "opened %d", &n); err == nil {
				break
			}
		}
		for sc.Scan() {
		}
		opened <- n
	}()

	// Swap while the child runs: 50 swaps over about 2s.
	time.Sleep(200 * time.Millisecond)
	var pauses []time.Duration
	for i := range swaps {
		p, d := progB, "B"
		if i%2 == 1 {
			p, d = progA, "A"
		}
		pause, err := a.Swap(p, d, d)
		if err != nil {
			t.Fatalf("swap %d: %v", i, err)
		}
		pauses = append(pauses, pause)
		time.Sleep(40 * time.Millisecond)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("marker child: %v", err)
	}
	n := <-opened
	if n != events {
		t.Fatalf("the child opened %d marker files, want %d", n, events)
	}
	// Let the agent drain the ring.
	deadline := time.Now().Add(10 * time.Second)
	for counter.files() < events && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	counter.mu.Lock()
	defer counter.mu.Unlock()
	lost, twice, byA, byB := 0, 0, 0, 0
	for i := range events {
		rules := counter.byFile[filepath.Join(dir, "m."+strconv.Itoa(i))]
		switch len(rules) {
		case 0:
			lost++
		case 1:
		default:
			twice++
		}
		for _, r := range rules {
			if strings.HasSuffix(r, " A") {
				byA++
			} else {
				byB++
			}
		}
	}
	slices.Sort(pauses)
	st := a.Stats()
	t.Logf("%d events at %.0f/s, %d swaps: %d lost, %d evaluated more than once; %d alerts by A, %d by B; kernel drops %d",
		events, rate, swaps, lost, twice, byA, byB, st.Kernel.Drops())
	t.Logf("swap pause: median %s, p90 %s, max %s", pauses[len(pauses)/2], pauses[len(pauses)*9/10], pauses[len(pauses)-1])
	if lost != 0 || twice != 0 {
		t.Errorf("%d events lost and %d evaluated more than once across %d swaps, want 0 and 0", lost, twice, swaps)
	}
	if byA == 0 || byB == 0 {
		t.Errorf("alerts by A %d, by B %d: the swaps did not take effect while events flowed", byA, byB)
	}
	if st.Swaps != swaps {
		t.Errorf("agent counted %d swaps, want %d", st.Swaps, swaps)
	}
	// The pause goal (under 10ms) is a performance figure, logged above;
	// losses and double evaluations are what this test asserts.
	if act := a.Active(); act.Digest != "A" {
		t.Errorf("active after %d swaps = %q, want A", swaps, act.Digest)
	}
}
