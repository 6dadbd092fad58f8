// Command falconer-demo runs Falconer's whole loop on this machine, with
// embedded defaults and nothing to configure: it starts the embedded OCI
// registry on a loopback port, generates a throwaway cosign key pair,
// publishes the default ruleset (lint, test, build, push, sign, attest),
// starts falconer-agent following it, triggers a detection, publishes a
// changed ruleset and shows the agent swapping to it and detecting with
// the new rule, shows an unsigned push being refused, and stops everything.
//
// It runs the real commands (built from this module) and prints each one,
// so the output doubles as a tutorial. The agent needs eBPF (root and a
// kernel with BTF); without it the demo says what is missing and shows the
// publish and verify half. `make demo` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "falconer-demo: %v\n", err)
		os.Exit(1)
	}
}

// options are the demo's flags.
type options struct {
	interval  time.Duration
	keep      bool
	work      string
	skipAgent bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("falconer-demo", flag.ContinueOnError)
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "how often the agent checks the registry")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (keys, registry, cache) afterwards")
	fs.StringVar(&o.work, "work", "", "working directory (default: a new temporary one)")
	fs.BoolVar(&o.skipAgent, "skip-agent", false, "show only the publish and verify half, even where eBPF works")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := newDemo(ctx, o, out)
	if err != nil {
		return err
	}
	defer d.close()
	return d.run()
}

// demo is one run: the working directory, the built binaries, the
// processes started.
type demo struct {
	ctx   context.Context
	opts  options
	out   io.Writer
	work  string
	bin   string
	start time.Time
	step  int
	steps int
	env   []string

	registry    string // host:port
	rulesetsDir string // rulesets/default of the module
	procs       []*proc
}

const demoRepo = "demo/rules"

func newDemo(ctx context.Context, o options, out io.Writer) (*demo, error) {
	work := o.work
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "falconer-demo-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	d := &demo{ctx: ctx, opts: o, out: out, work: work, bin: filepath.Join(work, "bin"), start: time.Now(), steps: 9}
	// A throwaway key with a throwaway password, handed to the commands
	// the way CI does.
	d.env = append(os.Environ(), "COSIGN_PASSWORD=falconer-demo")
	return d, nil
}

// close stops what is still running and removes the working directory.
func (d *demo) close() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].stop()
	}
	if !d.opts.keep && d.opts.work == "" {
		os.RemoveAll(d.work)
	}
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

// section starts a numbered step.
func (d *demo) section(format string, args ...any) {
	d.step++
	d.printf("\n[%d/%d] %s  (%.1fs)\n", d.step, d.steps, fmt.Sprintf(format, args...), time.Since(d.start).Seconds())
}

// short shows a path under the working directory as $WORK/...
func (d *demo) short(s string) string { return strings.ReplaceAll(s, d.work, "$WORK") }

func (d *demo) showCommand(name string, args []string) {
	d.printf("  $ %s\n", d.short(strings.Join(append([]string{name}, quoteAll(args)...), " ")))
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// falconer runs a falconer command, shows it and its output (indented),
// and returns the output.
func (d *demo) falconer(args ...string) (string, error) {
	d.showCommand("falconer", args)
	cmd := exec.CommandContext(d.ctx, filepath.Join(d.bin, "falconer"), args...)
	cmd.Env = d.env
	b, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if line != "" {
			d.printf("    %s\n", d.short(line))
		}
	}
	if err != nil {
		return string(b), fmt.Errorf("falconer %s: %w", args[0], err)
	}
	return string(b), nil
}

func (d *demo) run() error {
	d.printf("Falconer demo: registry -> signed ruleset -> agent, on this machine.\n")
	d.printf("WORK=%s\n", d.work)

	d.section("Building falconer and falconer-agent")
	if err := d.build(); err != nil {
		return err
	}

	d.section("Starting the embedded OCI registry on a loopback port")
	if err := d.startRegistry(); err != nil {
		return err
	}

	d.section("Generating a throwaway cosign key pair")
	if _, err := d.falconer("keygen", "--output-prefix", filepath.Join(d.work, "demo")); err != nil {
		return err
	}

	d.section("Publishing the default ruleset as 1.0.0: lint, test, build, push, sign, attest")
	rulesRepo, err := d.prepareRules()
	if err != nil {
		return err
	}
	ref := d.registry + "/" + demoRepo
	if err := d.publish(rulesRepo, "1.0.0", ref); err != nil {
		return err
	}
	if _, err := d.falconer("verify", ref+":latest", "--key", d.pub()); err != nil {
		return err
	}

	reason := ebpfMissing()
	if d.opts.skipAgent {
		reason = "--skip-agent was given"
	}
	var agent *agentProc
	if reason == "" {
		d.section("Starting falconer-agent, following %s:latest (eBPF)", ref)
		agent, err = d.startAgent(ref + ":latest")
		if err != nil {
			d.printf("  the agent did not start: %v\n", err)
			reason = "the agent could not load its eBPF probe (see above)"
		}
	}
	if reason != "" {
		d.section("Skipping the agent: %s", reason)
		d.printf("  falconer-agent captures syscalls with eBPF: it needs root (or CAP_BPF,\n")
		d.printf("  CAP_PERFMON and CAP_SYS_RESOURCE) and a kernel with BTF (%s).\n", btfPath)
		d.printf("  Run `sudo make demo` on such a machine to see it detect and swap rulesets.\n")
		d.printf("  Continuing with the publish and verify half.\n")
	}

	if agent != nil {
		d.section("Triggering a detection: cat /etc/shadow")
		d.showCommand("cat", []string{"/etc/shadow"})
		from, start := agent.mark(), time.Now()
		exec.Command("cat", "/etc/shadow").Run() //nolint:errcheck // the read is what counts
		if err := agent.waitAlert(d, from, start, 10*time.Second, func(a alert) bool {
			return a.Rule == "Read sensitive file untrusted" && a.field("fd.name") == "/etc/shadow"
		}); err != nil {
			return err
		}
	} else {
		d.step++
	}

	d.section("Publishing 1.1.0 with a new rule: a canary file")
	canary := filepath.Join(d.work, "canary", "aws-credentials")
	if err := d.addCanaryRule(rulesRepo, canary); err != nil {
		return err
	}
	if err := d.publish(rulesRepo, "1.1.0", ref); err != nil {
		return err
	}
	if agent != nil {
		if err := agent.waitVersion(d, "1.1.0", 10*d.opts.interval); err != nil {
			return err
		}
		d.showCommand("cat", []string{canary})
		from, start := agent.mark(), time.Now()
		exec.Command("cat", canary).Run() //nolint:errcheck // the read is what counts
		if err := agent.waitAlert(d, from, start, 10*time.Second, func(a alert) bool {
			return a.Rule == "Canary file read" && a.field("fd.name") == canary
		}); err != nil {
			return err
		}
	} else {
		if _, err := d.falconer("verify", ref+":latest", "--key", d.pub()); err != nil {
			return err
		}
	}

	d.section("Pushing an unsigned 1.2.0 over latest: it must be refused")
	var from int
	if agent != nil {
		from = agent.mark()
	}
	pushed := time.Now()
	if err := d.pushUnsigned(rulesRepo, ref); err != nil {
		return err
	}
	if agent != nil {
		if err := agent.waitAlert(d, from, pushed, 10*d.opts.interval, func(a alert) bool {
			return a.Rule == "Falconer internal: ruleset update rejected" && a.field("reason") == "not-signed"
		}); err != nil {
			return err
		}
		st, err := agent.status()
		if err != nil {
			return err
		}
		d.printf("  the agent keeps %s (%s); status says: %s\n", st.version(), shortDigest(st.digest()), st.lastError())
	} else {
		out, err := d.falconer("verify", ref+":latest", "--key", d.pub())
		if err == nil || !strings.Contains(out, "not signed") {
			return fmt.Errorf("verify of the unsigned push: %v, want a not-signed refusal", err)
		}
		d.printf("  (refused, as it must be)\n")
	}

	d.section("Stopping")
	if agent != nil {
		d.printf("  stopping falconer-agent (SIGINT)\n")
		if err := agent.stop(); err != nil {
			return err
		}
		for _, line := range agent.tail("stopped:") {
			d.printf("    agent: %s\n", line)
		}
	}
	d.printf("  stopping the registry\n")
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].stop()
	}
	d.procs = nil
	if d.opts.keep || d.opts.work != "" {
		d.printf("  kept %s\n", d.work)
	}
	d.printf("\nDone in %.1fs.\n", time.Since(d.start).Seconds())
	if reason != "" {
		d.printf("The agent half was skipped: %s.\n", reason)
	}
	return nil
}

func (d *demo) pub() string { return filepath.Join(d.work, "demo.pub") }
func (d *demo) key() string { return filepath.Join(d.work, "demo.key") }

// build compiles the two commands from this module.
func (d *demo) build() error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	mod, err := exec.CommandContext(d.ctx, goBin, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(mod)) == "" || strings.TrimSpace(string(mod)) == os.DevNull {
		return fmt.Errorf("run the demo from the falconer module (go env GOMOD: %v)", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(mod)))
	args := []string{"build", "-o", d.bin + string(filepath.Separator), "./cmd/falconer", "./cmd/falconer-agent"}
	d.showCommand("go", args)
	d.printf("    (a first build on a fresh machine compiles the dependencies: minutes, once)\n")
	cmd := exec.CommandContext(d.ctx, goBin, args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	d.rulesetsDir = filepath.Join(root, "rulesets", "default")
	return nil
}

// startRegistry runs `falconer registry serve` on a free loopback port.
func (d *demo) startRegistry() error {
	args := []string{"registry", "serve", "--addr", "127.0.0.1:0", "--root", filepath.Join(d.work, "registry")}
	d.showCommand("falconer", args)
	p, err := d.spawn(filepath.Join(d.bin, "falconer"), args...)
	if err != nil {
		return err
	}
	line, err := p.waitLine(10*time.Second, func(s string) bool { return strings.HasPrefix(s, "serving OCI registry on http://") })
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	addr := strings.TrimPrefix(strings.Fields(line)[4], "http://")
	d.registry = addr
	d.printf("    %s\n", d.short(line))
	return nil
}

// prepareRules copies the default ruleset and its tests into a fresh git
// repository, as a rules repository looks: rules/ and tests/.
func (d *demo) prepareRules() (string, error) {
	repo := filepath.Join(d.work, "rules-repo")
	if err := copyTree(filepath.Join(d.rulesetsDir, "falconer_rules.yaml"), filepath.Join(repo, "rules", "falconer_rules.yaml")); err != nil {
		return "", err
	}
	if err := copyTree(filepath.Join(d.rulesetsDir, "tests"), filepath.Join(repo, "tests")); err != nil {
		return "", err
	}
	d.printf("  the rules repository: $WORK/rules-repo (rules/ from rulesets/default, tests/ with its %s)\n", "rule tests")
	if d.hasGit() {
		if err := d.git(repo, "init", "-q"); err != nil {
			return "", err
		}
	}
	return repo, nil
}

func (d *demo) hasGit() bool {
	_, err := exec.LookPath("git")
	return err == nil
}

func (d *demo) git(dir string, args ...string) error {
	cmd := exec.CommandContext(d.ctx, "git", append([]string{"-c", "user.name=Falconer demo", "-c", "user.email=demo@falconer.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %v\n%s", args[0], err, b)
	}
	return nil
}

// publish releases the rules repository as version: with git, a commit, a
// tag and `falconer publish`; without, the single steps.
func (d *demo) publish(repo, version, ref string) error {
	if d.hasGit() {
		if err := d.git(repo, "add", "-A"); err != nil {
			return err
		}
		if err := d.git(repo, "commit", "-q", "-m", "rules "+version); err != nil {
			return err
		}
		if err := d.git(repo, "tag", "v"+version); err != nil {
			return err
		}
		d.printf("  committed and tagged v%s in the rules repository\n", version)
		_, err := d.falconer("publish", ref, "--repo", repo, "--key", d.key())
		return err
	}
	d.printf("  (git is not installed: the single steps falconer publish runs)\n")
	rules, tests := filepath.Join(repo, "rules"), filepath.Join(repo, "tests")
	fcr := filepath.Join(d.work, "ruleset-"+version+".fcr")
	for _, args := range [][]string{
		{"lint", rules},
		{"test", "--rules", rules, tests},
		{"build", rules, "-o", fcr},
		{"push", ref, "--compiled", fcr, "--no-git", "--version", version, rules},
		{"sign", ref + ":" + version, "--key", d.key()},
	} {
		if _, err := d.falconer(args...); err != nil {
			return err
		}
	}
	return nil
}

// pushUnsigned pushes the rules as 1.2.0 and moves latest, without
// signing: what someone without the key could do.
func (d *demo) pushUnsigned(repo, ref string) error {
	_, err := d.falconer("push", ref, "--no-git", "--version", "1.2.0", filepath.Join(repo, "rules"))
	return err
}

// canaryRule is the rule 1.1.0 adds.
const canaryRule = `# Added in 1.1.0: a canary file nobody has a reason to read.
- rule: Canary file read
  desc: >
    A process opened the canary credentials file. Nothing legitimate reads
    it, so any read is an intruder looking for credentials.
  condition: open_read and fd.name = %q
  output: >
    Canary file opened for reading (file=%%fd.name process=%%proc.name
    command=%%proc.cmdline user=%%user.name container_id=%%container.id)
  priority: CRITICAL
  tags: [filesystem, mitre_credential_access]
`

func (d *demo) addCanaryRule(repo, canary string) error {
	if err := os.MkdirAll(filepath.Dir(canary), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(canary, []byte("[default]\naws_access_key_id = AKIAFALCONERDEMO\n"), 0o600); err != nil {
		return err
	}
	p := filepath.Join(repo, "rules", "zz_canary.yaml")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(canaryRule, canary)), 0o644); err != nil {
		return err
	}
	d.printf("  added rules/zz_canary.yaml: rule \"Canary file read\" on %s\n", d.short(canary))
	return nil
}

// btfPath is where the kernel exposes its BTF.
const btfPath = "/sys/kernel/btf/vmlinux"

// ebpfMissing says why the agent cannot run here, or "".
func ebpfMissing() string {
	switch {
	case runtime.GOOS != "linux" || runtime.GOARCH != "amd64":
		return "the agent runs on linux/amd64, this is " + runtime.GOOS + "/" + runtime.GOARCH
	case os.Geteuid() != 0:
		return "not running as root"
	}
	if _, err := os.Stat(btfPath); err != nil {
		return "the kernel has no BTF at " + btfPath
	}
	return ""
}

// copyTree copies a file or a directory tree.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
