package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/bpf/bpftest"
)

// TestDemo runs the demo as `make demo` does: the whole loop where eBPF
// works (root and BTF), else the publish and verify half with the reason
// given. Under FALCONER_PRIVILEGED_TESTS=1 the whole loop is required.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo builds both commands: skipped in -short mode")
	}
	if os.Getenv(bpftest.EnvRequire) == "1" {
		bpftest.Privileged(t)
	}
	full := bpftest.Unavailable() == ""
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	err := run(ctx, []string{"--interval", "1s"}, &out)
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	want := []string{
		"[2/9] Starting the embedded OCI registry",
		"falconer keygen --output-prefix $WORK/demo",
		"verified ",
		"[7/9] Publishing 1.1.0 with a new rule",
		"[9/9] Stopping",
		"Done in ",
	}
	if full {
		want = append(want,
			`ALERT `, `"Read sensitive file untrusted"`, "file=/etc/shadow",
			"agent swapped to 1.1.0",
			`"Canary file read"`, "file=$WORK/canary/aws-credentials",
			`"Falconer internal: ruleset update rejected"`, "reason=not-signed",
			"the agent keeps 1.1.0",
			"agent: stopped:",
		)
	} else {
		want = append(want, "Skipping the agent: ", "(refused, as it must be)")
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("demo output lacks %q", w)
		}
	}
	if strings.Contains(out.String(), "WORK=") && strings.Count(out.String(), os.TempDir()+"/falconer-demo-") > 1 {
		t.Errorf("demo output shows the working directory instead of $WORK")
	}
	t.Logf("demo took %s (whole loop: %v)", time.Since(start).Round(time.Millisecond), full)
}
