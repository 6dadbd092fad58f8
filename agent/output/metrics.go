package output

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// MetricsOptions configures NewMetrics. Every source is optional.
type MetricsOptions struct {
	// Hub supplies the output counters; NewMetrics also registers the
	// metrics as an observer of its alerts.
	Hub *Hub
	// HTTP outputs supply their request counters.
	HTTP []*HTTPOutput
	// Status supplies the ruleset, kernel counters and process table.
	Status StatusSource
	// Version is exported as falcosecurity_falco_version_info.
	Version Version
	// EvaluationBuckets are the upper bounds, in seconds, of the
	// evaluation latency histogram (DefaultEvaluationBuckets if nil).
	EvaluationBuckets []float64
}

// DefaultEvaluationBuckets spans 100 ns to about 6.5 ms per event.
var DefaultEvaluationBuckets = prometheus.ExponentialBuckets(100e-9, 4, 9)

// Metrics is the agent's Prometheus registry:
//
//   - alert counts with Falco's naming,
//     falcosecurity_falco_rules_matches_total{rule_name, priority, source,
//     tag_<tag>="true"...}, priority being Falco's number ("0" is
//     Emergency);
//   - falco-exporter's falco_events{rule, priority, hostname, source,
//     k8s_ns_name, k8s_pod_name, tags}, which existing Grafana dashboards
//     read (exposed untyped: its historical name lacks the _total suffix
//     a counter must have);
//   - kernel events and drops per category, output subscribers,
//     deliveries and drops, HTTP output requests, the ruleset's identity
//     and load time, the evaluation latency histogram, the process table
//     size, the agent's CPU and memory, and the Go runtime.
//
// Metrics is an Observer: register it with the hub (MetricsOptions.Hub
// does) so that it counts every alert.
type Metrics struct {
	reg  *prometheus.Registry
	eval prometheus.Histogram
	opts MetricsOptions

	mu      sync.Mutex
	matches map[matchKey]*matchCount
	events  map[eventKey]uint64
	cpu     cpuSampler
}

type matchKey struct {
	rule, source, tags string
	priority           ir.Priority
}

type matchCount struct {
	n    uint64
	tags []string
}

type eventKey struct {
	rule, hostname, source, ns, pod, tags string
	priority                              ir.Priority
}

// NewMetrics builds the registry.
func NewMetrics(opts MetricsOptions) *Metrics {
	m := &Metrics{
		reg:     prometheus.NewRegistry(),
		opts:    opts,
		matches: map[matchKey]*matchCount{},
		events:  map[eventKey]uint64{},
		cpu:     newCPUSampler(),
	}
	buckets := opts.EvaluationBuckets
	if buckets == nil {
		buckets = DefaultEvaluationBuckets
	}
	m.eval = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "falconer_evaluation_duration_seconds",
		Help:    "Time to evaluate one event against the ruleset.",
		Buckets: buckets,
	})
	m.reg.MustRegister(m.eval, collector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if opts.Hub != nil {
		opts.Hub.addObserver(m)
	}
	return m
}

// Registry returns the registry, to add more collectors or to gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ObserveEvaluation records the time one event's evaluation took.
func (m *Metrics) ObserveEvaluation(d time.Duration) { m.eval.Observe(d.Seconds()) }

// ObserveAlert counts an alert. The hub calls it for every published
// alert.
func (m *Metrics) ObserveAlert(a *eval.Alert) {
	tags := strings.Join(a.Tags, ",")
	ek := eventKey{rule: a.Rule, priority: a.Priority, hostname: a.Hostname, source: a.Source, tags: tags}
	for _, f := range a.Fields {
		switch f.Name {
		case "k8s.ns.name":
			ek.ns, _ = f.Value.(string)
		case "k8s.pod.name":
			ek.pod, _ = f.Value.(string)
		}
	}
	mk := matchKey{rule: a.Rule, source: a.Source, tags: tags, priority: a.Priority}
	m.mu.Lock()
	c := m.matches[mk]
	if c == nil {
		c = &matchCount{tags: append([]string(nil), a.Tags...)}
		m.matches[mk] = c
	}
	c.n++
	m.events[ek]++
	m.mu.Unlock()
}

// collector exports the metrics whose label sets come from live state.
// It is unchecked (Describe sends nothing): Falco's rules_matches_total
// has a tag_<tag> label per tag of each rule, so its series do not share
// one label set.
type collector struct{ m *Metrics }

func (collector) Describe(chan<- *prometheus.Desc) {}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	emit := func(name, help string, t prometheus.ValueType, v float64, labels prometheus.Labels) {
		names := make([]string, 0, len(labels))
		for k := range labels {
			names = append(names, k)
		}
		sort.Strings(names)
		values := make([]string, len(names))
		for i, k := range names {
			values[i] = validUTF8(labels[k]) // label values must be UTF-8
		}
		desc := prometheus.NewDesc(name, help, names, nil)
		metric, err := prometheus.NewConstMetric(desc, t, v, values...)
		if err != nil {
			metric = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- metric
	}
	const (
		matchesHelp = "Alerts by rule, priority (0 is Emergency, 7 Debug), source and tags."
		eventsHelp  = "Alerts by rule, priority, host, source, Kubernetes namespace and pod, and tags, as falco-exporter counted them."
	)

	// Copy the counts under the lock and emit after releasing it, so a
	// scrape never holds up ObserveAlert (and so Publish) for long.
	type matchSeries struct {
		k    matchKey
		n    uint64
		tags []string
	}
	type eventSeries struct {
		k eventKey
		n uint64
	}
	m.mu.Lock()
	matches := make([]matchSeries, 0, len(m.matches))
	for k, mc := range m.matches {
		matches = append(matches, matchSeries{k, mc.n, mc.tags})
	}
	events := make([]eventSeries, 0, len(m.events))
	for k, n := range m.events {
		events = append(events, eventSeries{k, n})
	}
	cpu := m.cpu.sample()
	m.mu.Unlock()

	for _, ms := range matches {
		labels := prometheus.Labels{"rule_name": ms.k.rule, "priority": strconv.Itoa(int(ms.k.priority)), "source": ms.k.source}
		for _, t := range ms.tags {
			labels[tagLabel(t)] = "true"
		}
		emit("falcosecurity_falco_rules_matches_total", matchesHelp, prometheus.CounterValue, float64(ms.n), labels)
	}
	for _, es := range events {
		k := es.k
		tags := ""
		if k.tags != "" {
			tags = "," + k.tags + ","
		}
		emit("falco_events", eventsHelp, prometheus.UntypedValue, float64(es.n), prometheus.Labels{
			"rule": k.rule, "priority": strconv.Itoa(int(k.priority)), "hostname": k.hostname, "source": k.source,
			"k8s_ns_name": k.ns, "k8s_pod_name": k.pod, "tags": tags,
		})
	}

	if v := m.opts.Version.Version; v != "" {
		emit("falcosecurity_falco_version_info", "The agent's version.", prometheus.GaugeValue, 1, prometheus.Labels{"version": v})
	}
	if cpu >= 0 {
		emit("falcosecurity_falco_cpu_usage_ratio", "CPU time the agent used per second of wall time since the previous scrape.", prometheus.GaugeValue, cpu, nil)
	}
	if rss, vsz, ok := memoryUsage(); ok {
		emit("falcosecurity_falco_memory_rss_bytes", "Resident memory of the agent.", prometheus.GaugeValue, float64(rss), nil)
		emit("falcosecurity_falco_memory_vsz_bytes", "Virtual memory size of the agent.", prometheus.GaugeValue, float64(vsz), nil)
	}

	if h := m.opts.Hub; h != nil {
		st := h.Stats()
		emit("falconer_alerts_total", "Alerts published by the agent.", prometheus.CounterValue, float64(st.LastSeq), nil)
		emit("falcosecurity_falco_outputs_queue_num_drops_total", "Alerts dropped because an output's queue was full, all outputs together.", prometheus.CounterValue, float64(st.Dropped()), nil)
		for _, o := range st.Outputs {
			l := prometheus.Labels{"output": o.Output}
			emit("falconer_output_subscribers", "Open subscriptions per kind of output.", prometheus.GaugeValue, float64(o.Subscribers), l)
			emit("falconer_output_delivered_total", "Alerts taken from their queue by outputs.", prometheus.CounterValue, float64(o.Delivered), l)
			emit("falconer_output_drops_total", "Alerts dropped because an output's queue was full.", prometheus.CounterValue, float64(o.Dropped), l)
		}
	}
	if len(m.opts.HTTP) > 0 {
		var sum HTTPStats
		for _, o := range m.opts.HTTP {
			s := o.Stats()
			sum.Sent += s.Sent
			sum.Failed += s.Failed
			sum.Retries += s.Retries
		}
		emit("falconer_http_output_alerts_total", "Alerts the HTTP outputs handled, by result (sent: 2xx; failed: refused or out of retries).", prometheus.CounterValue, float64(sum.Sent), prometheus.Labels{"result": "sent"})
		emit("falconer_http_output_alerts_total", "Alerts the HTTP outputs handled, by result (sent: 2xx; failed: refused or out of retries).", prometheus.CounterValue, float64(sum.Failed), prometheus.Labels{"result": "failed"})
		emit("falconer_http_output_retries_total", "Retried HTTP output requests.", prometheus.CounterValue, float64(sum.Retries), nil)
	}
	if m.opts.Status != nil {
		st := m.opts.Status.Status()
		r := st.Ruleset
		emit("falconer_ruleset_info", "The loaded ruleset (value 1).", prometheus.GaugeValue, 1, prometheus.Labels{"digest": r.Digest, "version": r.Version})
		if !r.LoadedAt.IsZero() {
			emit("falconer_ruleset_loaded_timestamp_seconds", "When the loaded ruleset was swapped in, in seconds since the epoch.", prometheus.GaugeValue, float64(r.LoadedAt.UnixNano())/1e9, nil)
		}
		for _, f := range r.Files {
			emit("falcosecurity_falco_sha256_rules_files_info", "The rule files the ruleset was compiled from (value 1).", prometheus.GaugeValue, 1, prometheus.Labels{"file_name": f.Name, "sha256": f.SHA256})
		}
		var events, drops uint64
		for _, k := range st.Kernel {
			l := prometheus.Labels{"category": k.Category}
			emit("falconer_kernel_events_total", "Kernel events received, per category.", prometheus.CounterValue, float64(k.Events), l)
			emit("falconer_kernel_drops_total", "Kernel events lost before reaching the agent, per category.", prometheus.CounterValue, float64(k.Drops), l)
			events += k.Events
			drops += k.Drops
		}
		emit("falcosecurity_scap_n_evts_total", "Kernel events received.", prometheus.CounterValue, float64(events), nil)
		emit("falcosecurity_scap_n_drops_total", "Kernel events lost before reaching the agent.", prometheus.CounterValue, float64(drops), nil)
		emit("falcosecurity_scap_n_threads", "Threads in the agent's process table.", prometheus.GaugeValue, float64(st.ProcessTableSize), nil)
	}
}

// tagLabel returns the label name for a tag: "tag_" and the tag with
// every character outside [A-Za-z0-9_] replaced by '_'.
func tagLabel(tag string) string {
	var b strings.Builder
	b.WriteString("tag_")
	for _, r := range tag {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// cpuSampler turns the process's CPU time into a usage ratio between
// samples.
type cpuSampler struct {
	wall time.Time
	cpu  time.Duration
}

func newCPUSampler() cpuSampler {
	cpu, _ := cpuTime()
	return cpuSampler{wall: time.Now(), cpu: cpu}
}

// sample returns the CPU used per wall second since the previous sample,
// or -1 when the CPU time is unknown.
func (c *cpuSampler) sample() float64 {
	cpu, ok := cpuTime()
	if !ok {
		return -1
	}
	now := time.Now()
	wall := now.Sub(c.wall)
	used := cpu - c.cpu
	c.wall, c.cpu = now, cpu
	if wall <= 0 {
		return 0
	}
	return used.Seconds() / wall.Seconds()
}
