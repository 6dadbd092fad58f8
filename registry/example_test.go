package registry_test

import (
	"fmt"
	"time"

	"github.com/falconer-sec/falconer/registry"
)

// Pack is a pure function: the same ruleset, with its creation time taken
// from the commit, always gives the same manifest digest.
func ExamplePack() {
	a, err := registry.Pack(registry.Ruleset{
		Name:                  "custom-rules",
		Version:               "1.0.0",
		RuleFiles:             []registry.File{{Name: "custom_rules.yaml", Data: []byte("- list: shells\n  items: [bash, sh]\n")}},
		RequiredEngineVersion: "0.57.0",
		Revision:              "0123456789abcdef0123456789abcdef01234567",
		Created:               time.Date(2026, 2, 19, 10, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Manifest.Config.MediaType)
	fmt.Println(a.Manifest.Layers[0].MediaType, a.Manifest.Layers[0].Annotations["org.opencontainers.image.title"])
	fmt.Println(a.Config.Requirements)
	fmt.Println(a.Descriptor.Digest)
	// Output:
	// application/vnd.cncf.falco.rulesfile.config.v1+json
	// application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz custom-rules.tar.gz
	// [{engine_version_semver 0.57.0}]
	// sha256:6a9efe2ed7418212fa89144270b430183d6ef7ff4d60580a82285c99e59b940f
}

// Tags moves the floating tags only when the version is the highest of its
// series.
func ExampleTags() {
	existing := []string{"1.2.0", "1.2", "1", "latest", "2.0.0", "2.0", "2"}
	for _, v := range []string{"1.2.1", "2.1.0", "3.0.0-rc.1"} {
		tags, _ := registry.Tags(v, existing)
		fmt.Println(v, tags)
	}
	// Output:
	// 1.2.1 [1.2.1 1.2 1]
	// 2.1.0 [2.1.0 2.1 2 latest]
	// 3.0.0-rc.1 [3.0.0-rc.1]
}
