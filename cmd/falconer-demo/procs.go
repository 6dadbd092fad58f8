package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// proc is a started command whose output lines are kept.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	more  chan struct{}
	done  chan struct{}
	err   error
}

func (d *demo) spawn(name string, args ...string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = d.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	p := &proc{cmd: cmd, more: make(chan struct{}, 1), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d.procs = append(d.procs, p)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// mark returns how many lines were read so far.
func (p *proc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// waitLine returns the first line satisfying pred.
func (p *proc) waitLine(timeout time.Duration, pred func(string) bool) (string, error) {
	return p.waitLineFrom(0, timeout, pred)
}

// waitLineFrom returns the first line after the first from satisfying
// pred.
func (p *proc) waitLineFrom(from int, timeout time.Duration, pred func(string) bool) (string, error) {
	deadline := time.After(timeout)
	seen := from
	for {
		p.mu.Lock()
		lines := p.lines[seen:]
		seen = len(p.lines)
		p.mu.Unlock()
		for _, l := range lines {
			if pred(l) {
				return l, nil
			}
		}
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			all := strings.Join(p.lines, "\n")
			p.mu.Unlock()
			return "", fmt.Errorf("exited (%v):\n%s", p.err, all)
		case <-deadline:
			return "", fmt.Errorf("nothing after %s", timeout)
		}
	}
}

// stop interrupts the process and waits for it (killing it after 10s).
func (p *proc) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("did not stop within 10s; killed")
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && ee.ExitCode() != 0 {
		return p.err
	}
	return nil
}

// agentProc is the running falconer-agent: its alerts (JSON on stdout)
// and its status endpoint.
type agentProc struct {
	*proc
	statusURL string
}

type alert struct {
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
}

func (a alert) field(name string) string {
	v, ok := a.OutputFields[name]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (d *demo) startAgent(ref string) (*agentProc, error) {
	args := []string{
		"--follow", ref,
		"--key", d.pub(),
		"--require-attestation", "test-report",
		"--interval", d.opts.interval.String(),
		"--cache-dir", filepath.Join(d.work, "agent-cache"),
		"--status-addr", "127.0.0.1:0",
		"--output", "json",
		"--no-grpc-socket", "--web-addr", "",
	}
	if !d.hasGit() {
		args = slicesDelete(args, "--require-attestation", "test-report")
	}
	d.showCommand("falconer-agent", args)
	p, err := d.spawnAgent(filepath.Join(d.bin, "falconer-agent"), args...)
	if err != nil {
		return nil, err
	}
	a := &agentProc{proc: p}
	line, err := p.waitLine(30*time.Second, func(s string) bool { return strings.Contains(s, "status on http://") })
	if err != nil {
		return nil, err
	}
	a.statusURL = line[strings.Index(line, "http://"):]
	// Events flow once the probe is attached.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := a.status()
		if err == nil && st.Agent.Events > 0 {
			d.printf("  agent up: %s (%s), %d rules, verified by %s\n", st.version(), shortDigest(st.digest()), st.Agent.Rules, d.short(st.verifiedBy()))
			return a, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("falconer-agent exited: %v\n%s", p.err, strings.Join(a.tail(""), "\n"))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.New("falconer-agent: no events after 30s")
		}
	}
}

func slicesDelete(args []string, drop ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if i+1 < len(args) && args[i] == drop[0] && args[i+1] == drop[1] {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// spawnAgent starts the agent with stdout (alerts) and stderr (messages)
// kept apart.
func (d *demo) spawnAgent(name string, args ...string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = d.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, more: make(chan struct{}, 1), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d.procs = append(d.procs, p)
	var wg sync.WaitGroup
	read := func(r io.Reader, prefix string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, prefix+sc.Text())
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
	}
	wg.Add(2)
	go read(stdout, "ALERT ")
	go read(stderr, "")
	go func() {
		wg.Wait()
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// tail returns the agent's messages containing substr.
func (a *agentProc) tail(substr string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, l := range a.lines {
		if !strings.HasPrefix(l, "ALERT ") && strings.Contains(l, substr) {
			out = append(out, strings.TrimPrefix(l, "falconer-agent: "))
		}
	}
	return out
}

// waitAlert waits for an alert matching pred, among those after line
// from, and shows it with the time since start.
func (a *agentProc) waitAlert(d *demo, from int, start time.Time, timeout time.Duration, pred func(alert) bool) error {
	line, err := a.waitLineFrom(from, timeout, func(s string) bool {
		js, ok := strings.CutPrefix(s, "ALERT ")
		if !ok {
			return false
		}
		var al alert
		return json.Unmarshal([]byte(js), &al) == nil && pred(al)
	})
	if err != nil {
		return fmt.Errorf("waiting for the alert: %w", err)
	}
	var al alert
	json.Unmarshal([]byte(strings.TrimPrefix(line, "ALERT ")), &al) //nolint:errcheck // parsed above
	d.printf("  ALERT %s after: %s %q\n", time.Since(start).Round(100*time.Microsecond), al.Priority, al.Rule)
	d.printf("    %s\n", d.short(al.Output))
	return nil
}

// waitVersion waits until the agent's status shows version active, and
// shows the swap.
func (a *agentProc) waitVersion(d *demo, version string, timeout time.Duration) error {
	start := time.Now()
	d.printf("  waiting for the agent to notice (it checks every %s, jittered)...\n", d.opts.interval)
	for {
		st, err := a.status()
		if err == nil && st.version() == version {
			act := st.Follow.Active
			d.printf("  agent swapped to %s (%s) %s after the publish: %d rules, swap pause %s, no restart\n",
				version, shortDigest(st.digest()), time.Since(start).Round(time.Millisecond), st.Agent.Rules, time.Duration(act.LastPauseNS))
			for _, line := range a.tail("(version " + version) {
				d.printf("    agent: %s\n", d.short(line))
			}
			return nil
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("the agent did not activate %s within %s (status error: %v)", version, timeout, err)
		}
		select {
		case <-a.done:
			return fmt.Errorf("falconer-agent exited: %v", a.err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// agentStatus is the part of the status endpoint's answer the demo reads.
type agentStatus struct {
	Agent struct {
		Events uint64 `json:"events"`
		Rules  int    `json:"rules"`
	} `json:"agent"`
	Follow struct {
		Active struct {
			LastPauseNS int64 `json:"last_pause_ns"`
		} `json:"active"`
		Sources []struct {
			Digest     string `json:"digest"`
			Version    string `json:"version"`
			VerifiedBy string `json:"verified_by"`
			LastError  string `json:"last_error"`
		} `json:"sources"`
	} `json:"follow"`
}

func (s *agentStatus) source() (digest, version, verifiedBy, lastError string) {
	if len(s.Follow.Sources) == 0 {
		return "", "", "", ""
	}
	x := s.Follow.Sources[0]
	return x.Digest, x.Version, x.VerifiedBy, x.LastError
}

func (s *agentStatus) digest() string     { d, _, _, _ := s.source(); return d }
func (s *agentStatus) version() string    { _, v, _, _ := s.source(); return v }
func (s *agentStatus) verifiedBy() string { _, _, b, _ := s.source(); return b }
func (s *agentStatus) lastError() string  { _, _, _, e := s.source(); return e }

func (a *agentProc) status() (*agentStatus, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(a.statusURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st agentStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, err
	}
	return &st, nil
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
