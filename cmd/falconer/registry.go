package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/falconer-sec/falconer/registry"
)

// remoteFlags are the registry connection flags shared by push, pull, sign
// and verify.
type remoteFlags struct {
	plainHTTP     bool
	caFile        string
	username      string
	passwordStdin bool
	dockerConfig  string
	retries       int
}

func (f *remoteFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.plainHTTP, "plain-http", false, "use plain HTTP for a non-loopback registry (loopback registries use it unless --ca-file is given)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of extra CA certificates trusted for the registry's TLS")
	fs.StringVar(&f.username, "username", "", "registry user name (default $FALCONER_REGISTRY_USERNAME); the password comes from --password-stdin or $FALCONER_REGISTRY_PASSWORD")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the registry password from standard input")
	fs.StringVar(&f.dockerConfig, "docker-config", "", "docker config.json with credentials and credential helpers (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)")
	fs.IntVar(&f.retries, "retries", 5, "retries of transient registry failures (0 for none)")
}

// remote resolves the flags and environment into registry options.
// $FALCONER_REGISTRY_TOKEN, when set, is sent as a bearer token.
func (f *remoteFlags) remote(c *cobra.Command) (registry.Remote, error) {
	r := registry.Remote{
		PlainHTTP:    f.plainHTTP,
		CAFile:       f.caFile,
		Username:     f.username,
		DockerConfig: f.dockerConfig,
		Retries:      f.retries,
		Token:        os.Getenv("FALCONER_REGISTRY_TOKEN"),
		UserAgent:    "falconer/" + falconerVersion(),
	}
	if r.Retries == 0 {
		r.Retries = -1
	}
	if r.Username == "" {
		r.Username = os.Getenv("FALCONER_REGISTRY_USERNAME")
	}
	if f.passwordStdin {
		line, err := bufio.NewReader(c.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return r, fmt.Errorf("read password: %w", err)
		}
		r.Password = strings.TrimRight(line, "\r\n")
	} else {
		r.Password = os.Getenv("FALCONER_REGISTRY_PASSWORD")
	}
	if r.Password != "" && r.Username == "" {
		return r, usagef(c.CommandPath(), "a registry password needs a user name (--username)")
	}
	return r, nil
}

// transferProgress shows per-blob progress on stderr when it is a terminal.
func transferProgress(c *cobra.Command) registry.Progress {
	if f, ok := c.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return registry.Progress{W: f, Live: true}
	}
	return registry.Progress{}
}

// keyPassword returns how to get the password of a private key:
// $COSIGN_PASSWORD or $FALCONER_KEY_PASSWORD when set (even empty), else a
// prompt when standard input is a terminal.
func keyPassword(c *cobra.Command, confirm bool) func() ([]byte, error) {
	return func() ([]byte, error) {
		for _, env := range []string{"FALCONER_KEY_PASSWORD", "COSIGN_PASSWORD"} {
			if v, ok := os.LookupEnv(env); ok {
				return []byte(v), nil
			}
		}
		in, ok := c.InOrStdin().(*os.File)
		if !ok || !term.IsTerminal(int(in.Fd())) {
			return nil, errors.New("no key password: set COSIGN_PASSWORD (it may be empty) or run on a terminal")
		}
		fmt.Fprint(c.ErrOrStderr(), "Key password: ")
		p1, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(c.ErrOrStderr())
		if err != nil {
			return nil, err
		}
		if confirm {
			fmt.Fprint(c.ErrOrStderr(), "Repeat password: ")
			p2, err := term.ReadPassword(int(in.Fd()))
			fmt.Fprintln(c.ErrOrStderr())
			if err != nil {
				return nil, err
			}
			if string(p1) != string(p2) {
				return nil, errors.New("passwords do not match")
			}
		}
		return p1, nil
	}
}

// explain turns the registry package's sentinel errors into a message that
// says which case it is, first thing on the line.
func explain(err error) error {
	switch {
	case errors.Is(err, registry.ErrNotSigned):
		return fmt.Errorf("not signed: %w", err)
	case errors.Is(err, registry.ErrSignatureInvalid):
		return fmt.Errorf("signature invalid (signed by someone else, or tampered with): %w", err)
	case errors.Is(err, registry.ErrAttestationMissing):
		return fmt.Errorf("required attestation missing: %w", err)
	case errors.Is(err, registry.ErrUnreachable):
		return fmt.Errorf("registry unreachable: %w", err)
	case errors.Is(err, registry.ErrDenied):
		return fmt.Errorf("registry denied access (check credentials): %w", err)
	case errors.Is(err, registry.ErrNotFound):
		return fmt.Errorf("not found: %w", err)
	}
	return err
}

const registryLong = `Registry runs an OCI distribution registry in-process, with the OCI
referrers API, keeping blobs and manifests under --root so that it serves
the same content after a restart. It is meant for local use and tests: it
has no authentication, so keep it on a loopback address.`

func newRegistryCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "registry",
		Short: "Run a local OCI registry",
		Long:  registryLong,
		Args:  exactArgs(0),
	}
	c.AddCommand(newRegistryServeCmd())
	return c
}

func newRegistryServeCmd() *cobra.Command {
	var addr, root string
	c := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve an OCI registry persisted to a directory",
		Long:  registryLong,
		Example: `  falconer registry serve --addr 127.0.0.1:5000 --root ~/.local/share/falconer/registry
  falconer push 127.0.0.1:5000/rules/custom rules/`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			if root == "" {
				return usagef(c.CommandPath(), "--root is required")
			}
			abs, err := filepath.Abs(root)
			if err != nil {
				return err
			}
			srv, err := registry.NewServer(abs, registry.ServerOptions{})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			if !registry.IsLoopback(ln.Addr().String()) {
				fmt.Fprintf(c.ErrOrStderr(), "falconer: warning: %s is not a loopback address and the registry has no authentication\n", ln.Addr())
			}
			fmt.Fprintf(c.OutOrStdout(), "serving OCI registry on http://%s (root %s)\n", ln.Addr(), abs)
			return srv.Serve(c.Context(), ln)
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:5000", "address to listen on")
	c.Flags().StringVar(&root, "root", "", "directory holding the registry's content (created if needed)")
	return c
}
