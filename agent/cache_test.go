package agent

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecordReplay records a client's reads of a server and replays them
// without the server: same statuses, headers and bodies; a body the
// client did not read to the end, credentials and other paths are not
// kept; what was not recorded answers 404, and an unrecorded origin does
// not answer at all.
func TestRecordReplay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
			w.Write([]byte("{}"))
		case "/v2/r/manifests/1":
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", testDigest)
			w.Header().Set("Set-Cookie", "secret=1")
			w.Header().Set("Content-Length", "7")
			if r.Method == http.MethodGet {
				w.Write([]byte(`{"m":1}`))
			}
		case "/v2/r/blobs/partial":
			w.Write([]byte(strings.Repeat("b", 10000)))
		case "/v2/r/blobs/redirect":
			http.Redirect(w, r, "/storage/blob", http.StatusTemporaryRedirect)
		case "/storage/blob":
			w.Write([]byte("stored"))
		case "/token":
			w.Write([]byte(`{"token":"secret"}`))
		case "/v2/r/manifests/denied":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	rec := newRecorder(http.DefaultTransport)
	live := &http.Client{Transport: rec}
	get := func(c *http.Client, method, path string, readAll bool) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var b []byte
		if readAll {
			b, _ = io.ReadAll(resp.Body)
		} else {
			buf := make([]byte, 10)
			n, _ := io.ReadFull(resp.Body, buf)
			b = buf[:n]
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	get(live, "GET", "/v2/", true)
	get(live, "HEAD", "/v2/r/manifests/1", true)
	_, _, liveBody := get(live, "GET", "/v2/r/manifests/1", true)
	get(live, "GET", "/v2/r/blobs/partial", false)
	_, _, liveRedirected := get(live, "GET", "/v2/r/blobs/redirect", true)
	get(live, "GET", "/token", true)
	get(live, "GET", "/v2/r/manifests/denied", true)
	get(live, "GET", "/v2/r/manifests/missing", true)

	exs, err := rec.exchanges()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ex := range exs {
		keys = append(keys, ex.Method+" "+strings.TrimPrefix(ex.URL, srv.URL))
		if ex.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s %s: Set-Cookie recorded", ex.Method, ex.URL)
		}
	}
	want := []string{"HEAD /v2/r/manifests/1", "GET /v2/r/manifests/1", "GET /v2/r/blobs/redirect", "GET /storage/blob", "GET /v2/r/manifests/missing"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}

	// Through JSON, as the cache file stores them.
	data, err := json.Marshal(exs)
	if err != nil {
		t.Fatal(err)
	}
	var back []exchange
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	replay := &http.Client{Transport: newReplayer(back)}
	if st, h, body := get(replay, "GET", "/v2/r/manifests/1", true); st != 200 || body != liveBody || h.Get("Docker-Content-Digest") != testDigest || h.Get("Content-Length") != "7" {
		t.Errorf("replayed GET manifest = %d %q %v", st, body, h)
	}
	if st, h, body := get(replay, "HEAD", "/v2/r/manifests/1", true); st != 200 || body != "" || h.Get("Docker-Content-Digest") != testDigest || h.Get("Content-Length") != "7" {
		t.Errorf("replayed HEAD manifest = %d %q %v", st, body, h)
	}
	if st, _, body := get(replay, "GET", "/v2/r/blobs/redirect", true); st != 200 || body != liveRedirected {
		t.Errorf("replayed redirected blob = %d %q, want 200 %q", st, body, liveRedirected)
	}
	for _, p := range []string{"/v2/r/blobs/partial", "/v2/r/manifests/denied", "/v2/r/manifests/missing", "/token"} {
		if st, _, _ := get(replay, "GET", p, true); st != http.StatusNotFound {
			t.Errorf("replayed GET %s = %d, want 404", p, st)
		}
	}
	if st, _, _ := get(replay, "GET", "/v2/", true); st != 200 {
		t.Errorf("replayed GET /v2/ = %d, want 200", st)
	}
	other := &http.Client{Transport: newReplayer(back)}
	if _, err := other.Get("https://" + strings.TrimPrefix(srv.URL, "http://") + "/v2/"); !errors.Is(err, errNotRecorded) {
		t.Errorf("replayed GET over another scheme: %v, want errNotRecorded", err)
	}
}

func TestCacheSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c := &cache{dir: dir}
	ref := "127.0.0.1:5000/acme/rules:1"
	e := &cacheEntry{Ref: ref, Digest: testDigest, Version: "1.2.3", Exchanges: []exchange{{Method: "GET", URL: "http://x/v2/a", Status: 200, Body: []byte("abc"), Length: 3}}}
	if _, err := c.load(ref); !errors.Is(err, errNoCache) {
		t.Fatalf("load before save: %v, want errNoCache", err)
	}
	if err := c.save(e); err != nil {
		t.Fatal(err)
	}
	got, err := c.load(ref)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("load after save (-want +got):\n%s", diff)
	}
	if _, err := c.load("127.0.0.1:5000/acme/rules:2"); !errors.Is(err, errNoCache) {
		t.Errorf("load of another reference: %v, want errNoCache", err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode = %v, %v; want 0700", st.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("cache directory holds %d files, want 1 (no temporary left)", len(ents))
	}
}

func TestDecodeCacheEntry(t *testing.T) {
	const ref = "h:1/r:t"
	good := func() map[string]any {
		return map[string]any{"format": 1, "ref": ref, "digest": testDigest, "version": "1.0.0",
			"exchanges": []map[string]any{{"method": "GET", "url": "http://h:1/v2/r/manifests/t", "status": 200}}}
	}
	tests := []struct {
		name    string
		edit    func(m map[string]any)
		wantErr string
	}{
		{"good", func(map[string]any) {}, ""},
		{"other format", func(m map[string]any) { m["format"] = 2 }, "format"},
		{"other reference", func(m map[string]any) { m["ref"] = "h:1/r:u" }, "not"},
		{"bad digest", func(m map[string]any) { m["digest"] = "sha256:zz" }, "bad digest"},
		{"no answers", func(m map[string]any) { m["exchanges"] = nil }, "no recorded"},
		{"a write", func(m map[string]any) {
			m["exchanges"] = []map[string]any{{"method": "PUT", "url": "http://h:1/v2/r/manifests/t", "status": 201}}
		}, "method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.edit(m)
			data, _ := json.Marshal(m)
			_, err := decodeCacheEntry(data, ref)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("decodeCacheEntry = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := decodeCacheEntry([]byte("{"), ref); err == nil {
		t.Error("decodeCacheEntry of broken JSON: no error")
	}
}

// FuzzDecodeCacheEntry feeds arbitrary cache files to the decoder and the
// replayer built from them: errors, never panics, and a decoded entry
// always belongs to the reference asked for.
func FuzzDecodeCacheEntry(f *testing.F) {
	const ref = "h:1/r:t"
	f.Add([]byte(`{"format":1,"ref":"h:1/r:t","digest":"` + testDigest + `","exchanges":[{"method":"GET","url":"http://h:1/v2/r/manifests/t","status":200,"body":"e30="}]}`))
	f.Add([]byte(`{"format":1,"ref":"h:1/r:t","digest":"` + testDigest + `","exchanges":[{"method":"HEAD","url":"::bad","status":-1,"length":-5}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeCacheEntry(data, ref)
		if (e == nil) == (err == nil) {
			t.Fatalf("decodeCacheEntry = %v, %v: want exactly one of entry and error", e, err)
		}
		if err != nil {
			return
		}
		if e.Ref != ref {
			t.Fatalf("entry for %q accepted for %q", e.Ref, ref)
		}
		c := &http.Client{Transport: newReplayer(e.Exchanges)}
		for _, ex := range e.Exchanges {
			req, err := http.NewRequest(ex.Method, ex.URL, nil)
			if err != nil {
				continue
			}
			if resp, err := c.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	})
}
