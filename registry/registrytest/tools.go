package registrytest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Required reports whether missing peer tools must fail the tests rather
// than skip them: when FALCONER_PRIVILEGED_TESTS=1 or CI=true.
func Required() bool {
	return os.Getenv("FALCONER_PRIVILEGED_TESTS") == "1" || os.Getenv("CI") == "true"
}

// ToolsDir returns where .ci/tools.sh puts the binaries:
// $FALCONER_TOOLS/bin, by default under the user cache directory.
func ToolsDir() string {
	root := os.Getenv("FALCONER_TOOLS")
	if root == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			cache = filepath.Join(home, ".cache")
		}
		root = filepath.Join(cache, "falconer-tools")
	}
	return filepath.Join(root, "bin")
}

// Tool returns the path of a peer tool (registry, cosign, oras, falcoctl)
// from ToolsDir or PATH. When it is missing the test is skipped, or fails
// when Required.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if dir := ToolsDir(); dir != "" {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := fmt.Sprintf("peer tool %q not found in %s or PATH; install it with .ci/tools.sh %s", name, ToolsDir(), name)
	if Required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Run runs a tool with args and extra environment, and returns its
// combined output; it fails the test after timeout.
func Run(t testing.TB, env []string, timeout time.Duration, tool string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after %v\n%s", filepath.Base(tool), strings.Join(args, " "), timeout, out)
	}
	return string(out), err
}

// Distribution starts the reference distribution registry server on a free
// loopback port with filesystem storage in a temporary directory, and
// returns its host:port. It stops when the test ends.
func Distribution(t testing.TB) string {
	t.Helper()
	bin := Tool(t, "registry")
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		host, err := freeLoopbackAddr()
		if err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "config.yml")
		data := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), host)
		if err := os.WriteFile(cfg, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "serve", cfg)
		cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start registry: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // exit status is irrelevant
		stop := func() {
			cmd.Process.Kill() //nolint:errcheck // may have exited
			<-exited
		}
		if err := WaitHTTP("http://"+host+"/v2/", 10*time.Second); err != nil {
			stop()
			lastErr = fmt.Errorf("%v\n%s", err, out.String())
			continue
		}
		select {
		case <-exited:
			lastErr = fmt.Errorf("registry exited:\n%s", out.String())
			continue
		default:
		}
		t.Cleanup(stop)
		return host
	}
	t.Fatalf("distribution registry did not start: %v", lastErr)
	return ""
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
