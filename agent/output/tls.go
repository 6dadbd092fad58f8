package output

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles names PEM files for TLS: a certificate with its key, and the
// CA certificates that authenticate the peer.
type TLSFiles struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

// ErrNoMutualTLS is returned when a TCP listener is configured without
// mutual TLS: the agent serves alerts over the network only to clients
// that present a certificate signed by a trusted CA.
var ErrNoMutualTLS = errors.New("tcp listener requires mutual TLS (a server certificate, its key and a client CA)")

// ServerConfig returns a TLS configuration that presents the certificate
// and requires clients to present one signed by a CA in CAFile. All three
// files are required.
func (f TLSFiles) ServerConfig() (*tls.Config, error) {
	if f.CertFile == "" || f.KeyFile == "" || f.CAFile == "" {
		return nil, ErrNoMutualTLS
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load server certificate: %w", err)
	}
	pool, err := loadPool(f.CAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// ClientConfig returns a TLS configuration for a client: it trusts the
// CAs in CAFile (the system roots if empty) and presents the certificate
// if one is named. serverName overrides the name checked in the server's
// certificate ("" means the dialled host).
func (f TLSFiles) ClientConfig(serverName string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if f.CAFile != "" {
		pool, err := loadPool(f.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	switch {
	case f.CertFile != "" && f.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case f.CertFile != "" || f.KeyFile != "":
		return nil, errors.New("client certificate needs both a certificate and a key file")
	}
	return cfg, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("read CA file %s: no PEM certificates", file)
	}
	return pool, nil
}

// checkMutualTLS reports whether cfg makes a server demand and verify
// client certificates.
func checkMutualTLS(cfg *tls.Config) error {
	if cfg == nil {
		return ErrNoMutualTLS
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.ClientCAs == nil {
		return fmt.Errorf("%w: the TLS configuration must require and verify client certificates", ErrNoMutualTLS)
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return fmt.Errorf("%w: the TLS configuration has no server certificate", ErrNoMutualTLS)
	}
	return nil
}
