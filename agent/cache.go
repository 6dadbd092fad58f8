package agent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The last-known-good cache keeps, per followed reference, the registry's
// answers to the requests that verified and pulled the active ruleset:
// manifests, signature manifests, blobs, each exactly as served. At start-up
// the same verification and pull run again against these answers instead of
// the network, with the trust policy in force then, so a cached ruleset is
// activated offline only if it still verifies (a changed key or a modified
// file makes it fail). No credentials or tokens are stored: only the
// answers to /v2/ reads.

// cacheFormat is the version of the cache file layout.
const cacheFormat = 1

// Bounds of a cache file.
const (
	maxCacheFile   = 256 << 20
	maxRecorded    = 128 << 20 // bodies kept by one recording
	maxErrorRecord = 64 << 10  // body kept of a non-200 answer
)

// exchange is one recorded registry answer.
type exchange struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	// Length is the Content-Length of the answer (HEAD answers carry no
	// body but announce the size).
	Length int64  `json:"length"`
	Body   []byte `json:"body,omitempty"`
}

// keptHeaders are the response headers a replay needs.
var keptHeaders = []string{"Content-Type", "Docker-Content-Digest", "Location", "Link", "Oci-Filters-Applied", "Docker-Distribution-Api-Version"}

// recorder is an http.RoundTripper that keeps the registry's answers to
// GET and HEAD requests under /v2/. Bodies are recorded as the client reads
// them, so nothing is read that the client would not read.
type recorder struct {
	next http.RoundTripper

	mu       sync.Mutex
	byKey    map[string]*exchange
	order    []string
	size     int64
	overflow bool
	// redirected are the targets of recorded redirects: blob storage
	// outside /v2/ whose answers are needed too.
	redirected map[string]bool
}

func newRecorder(next http.RoundTripper) *recorder {
	return &recorder{next: next, byKey: map[string]*exchange{}, redirected: map[string]bool{}}
}

// wanted reports whether the answer to req belongs in the recording.
func (r *recorder) wanted(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	if strings.HasPrefix(req.URL.Path, "/v2/") && req.URL.Path != "/v2/" {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.redirected[req.URL.String()]
}

func exchangeKey(method, url string) string { return method + " " + url }

// RoundTrip implements http.RoundTripper.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || !r.wanted(req) {
		return resp, err
	}
	ex := &exchange{Method: req.Method, URL: req.URL.String(), Status: resp.StatusCode, Header: http.Header{}, Length: resp.ContentLength}
	for _, h := range keptHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			ex.Header[h] = v
		}
	}
	switch {
	case resp.StatusCode == http.StatusOK && req.Method == http.MethodGet:
		resp.Body = &teeBody{rc: resp.Body, r: r, ex: ex}
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotFound ||
		(resp.StatusCode >= 300 && resp.StatusCode < 400):
		// Small answers: keep the beginning of the body, put it back.
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorRecord))
		rest := resp.Body
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(b), rest), rest}
		if err == nil {
			ex.Body = b
			r.keep(ex)
		}
		if loc, err := req.URL.Parse(resp.Header.Get("Location")); err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			r.mu.Lock()
			r.redirected[loc.String()] = true
			r.mu.Unlock()
		}
	}
	// Other answers (401, 429, 5xx) are not kept: a replay must not
	// depend on them.
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func (r *recorder) keep(ex *exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.size += int64(len(ex.Body))
	if r.size > maxRecorded {
		r.overflow = true
		return
	}
	k := exchangeKey(ex.Method, ex.URL)
	if _, ok := r.byKey[k]; !ok {
		r.order = append(r.order, k)
	}
	r.byKey[k] = ex
}

// exchanges returns what was recorded, in first-request order, or an error
// when the bodies did not fit.
func (r *recorder) exchanges() ([]exchange, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.overflow {
		return nil, fmt.Errorf("artifact over %d bytes: not cached", maxRecorded)
	}
	out := make([]exchange, 0, len(r.order))
	for _, k := range r.order {
		out = append(out, *r.byKey[k])
	}
	return out, nil
}

// teeBody records a body as it is read; it is kept only if read to the
// end.
type teeBody struct {
	rc   io.ReadCloser
	r    *recorder
	ex   *exchange
	buf  bytes.Buffer
	eof  bool
	over bool
}

// Read implements io.Reader.
func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if !t.over {
		if int64(t.buf.Len()+n) > maxRecorded {
			t.over = true
			t.buf = bytes.Buffer{}
		} else {
			t.buf.Write(p[:n])
		}
	}
	if err == io.EOF {
		t.eof = true
	}
	return n, err
}

// Close implements io.Closer: a body read to its end is kept.
func (t *teeBody) Close() error {
	if t.eof && !t.over && t.ex != nil {
		t.ex.Body = t.buf.Bytes()
		t.r.keep(t.ex)
		t.ex = nil
	}
	return t.rc.Close()
}

// replayer answers requests from recorded exchanges, never from the
// network. Requests it has no answer for get a 404, so a replay can only
// fail where the recording lacks something, never succeed on its own.
type replayer struct {
	byKey map[string]*exchange
	// origins are the scheme://host pairs recorded: others do not
	// answer, as a plain-HTTP registry does not answer HTTPS.
	origins map[string]bool
}

func newReplayer(exs []exchange) *replayer {
	r := &replayer{byKey: make(map[string]*exchange, len(exs)), origins: map[string]bool{}}
	for i := range exs {
		r.byKey[exchangeKey(exs[i].Method, exs[i].URL)] = &exs[i]
		if u, err := url.Parse(exs[i].URL); err == nil {
			r.origins[u.Scheme+"://"+u.Host] = true
		}
	}
	return r
}

// errNotRecorded is what a replay answers for an origin it never saw.
var errNotRecorded = errors.New("not reachable: answering from the last-known-good cache only")

// RoundTrip implements http.RoundTripper.
func (r *replayer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	resp := &http.Response{
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{},
		Request: req,
	}
	if !r.origins[req.URL.Scheme+"://"+req.URL.Host] {
		return nil, fmt.Errorf("%s: %w", req.URL.Redacted(), errNotRecorded)
	}
	if req.URL.Path == "/v2/" && req.Method == http.MethodGet {
		// The API version check: answer as an open registry.
		resp.StatusCode = http.StatusOK
		resp.Header.Set("Content-Type", "application/json")
		resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader("{}")), 2
		resp.Status = "200 OK"
		return resp, nil
	}
	ex, ok := r.byKey[exchangeKey(req.Method, req.URL.String())]
	head := false
	if !ok && req.Method == http.MethodHead {
		ex, ok = r.byKey[exchangeKey(http.MethodGet, req.URL.String())]
		head = true
	}
	if !ok {
		body := `{"errors":[{"code":"NOT_FOUND","message":"not in the last-known-good cache"}]}`
		resp.StatusCode = http.StatusNotFound
		resp.Status = "404 Not Found"
		resp.Header.Set("Content-Type", "application/json")
		resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		return resp, nil
	}
	resp.StatusCode = ex.Status
	resp.Status = strconv.Itoa(ex.Status) + " " + http.StatusText(ex.Status)
	for k, v := range ex.Header {
		resp.Header[k] = append([]string(nil), v...)
	}
	resp.ContentLength = ex.Length
	if ex.Method == http.MethodGet && ex.Status == http.StatusOK {
		resp.ContentLength = int64(len(ex.Body))
	}
	if resp.ContentLength >= 0 {
		resp.Header.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	if req.Method == http.MethodHead || head {
		resp.Body = http.NoBody
	} else {
		resp.Body = io.NopCloser(bytes.NewReader(ex.Body))
	}
	return resp, nil
}

// cacheEntry is one cache file: the last-known-good artifact of a followed
// reference.
type cacheEntry struct {
	Format    int        `json:"format"`
	Ref       string     `json:"ref"`
	Digest    string     `json:"digest"`
	Version   string     `json:"version"`
	Created   time.Time  `json:"created,omitzero"`
	Saved     time.Time  `json:"saved"`
	Exchanges []exchange `json:"exchanges"`
}

// cache is the last-known-good directory.
type cache struct {
	dir string
}

// file returns the cache file of ref: a hash of the reference, so that any
// reference maps to a safe file name.
func (c *cache) file(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(c.dir, "lkg-"+hex.EncodeToString(sum[:10])+".json")
}

// save writes e atomically (a temporary file renamed over the old one).
func (c *cache) save(e *cacheEntry) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	e.Format = cacheFormat
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if len(data) > maxCacheFile {
		return fmt.Errorf("cache: entry of %d bytes over the limit", len(data))
	}
	name := c.file(e.Ref)
	tmp, err := os.CreateTemp(c.dir, ".lkg-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// errNoCache reports that a reference has no cache entry.
var errNoCache = errors.New("no cached ruleset")

// load reads the entry of ref. It checks the file's shape only; the
// content is verified by replaying it.
func (c *cache) load(ref string) (*cacheEntry, error) {
	name := c.file(ref)
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoCache
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	return decodeCacheEntry(data, ref)
}

// decodeCacheEntry parses a cache file and checks that it belongs to ref.
func decodeCacheEntry(data []byte, ref string) (*cacheEntry, error) {
	if len(data) > maxCacheFile {
		return nil, fmt.Errorf("cache: file over %d bytes", maxCacheFile)
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	switch {
	case e.Format != cacheFormat:
		return nil, fmt.Errorf("cache: format %d, want %d", e.Format, cacheFormat)
	case e.Ref != ref:
		return nil, fmt.Errorf("cache: entry is for %q, not %q", e.Ref, ref)
	case !digestRE.MatchString(e.Digest):
		return nil, fmt.Errorf("cache: bad digest %q", e.Digest)
	case len(e.Exchanges) == 0:
		return nil, errors.New("cache: no recorded answers")
	}
	for _, ex := range e.Exchanges {
		if ex.Method != http.MethodGet && ex.Method != http.MethodHead {
			return nil, fmt.Errorf("cache: recorded method %q", ex.Method)
		}
	}
	return &e, nil
}
