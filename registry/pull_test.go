package registry_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/falconer-sec/falconer/registry"
	"github.com/falconer-sec/falconer/registry/registrytest"
)

// tarEntry is one entry of a crafted tarball.
type tarEntry struct {
	name     string
	typeflag byte
	data     []byte
	linkname string
}

func tarGz(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: 0o644, Size: int64(len(e.data)), Linkname: e.linkname}
		if e.typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typeflag == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadBlob puts b into repo on host with the distribution API.
func uploadBlob(t testing.TB, host, repo string, b []byte) ocispec.Descriptor {
	t.Helper()
	d := digest.FromBytes(b)
	resp, err := http.Post("http://"+host+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: %d %v", resp.StatusCode, err)
	}
	u := (&url.URL{Scheme: "http", Host: host}).ResolveReference(loc)
	q := u.Query()
	q.Set("digest", d.String())
	u.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, u.String(), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload blob: %s", resp.Status)
	}
	return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
}

// putManifest stores a manifest of mediaType under tag.
func putManifest(t testing.TB, host, repo, tag, mediaType string, b []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+host+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(b))
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("put manifest: %s %s", resp.Status, body)
	}
}

// craft stores a manifest of the given config type and layers.
func craft(t testing.TB, host, repo, tag, configType string, layers ...ocispec.Descriptor) {
	t.Helper()
	cfg := uploadBlob(t, host, repo, []byte(`{"name":"x","version":"1.0.0"}`))
	cfg.MediaType = configType
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: layers}
	m.SchemaVersion = 2
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	putManifest(t, host, repo, tag, ocispec.MediaTypeImageManifest, b)
}

func layer(t testing.TB, host, repo, mediaType string, b []byte) ocispec.Descriptor {
	d := uploadBlob(t, host, repo, b)
	d.MediaType = mediaType
	return d
}

func TestPullHostile(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	const repo = "evil/rules"
	rules := func(entries ...tarEntry) ocispec.Descriptor {
		return layer(t, srv.Host, repo, registry.MediaTypeRulesfileLayer, tarGz(t, entries...))
	}
	good := tarEntry{name: "ok.yaml", typeflag: tar.TypeReg, data: []byte("- list: a\n  items: []\n")}
	bomb := tarEntry{name: "bomb.yaml", typeflag: tar.TypeReg, data: make([]byte, 8<<20)}

	craft(t, srv.Host, repo, "good", registry.MediaTypeRulesfileConfig, rules(good))
	craft(t, srv.Host, repo, "dotdot", registry.MediaTypeRulesfileConfig, rules(good, tarEntry{name: "../../evil.yaml", typeflag: tar.TypeReg, data: []byte("x")}))
	craft(t, srv.Host, repo, "absolute", registry.MediaTypeRulesfileConfig, rules(tarEntry{name: "/var/evil.yaml", typeflag: tar.TypeReg, data: []byte("x")}))
	craft(t, srv.Host, repo, "symlink", registry.MediaTypeRulesfileConfig, rules(good, tarEntry{name: "link.yaml", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"}))
	craft(t, srv.Host, repo, "hardlink", registry.MediaTypeRulesfileConfig, rules(good, tarEntry{name: "link.yaml", typeflag: tar.TypeLink, linkname: "ok.yaml"}))
	craft(t, srv.Host, repo, "bomb", registry.MediaTypeRulesfileConfig, rules(bomb))
	craft(t, srv.Host, repo, "empty", registry.MediaTypeRulesfileConfig, rules())
	craft(t, srv.Host, repo, "duplicate", registry.MediaTypeRulesfileConfig, rules(good, good))
	craft(t, srv.Host, repo, "not-gzip", registry.MediaTypeRulesfileConfig, layer(t, srv.Host, repo, registry.MediaTypeRulesfileLayer, []byte("plain text")))
	craft(t, srv.Host, repo, "wrong-config", "application/vnd.oci.image.config.v1+json", rules(good))
	craft(t, srv.Host, repo, "plugin", "application/vnd.cncf.falco.plugin.config.v1+json",
		layer(t, srv.Host, repo, "application/vnd.cncf.falco.plugin.layer.v1+tar.gz", tarGz(t, good)))
	craft(t, srv.Host, repo, "extra-layer", registry.MediaTypeRulesfileConfig, rules(good),
		layer(t, srv.Host, repo, "application/octet-stream", []byte("x")))
	craft(t, srv.Host, repo, "no-layer", registry.MediaTypeRulesfileConfig)
	lie := rules(good)
	lie.Size += 10
	craft(t, srv.Host, repo, "size-lie", registry.MediaTypeRulesfileConfig, lie)
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
	idx.SchemaVersion = 2
	ib, _ := json.Marshal(idx)
	putManifest(t, srv.Host, repo, "index", ocispec.MediaTypeImageIndex, ib)

	lim := registry.Limits{UnpackedSize: 1 << 20}
	if p, err := registry.Pull(ctx, srv.Host+"/"+repo+":good", registry.PullOptions{Limits: lim}); err != nil || len(p.RuleFiles) != 1 {
		t.Fatalf("Pull(good) = %v, %v", p, err)
	}
	for _, tag := range []string{"dotdot", "absolute", "symlink", "hardlink", "bomb", "empty", "duplicate", "not-gzip",
		"wrong-config", "plugin", "extra-layer", "no-layer", "size-lie", "index"} {
		t.Run(tag, func(t *testing.T) {
			p, err := registry.Pull(ctx, srv.Host+"/"+repo+":"+tag, registry.PullOptions{Limits: lim})
			if !errors.Is(err, registry.ErrInvalidArtifact) || p != nil {
				t.Errorf("Pull(%s) = %v, %v; want ErrInvalidArtifact", tag, p, err)
			}
		})
	}
}

// TestPullLyingRegistry serves blobs whose content does not match their
// digest.
func TestPullLyingRegistry(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.New(t)
	repo := srv.Host + "/falco/rules"
	a := pack(t, testRuleset(t, "1.0.0"))
	if _, err := registry.Push(ctx, repo, a, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse("http://" + srv.Host)
	lying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequest(r.Method, target.ResolveReference(r.URL).String(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(r.URL.Path, "/blobs/") && len(body) > 0 {
			body[len(body)-1] ^= 0xff
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	defer lying.Close()
	host := strings.TrimPrefix(lying.URL, "http://")
	p, err := registry.Pull(ctx, host+"/falco/rules:1.0.0", registry.PullOptions{})
	if !errors.Is(err, registry.ErrInvalidArtifact) || p != nil {
		t.Errorf("Pull through a lying registry = %v, %v; want ErrInvalidArtifact", p, err)
	}
}

func TestExtractStaysInside(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(filepath.Dir(dir), "outside.yaml")
	p := &registry.Pulled{RuleFiles: []registry.File{{Name: "../outside.yaml", Data: []byte("x")}}}
	if _, err := p.Extract(dir); err == nil {
		t.Errorf("Extract of ../outside.yaml succeeded")
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("Extract wrote %s", outside)
	}
	// A symlink planted in the target directory is not followed out.
	if err := os.Symlink(filepath.Dir(dir), filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	p = &registry.Pulled{RuleFiles: []registry.File{{Name: "sub/outside.yaml", Data: []byte("x")}}}
	if _, err := p.Extract(dir); err == nil {
		t.Errorf("Extract through a symlink succeeded")
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("Extract wrote %s through a symlink", outside)
	}
	p = &registry.Pulled{RuleFiles: []registry.File{{Name: "nested/dir/r.yaml", Data: []byte("y")}}, Compiled: []byte("c")}
	got, err := p.Extract(filepath.Join(dir, "new"))
	if err != nil || fmt.Sprint(got) != "[nested/dir/r.yaml "+registry.CompiledFileName+"]" {
		t.Errorf("Extract = %v, %v", got, err)
	}
}

func TestReadRulesLayer(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
		lim     registry.Limits
		want    []string
		ok      bool
	}{
		{"files and dirs", []tarEntry{{name: "./", typeflag: tar.TypeDir}, {name: "d/", typeflag: tar.TypeDir}, {name: "d/b.yaml", typeflag: tar.TypeReg}, {name: "./a.yaml", typeflag: tar.TypeReg}}, registry.Limits{}, []string{"a.yaml", "d/b.yaml"}, true},
		{"too many files", []tarEntry{{name: "a", typeflag: tar.TypeReg}, {name: "b", typeflag: tar.TypeReg}, {name: "c", typeflag: tar.TypeReg}}, registry.Limits{Files: 2}, nil, false},
		{"file is a directory too", []tarEntry{{name: "a", typeflag: tar.TypeReg}, {name: "a/b", typeflag: tar.TypeReg}}, registry.Limits{}, nil, false},
		{"dir escapes", []tarEntry{{name: "../d/", typeflag: tar.TypeDir}, {name: "a", typeflag: tar.TypeReg}}, registry.Limits{}, nil, false},
		{"fifo", []tarEntry{{name: "a", typeflag: tar.TypeFifo}}, registry.Limits{}, nil, false},
		{"backslash", []tarEntry{{name: `..\a`, typeflag: tar.TypeReg}}, registry.Limits{}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := registry.ReadRulesLayer(bytes.NewReader(tarGz(t, tt.entries...)), tt.lim)
			if (err == nil) != tt.ok {
				t.Fatalf("ReadRulesLayer = %v, %v; want ok=%v", files, err, tt.ok)
			}
			if err != nil && !errors.Is(err, registry.ErrInvalidArtifact) {
				t.Errorf("error %v is not ErrInvalidArtifact", err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("files = %v, want %v", got, tt.want)
			}
		})
	}
}
