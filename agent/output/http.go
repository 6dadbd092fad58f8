package output

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Defaults for HTTPOptions.
const (
	DefaultHTTPTimeout    = 5 * time.Second
	DefaultHTTPRetries    = 3
	DefaultHTTPBackoff    = 200 * time.Millisecond
	DefaultHTTPMaxBackoff = 5 * time.Second
	DefaultUserAgent      = "falconer-agent"
)

// OutputHTTP names HTTP output subscriptions in the hub's counters (the
// output label of the metrics).
const OutputHTTP = "http"

// HTTPOptions configures an HTTP output. Only URL is required.
type HTTPOptions struct {
	// URL receives a POST per alert (falcosidekick listens on
	// http://host:2801/).
	URL string
	// TLS is the client TLS configuration for https URLs; when nil one
	// is built from TLSFiles (a CA to trust, and a client certificate
	// for mutual TLS), or the system roots are used.
	TLS      *tls.Config
	TLSFiles TLSFiles
	// UserAgent is sent with every request (DefaultUserAgent if empty).
	UserAgent string
	// Header holds extra request headers (an Authorization token).
	Header http.Header
	// Filter selects the alerts to send.
	Filter Filter
	// Buffer is the queue length in alerts (the hub's default if zero).
	// When the endpoint is slower than the alert rate the queue fills
	// and further alerts are dropped and counted.
	Buffer int
	// Timeout bounds each request (DefaultHTTPTimeout if zero).
	Timeout time.Duration
	// Retries is how many times a failed request is retried, for
	// network errors, 408, 429 and 5xx responses (DefaultHTTPRetries
	// if zero, none if negative).
	Retries int
	// Backoff is the wait before the first retry, doubled for each
	// further one up to MaxBackoff (defaults DefaultHTTPBackoff and
	// DefaultHTTPMaxBackoff).
	Backoff, MaxBackoff time.Duration
}

// HTTPOutput posts alerts as Falco's JSON (the format falcosidekick and
// Falco's http_output use, Content-Type application/json) to a URL, one
// request per alert, over kept-alive connections. It reads from its own
// bounded hub subscription, so a slow or failing endpoint costs dropped
// alerts for this output only and never blocks the alert stream.
type HTTPOutput struct {
	sub     *Subscription
	opts    HTTPOptions
	client  *http.Client
	sent    atomic.Uint64
	failed  atomic.Uint64
	retries atomic.Uint64
}

// NewHTTPOutput checks opts and subscribes to h; alerts published from now
// on are queued for Run.
func NewHTTPOutput(h *Hub, opts HTTPOptions) (*HTTPOutput, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("http output: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("http output: URL %q: want http:// or https:// with a host", opts.URL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultHTTPTimeout
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = DefaultHTTPRetries
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultHTTPBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultHTTPMaxBackoff
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	tlsCfg := opts.TLS
	if tlsCfg == nil && (opts.TLSFiles != TLSFiles{}) {
		if tlsCfg, err = opts.TLSFiles.ClientConfig(""); err != nil {
			return nil, fmt.Errorf("http output: %w", err)
		}
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: opts.Timeout,
	}
	sub, err := h.Subscribe(SubscribeOptions{Output: OutputHTTP, Filter: opts.Filter, Buffer: opts.Buffer})
	if err != nil {
		return nil, fmt.Errorf("http output: %w", err)
	}
	return &HTTPOutput{sub: sub, opts: opts, client: &http.Client{Transport: tr, Timeout: opts.Timeout}}, nil
}

// Run posts queued alerts until ctx ends, then closes the subscription and
// returns nil. Alerts still queued at that point are not sent.
func (o *HTTPOutput) Run(ctx context.Context) error {
	defer o.client.CloseIdleConnections()
	defer o.sub.Close()
	for {
		e, err := o.sub.Next(ctx)
		if err != nil {
			if errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("http output: %w", err)
		}
		if e.Alert == nil {
			continue
		}
		if err := o.post(ctx, e.Alert.JSON()); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			o.failed.Add(1)
			continue
		}
		o.sent.Add(1)
	}
}

// errPermanent marks a response that retrying cannot fix.
var errPermanent = errors.New("permanent failure")

// post sends body, retrying transient failures with exponential backoff.
func (o *HTTPOutput) post(ctx context.Context, body []byte) error {
	wait := o.opts.Backoff
	for attempt := 0; ; attempt++ {
		err := o.postOnce(ctx, body)
		if err == nil || errors.Is(err, errPermanent) || attempt >= o.opts.Retries {
			return err
		}
		o.retries.Add(1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, o.opts.MaxBackoff)
	}
}

func (o *HTTPOutput) postOnce(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.opts.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	for k, vs := range o.opts.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", o.opts.UserAgent)
	resp, err := o.client.Do(req)
	if err != nil {
		return err
	}
	// Drain the body so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("post alert: %s", resp.Status)
	default:
		return fmt.Errorf("%w: post alert: %s", errPermanent, resp.Status)
	}
}

// HTTPStats counts an HTTP output's work.
type HTTPStats struct {
	// Sent alerts were accepted (2xx); Failed ones were given up on
	// after the retries or refused outright; Retries counts retried
	// requests; Dropped alerts never left the full queue.
	Sent, Failed, Retries, Dropped uint64
}

// Stats returns the output's counters.
func (o *HTTPOutput) Stats() HTTPStats {
	return HTTPStats{Sent: o.sent.Load(), Failed: o.failed.Load(), Retries: o.retries.Load(), Dropped: o.sub.Dropped()}
}
