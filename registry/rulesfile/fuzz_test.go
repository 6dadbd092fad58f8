package rulesfile_test

import (
	"bytes"
	"errors"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/registry/rulesfile"
)

// FuzzRead feeds arbitrary bytes to Read, which
// reads what a registry serves. The seed corpus is in
// testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	f.Add([]byte{})
	lim := rulesfile.Limits{UnpackedSize: 1 << 20, Files: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := rulesfile.Read(bytes.NewReader(data), lim)
		if (err == nil) == (files == nil) {
			t.Fatalf("Read = %d files, %v: want files or an error", len(files), err)
		}
		if err != nil {
			if !errors.Is(err, rulesfile.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if len(files) > lim.Files {
			t.Fatalf("%d files, over the limit", len(files))
		}
		var total int64
		seen := map[string]bool{}
		for _, f := range files {
			total += int64(len(f.Data))
			if f.Name == "" || path.IsAbs(f.Name) || path.Clean(f.Name) != f.Name || f.Name == ".." || strings.HasPrefix(f.Name, "../") || strings.Contains(f.Name, "\\") {
				t.Fatalf("unsafe name %q accepted", f.Name)
			}
			if seen[f.Name] {
				t.Fatalf("name %q twice", f.Name)
			}
			seen[f.Name] = true
		}
		if total > lim.UnpackedSize {
			t.Fatalf("%d bytes unpacked, over the limit", total)
		}
		if !sort.SliceIsSorted(files, func(i, j int) bool { return files[i].Name < files[j].Name }) {
			t.Fatalf("files not sorted")
		}
	})
}
