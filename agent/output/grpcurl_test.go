package output

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// grpcurlStream runs grpcurl with args (a streaming call) and decodes the
// JSON messages it prints. Call next to get them; the process is killed
// when the test ends.
type grpcurlStream struct {
	msgs   chan map[string]any
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startGrpcurl(t *testing.T, args ...string) *grpcurlStream {
	t.Helper()
	bin := tool(t, "grpcurl", "grpcurl")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcurlStream{msgs: make(chan map[string]any, 100), stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = g.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		dec := json.NewDecoder(stdout)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				close(g.msgs)
				return
			}
			g.msgs <- m
		}
	}()
	go func() { g.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-g.done
	})
	return g
}

func (g *grpcurlStream) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m, ok := <-g.msgs:
		if !ok {
			t.Fatalf("grpcurl ended: %v\n%s", <-g.done, g.stderr.String())
		}
		return m
	case <-time.After(15 * time.Second):
		t.Fatalf("no message from grpcurl in 15s\n%s", g.stderr.String())
	}
	return nil
}

// runGrpcurl runs a unary grpcurl call and returns its output.
func runGrpcurl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := tool(t, "grpcurl", "grpcurl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

func TestGrpcurlUnixSocket(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h, Version: Version{Version: "v0.9.0"}})
	// grpcurl v1.9.3 fails to dial with "-unix PATH" ("dial tcp ...:
	// missing port in address"); the unix:// target scheme works.
	sock := "unix://" + s.SocketPath()

	t.Run("list via reflection", func(t *testing.T) {
		out, err := runGrpcurl(t, "-plaintext", sock, "list")
		if err != nil {
			t.Fatalf("grpcurl list: %v\n%s", err, out)
		}
		for _, svc := range []string{"falco.outputs.service", "falco.version.service", "falconer.output.v1.AlertService", "grpc.health.v1.Health"} {
			if !strings.Contains(out, svc+"\n") {
				t.Errorf("grpcurl list lacks %s:\n%s", svc, out)
			}
		}
	})

	t.Run("falco sub via reflection", func(t *testing.T) {
		before := subscribers(h, OutputGRPC)
		g := startGrpcurl(t, "-plaintext", "-d", "{}", sock, "falco.outputs.service/sub")
		waitFor(t, 15*time.Second, "grpcurl to subscribe", func() bool { return subscribers(h, OutputGRPC) > before })
		h.Publish(testAlert(2))
		m := g.next(t)
		if m["rule"] != "Outbound connection to C2" || m["priority"] != "CRITICAL" || m["source"] != "k8s_audit" || m["hostname"] != "node-1" {
			t.Errorf("grpcurl got %v", m)
		}
		if f, _ := m["outputFields"].(map[string]any); f["proc.pid"] != "1002" {
			t.Errorf("outputFields = %v", m["outputFields"])
		}
	})

	t.Run("v1 subscribe via proto files", func(t *testing.T) {
		before := subscribers(h, OutputGRPC)
		g := startGrpcurl(t, "-plaintext",
			"-import-path", "proto", "-proto", "falconer/output/v1/output.proto",
			"-d", `{"filter": {"minPriority": "PRIORITY_WARNING"}}`,
			sock, "falconer.output.v1.AlertService/Subscribe")
		waitFor(t, 15*time.Second, "grpcurl to subscribe", func() bool { return subscribers(h, OutputGRPC) > before })
		h.Publish(testAlert(0)) // Notice: filtered out
		h.Publish(testAlert(1)) // Warning
		m := g.next(t)
		a, _ := m["alert"].(map[string]any)
		if a["rule"] != "Read sensitive file untrusted" || a["priority"] != "PRIORITY_WARNING" {
			t.Errorf("grpcurl got %v", m)
		}
	})

	t.Run("version and health", func(t *testing.T) {
		out, err := runGrpcurl(t, "-plaintext", sock, "falco.version.service/version")
		if err != nil || !strings.Contains(out, `"version": "v0.9.0"`) || !strings.Contains(out, `"minor": 9`) {
			t.Errorf("version: %v\n%s", err, out)
		}
		out, err = runGrpcurl(t, "-plaintext", sock, "grpc.health.v1.Health/Check")
		if err != nil || !strings.Contains(out, `"status": "SERVING"`) {
			t.Errorf("health: %v\n%s", err, out)
		}
	})
}

func TestGrpcurlMutualTLS(t *testing.T) {
	certs := testCerts(t)
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h, DisableSocket: true, Addr: "127.0.0.1:0", TLSFiles: serverFiles(certs)})
	addr := s.TCPAddr().String()

	t.Run("with client certificate", func(t *testing.T) {
		before := subscribers(h, OutputGRPC)
		g := startGrpcurl(t, "-cacert", certs.CACert, "-cert", certs.ClientCert, "-key", certs.ClientKey,
			"-d", "{}", addr, "falco.outputs.service/sub")
		waitFor(t, 15*time.Second, "grpcurl to subscribe", func() bool { return subscribers(h, OutputGRPC) > before })
		h.Publish(testAlert(0))
		if m := g.next(t); m["rule"] != "Terminal shell in container" || m["priority"] != "NOTICE" {
			t.Errorf("grpcurl got %v", m)
		}
	})

	other := testCerts(t)
	refused := []struct {
		name string
		args []string
	}{
		{"without client certificate", []string{"-cacert", certs.CACert}},
		{"with a certificate from another CA", []string{"-cacert", certs.CACert, "-cert", other.ClientCert, "-key", other.ClientKey}},
		{"plaintext", []string{"-plaintext"}},
	}
	// grpcurl keeps retrying a refused handshake until its connect
	// timeout, so these run in parallel with a short one.
	t.Run("refused", func(t *testing.T) {
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				args := append(tt.args, "-connect-timeout", "2", addr, "list")
				out, err := runGrpcurl(t, args...)
				if err == nil {
					t.Errorf("grpcurl %s succeeded:\n%s", strings.Join(args, " "), out)
				}
				if strings.Contains(out, "falco.outputs.service") {
					t.Errorf("refused client listed services:\n%s", out)
				}
			})
		}
	})
}
