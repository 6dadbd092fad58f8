package output

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/falconer-sec/falconer/agent/output/devcert"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// required reports whether missing external tools fail the tests instead
// of skipping them.
func required() bool {
	return os.Getenv("FALCONER_PRIVILEGED_TESTS") == "1" || os.Getenv("CI") == "true"
}

// toolsDir is where .ci/tools.sh installs binaries.
func toolsDir() string {
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

// tool finds an external tool in $FALCONER_TOOLS/bin or PATH. A missing
// tool skips the test, or fails it when required().
func tool(t testing.TB, name, installer string) string {
	t.Helper()
	if dir := toolsDir(); dir != "" {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found in %s or PATH; install it with .ci/tools.sh %s", name, toolsDir(), installer)
	if required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// testAlert returns an alert of rule i%3 with a few output fields.
func testAlert(i int) *eval.Alert {
	rules := []struct {
		name string
		pri  ir.Priority
		tags []string
		src  string
	}{
		{"Terminal shell in container", ir.Notice, []string{"container", "shell", "mitre_execution"}, "syscall"},
		{"Read sensitive file untrusted", ir.Warning, []string{"filesystem", "mitre_credential_access"}, "syscall"},
		{"Outbound connection to C2", ir.Critical, []string{"network"}, "k8s_audit"},
	}
	r := rules[i%len(rules)]
	return &eval.Alert{
		Time:     time.Date(2026, 8, 21, 10, 0, 0, i, time.UTC).UnixNano(),
		Rule:     r.name,
		Priority: r.pri,
		Source:   r.src,
		Tags:     r.tags,
		Hostname: "node-1",
		Message:  fmt.Sprintf("alert %d (user=root pid=%d)", i, 1000+i),
		Fields: []eval.OutputField{
			{Name: "evt.time", Value: time.Date(2026, 8, 21, 10, 0, 0, i, time.UTC).UnixNano()},
			{Name: "user.name", Value: "root"},
			{Name: "proc.pid", Value: int64(1000 + i)},
			{Name: "proc.is_exe_writable", Value: false},
			{Name: "container.id", Value: nil},
			{Name: "k8s.ns.name", Value: "prod"},
			{Name: "k8s.pod.name", Value: fmt.Sprintf("web-%d", i%2)},
		},
	}
}

// socketPath returns a short unix socket path (sun_path holds 108 bytes,
// and test temp directories can be long).
func socketPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

// startGRPC starts a server on a temporary socket (and TCP if opts.Addr
// is set) and stops it when the test ends.
func startGRPC(t testing.TB, opts GRPCOptions) *GRPCServer {
	t.Helper()
	if opts.Socket == "" && !opts.DisableSocket {
		opts.Socket = socketPath(t)
	}
	s, err := NewGRPCServer(opts)
	if err != nil {
		t.Fatalf("NewGRPCServer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

// dialUnix connects a Go client to the server's socket.
func dialUnix(t testing.TB, s *GRPCServer, extra ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, extra...)
	conn, err := grpc.NewClient("unix://"+s.SocketPath(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dialTLS connects a Go client over TCP with the given client files.
func dialTLS(t testing.TB, s *GRPCServer, files TLSFiles) *grpc.ClientConn {
	t.Helper()
	cfg, err := files.ClientConfig("localhost")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(s.TCPAddr().String(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// testCerts makes a development PKI in a temporary directory.
func testCerts(t testing.TB) devcert.Files {
	t.Helper()
	files, err := devcert.Write(t.TempDir(), devcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func serverFiles(f devcert.Files) TLSFiles {
	return TLSFiles{CertFile: f.ServerCert, KeyFile: f.ServerKey, CAFile: f.CACert}
}

func clientFiles(f devcert.Files) TLSFiles {
	return TLSFiles{CertFile: f.ClientCert, KeyFile: f.ClientKey, CAFile: f.CACert}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// subscribers returns the open subscriptions of one output kind.
func subscribers(h *Hub, kind string) int {
	for _, o := range h.Stats().Outputs {
		if o.Output == kind {
			return o.Subscribers
		}
	}
	return 0
}
