package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/agent/output/devcert"
)

const certsLong = `Certs makes a development certificate authority and a server and a client
certificate signed by it, for the agent's gRPC alert API over TCP, which
always requires mutual TLS:

  DIR/ca.crt      the CA certificate (both sides trust it)
  DIR/ca.key      the CA key (keep it, or delete it once done)
  DIR/server.crt  the agent's certificate, for --host names and addresses
  DIR/server.key
  DIR/client.crt  a client certificate (falco-exporter, grpcurl, ...)
  DIR/client.key

Keys are ECDSA P-256, written with mode 0600. Existing files are left alone
unless --force is given.

These certificates are for development. In production, issue the server and
client certificates from your own PKI (cert-manager, Vault, an internal CA)
and keep the CA key away from the nodes; see docs/outputs.md.`

// newCertsCmd builds `falconer certs`.
func newCertsCmd() *cobra.Command {
	var (
		dir    string
		hosts  []string
		client string
		days   int
		force  bool
	)
	c := &cobra.Command{
		Use:   "certs",
		Short: "Make a development CA and mTLS certificates for the agent's gRPC API",
		Long:  certsLong,
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			if days <= 0 {
				return usagef(c.CommandPath(), "--days must be positive, got %d", days)
			}
			files, err := devcert.Write(dir, devcert.Options{
				Hosts:      hosts,
				ClientName: client,
				Validity:   time.Duration(days) * 24 * time.Hour,
				Overwrite:  force,
			})
			if errors.Is(err, devcert.ErrExist) {
				return fmt.Errorf("%w (use --force to replace them)", err)
			}
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "CA:     %s (key %s)\n", files.CACert, files.CAKey)
			fmt.Fprintf(out, "server: %s (key %s)\n", files.ServerCert, files.ServerKey)
			fmt.Fprintf(out, "client: %s (key %s)\n", files.ClientCert, files.ClientKey)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "dir", "certs", "directory to write the certificates to")
	f.StringSliceVar(&hosts, "host", []string{"localhost", "127.0.0.1", "::1"}, "DNS name or IP address of the server certificate (repeatable)")
	f.StringVar(&client, "client-name", "falconer-client", "common name of the client certificate")
	f.IntVar(&days, "days", 365, "validity in days")
	f.BoolVar(&force, "force", false, "replace existing certificate files")
	return c
}
