package rulesfile_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/registry/rulesfile"
)

func TestWriteRead(t *testing.T) {
	files := []rulesfile.File{
		{Name: "z.yaml", Data: []byte("- list: z\n  items: []\n")},
		{Name: "a/b/c.yaml", Data: []byte("c")},
		{Name: "a/empty.yaml", Data: []byte{}},
	}
	b1, err := rulesfile.Write(files)
	if err != nil {
		t.Fatal(err)
	}
	// Input order does not matter.
	b2, err := rulesfile.Write([]rulesfile.File{files[2], files[0], files[1]})
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("Write is not deterministic (err %v)", err)
	}
	got, err := rulesfile.Read(bytes.NewReader(b1), rulesfile.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []rulesfile.File{files[1], files[2], files[0]}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); diff != "" {
		t.Errorf("Read(Write(files)) (-want +got):\n%s", diff)
	}

	// Entries: directories first, epoch times, root ownership.
	gz, err := gzip.NewReader(bytes.NewReader(b1))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(time.Unix(0, 0)) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" {
			t.Errorf("entry %s: time %v uid %d gid %d uname %q", h.Name, h.ModTime, h.Uid, h.Gid, h.Uname)
		}
	}
	if diff := cmp.Diff([]string{"a/", "a/b/", "a/b/c.yaml", "a/empty.yaml", "z.yaml"}, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestWriteErrors(t *testing.T) {
	for _, files := range [][]rulesfile.File{
		{{Name: "../x"}},
		{{Name: "/x"}},
		{{Name: "a/./x"}},
		{{Name: ""}},
		{{Name: "x"}, {Name: "x"}},
	} {
		if _, err := rulesfile.Write(files); err == nil {
			t.Errorf("Write(%q) succeeded", files[0].Name)
		}
	}
}
