package registry_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/registry"
)

// TestRulesLayerRoundTrip reads back the rules layer Pack writes.
func TestRulesLayerRoundTrip(t *testing.T) {
	rs := testRuleset(t, "1.0.0")
	rs.RuleFiles = append(rs.RuleFiles,
		registry.File{Name: "nested/dir/x.yaml", Data: []byte("x")},
		registry.File{Name: "nested/y.yaml", Data: nil},
		registry.File{Name: strings.Repeat("long", 40) + ".yaml", Data: []byte("long name")})
	a := pack(t, rs)
	layer, _ := a.Blob(a.Manifest.Layers[0].Digest)
	files, err := registry.ReadRulesLayer(bytes.NewReader(layer), registry.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(rs.RuleFiles) {
		t.Fatalf("read %d files, packed %d", len(files), len(rs.RuleFiles))
	}
	want := map[string][]byte{}
	for _, f := range rs.RuleFiles {
		want[f.Name] = f.Data
	}
	for _, f := range files {
		if w, ok := want[f.Name]; !ok || !bytes.Equal(w, f.Data) {
			t.Errorf("file %q does not round-trip", f.Name)
		}
	}
}
