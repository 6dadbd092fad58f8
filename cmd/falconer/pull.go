package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/kms"
)

const pullLong = `Pull fetches a ruleset artifact and writes its rule files, and the
compiled ruleset as ruleset.fcr, into a directory.

Everything read from the registry is checked before anything is written:
media types, sizes against limits, digests, and archive entries (regular
files with relative names only), so a hostile registry cannot fill the disk
or write outside the directory. With --key the signature is verified first
and the verified digest is what gets pulled.`

func newPullCmd() *cobra.Command {
	var (
		rf     remoteFlags
		out    string
		key    string
		limits registry.Limits
	)
	c := &cobra.Command{
		Use:   "pull [flags] REGISTRY/REPOSITORY[:TAG|@DIGEST]",
		Short: "Pull a ruleset artifact into a directory",
		Long:  pullLong,
		Example: `  falconer pull 127.0.0.1:5000/rules/custom:1.2 -o rules.d
  falconer pull ghcr.io/acme/falco-rules:1 --key cosign.pub -o /etc/falco/rules.d`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ref := args[0]
			remote, err := rf.remote(c)
			if err != nil {
				return err
			}
			if key != "" {
				v, err := registry.Verify(c.Context(), ref, registry.VerifyOptions{Remote: remote, KeyRef: key, Keys: kms.Resolver{}})
				if err != nil {
					return explain(err)
				}
				ref = digestRef(ref, v.Digest)
			}
			p, err := registry.Pull(c.Context(), ref, registry.PullOptions{Remote: remote, Limits: limits, Progress: transferProgress(c)})
			if err != nil {
				return explain(err)
			}
			written, err := p.Extract(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "pulled %s %s: %d file(s) into %s\n", p.Ref(), p.Config.Version, len(written), out)
			for _, w := range written {
				fmt.Fprintf(c.OutOrStdout(), "  %s\n", w)
			}
			return nil
		},
	}
	f := c.Flags()
	rf.register(f)
	f.StringVarP(&out, "output", "o", ".", "directory to write the files into (created if needed)")
	f.StringVar(&key, "key", "", "verify the signature with this public key (file or KMS URI) before pulling")
	f.Int64Var(&limits.LayerSize, "max-layer-size", registry.DefaultLimits.LayerSize, "largest accepted layer, in bytes")
	f.Int64Var(&limits.UnpackedSize, "max-unpacked-size", registry.DefaultLimits.UnpackedSize, "largest accepted total size of the unpacked rule files, in bytes")
	f.IntVar(&limits.Files, "max-files", registry.DefaultLimits.Files, "most accepted rule files")
	return c
}

// digestRef replaces the tag or digest of ref with digest.
func digestRef(ref, digest string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	// A ':' after the last '/' starts a tag; one before is the port.
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref + "@" + digest
}
