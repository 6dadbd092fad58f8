// Package rulesfile reads and writes the rulesfile layer of a Falco rules
// OCI artifact: a gzip-compressed tar of YAML rule files. Writing is
// deterministic; reading is defensive, since the layer comes from a
// registry: only regular files and directories with clean relative names,
// bounded in number and unpacked size.
//
// It depends on the standard library only, so that the agent and fuzzing
// can use it without the registry clients.
package rulesfile

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// File is one rule file: a slash-separated relative path and its content.
type File struct {
	Name string
	Data []byte
}

// Limits bound what Read accepts. Zero fields take DefaultLimits' values.
type Limits struct {
	// UnpackedSize bounds the total size of the files once decompressed.
	UnpackedSize int64
	// Files bounds the number of archive entries.
	Files int
}

// DefaultLimits are used for zero fields of Limits.
var DefaultLimits = Limits{UnpackedSize: 256 << 20, Files: 4096}

func (l Limits) withDefaults() Limits {
	if l.UnpackedSize <= 0 {
		l.UnpackedSize = DefaultLimits.UnpackedSize
	}
	if l.Files <= 0 {
		l.Files = DefaultLimits.Files
	}
	return l
}

// ErrInvalid reports a layer Read refuses.
var ErrInvalid = errors.New("invalid rulesfile layer")

// modTime is the modification time of every entry Write makes, as
// falcoctl uses when it builds a layer itself.
var modTime = time.Unix(0, 0).UTC()

// CheckName reports why name cannot be a file of a layer.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case strings.Contains(name, "\\"), strings.ContainsRune(name, 0):
		return errors.New("backslash or NUL in name")
	case path.IsAbs(name):
		return errors.New("absolute path")
	case path.Clean(name) != name:
		return errors.New("path not in clean form")
	case name == ".." || strings.HasPrefix(name, "../"):
		return errors.New("path escapes the directory")
	case len(name) > 255:
		return errors.New("name too long")
	}
	return nil
}

// Write returns the layer holding files: sorted entries, parent directory
// entries, the Unix epoch as modification time, root ownership and fixed
// modes, so the same files give the same bytes with the same Go toolchain.
func Write(files []File) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	seen := map[string]bool{}
	for _, f := range sorted {
		if err := CheckName(f.Name); err != nil {
			return nil, fmt.Errorf("rule file %q: %w", f.Name, err)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("rule file %q given twice", f.Name)
		}
		seen[f.Name] = true
	}

	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, f := range sorted {
		for _, dir := range parentDirs(f.Name) {
			if dirs[dir] {
				continue
			}
			dirs[dir] = true
			if err := tw.WriteHeader(&tar.Header{
				Typeflag: tar.TypeDir,
				Name:     dir + "/",
				Mode:     0o755,
				ModTime:  modTime,
				Format:   tar.FormatPAX,
			}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.Name,
			Mode:     0o644,
			Size:     int64(len(f.Data)),
			ModTime:  modTime,
			Format:   tar.FormatPAX,
		}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Read unpacks a layer in memory. It accepts only regular files and
// directories with clean relative names (a leading "./" is dropped), and
// stops with ErrInvalid at the limits, so that a hostile layer cannot
// exhaust memory or name a path outside the directory it is unpacked into.
// Files are returned sorted by name; directories are implied by them.
func Read(r io.Reader, lim Limits) ([]File, error) {
	lim = lim.withDefaults()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	defer gz.Close()
	budget := &limitedReader{r: gz, n: lim.UnpackedSize}
	tr := tar.NewReader(budget)
	tooBig := fmt.Errorf("%w: unpacks to more than %d bytes", ErrInvalid, lim.UnpackedSize)
	var files []File
	seen := map[string]bool{}
	entries := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if budget.exceeded {
				return nil, tooBig
			}
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		entries++
		if entries > lim.Files {
			return nil, fmt.Errorf("%w: more than %d entries", ErrInvalid, lim.Files)
		}
		name := strings.TrimPrefix(h.Name, "./")
		switch h.Typeflag {
		case tar.TypeDir:
			name = strings.TrimSuffix(name, "/")
			if name == "" || name == "." {
				continue
			}
			if err := CheckName(name); err != nil {
				return nil, fmt.Errorf("%w: entry %q: %v", ErrInvalid, h.Name, err)
			}
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("%w: entry %q: type %q is not a regular file or directory", ErrInvalid, h.Name, h.Typeflag)
		}
		if err := CheckName(name); err != nil {
			return nil, fmt.Errorf("%w: entry %q: %v", ErrInvalid, h.Name, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: entry %q appears twice", ErrInvalid, name)
		}
		seen[name] = true
		if h.Size < 0 || h.Size > lim.UnpackedSize {
			return nil, tooBig
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			if budget.exceeded {
				return nil, tooBig
			}
			return nil, fmt.Errorf("%w: entry %q: %v", ErrInvalid, name, err)
		}
		files = append(files, File{Name: name, Data: data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no files", ErrInvalid)
	}
	// A file used as a directory by another cannot be written.
	for _, f := range files {
		for _, d := range parentDirs(f.Name) {
			if seen[d] {
				return nil, fmt.Errorf("%w: entry %q is both a file and a directory", ErrInvalid, d)
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// limitedReader reads at most n bytes and remembers when more were there.
type limitedReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if k, _ := l.r.Read(one[:]); k > 0 {
			l.exceeded = true
			return 0, errors.New("size limit exceeded")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// parentDirs returns the directories above name, outermost first.
func parentDirs(name string) []string {
	var dirs []string
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		dirs = append(dirs, d)
	}
	for i, j := 0, len(dirs)-1; i < j; i, j = i+1, j-1 {
		dirs[i], dirs[j] = dirs[j], dirs[i]
	}
	return dirs
}
