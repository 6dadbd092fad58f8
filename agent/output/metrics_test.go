package output

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/falconer-sec/falconer/compiler/eval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// agentStatus is a StatusSource with fixed values.
func agentStatus() StatusSource {
	return StatusFunc(func() Status {
		return Status{
			Ruleset: RulesetInfo{
				Digest:   "sha256:4f1c0ffee",
				Version:  "v1.2.0",
				LoadedAt: time.Date(2026, 8, 21, 9, 30, 0, 0, time.UTC),
				Files:    []RuleFile{{Name: "falco_rules.yaml", SHA256: "9a8b7c"}},
			},
			Kernel: []KernelCounters{
				{Category: "syscall", Events: 123456, Drops: 7},
				{Category: "proc", Events: 789, Drops: 0},
			},
			ProcessTableSize: 321,
		}
	})
}

// metricsFixture publishes a fixed set of alerts through a hub with
// metrics, a gRPC-style subscriber that drops, and an HTTP output.
func metricsFixture(t *testing.T) (*Metrics, *Hub) {
	t.Helper()
	h := NewHub(HubOptions{Buffer: 2})
	sk := newSidekick()
	o, err := NewHTTPOutput(h, HTTPOptions{URL: startLoopback(t, sk, nil), Buffer: 100})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(MetricsOptions{
		Hub:               h,
		HTTP:              []*HTTPOutput{o},
		Status:            agentStatus(),
		Version:           Version{Version: "v0.9.0"},
		EvaluationBuckets: []float64{1e-6, 1e-5, 1e-4},
	})
	if _, err := h.Subscribe(SubscribeOptions{Output: OutputGRPC}); err != nil { // never read: drops
		t.Fatal(err)
	}
	for i := range 5 {
		h.Publish(testAlert(i))
	}
	tagged := testAlert(6)
	tagged.Tags = []string{"T1059.004", "mitre_execution"}
	tagged.Rule = "Tagged rule"
	h.Publish(tagged)
	for _, d := range []time.Duration{500 * time.Nanosecond, 2 * time.Microsecond, 50 * time.Microsecond, time.Millisecond} {
		m.ObserveEvaluation(d)
	}
	runHTTP(t, o)
	waitFor(t, 10*time.Second, "the HTTP output", func() bool { return o.Stats().Sent == 6 })
	return m, h
}

// deterministic lists the metric families whose values do not depend on
// the machine or the timing.
var deterministic = []string{
	"falco_events",
	"falcosecurity_falco_outputs_queue_num_drops_total",
	"falcosecurity_falco_rules_matches_total",
	"falcosecurity_falco_sha256_rules_files_info",
	"falcosecurity_falco_version_info",
	"falcosecurity_scap_n_drops_total",
	"falcosecurity_scap_n_evts_total",
	"falcosecurity_scap_n_threads",
	"falconer_alerts_total",
	"falconer_evaluation_duration_seconds",
	"falconer_http_output_alerts_total",
	"falconer_http_output_retries_total",
	"falconer_kernel_drops_total",
	"falconer_kernel_events_total",
	"falconer_output_drops_total",
	"falconer_output_subscribers",
	"falconer_ruleset_info",
	"falconer_ruleset_loaded_timestamp_seconds",
}

func TestMetricsGolden(t *testing.T) {
	m, _ := metricsFixture(t)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	keep := map[string]bool{}
	for _, n := range deterministic {
		keep[n] = true
	}
	var buf bytes.Buffer
	seen := map[string]bool{}
	for _, mf := range mfs {
		if !keep[mf.GetName()] {
			continue
		}
		seen[mf.GetName()] = true
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range deterministic {
		if !seen[n] {
			t.Errorf("metric %s missing", n)
		}
	}
	for _, n := range []string{"falcosecurity_falco_cpu_usage_ratio", "falcosecurity_falco_memory_rss_bytes", "process_cpu_seconds_total", "go_goroutines", "falconer_output_delivered_total"} {
		found := false
		for _, mf := range mfs {
			found = found || mf.GetName() == n
		}
		if !found {
			t.Errorf("metric %s missing", n)
		}
	}
	golden(t, "metrics.golden", buf.Bytes())
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestMetricsFalcoExporterLabels(t *testing.T) {
	m, _ := metricsFixture(t)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var events *dto.MetricFamily
	for _, mf := range mfs {
		if mf.GetName() == "falco_events" {
			events = mf
		}
	}
	if events == nil {
		t.Fatal("no falco_events")
	}
	var got []string
	for _, metric := range events.GetMetric() {
		var names []string
		for _, l := range metric.GetLabel() {
			names = append(names, l.GetName())
		}
		got = append(got, strings.Join(names, ","))
	}
	sort.Strings(got)
	// Every series carries exactly falco-exporter's labels.
	want := "hostname,k8s_ns_name,k8s_pod_name,priority,rule,source,tags"
	for _, g := range got {
		if g != want {
			t.Errorf("falco_events labels = %s, want %s", g, want)
		}
	}
}

func TestTagLabel(t *testing.T) {
	tests := map[string]string{
		"mitre_execution": "tag_mitre_execution",
		"T1059.004":       "tag_T1059_004",
		"k8s-audit":       "tag_k8s_audit",
		"":                "tag_",
	}
	for in, want := range tests {
		if got := tagLabel(in); got != want {
			t.Errorf("tagLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// startWeb runs a web server on a loopback port until the test ends.
func startWeb(t *testing.T, opts WebOptions) string {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	s, err := NewWebServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + s.Addr().String()
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestWebEndpoints(t *testing.T) {
	m, _ := metricsFixture(t)
	var ready atomic.Bool
	base := startWeb(t, WebOptions{Metrics: m, Ready: func() error {
		if !ready.Load() {
			return errors.New("ruleset not loaded")
		}
		return nil
	}})

	code, ctype, body := get(t, base+"/metrics")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("/metrics = %d %q", code, ctype)
	}
	for _, want := range []string{
		`falcosecurity_falco_rules_matches_total{priority="2",rule_name="Outbound connection to C2",source="k8s_audit",tag_network="true"} 1`,
		`falco_events{hostname="node-1",k8s_ns_name="prod",k8s_pod_name="web-0",priority="5",rule="Terminal shell in container",source="syscall",tags=",container,shell,mitre_execution,"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	tests := []struct {
		path     string
		ready    bool
		wantCode int
		want     map[string]string
	}{
		{"/healthz", false, http.StatusOK, map[string]string{"status": "ok"}},
		{"/readyz", false, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": "ruleset not loaded"}},
		{"/readyz", true, http.StatusOK, map[string]string{"status": "ready"}},
	}
	for _, tt := range tests {
		ready.Store(tt.ready)
		code, ctype, body := get(t, base+tt.path)
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Errorf("%s: %v in %q", tt.path, err, body)
		}
		if code != tt.wantCode || ctype != "application/json" || !cmp.Equal(got, tt.want) {
			t.Errorf("%s (ready=%v) = %d %q %v, want %d %v", tt.path, tt.ready, code, ctype, got, tt.wantCode, tt.want)
		}
	}
	if code, _, _ := get(t, base+"/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d", code)
	}
}

// TestPromtoolCheckMetrics runs `promtool check metrics` (its linter) over
// the whole /metrics text.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := tool(t, "promtool", "promtool")
	m, _ := metricsFixture(t)
	base := startWeb(t, WebOptions{Metrics: m})
	_, _, body := get(t, base+"/metrics")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestMetricsInvalidUTF8 checks that label values that are not UTF-8 (a
// pod name or tag from a hostile workload) are repaired, not a panic or a
// failed scrape.
func TestMetricsInvalidUTF8(t *testing.T) {
	h := NewHub(HubOptions{})
	m := NewMetrics(MetricsOptions{Hub: h})
	a := testAlert(0)
	a.Rule = "bad \xff rule"
	a.Tags = []string{"t\xfe"}
	a.Fields = append(a.Fields[:5], eval.OutputField{Name: "k8s.ns.name", Value: "ns\xff"}, eval.OutputField{Name: "k8s.pod.name", Value: "pod"})
	h.Publish(a)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(&buf, mf)
	}
	if !strings.Contains(buf.String(), `k8s_ns_name="ns`+"\uFFFD"+`"`) || !strings.Contains(buf.String(), `rule_name="bad `+"\uFFFD"+` rule"`) {
		t.Errorf("repaired labels missing:\n%s", buf.String())
	}
}
