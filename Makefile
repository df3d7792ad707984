# baton-celigo build, test and CI targets.
#
#   make build            static binary in dist/baton-celigo
#   make test             the test suite (go test -count=1 ./...)
#   make ci               everything CI checks, in the order .ci/run runs it

GO      ?= go
BINARY  := baton-celigo
DIST    := dist

# Version stamped into connector.Version (user agent and --version); "dev" when git cannot describe the tree
# (no .git, or a git that refuses the checkout).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/conductorone/baton-celigo/pkg/connector.Version=$(VERSION)

# Pinned tool versions, run with `go run pkg@version` (never added to go.mod).
GOLANGCI_LINT := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
ACTIONLINT    := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# Committed generated files; check-generated fails when they are stale.
GENERATED := pkg/config/conf.gen.go config_schema.json baton_capabilities.json

.PHONY: all build build-lambda generate check-generated test test-race vet \
	fmt-check tidy-check lint actionlint ci clean demo bench bench-load fuzz

all: build

## Build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/$(BINARY) ./cmd/$(BINARY)

# The hosted (no-code) flavour that C1 runs.
build-lambda:
	CGO_ENABLED=0 $(GO) build -trimpath -tags baton_lambda_support -ldflags "$(LDFLAGS)" \
		-o $(DIST)/$(BINARY)-lambda ./cmd/$(BINARY)

## Generated files

generate:
	$(GO) generate ./pkg/config/...
	$(MAKE) --no-print-directory build
	@for f in config:config_schema.json capabilities:baton_capabilities.json; do \
		cmd=$${f%%:*}; out=$${f#*:}; \
		echo "$(DIST)/$(BINARY) $$cmd > $$out"; \
		$(DIST)/$(BINARY) $$cmd > $$out.tmp || { rm -f $$out.tmp; exit 1; }; \
		mv $$out.tmp $$out; \
	done

check-generated: generate
	@if ! git diff --exit-code -- $(GENERATED) || [ -n "$$(git ls-files --others -- $(GENERATED))" ]; then \
		echo ""; git status --short -- $(GENERATED); \
		echo "ERROR: generated files are stale or uncommitted (one of: $(GENERATED))."; \
		echo "Run 'make generate' and commit the result."; \
		exit 1; \
	fi
	@echo "generated files are up to date"

## Tests and checks

# The README's test command.
test:
	$(GO) test -count=1 ./...

test-race:
	$(GO) test -count=1 -race ./pkg/...

vet:
	$(GO) vet ./...

# go.mod and go.sum say exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff || { echo "ERROR: go.mod/go.sum are not tidy. Run 'go mod tidy' and commit the result."; exit 1; }

fmt-check:
	@out="$$(find . -name '*.go' -not -path './.git/*' -not -path './dist/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$out" ]; then \
		echo "ERROR: files need gofmt:"; echo "$$out"; \
		echo "Run 'gofmt -w' on them."; \
		exit 1; \
	fi

lint:
	$(GO) run $(GOLANGCI_LINT) run ./...

actionlint:
	$(GO) run $(ACTIONLINT)

## Try it and measure it

# Sync a sample account served by celigo-mock on a free loopback port and show the c1z.
demo:
	bash scripts/demo.sh

# Full syncs of generated accounts at the sizes the README reports (minutes; not part of ci).
BENCH_SIZES   ?= 1000x100,3000x300,5000x500
BENCH_LATENCY ?= 0,25ms
bench:
	$(GO) run ./cmd/celigo-bench -sizes $(BENCH_SIZES) -latency $(BENCH_LATENCY) -role-percent 51

# The reliability notes' load run: 10,000 users x 1,000 integrations.
bench-load:
	$(GO) run ./cmd/celigo-bench -sizes 10000x1000 -latency 0

# Each fuzz target for a short while; the seed corpora also run in every plain `go test`.
FUZZTIME ?= 10s
fuzz:
	$(GO) test ./pkg/celigo -run '^$$' -fuzz '^FuzzNextLink$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/celigo -run '^$$' -fuzz '^FuzzUserRecord$$' -fuzztime $(FUZZTIME)

## CI: `test` stays last so the run closes on go test output.
ci: check-generated tidy-check fmt-check vet lint actionlint build-lambda demo fuzz test-race test

clean:
	rm -rf $(DIST)
