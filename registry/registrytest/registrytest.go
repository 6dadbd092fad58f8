// Package registrytest provides what registry tests need: an in-process OCI
// registry on a loopback port, cosign test keys, and the lookup and start-up
// of the real peer tools (distribution's registry server, cosign, oras,
// falcoctl) installed by .ci/tools.sh.
package registrytest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/registry"
)

// Server is an in-process registry (registry.Server) listening on a
// loopback port.
type Server struct {
	// Host is host:port, to prefix repository names with.
	Host string
	// Root is the directory the registry persists to.
	Root string

	cancel context.CancelFunc
	done   chan error
}

// New starts a registry persisted under a fresh temporary directory; it stops
// when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	return NewAt(t, t.TempDir())
}

// NewAt starts a registry persisted under root; it stops when the test ends
// or when Close is called.
func NewAt(t testing.TB, root string) *Server {
	t.Helper()
	srv, err := registry.NewServer(root, registry.ServerOptions{})
	if err != nil {
		t.Fatalf("registry.NewServer(%q): %v", root, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Host: ln.Addr().String(), Root: root, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for it; calling it again does nothing.
func (s *Server) Close() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}

// Keys is a cosign key pair written to files, with its password.
type Keys struct {
	Password                []byte
	PrivatePEM, PublicPEM   []byte
	PrivatePath, PublicPath string
	// Signer is the loaded private key.
	Signer *registry.SigningKey
}

// Generating and decrypting cosign keys costs two scrypt runs; tests share
// a few key pairs instead, each test getting distinct ones in order.
var keyCache struct {
	sync.Mutex
	pairs []cachedKey
	used  map[testing.TB]int
}

// NewKeys returns a key pair for the test, different from the others it got,
// written under a temporary directory.
func NewKeys(t testing.TB) *Keys {
	t.Helper()
	pass := []byte("test-password")
	keyCache.Lock()
	if keyCache.used == nil {
		keyCache.used = map[testing.TB]int{}
	}
	i := keyCache.used[t]
	if i == 0 {
		t.Cleanup(func() {
			keyCache.Lock()
			delete(keyCache.used, t)
			keyCache.Unlock()
		})
	}
	keyCache.used[t] = i + 1
	for len(keyCache.pairs) <= i {
		kp, err := registry.GenerateKeyPair(pass)
		if err != nil {
			keyCache.Unlock()
			t.Fatalf("GenerateKeyPair: %v", err)
		}
		sk, err := registry.NewSigningKey(kp.PrivatePEM, pass)
		if err != nil {
			keyCache.Unlock()
			t.Fatalf("NewSigningKey: %v", err)
		}
		keyCache.pairs = append(keyCache.pairs, cachedKey{kp, sk})
	}
	kp, sk := keyCache.pairs[i].pair, keyCache.pairs[i].signer
	keyCache.Unlock()

	dir := t.TempDir()
	k := &Keys{
		Password:    pass,
		PrivatePEM:  kp.PrivatePEM,
		PublicPEM:   kp.PublicPEM,
		PrivatePath: filepath.Join(dir, "cosign.key"),
		PublicPath:  filepath.Join(dir, "cosign.pub"),
	}
	if err := os.WriteFile(k.PrivatePath, kp.PrivatePEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.PublicPath, kp.PublicPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	k.Signer = sk
	return k
}

type cachedKey struct {
	pair   *registry.KeyPair
	signer *registry.SigningKey
}

// WaitHTTP polls url until it answers (any status) or the timeout passes.
func WaitHTTP(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("no answer from " + url + ": " + err.Error())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
