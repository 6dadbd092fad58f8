package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCerts(t *testing.T, args ...string) (string, error) {
	t.Helper()
	c := newCertsCmd()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

func TestCertsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	out, err := runCerts(t, "--dir", dir, "--host", "agent.example", "--host", "10.0.0.7", "--client-name", "exporter")
	if err != nil {
		t.Fatalf("falconer certs: %v\n%s", err, out)
	}
	for _, f := range []string{"ca.crt", "server.crt", "client.crt"} {
		if !strings.Contains(out, filepath.Join(dir, f)) {
			t.Errorf("output does not name %s:\n%s", f, out)
		}
	}
	for _, f := range []string{"ca.key", "server.key", "client.key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %#o, want 0600", f, fi.Mode().Perm())
		}
	}

	// The server certificate verifies against the CA for the requested
	// names, and the client certificate is a client certificate.
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt holds no certificate")
	}
	server, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"agent.example", "10.0.0.7"} {
		if _, err := server.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool}); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	if _, err := server.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool}); err == nil {
		t.Error("server certificate valid for localhost, which was not requested")
	}
	client, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if client.Leaf.Subject.CommonName != "exporter" {
		t.Errorf("client CN = %q", client.Leaf.Subject.CommonName)
	}

	// A second run refuses to overwrite; --force replaces.
	if _, err := runCerts(t, "--dir", dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second run = %v, want a refusal mentioning --force", err)
	}
	if out, err := runCerts(t, "--dir", dir, "--force"); err != nil {
		t.Errorf("--force: %v\n%s", err, out)
	}
	newCA, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if bytes.Equal(newCA, caPEM) {
		t.Error("--force did not replace the CA")
	}
}

func TestCertsCommandUsage(t *testing.T) {
	_, err := runCerts(t, "--dir", t.TempDir(), "--days", "0")
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Errorf("--days 0 = %v, want a usage error", err)
	}
	if _, err := runCerts(t, "extra"); !errors.As(err, &ue) {
		t.Errorf("positional argument = %v, want a usage error", err)
	}
}
