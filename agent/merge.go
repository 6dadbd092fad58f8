package agent

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

// Merge merges compiled rulesets in order into one: rules keep the
// position of their first definition, and a later ruleset's definition of
// a rule name (or its disabling of it) replaces an earlier one's; the
// syscall sets are united, the required engine version is the highest,
// and sources and plugin requirements are concatenated. One ruleset is
// returned as is.
func Merge(progs ...*ir.Program) (*ir.Program, error) {
	switch len(progs) {
	case 0:
		return nil, errors.New("merge: no rulesets")
	case 1:
		return progs[0], nil
	}
	out := &ir.Program{Format: ir.FormatVersion}
	index := map[string]int{}
	disabled := map[string]bool{}
	seenPlugin := map[string]bool{}
	var compilers, syscalls []string
	for _, p := range progs {
		if p.Compiler != "" && !slices.Contains(compilers, p.Compiler) {
			compilers = append(compilers, p.Compiler)
		}
		out.RequiredEngineVersion = higherEngine(out.RequiredEngineVersion, p.RequiredEngineVersion)
		for _, pr := range p.PluginRequirements {
			if k := pr.Name + "@" + pr.Version; !seenPlugin[k] {
				seenPlugin[k] = true
				out.PluginRequirements = append(out.PluginRequirements, pr)
			}
		}
		out.Sources = append(out.Sources, p.Sources...)
		syscalls = append(syscalls, p.Syscalls...)
		for _, r := range p.Rules {
			if i, ok := index[r.Name]; ok {
				out.Rules[i] = r
			} else {
				index[r.Name] = len(out.Rules)
				out.Rules = append(out.Rules, r)
			}
			delete(disabled, r.Name)
		}
		for _, name := range p.Disabled {
			disabled[name] = true
		}
	}
	if len(disabled) > 0 {
		out.Rules = slices.DeleteFunc(out.Rules, func(r ir.Rule) bool { return disabled[r.Name] })
		for name := range disabled {
			out.Disabled = append(out.Disabled, name)
		}
		slices.Sort(out.Disabled)
	}
	slices.Sort(syscalls)
	out.Syscalls = slices.Compact(syscalls)
	out.Compiler = strings.Join(compilers, ", ")
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return out, nil
}

// higherEngine returns the higher of two required engine versions ("" is
// lowest; an unreadable one loses).
func higherEngine(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	sa, errA := registry.EngineVersionSemver(a)
	sb, errB := registry.EngineVersionSemver(b)
	switch {
	case errA != nil:
		return b
	case errB != nil:
		return a
	case semver.Compare("v"+sb, "v"+sa) > 0:
		return b
	}
	return a
}
