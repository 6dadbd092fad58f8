// Package devcert makes a development certificate authority and the
// server and client certificates signed by it, for trying mutual TLS
// between the agent and its consumers (`falconer certs`). Production
// deployments issue certificates from their own PKI instead.
package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Options configures Write. The zero value makes
// certificates for localhost valid for a year.
type Options struct {
	// Hosts are the server certificate's DNS names and IP addresses
	// (default localhost, 127.0.0.1 and ::1).
	Hosts []string
	// ClientName is the client certificate's common name (default
	// "falconer-client").
	ClientName string
	// Validity is how long the certificates are valid (default one
	// year).
	Validity time.Duration
	// Overwrite replaces existing files; otherwise Write refuses to touch a directory that already holds any of them.
	Overwrite bool
	// Now is the start of validity (default the current time).
	Now time.Time
}

// Files are the paths of the files Write writes. The names are the ones
// Falco's and falco-exporter's documentation use.
type Files struct {
	CACert, CAKey         string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
}

// ErrExist is returned by Write when a file it would write
// exists and Overwrite is not set.
var ErrExist = errors.New("certificate files already exist")

// Write creates a development CA in dir and uses it to sign a
// server certificate (for Hosts) and a client certificate, all ECDSA
// P-256, in PEM. Private keys are written with mode 0600 (PKCS #8). These
// are for development and tests: in production, issue the certificates from your
// own PKI (cert-manager, Vault, an internal CA) and keep the CA key out
// of the cluster.
func Write(dir string, opts Options) (Files, error) {
	files := Files{
		CACert: filepath.Join(dir, "ca.crt"), CAKey: filepath.Join(dir, "ca.key"),
		ServerCert: filepath.Join(dir, "server.crt"), ServerKey: filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.crt"), ClientKey: filepath.Join(dir, "client.key"),
	}
	if len(opts.Hosts) == 0 {
		opts.Hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	if opts.ClientName == "" {
		opts.ClientName = "falconer-client"
	}
	if opts.Validity <= 0 {
		opts.Validity = 365 * 24 * time.Hour
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if !opts.Overwrite {
		for _, f := range []string{files.CACert, files.CAKey, files.ServerCert, files.ServerKey, files.ClientCert, files.ClientKey} {
			if _, err := os.Lstat(f); err == nil {
				return files, fmt.Errorf("%w: %s", ErrExist, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return files, err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return files, fmt.Errorf("create certificate directory: %w", err)
	}
	notBefore := opts.Now.Add(-5 * time.Minute) // tolerate clock skew
	notAfter := opts.Now.Add(opts.Validity)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return files, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Falconer development CA", Organization: []string{"Falconer"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, caCert, err := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return files, err
	}

	serverTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: opts.Hosts[0], Organization: []string{"Falconer"}},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range opts.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			serverTmpl.IPAddresses = append(serverTmpl.IPAddresses, ip)
		} else {
			serverTmpl.DNSNames = append(serverTmpl.DNSNames, h)
		}
	}
	clientTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: opts.ClientName, Organization: []string{"Falconer"}},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}

	if err := writePEM(files.CACert, "CERTIFICATE", caDER, 0o644); err != nil {
		return files, err
	}
	if err := writeKey(files.CAKey, caKey); err != nil {
		return files, err
	}
	for _, leaf := range []struct {
		tmpl      *x509.Certificate
		cert, key string
	}{
		{serverTmpl, files.ServerCert, files.ServerKey},
		{clientTmpl, files.ClientCert, files.ClientKey},
	} {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return files, err
		}
		der, _, err := sign(leaf.tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return files, err
		}
		if err := writePEM(leaf.cert, "CERTIFICATE", der, 0o644); err != nil {
			return files, err
		}
		if err := writeKey(leaf.key, key); err != nil {
			return files, err
		}
	}
	return files, nil
}

// sign issues tmpl (with a fresh random serial number) signed by parent's
// key.
func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return der, cert, nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

// writePEM writes one PEM block to path with mode perm, replacing the
// file atomically.
func writePEM(path, typ string, der []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := pem.Encode(tmp, &pem.Block{Type: typ, Bytes: der}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
