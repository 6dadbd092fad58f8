# Falconer build, test and release tasks. Run `make help` for the list.

GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 5s
BENCHTIME ?= 1s
BENCH     ?= .
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -X main.version=$(VERSION)

.PHONY: help build test test-short bench fuzz fuzz-long lint generate check-generated bpf tools demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build falconer and falconer-agent into ./bin
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

test: ## run every test (privileged ones skip unless root), plus a short fuzz pass
	$(GO) test -count=1 $(PKGS)
	FUZZTIME=$(FUZZTIME) .ci/fuzz.sh

test-short: ## unit tests only, no fuzzing
	$(GO) test -short -count=1 $(PKGS)

bench: ## run every benchmark (figures quoted in docs come from here)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) $(PKGS)

fuzz: ## fuzz every target for longer (FUZZTIME=2m by default here)
	FUZZTIME=$(if $(filter 5s,$(FUZZTIME)),2m,$(FUZZTIME)) .ci/fuzz.sh

lint: ## gofmt, go vet, and falconer lint --strict over the project's own rules
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run ./cmd/falconer lint --strict rulesets/default

generate: ## regenerate committed generated code (field catalog, event tables, protos)
	$(GO) generate ./compiler/... ./agent/...

check-generated: ## fail if generated code is stale
	$(GO) test -count=1 -run 'TestGenerated' $(PKGS)

bpf: ## rebuild the eBPF objects (needs clang-19: .ci/tools.sh clang)
	$(GO) generate ./bpf/...

tools: ## install the pinned external tools the integration tests use
	.ci/tools.sh

demo: ## the whole loop on this machine: registry, signed ruleset, agent following it (eBPF needs root)
	$(GO) run ./cmd/falconer-demo

clean: ## remove build output
	rm -rf $(BIN)
