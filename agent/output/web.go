package output

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultWebAddr is where the metrics and health endpoints listen by
// default (Falco's webserver port, on loopback only). Set WebOptions.Addr
// to ":8765" to let a Prometheus server elsewhere scrape it.
const DefaultWebAddr = "127.0.0.1:8765"

// WebOptions configures the HTTP server for /metrics, /healthz and
// /readyz. The zero value serves health endpoints on DefaultWebAddr.
type WebOptions struct {
	// Addr is the listen address (DefaultWebAddr if empty).
	Addr string
	// Metrics is served at /metrics (not served if nil).
	Metrics *Metrics
	// Ready reports readiness for /readyz: nil error means ready (the
	// agent is ready once its ruleset is loaded and capture runs). A
	// nil Ready means ready as soon as the server runs.
	Ready func() error
	// TLS, if set, serves HTTPS.
	TLS *tls.Config
}

// WebServer serves /metrics, /healthz and /readyz.
type WebServer struct {
	l   net.Listener
	srv *http.Server
}

// NewWebServer opens the listener.
func NewWebServer(opts WebOptions) (*WebServer, error) {
	addr := opts.Addr
	if addr == "" {
		addr = DefaultWebAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics server: %w", err)
	}
	if opts.TLS != nil {
		cfg := opts.TLS.Clone()
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"h2", "http/1.1"}
		}
		l = tls.NewListener(l, cfg)
	}
	mux := http.NewServeMux()
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if opts.Ready != nil {
			if err := opts.Ready(); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	return &WebServer{l: l, srv: srv}, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Addr returns the listener's address.
func (s *WebServer) Addr() net.Addr { return s.l.Addr() }

// Run serves until ctx ends, then shuts down (waiting up to 5 s for
// requests in flight). It returns nil after a shutdown caused by ctx.
func (s *WebServer) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}
