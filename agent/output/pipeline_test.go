package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ruletest"
)

// TestPipeline runs Falco's upstream rules, compiled by the compiler,
// through the evaluator on a rule-test event and publishes the resulting
// alert: it must reach a grpcurl subscriber on the unix socket, the HTTP
// endpoint (falcosidekick conformance server) and /metrics. The agent's
// capture of a real action is not part of this test.
func TestPipeline(t *testing.T) {
	prog, diags, err := compiler.Compile(os.DirFS("../../testdata/upstream-rules"), []string{"falco_rules.yaml"}, compiler.Options{})
	if err != nil {
		t.Fatalf("compile: %v\n%v", err, diags)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ruletest.Parse("pipeline.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ruletest.Run(prog, []*ruletest.File{f}, ruletest.Options{Hostname: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	var alerts []*eval.Alert
	for _, r := range rep.Results {
		if !r.Passed() {
			t.Fatalf("case %s: %v", r.Case.Name, r.Failures)
		}
		alerts = append(alerts, r.Alerts...)
	}
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(alerts))
	}

	var files []RuleFile
	for _, s := range prog.Sources {
		files = append(files, RuleFile{Name: s.Name, SHA256: s.SHA256})
	}
	status := StatusFunc(func() Status {
		return Status{Ruleset: RulesetInfo{Digest: "sha256:test", Version: "upstream", LoadedAt: time.Now(), Files: files}}
	})
	h := NewHub(HubOptions{})
	sk := newSidekick()
	httpOut, err := NewHTTPOutput(h, HTTPOptions{URL: startLoopback(t, sk, nil)})
	if err != nil {
		t.Fatal(err)
	}
	runHTTP(t, httpOut)
	m := NewMetrics(MetricsOptions{Hub: h, HTTP: []*HTTPOutput{httpOut}, Status: status})
	srv := startGRPC(t, GRPCOptions{Hub: h, Status: status})
	web := startWeb(t, WebOptions{Metrics: m})

	g := startGrpcurl(t, "-plaintext", "-d", "{}", "unix://"+srv.SocketPath(), "falco.outputs.service/sub")
	waitFor(t, 15*time.Second, "grpcurl to subscribe", func() bool { return subscribers(h, OutputGRPC) == 1 })

	for _, a := range alerts {
		h.Publish(a)
	}

	msg := g.next(t)
	fields, _ := msg["outputFields"].(map[string]any)
	if msg["rule"] != "Read sensitive file untrusted" || msg["priority"] != "WARNING" || fields["fd.name"] != "/etc/shadow" || fields["proc.name"] != "cat" {
		t.Errorf("grpcurl got %v", msg)
	}
	if out, _ := msg["output"].(string); !strings.Contains(out, "Warning Sensitive file opened for reading by non-trusted program") {
		t.Errorf("grpcurl output = %q", out)
	}

	waitFor(t, 10*time.Second, "the HTTP endpoint", func() bool { got, _ := sk.snapshot(); return len(got) == 1 })
	got, _ := sk.snapshot()
	if got[0].Rule != "Read sensitive file untrusted" || got[0].Priority != "Warning" || got[0].OutputFields["fd.name"] != "/etc/shadow" {
		t.Errorf("HTTP endpoint got %+v", got[0])
	}

	_, _, body := get(t, web+"/metrics")
	for _, want := range []string{
		`falcosecurity_falco_rules_matches_total{priority="4",rule_name="Read sensitive file untrusted",source="syscall",`,
		`falco_events{hostname="node-1",k8s_ns_name="",k8s_pod_name="",priority="4",rule="Read sensitive file untrusted",source="syscall",`,
		`falcosecurity_falco_sha256_rules_files_info{file_name="falco_rules.yaml",sha256="` + files[0].SHA256 + `"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
