// Package registry packages compiled Falco rulesets as OCI artifacts and
// moves them between registries: it builds the manifest (Pack), pushes and
// pulls it (Push, Pull), signs and attests it with cosign (Sign, Attest),
// checks signatures and attestations (Verify), and serves a small OCI
// registry persisted to disk (NewServer).
//
// An artifact is one OCI image manifest that falcoctl installs as a Falco
// rulesfile: a config blob of falcoctl's rulesfile config type, a first layer
// holding the YAML rule files as a deterministic tar.gz, and a second layer
// holding the compiled ruleset under a media type of our own. The same
// Ruleset always gives the same manifest digest.
//
// Signatures use cosign's classic storage (a sha256-<hex>.sig tag in the same
// repository, readable by `cosign verify --key` and falcoctl) and optionally
// the Sigstore bundle stored as an OCI referrer. Everything works offline with
// a key pair: nothing is sent to a transparency log.
package registry
