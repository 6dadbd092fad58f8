package output

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The falcosidekick module cannot be fetched through the Go module proxy
// (it answers 403 for every version), so these tests check our payloads
// against a conformance implementation of falcosidekick's documented
// input rules instead (types.FalcoPayload and its Check, the / handler):
//
//   - / accepts POST only;
//   - the body decodes as {uuid?, output, priority, rule, time (RFC 3339),
//     output_fields (object), source, tags?, hostname?};
//   - priority must be one of Falco's eight names, case-insensitively;
//   - rule must not be empty, time must not be zero, output_fields must
//     have at least one entry;
//   - anything else gets 400 "Please send a valid request body".

// sidekickPayload mirrors the documented FalcoPayload fields.
type sidekickPayload struct {
	UUID         string         `json:"uuid,omitempty"`
	Output       string         `json:"output"`
	Priority     string         `json:"priority"`
	Rule         string         `json:"rule"`
	Time         time.Time      `json:"time"`
	OutputFields map[string]any `json:"output_fields"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags,omitempty"`
	Hostname     string         `json:"hostname,omitempty"`
}

// check applies falcosidekick's Check rules.
func (p sidekickPayload) check() error {
	switch strings.ToLower(p.Priority) {
	case "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug":
	default:
		return fmt.Errorf("priority %q", p.Priority)
	}
	if p.Rule == "" {
		return fmt.Errorf("empty rule")
	}
	if p.Time.IsZero() {
		return fmt.Errorf("zero time")
	}
	if len(p.OutputFields) == 0 {
		return fmt.Errorf("no output_fields")
	}
	return nil
}

// sidekick is the conformance server.
type sidekick struct {
	mu       sync.Mutex
	accepted []sidekickPayload
	rejected []string
	// inputs counts requests per status, like falcosidekick's
	// falcosecurity_falcosidekick_inputs_total{status}.
	inputs map[string]int
	// fail makes the next N requests answer with this status.
	failStatus int
	failN      int
	delay      time.Duration
	headers    []http.Header
}

func newSidekick() *sidekick { return &sidekick{inputs: map[string]int{}} }

func (s *sidekick) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	delay := s.delay
	if s.failN > 0 {
		s.failN--
		code := s.failStatus
		s.mu.Unlock()
		http.Error(w, "try again", code)
		return
	}
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if r.URL.Path != "/" || r.Method != http.MethodPost {
		http.Error(w, "Please send with POST http method", http.StatusBadRequest)
		s.count("rejected", "method "+r.Method)
		return
	}
	var p sidekickPayload
	err := json.NewDecoder(r.Body).Decode(&p)
	if err == nil {
		err = p.check()
	}
	if err != nil {
		http.Error(w, "Please send a valid request body", http.StatusBadRequest)
		s.count("rejected", err.Error())
		return
	}
	s.mu.Lock()
	s.accepted = append(s.accepted, p)
	s.inputs["accepted"]++
	s.mu.Unlock()
}

func (s *sidekick) count(status, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inputs[status]++
	s.rejected = append(s.rejected, why)
}

func (s *sidekick) snapshot() ([]sidekickPayload, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inputs := map[string]int{}
	for k, v := range s.inputs {
		inputs[k] = v
	}
	return append([]sidekickPayload(nil), s.accepted...), inputs
}

// startLoopback serves h on 127.0.0.1 (optionally with TLS).
func startLoopback(t *testing.T, h http.Handler, cfg *tls.Config) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	// Refused handshakes are expected in the mutual TLS tests.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = l
	if cfg != nil {
		srv.TLS = cfg
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// runHTTP starts o.Run until the test ends.
func runHTTP(t *testing.T, o *HTTPOutput) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// TestSidekickConformance checks that the conformance server enforces the
// documented rules, so that the tests below cannot pass vacuously.
func TestSidekickConformance(t *testing.T) {
	url := startLoopback(t, newSidekick(), nil)
	valid := string(testAlert(0).JSON())
	tests := []struct {
		name   string
		method string
		body   string
		want   int
	}{
		{"our payload", http.MethodPost, valid, http.StatusOK},
		{"GET", http.MethodGet, "", http.StatusBadRequest},
		{"not JSON", http.MethodPost, "Terminal shell", http.StatusBadRequest},
		{"unknown priority", http.MethodPost, strings.Replace(valid, `"priority":"Notice"`, `"priority":"Loud"`, 1), http.StatusBadRequest},
		{"lower-case priority", http.MethodPost, strings.Replace(valid, `"priority":"Notice"`, `"priority":"notice"`, 1), http.StatusOK},
		{"empty rule", http.MethodPost, `{"priority":"Notice","rule":"","time":"2026-08-21T10:00:00Z","output_fields":{"a":1}}`, http.StatusBadRequest},
		{"no time", http.MethodPost, `{"priority":"Notice","rule":"r","output_fields":{"a":1}}`, http.StatusBadRequest},
		{"bad time", http.MethodPost, `{"priority":"Notice","rule":"r","time":"10:00:00","output_fields":{"a":1}}`, http.StatusBadRequest},
		{"no output_fields", http.MethodPost, `{"priority":"Notice","rule":"r","time":"2026-08-21T10:00:00Z","output_fields":{}}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.name, resp.StatusCode, tt.want)
			}
		})
	}
}

func TestHTTPOutputToSidekick(t *testing.T) {
	sk := newSidekick()
	url := startLoopback(t, sk, nil)
	h := NewHub(HubOptions{})
	o, err := NewHTTPOutput(h, HTTPOptions{URL: url, Header: http.Header{"Authorization": {"Bearer t0ken"}}})
	if err != nil {
		t.Fatal(err)
	}
	runHTTP(t, o)
	for i := range 5 {
		h.Publish(testAlert(i))
	}
	waitFor(t, 10*time.Second, "5 sent alerts", func() bool { return o.Stats().Sent == 5 })
	got, inputs := sk.snapshot()
	if diff := cmp.Diff(map[string]int{"accepted": 5}, inputs); diff != "" {
		t.Errorf("sidekick inputs (-want +got):\n%s", diff)
	}
	a := testAlert(3)
	want := sidekickPayload{
		Output:       a.Text(),
		Priority:     "Notice",
		Rule:         a.Rule,
		Time:         time.Unix(0, a.Time).UTC(),
		OutputFields: map[string]any{"evt.time": float64(a.Time), "user.name": "root", "proc.pid": float64(1003), "proc.is_exe_writable": false, "container.id": nil, "k8s.ns.name": "prod", "k8s.pod.name": "web-1"},
		Source:       "syscall",
		Tags:         a.Tags,
		Hostname:     "node-1",
	}
	if diff := cmp.Diff(want, got[3]); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	sk.mu.Lock()
	hdr := sk.headers[0]
	sk.mu.Unlock()
	if hdr.Get("Content-Type") != "application/json" || hdr.Get("User-Agent") != DefaultUserAgent || hdr.Get("Authorization") != "Bearer t0ken" {
		t.Errorf("request headers = %v", hdr)
	}
	if st := o.Stats(); st != (HTTPStats{Sent: 5}) {
		t.Errorf("Stats() = %+v, want 5 sent", st)
	}
}

func TestHTTPOutputRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		failures   int
		retries    int
		wantStats  HTTPStats
		wantAccept int
	}{
		{"503 then success", http.StatusServiceUnavailable, 2, 3, HTTPStats{Sent: 1, Retries: 2}, 1},
		{"429 then success", http.StatusTooManyRequests, 1, 3, HTTPStats{Sent: 1, Retries: 1}, 1},
		{"out of retries", http.StatusBadGateway, 5, 2, HTTPStats{Failed: 1, Retries: 2}, 0},
		{"400 is not retried", http.StatusBadRequest, 1, 3, HTTPStats{Failed: 1}, 0},
		{"no retries", http.StatusServiceUnavailable, 1, -1, HTTPStats{Failed: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sk := newSidekick()
			sk.failStatus, sk.failN = tt.status, tt.failures
			url := startLoopback(t, sk, nil)
			h := NewHub(HubOptions{})
			o, err := NewHTTPOutput(h, HTTPOptions{URL: url, Retries: tt.retries, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			runHTTP(t, o)
			h.Publish(testAlert(0))
			waitFor(t, 10*time.Second, "the alert to be handled", func() bool { st := o.Stats(); return st.Sent+st.Failed == 1 })
			if got := o.Stats(); got != tt.wantStats {
				t.Errorf("Stats() = %+v, want %+v", got, tt.wantStats)
			}
			if got, _ := sk.snapshot(); len(got) != tt.wantAccept {
				t.Errorf("accepted %d, want %d", len(got), tt.wantAccept)
			}
		})
	}
}

// TestHTTPOutputSlowEndpoint checks that a slow endpoint costs dropped
// alerts for the HTTP output only: Publish stays fast and a gRPC-style
// subscriber still gets everything.
func TestHTTPOutputSlowEndpoint(t *testing.T) {
	sk := newSidekick()
	sk.delay = 50 * time.Millisecond
	url := startLoopback(t, sk, nil)
	h := NewHub(HubOptions{})
	o, err := NewHTTPOutput(h, HTTPOptions{URL: url, Buffer: 8})
	if err != nil {
		t.Fatal(err)
	}
	runHTTP(t, o)
	other, _ := h.Subscribe(SubscribeOptions{Buffer: 1000})
	start := time.Now()
	for i := range 500 {
		h.Publish(testAlert(i))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("publishing 500 alerts took %v with a slow HTTP endpoint", d)
	}
	if got := len(drainAll(other)); got != 500 {
		t.Errorf("other subscriber got %d alerts, want 500", got)
	}
	st := o.Stats()
	if st.Dropped < 400 {
		t.Errorf("HTTP output dropped %d, want most of 500 (queue 8, 50 ms per request)", st.Dropped)
	}
	var httpDrops uint64
	for _, out := range h.Stats().Outputs {
		if out.Output == OutputHTTP {
			httpDrops = out.Dropped
		}
	}
	if httpDrops != st.Dropped {
		t.Errorf("hub counts %d HTTP drops, output counts %d", httpDrops, st.Dropped)
	}
}

// drainAll reads what is buffered in s without waiting.
func drainAll(s *Subscription) []Entry {
	var out []Entry
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		e, err := s.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, e)
	}
}

func TestHTTPOutputMutualTLS(t *testing.T) {
	certs := testCerts(t)
	srvCfg, err := serverFiles(certs).ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	var verified atomic.Int64
	sk := newSidekick()
	url := startLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			verified.Add(1)
		}
		sk.ServeHTTP(w, r)
	}), srvCfg)
	url = strings.Replace(url, "127.0.0.1", "localhost", 1)

	t.Run("client certificate", func(t *testing.T) {
		h := NewHub(HubOptions{})
		o, err := NewHTTPOutput(h, HTTPOptions{URL: url, TLSFiles: clientFiles(certs)})
		if err != nil {
			t.Fatal(err)
		}
		runHTTP(t, o)
		h.Publish(testAlert(0))
		waitFor(t, 10*time.Second, "the alert to be handled", func() bool { st := o.Stats(); return st.Sent+st.Failed == 1 })
		if st := o.Stats(); st.Sent != 1 || verified.Load() != 1 {
			t.Errorf("Stats() = %+v, verified client requests %d, want 1 sent and verified", st, verified.Load())
		}
	})
	t.Run("no client certificate", func(t *testing.T) {
		h := NewHub(HubOptions{})
		o, err := NewHTTPOutput(h, HTTPOptions{URL: url, TLSFiles: TLSFiles{CAFile: certs.CACert}, Retries: 1, Backoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		runHTTP(t, o)
		h.Publish(testAlert(0))
		waitFor(t, 10*time.Second, "the alert to be handled", func() bool { st := o.Stats(); return st.Sent+st.Failed == 1 })
		if st := o.Stats(); st.Failed != 1 {
			t.Errorf("Stats() = %+v, want the alert failed", st)
		}
	})
}

func TestNewHTTPOutputErrors(t *testing.T) {
	tests := []struct {
		name string
		opts HTTPOptions
		want string
	}{
		{"empty URL", HTTPOptions{}, "want http:// or https://"},
		{"ftp", HTTPOptions{URL: "ftp://example.com/"}, "want http:// or https://"},
		{"no host", HTTPOptions{URL: "http:///x"}, "want http:// or https://"},
		{"cert without key", HTTPOptions{URL: "https://localhost/", TLSFiles: TLSFiles{CertFile: "x.crt"}}, "both a certificate and a key"},
		{"missing CA", HTTPOptions{URL: "https://localhost/", TLSFiles: TLSFiles{CAFile: "does-not-exist.crt"}}, "read CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHTTPOutput(NewHub(HubOptions{}), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewHTTPOutput = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// Compile-time check that the test server satisfies http.Handler.
var _ http.Handler = (*sidekick)(nil)
