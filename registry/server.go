package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ServerOptions configures NewServer.
type ServerOptions struct {
	// Logger receives request logs; nil discards them.
	Logger *log.Logger
	// MaxManifestSize bounds an uploaded manifest; 0 means 4 MiB.
	MaxManifestSize int64
}

// Server is an OCI distribution registry (go-containerregistry's, with the
// referrers API) whose blobs and manifests are kept under a root directory,
// so that it serves the same content after a restart.
//
// Layout under root:
//
//	blobs/sha256/<hex>                         blob content
//	manifests/sha256/<hex>                     manifest content
//	manifests/sha256/<hex>.type                its media type
//	repositories/<name>/_tags/<tag>            digest the tag points at
//	repositories/<name>/_digests/sha256/<hex>  marks the manifest as in the repository
type Server struct {
	root    string
	maxSize int64
	inner   http.Handler
	mu      sync.Mutex // serialises manifest writes and their persistence
}

var (
	repoNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE      = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// NewServer opens (creating if needed) a registry persisted under root and
// loads the manifests stored there.
func NewServer(root string, opts ServerOptions) (*Server, error) {
	for _, d := range []string{"blobs", "manifests", "repositories"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, fmt.Errorf("registry root: %w", err)
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}
	s := &Server{
		root:    root,
		maxSize: opts.MaxManifestSize,
		inner: ggcrregistry.New(
			ggcrregistry.Logger(logger),
			ggcrregistry.WithReferrersSupport(true),
			ggcrregistry.WithBlobHandler(ggcrregistry.NewDiskBlobHandler(filepath.Join(root, "blobs"))),
		),
	}
	if s.maxSize <= 0 {
		s.maxSize = 4 << 20
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("registry root %s: %w", root, err)
	}
	return s, nil
}

// Serve serves the registry on ln until ctx is done, then shuts down: the
// requests under way get five seconds to finish; connections that carry no
// request are closed at once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var mu sync.Mutex
	fresh := map[net.Conn]bool{}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			if st == http.StateNew {
				fresh[c] = true
			} else {
				delete(fresh, c)
			}
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	// Shutdown waits for fresh connections as if they were busy: close
	// them until it returns.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		mu.Lock()
		for c := range fresh {
			c.Close()
		}
		mu.Unlock()
		select {
		case err := <-shut:
			if err != nil {
				srv.Close()
			}
			<-errc
			return nil
		case <-tick.C:
		}
	}
}

// manifestRequest splits /v2/<name>/manifests/<reference>.
func manifestRequest(p string) (repo, ref string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i <= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+len("/manifests/"):], true
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	repo, ref, ok := manifestRequest(r.URL.Path)
	if !ok || (r.Method != http.MethodPut && r.Method != http.MethodDelete) {
		s.inner.ServeHTTP(w, r)
		return
	}
	if !repoNameRE.MatchString(repo) {
		writeRegError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name")
		return
	}
	d, derr := digest.Parse(ref)
	if derr != nil && !tagRE.MatchString(ref) {
		writeRegError(w, http.StatusBadRequest, "TAG_INVALID", "invalid tag")
		return
	}
	if derr == nil && d.Algorithm() != digest.SHA256 {
		writeRegError(w, http.StatusBadRequest, "DIGEST_INVALID", "only sha256 digests are supported")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodDelete {
		rec := httptest.NewRecorder()
		s.inner.ServeHTTP(rec, r)
		if rec.Code == http.StatusAccepted {
			if err := s.forget(repo, ref); err != nil {
				writeRegError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
				return
			}
		}
		copyRecorded(w, rec)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxSize+1))
	if err != nil {
		writeRegError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
		return
	}
	if int64(len(body)) > s.maxSize {
		writeRegError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "manifest too large")
		return
	}
	got := digest.FromBytes(body)
	if derr == nil && got != d {
		writeRegError(w, http.StatusBadRequest, "DIGEST_INVALID", "manifest content does not match the digest")
		return
	}
	contentType := r.Header.Get("Content-Type")
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	s.inner.ServeHTTP(rec, r2)
	if rec.Code == http.StatusCreated {
		tag := ""
		if derr != nil {
			tag = ref
		}
		if err := s.persist(repo, tag, got, contentType, body); err != nil {
			writeRegError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
			return
		}
	}
	copyRecorded(w, rec)
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes()) //nolint:errcheck // the client went away
}

func writeRegError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
}

func (s *Server) manifestPath(d digest.Digest) string {
	return filepath.Join(s.root, "manifests", string(d.Algorithm()), d.Encoded())
}

func (s *Server) repoPath(repo string) string {
	return filepath.Join(s.root, "repositories", filepath.FromSlash(repo))
}

// persist records a manifest written to repo, under tag when not empty.
func (s *Server) persist(repo, tag string, d digest.Digest, contentType string, body []byte) error {
	mp := s.manifestPath(d)
	if err := writeFileAtomic(mp, body); err != nil {
		return err
	}
	if err := writeFileAtomic(mp+".type", []byte(contentType)); err != nil {
		return err
	}
	rp := s.repoPath(repo)
	if err := writeFileAtomic(filepath.Join(rp, "_digests", string(d.Algorithm()), d.Encoded()), nil); err != nil {
		return err
	}
	if tag != "" {
		return writeFileAtomic(filepath.Join(rp, "_tags", tag), []byte(d.String()))
	}
	return nil
}

// forget removes a deleted tag or digest of repo.
func (s *Server) forget(repo, ref string) error {
	rp := s.repoPath(repo)
	p := filepath.Join(rp, "_tags", ref)
	if d, err := digest.Parse(ref); err == nil {
		p = filepath.Join(rp, "_digests", string(d.Algorithm()), d.Encoded())
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), p)
}

// storedManifest is a manifest read back from disk.
type storedManifest struct {
	digest      digest.Digest
	contentType string
	body        []byte
}

// load replays the stored manifests into the in-memory registry: for each
// repository, manifests by digest (indexes after what they list), then tags.
func (s *Server) load() error {
	reposRoot := filepath.Join(s.root, "repositories")
	var repos []string
	err := filepath.WalkDir(reposRoot, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() && (de.Name() == "_tags" || de.Name() == "_digests") {
			rel, err := filepath.Rel(reposRoot, filepath.Dir(p))
			if err != nil {
				return err
			}
			repo := filepath.ToSlash(rel)
			if len(repos) == 0 || repos[len(repos)-1] != repo {
				repos = append(repos, repo)
			}
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, repo := range repos {
		if err := s.loadRepo(repo); err != nil {
			return fmt.Errorf("repository %s: %w", repo, err)
		}
	}
	return nil
}

func (s *Server) readManifest(d digest.Digest) (storedManifest, error) {
	body, err := os.ReadFile(s.manifestPath(d))
	if err != nil {
		return storedManifest{}, err
	}
	if digest.FromBytes(body) != d {
		return storedManifest{}, fmt.Errorf("manifest %s: stored content does not match its digest", d)
	}
	ct, err := os.ReadFile(s.manifestPath(d) + ".type")
	if err != nil {
		return storedManifest{}, err
	}
	return storedManifest{digest: d, contentType: string(ct), body: body}, nil
}

func (s *Server) loadRepo(repo string) error {
	rp := s.repoPath(repo)
	var pending []storedManifest
	algs, err := os.ReadDir(filepath.Join(rp, "_digests"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, alg := range algs {
		ents, err := os.ReadDir(filepath.Join(rp, "_digests", alg.Name()))
		if err != nil {
			return err
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			d := digest.NewDigestFromEncoded(digest.Algorithm(alg.Name()), e.Name())
			if err := d.Validate(); err != nil {
				return err
			}
			m, err := s.readManifest(d)
			if err != nil {
				return err
			}
			pending = append(pending, m)
		}
	}
	// Indexes are accepted only once what they list is there: retry until
	// a pass makes no progress.
	for len(pending) > 0 {
		var next []storedManifest
		for _, m := range pending {
			code, err := s.replay(repo, m.digest.String(), m)
			if err != nil {
				return err
			}
			if code != http.StatusCreated {
				next = append(next, m)
			}
		}
		if len(next) == len(pending) {
			return fmt.Errorf("manifest %s cannot be restored", next[0].digest)
		}
		pending = next
	}
	tags, err := os.ReadDir(filepath.Join(rp, "_tags"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, t := range tags {
		if !tagRE.MatchString(t.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(rp, "_tags", t.Name()))
		if err != nil {
			return err
		}
		d, err := digest.Parse(strings.TrimSpace(string(b)))
		if err != nil {
			return fmt.Errorf("tag %s: %w", t.Name(), err)
		}
		m, err := s.readManifest(d)
		if err != nil {
			return fmt.Errorf("tag %s: %w", t.Name(), err)
		}
		if code, err := s.replay(repo, t.Name(), m); err != nil {
			return err
		} else if code != http.StatusCreated {
			return fmt.Errorf("tag %s: restoring answered %d", t.Name(), code)
		}
	}
	return nil
}

// replay PUTs a stored manifest into the in-memory registry.
func (s *Server) replay(repo, ref string, m storedManifest) (int, error) {
	req, err := http.NewRequest(http.MethodPut, "/v2/"+repo+"/manifests/"+ref, bytes.NewReader(m.body))
	if err != nil {
		return 0, err
	}
	ct := m.contentType
	if ct == "" {
		ct = ocispec.MediaTypeImageManifest
	}
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	s.inner.ServeHTTP(rec, req)
	return rec.Code, nil
}
