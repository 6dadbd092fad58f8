package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/falconer-sec/falconer/agent"
	"github.com/falconer-sec/falconer/agent/output"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// outputFlags configures where alerts go besides stdout.
type outputFlags struct {
	grpcSocket  string
	grpcOff     bool
	socketGroup string
	grpcAddr    string
	grpcTLS     output.TLSFiles
	httpURL     string
	httpTLS     output.TLSFiles
	webAddr     string
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.grpcSocket, "grpc-socket", output.DefaultSocket, "unix socket for the gRPC alert APIs (Falco's outputs service and falconer.output.v1)")
	fs.BoolVar(&o.grpcOff, "no-grpc-socket", false, "do not serve gRPC on a unix socket")
	fs.StringVar(&o.socketGroup, "grpc-socket-group", "", "group allowed to read alerts from the socket (mode 0660 instead of 0600)")
	fs.StringVar(&o.grpcAddr, "grpc-addr", "", "also serve gRPC on this TCP address; needs --grpc-cert, --grpc-key and --grpc-client-ca (mutual TLS)")
	fs.StringVar(&o.grpcTLS.CertFile, "grpc-cert", "", "server certificate for --grpc-addr")
	fs.StringVar(&o.grpcTLS.KeyFile, "grpc-key", "", "server key for --grpc-addr")
	fs.StringVar(&o.grpcTLS.CAFile, "grpc-client-ca", "", "CA that signs the client certificates --grpc-addr accepts")
	fs.StringVar(&o.httpURL, "http-url", "", "POST every alert as Falco's JSON to this URL (falcosidekick: http://host:2801/)")
	fs.StringVar(&o.httpTLS.CAFile, "http-ca", "", "CA to trust for an https --http-url")
	fs.StringVar(&o.httpTLS.CertFile, "http-cert", "", "client certificate for --http-url (mutual TLS)")
	fs.StringVar(&o.httpTLS.KeyFile, "http-key", "", "client key for --http-url")
	fs.StringVar(&o.webAddr, "web-addr", output.DefaultWebAddr, "serve /metrics, /healthz and /readyz here (empty: off)")
}

// outputs is the running output side: the hub every alert is published
// to, and the servers that read from it.
type outputs struct {
	hub   *output.Hub
	agent atomic.Pointer[agent.Agent]
	runs  []func(context.Context) error
}

// setup builds the outputs and hooks them into cfg; start runs them once
// the agent exists.
func (o *outputFlags) setup(cfg *agent.Config, version string) (*outputs, error) {
	out := &outputs{}
	status := output.StatusFunc(func() output.Status {
		if a := out.agent.Load(); a != nil {
			return a.OutputStatus()
		}
		return output.Status{}
	})
	var https []*output.HTTPOutput
	out.hub = output.NewHub(output.HubOptions{})
	if o.httpURL != "" {
		h, err := output.NewHTTPOutput(out.hub, output.HTTPOptions{URL: o.httpURL, TLSFiles: o.httpTLS})
		if err != nil {
			return nil, fmt.Errorf("http output: %w", err)
		}
		https = append(https, h)
		out.runs = append(out.runs, h.Run)
	}
	metrics := output.NewMetrics(output.MetricsOptions{Hub: out.hub, HTTP: https, Status: status, Version: output.Version{Version: version}})
	if !o.grpcOff || o.grpcAddr != "" {
		opts := output.GRPCOptions{Hub: out.hub, Socket: o.grpcSocket, DisableSocket: o.grpcOff, SocketGroup: o.socketGroup,
			Addr: o.grpcAddr, TLSFiles: o.grpcTLS, Status: status, Version: output.Version{Version: version}}
		if o.socketGroup != "" {
			opts.SocketMode = 0o660
		}
		srv, err := output.NewGRPCServer(opts)
		if err != nil {
			return nil, fmt.Errorf("grpc: %w", err)
		}
		out.runs = append(out.runs, srv.Run)
	}
	if o.webAddr != "" {
		web, err := output.NewWebServer(output.WebOptions{Addr: o.webAddr, Metrics: metrics, Ready: func() error {
			if out.agent.Load() == nil {
				return errors.New("starting")
			}
			return nil
		}})
		if err != nil {
			return nil, fmt.Errorf("metrics endpoint: %w", err)
		}
		out.runs = append(out.runs, web.Run)
	}
	prev := cfg.OnAlert
	cfg.OnAlert = func(a *eval.Alert) {
		out.hub.Publish(a)
		if prev != nil {
			prev(a)
		}
	}
	cfg.OnEvaluate = metrics.ObserveEvaluation
	return out, nil
}

// start runs the output servers until ctx ends; wait returns their first
// error.
func (out *outputs) start(ctx context.Context, a *agent.Agent, log io.Writer) (wait func() error) {
	out.agent.Store(a)
	var wg sync.WaitGroup
	errs := make(chan error, len(out.runs))
	for _, run := range out.runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(log, "falconer-agent: output: %v\n", err)
				errs <- err
			}
		}()
	}
	return func() error {
		wg.Wait()
		out.hub.Close()
		close(errs)
		return <-errs
	}
}
