package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/falconer-sec/falconer/compiler"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

// ErrCompile reports watched rule files that do not compile; the previous
// ruleset stays active.
var ErrCompile = errors.New("rules do not compile")

// watchSettle is how long a change must hold before it is loaded, so that
// a file being written is not compiled half-way.
const watchSettle = 50 * time.Millisecond

// maxShownDiags caps the diagnostics quoted in a compile error.
const maxShownDiags = 10

// initLocal loads a watched path for the first time.
func (f *Follower) initLocal(s *source) error {
	fp, err := fingerprint(s.path)
	if err != nil {
		return fmt.Errorf("watch %s: %w", s.path, err)
	}
	c, err := loadLocal(s.path, f.engine)
	if err != nil {
		return fmt.Errorf("watch %s: %w", s.path, err)
	}
	f.mu.Lock()
	s.cur, s.from, s.fp = c, "local", fp
	s.st.LastCheck = time.Now()
	s.st.Checks++
	f.mu.Unlock()
	return nil
}

// pollLocal reloads a watched path when its content changed.
func (f *Follower) pollLocal(ctx context.Context, s *source, t Target) {
	fp, err := fingerprint(s.path)
	f.mu.Lock()
	s.st.LastCheck = time.Now()
	s.st.Checks++
	old := s.fp
	cur := s.cur
	f.mu.Unlock()
	if err != nil {
		f.failed(s, fmt.Errorf("watch %s: %w", s.path, err))
		return
	}
	if fp == old {
		return
	}
	if !sleep(ctx, watchSettle) {
		return
	}
	if again, err := fingerprint(s.path); err != nil || again != fp {
		return // still changing: look again next time
	}
	f.mu.Lock()
	s.fp = fp
	f.mu.Unlock()
	c, err := loadLocal(s.path, f.engine)
	if err != nil {
		f.reject(s, t, "", "", fmt.Errorf("watch %s: %w", s.path, err))
		return
	}
	if cur != nil && c.digest == cur.digest {
		f.succeeded(s) // the active ruleset again (a refused edit undone)
		return
	}
	if err := f.activate(s, c, "local", t); err != nil {
		f.reject(s, t, c.digest, c.version, err)
		return
	}
	f.succeeded(s)
	f.logf("%s: reloaded (%d rules, %s)", s.path, len(c.program.Rules), c.digest)
}

// loadLocal compiles a rules directory or file, or decodes a compiled
// ruleset (.fcr).
func loadLocal(path, engine string) (*candidate, error) {
	var prog *ir.Program
	var data []byte
	if strings.HasSuffix(path, ".fcr") {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, err
		}
		if prog, err = ir.Decode(data); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDecode, err)
		}
		if err := checkEngine(engine, registry.Config{}, prog); err != nil {
			return nil, err
		}
	} else {
		p, diags, err := compiler.Compile(compiler.OSFS{}, []string{path}, compiler.Options{EngineVersion: engine})
		if err != nil {
			errs := diags.Errors()
			var lines []string
			for i, d := range errs {
				if i == maxShownDiags {
					lines = append(lines, fmt.Sprintf("... and %d more", len(errs)-i))
					break
				}
				lines = append(lines, d.Error())
			}
			return nil, fmt.Errorf("%w: %s", ErrCompile, strings.Join(lines, "; "))
		}
		prog = p
		if data, err = ir.Encode(p); err != nil {
			return nil, err
		}
	}
	return &candidate{digest: ir.Digest(data), version: "local", program: prog, verifiedBy: "not verified (local files)"}, nil
}

// fingerprint hashes what loadLocal reads: the file, or a directory's
// *.yaml and *.yml files (names and contents, in lexical order).
func fingerprint(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !st.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		h.Write(data)
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range ents {
		if e.Type()&fs.ModeDir == 0 && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(path, n))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
