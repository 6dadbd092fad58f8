package registry

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// TagLatest is the floating tag of the highest release.
const TagLatest = "latest"

// Tags returns the tags a push of version should set, given the tags already
// in the repository: always the exact version, then the floating tags that
// falcoctl users follow. X.Y moves only when version is the highest release
// of that minor, X only when it is the highest of that major, and latest only
// when it is the highest overall. A pre-release gets only its exact tag.
// Tags in existing that are not versions are ignored.
func Tags(version string, existing []string) ([]string, error) {
	v := "v" + version
	if !validVersion(version) {
		return nil, fmt.Errorf("tags: %q is not a semantic version usable as a tag", version)
	}
	tags := []string{version}
	if semver.Prerelease(v) != "" {
		return tags, nil
	}
	highest := func(keep func(string) bool) bool {
		for _, t := range existing {
			e := "v" + t
			if !semver.IsValid(e) || semver.Prerelease(e) != "" || !isFullVersion(t) || !keep(e) {
				continue
			}
			if semver.Compare(e, v) > 0 {
				return false
			}
		}
		return true
	}
	major, minor := semver.Major(v), semver.MajorMinor(v)
	if highest(func(e string) bool { return semver.MajorMinor(e) == minor }) {
		tags = append(tags, strings.TrimPrefix(minor, "v"))
	}
	if highest(func(e string) bool { return semver.Major(e) == major }) {
		tags = append(tags, strings.TrimPrefix(major, "v"))
	}
	if highest(func(string) bool { return true }) {
		tags = append(tags, TagLatest)
	}
	return tags, nil
}

// isFullVersion reports whether t has all three numbers: the floating tags
// "1" and "1.2" are versions to semver but not releases.
func isFullVersion(t string) bool {
	core, _, _ := strings.Cut(t, "-")
	core, _, _ = strings.Cut(core, "+")
	return strings.Count(core, ".") == 2
}

// validVersion reports whether version is a full semantic version (three
// numbers, optional pre-release) without build metadata, which OCI tags
// cannot hold.
func validVersion(version string) bool {
	return semver.IsValid("v"+version) && isFullVersion(version) && !strings.Contains(version, "+")
}
