package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/registry"
)

const keygenLong = `Keygen creates a cosign key pair: PREFIX.key, the ECDSA P-256 private key
encrypted with a password, and PREFIX.pub, the public key to verify with.
Both work with cosign itself (cosign sign --key, cosign verify --key) and
with falcoctl's index signature settings.

The password comes from $COSIGN_PASSWORD (or $FALCONER_KEY_PASSWORD) when
set, even to the empty string, else it is asked for on the terminal.`

func newKeygenCmd() *cobra.Command {
	var (
		prefix string
		force  bool
	)
	c := &cobra.Command{
		Use:     "keygen [flags]",
		Short:   "Create a cosign key pair for signing rulesets",
		Long:    keygenLong,
		Example: `  COSIGN_PASSWORD=... falconer keygen --output-prefix release`,
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			priv, pub := prefix+".key", prefix+".pub"
			if !force {
				for _, p := range []string{priv, pub} {
					if _, err := os.Stat(p); err == nil {
						return fmt.Errorf("%s exists (use --force to overwrite)", p)
					} else if !errors.Is(err, fs.ErrNotExist) {
						return err
					}
				}
			}
			pass, err := keyPassword(c, true)()
			if err != nil {
				return err
			}
			kp, err := registry.GenerateKeyPair(pass)
			if err != nil {
				return err
			}
			if err := os.WriteFile(priv, kp.PrivatePEM, 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(pub, kp.PublicPEM, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "private key: %s\npublic key:  %s\n", priv, pub)
			return nil
		},
	}
	c.Flags().StringVar(&prefix, "output-prefix", "cosign", "path prefix of the key files")
	c.Flags().BoolVar(&force, "force", false, "overwrite existing key files")
	return c
}
