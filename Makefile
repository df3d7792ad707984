# baton-celigo build, test and CI targets. `make help` lists them.

GO      ?= go
BINARY  := baton-celigo
DIST    := dist

# Version stamped into connector.Version (user agent and --version), without the tag's "v" as goreleaser's
# {{ .Version }} and the Dockerfile stamp it; "dev" when git cannot describe the tree (no .git, or a git that
# refuses the checkout). Binaries are stripped (-s -w) as released ones are.
VERSION ?= $(patsubst v%,%,$(shell git describe --tags --always --dirty 2>/dev/null || echo dev))
LDFLAGS := -s -w -X github.com/conductorone/baton-celigo/pkg/connector.Version=$(VERSION)

# Pinned tool versions, run with `go run pkg@version` (never added to go.mod).
GOLANGCI_LINT := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
ACTIONLINT    := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# Committed generated files; check-generated fails when they are stale.
GENERATED := pkg/config/conf.gen.go config_schema.json baton_capabilities.json

# baton's CLI, pinned in go.mod as a tool (`go tool baton`); build-all puts a copy in dist/.
BATON_CLI := github.com/conductorone/baton-sdk/cmd/baton
# gin's msgpack codec (github.com/ugorji/go) is the slowest package in baton's CLI to compile (about 20 s of
# CPU) and the CLI never uses msgpack; gin's own build tag leaves it out. Tags do not change how the
# packages shared with baton-celigo are compiled, so they stay shared with `make build`.
BATON_CLI_TAGS := nomsgpack
# The modules only baton's CLI uses (its expression language, web explorer, spreadsheet export) are compiled
# without optimisation: about a tenth less build time for a first `make demo`, and the CLI only reads a small
# sync file. Packages baton-celigo shares are compiled exactly as `make build` compiles them.
BATON_CLI_ONLY := github.com/google/cel-go github.com/quic-go github.com/xuri go.mongodb.org/mongo-driver/v2 github.com/goccy \
	github.com/gin-gonic github.com/gabriel-vasile github.com/pterm
BATON_CLI_GCFLAGS := $(foreach m,$(BATON_CLI_ONLY),-gcflags='$(m)/...=-N -l')

.PHONY: all help build build-all build-lambda generate check-generated test test-race vet \
	fmt-check tidy-check lint actionlint ci clean demo bench bench-load fuzz fuzz-long build-windows deploy-check \
	test-repeat

all: build

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

## Build

build: ## static binary in dist/baton-celigo
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/$(BINARY) ./cmd/$(BINARY)

# One go build for all three programs: each package compiles once, in parallel, and none needs cgo
# (pebble then uses pure-Go zstd instead of compiling DataDog/zstd's C sources).
build-all: ## dist/baton-celigo, dist/celigo-mock (the fake API) and dist/baton (the c1z CLI), in one build
	@echo "== building into $(DIST)/: the first build compiles about 1,000 packages (minutes), later ones take seconds"
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(BATON_CLI_TAGS) $(BATON_CLI_GCFLAGS) -ldflags "$(LDFLAGS)" \
		-o $(DIST)/ ./cmd/$(BINARY) ./cmd/celigo-mock $(BATON_CLI)

# The hosted (no-code) flavour that C1 runs.
build-lambda: ## the hosted flavour, dist/baton-celigo-lambda (-tags baton_lambda_support)
	CGO_ENABLED=0 $(GO) build -trimpath -tags baton_lambda_support -ldflags "$(LDFLAGS)" \
		-o $(DIST)/$(BINARY)-lambda ./cmd/$(BINARY)

# Windows is shipped (goreleaser): check that it still compiles.
# The shipped Windows binary is built, not only type-checked; go vet also type-checks the tests for Windows.
build-windows: ## cross-compile baton-celigo for Windows (and go vet the packages there)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -o /dev/null ./cmd/baton-celigo
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./cmd/baton-celigo/... ./internal/... ./pkg/...

## Generated files

generate: ## regenerate conf.gen.go, config_schema.json and baton_capabilities.json
	$(GO) generate ./pkg/config/...
	$(MAKE) --no-print-directory build
	@for f in config:config_schema.json capabilities:baton_capabilities.json; do \
		cmd=$${f%%:*}; out=$${f#*:}; \
		echo "$(DIST)/$(BINARY) $$cmd > $$out"; \
		$(DIST)/$(BINARY) $$cmd > $$out.tmp || { rm -f $$out.tmp; exit 1; }; \
		mv $$out.tmp $$out; \
	done

check-generated: generate ## fail when the committed generated files are stale
	@if ! git diff --exit-code -- $(GENERATED) || [ -n "$$(git ls-files --others -- $(GENERATED))" ]; then \
		echo ""; git status --short -- $(GENERATED); \
		echo "ERROR: generated files are stale or uncommitted (one of: $(GENERATED))."; \
		echo "Run 'make generate' and commit the result."; \
		exit 1; \
	fi
	@echo "generated files are up to date"

## Tests and checks

# The README's test command.
test: ## the test suite
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

test-repeat: ## the suite three times on one and on two CPUs: a test that depends on timing shows up here
	$(GO) test -count=3 -cpu 1,2 -timeout $(TEST_TIMEOUT) ./...

test-race: ## the race detector on ./pkg/...
	$(GO) test -count=1 -race -timeout $(TEST_TIMEOUT) ./pkg/...

vet: ## go vet
	$(GO) vet ./...

tidy-check: ## fail when go.mod/go.sum are not tidy
	@$(GO) mod tidy -diff || { echo "ERROR: go.mod/go.sum are not tidy. Run 'go mod tidy' and commit the result."; exit 1; }

fmt-check: ## fail when a file needs gofmt
	@out="$$(find . -name '*.go' -not -path './.git/*' -not -path './dist/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$out" ]; then \
		echo "ERROR: files need gofmt:"; echo "$$out"; \
		echo "Run 'gofmt -w' on them."; \
		exit 1; \
	fi

lint: ## golangci-lint (pinned)
	$(GO) run $(GOLANGCI_LINT) run --allow-parallel-runners ./...

actionlint: ## lint the GitHub workflows
	$(GO) run $(ACTIONLINT)

## Try it and measure it

# The first run compiles about 1,000 packages (see README: a couple of minutes); later runs take seconds.
demo: build-all ## sync a sample account served by celigo-mock, grant something, show the c1z
	bash scripts/demo.sh $(DIST)

# Full syncs of generated accounts (minutes; not part of ci).
BENCH_SIZES   ?= 1000x100,3000x300,5000x500
BENCH_LATENCY ?= 0,25ms
bench: ## full syncs of generated accounts at the sizes docs/performance.md reports (minutes)
	$(GO) run ./cmd/celigo-bench -sizes $(BENCH_SIZES) -latency $(BENCH_LATENCY) -role-percent 51

# The load run: 10,000 users x 1,000 integrations.
bench-load: ## one sync of 10,000 users x 1,000 integrations
	$(GO) run ./cmd/celigo-bench -sizes 10000x1000 -latency 0

# Each fuzz target for a fixed number of inputs, not a duration: when a duration (-fuzztime 10s) runs out while
# a worker is mid-call, Go's fuzzing coordinator can fail a clean run with "context deadline exceeded"
# (go.dev/issue/75804, in every Go 1.26.x). A count has no deadline to race. 100,000 inputs is about what
# ten seconds explored on an idle 2-core machine. The seed corpora also run in every plain `go test`.
# go test's own limit is 10 minutes per package, a wall-clock budget a busy 2-core machine exceeds with the
# race detector on; a test that truly hangs still ends the run.
TEST_TIMEOUT ?= 45m
FUZZ_EXECS ?= 100000
FUZZ_TARGETS := FuzzNextLink FuzzUserRecord
fuzz: ## each fuzz target for FUZZ_EXECS inputs (100,000); part of ci
	@for f in $(FUZZ_TARGETS); do \
		echo "$(GO) test ./pkg/celigo -run '^$$' -fuzz '^$$f$$' -fuzztime $(FUZZ_EXECS)x"; \
		$(GO) test ./pkg/celigo -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZ_EXECS)x || exit 1; \
	done

# A longer, time-boxed exploration to run by hand; CI does not gate on it (a duration can hit the race above).
FUZZTIME ?= 5m
fuzz-long: ## each fuzz target for FUZZTIME (5m); not part of ci
	@for f in $(FUZZ_TARGETS); do \
		echo "$(GO) test ./pkg/celigo -run '^$$' -fuzz '^$$f$$' -fuzztime $(FUZZTIME)"; \
		$(GO) test ./pkg/celigo -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

# The deployment examples under deploy/: their own module's tests (every manifest decoded strictly), and
# the systemd unit checked with systemd-analyze where it exists.
deploy-check: ## check the deployment examples in deploy/
	cd deploy && $(GO) test -count=1 ./...
	@if command -v systemd-analyze >/dev/null; then bash deploy/systemd/check.sh; \
	elif [ "$${CI:-}" = true ]; then echo "ERROR: CI must check the systemd unit, and systemd-analyze is missing"; exit 1; \
	else echo "systemd-analyze not found: the systemd unit is not checked here (CI checks it)"; fi

## CI: `test` stays last so the run closes on go test output.
ci: check-generated tidy-check fmt-check vet lint actionlint build-lambda build-windows deploy-check demo fuzz test-race test ## everything CI checks (.ci/run)

clean: ## remove dist/
	rm -rf $(DIST)
