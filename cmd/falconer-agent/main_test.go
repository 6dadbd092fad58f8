package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/bpf/bpftest"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestOutputsEndToEnd runs the falconer-agent binary with the default
// ruleset, does a real thing on this machine (cat /etc/shadow), and checks
// the alert arrives at a grpcurl subscriber on the unix socket, at the
// HTTP endpoint (falcosidekick's input format), and in /metrics.
func TestOutputsEndToEnd(t *testing.T) {
	bpftest.Privileged(t)
	grpcurl := registrytest.Tool(t, "grpcurl")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "falconer-agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The HTTP endpoint: records falcosidekick-style payloads.
	var mu sync.Mutex
	var posted []map[string]any
	sidekick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&p) != nil {
			http.Error(w, "Please send a valid request body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		posted = append(posted, p)
		mu.Unlock()
	}))
	defer sidekick.Close()

	sock := filepath.Join(tmp, "falconer.sock")
	web := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	agent := exec.CommandContext(ctx, bin, "--ruleset", "../../rulesets/default", "--output", "json",
		"--grpc-socket", sock, "--http-url", sidekick.URL+"/", "--web-addr", web)
	agent.Cancel = func() error { return agent.Process.Signal(os.Interrupt) }
	stdout, _ := agent.StdoutPipe()
	stderr, _ := agent.StderrPipe()
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var logBuf strings.Builder
	var logMu sync.Mutex
	go func() {
		b, _ := io.ReadAll(stderr)
		logMu.Lock()
		logBuf.Write(b)
		logMu.Unlock()
	}()
	defer func() {
		cancel()
		agent.Wait()
		logMu.Lock()
		t.Logf("agent log:\n%s", logBuf.String())
		logMu.Unlock()
	}()
	if err := registrytest.WaitHTTP("http://"+web+"/readyz", 20*time.Second); err != nil {
		t.Fatalf("agent not ready: %v", err)
	}
	// A subscriber on the unix socket, through Falco's outputs API.
	sub := exec.CommandContext(ctx, grpcurl, "-plaintext", "-d", "{}", "unix://"+sock, "falco.outputs.service/sub")
	subOut, _ := sub.StdoutPipe()
	var subErr strings.Builder
	sub.Stderr = &subErr
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	defer sub.Process.Kill()
	msgs := make(chan map[string]any, 10)
	go func() {
		dec := json.NewDecoder(subOut)
		for {
			var m map[string]any
			if dec.Decode(&m) != nil {
				close(msgs)
				return
			}
			msgs <- m
		}
	}()
	time.Sleep(500 * time.Millisecond) // let the subscription register

	if out, err := exec.Command("cat", "/etc/shadow").CombinedOutput(); err != nil {
		t.Fatalf("cat /etc/shadow: %v\n%s", err, out)
	}
	const rule = "Read sensitive file untrusted"

	// stdout: Falco's JSON line.
	deadline := time.After(15 * time.Second)
	for found := false; !found; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("agent stdout closed")
			}
			found = strings.Contains(l, `"rule":"`+rule+`"`) && strings.Contains(l, `"fd.name":"/etc/shadow"`)
		case <-deadline:
			t.Fatal("no alert on stdout")
		}
	}
	// gRPC subscriber.
	for found := false; !found; {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("grpcurl ended: %s", subErr.String())
			}
			found = m["rule"] == rule && strings.Contains(fmt.Sprint(m["outputFields"]), "/etc/shadow")
		case <-deadline:
			t.Fatalf("no alert at the gRPC subscriber: %s", subErr.String())
		}
	}
	// HTTP endpoint.
	for {
		mu.Lock()
		var got map[string]any
		for _, p := range posted {
			if p["rule"] == rule {
				got = p
			}
		}
		mu.Unlock()
		if got != nil {
			if got["priority"] != "Warning" || got["source"] != "syscall" || got["output_fields"] == nil {
				t.Errorf("HTTP payload = %v", got)
			}
			break
		}
		select {
		case <-deadline:
			t.Fatal("no alert at the HTTP endpoint")
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Prometheus metrics.
	resp, err := http.Get("http://" + web + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`falcosecurity_falco_rules_matches_total{`,
		`rule_name="` + rule + `"`,
		`falco_events{`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
