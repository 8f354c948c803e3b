# Lethe: `make test` is the test command; `make check` is what CI runs.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
FUZZTIME    ?= 30000x

.PHONY: all build run test check fmt-check vet staticcheck fuzz tidy-check npm-deps browser-deps

all: check

build:
	$(GO) build -o bin/lethe ./cmd/lethe

run:
	$(GO) run ./cmd/lethe serve --demo

# The npm verifiers (standardwebhooks, svix) that internal/webhook's
# npm_test.go runs on signed deliveries, installed from package-lock.json when
# node_modules is missing or older than it. Without npm it says so in one line
# and the test skips; with CI=true a missing npm fails, as CI must run them.
NPMDIR := internal/webhook/testdata/npm

npm-deps:
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$$CI" = true ]; then echo "make npm-deps: npm is not installed, and CI must run the npm verifiers"; exit 1; fi; \
		echo "make npm-deps: npm is not installed: the npm verifier test will skip"; exit 0; \
	fi; \
	if [ ! -d $(NPMDIR)/node_modules ] || [ $(NPMDIR)/package-lock.json -nt $(NPMDIR)/node_modules ]; then \
		echo "cd $(NPMDIR) && npm ci --no-audit --no-fund"; \
		(cd $(NPMDIR) && npm ci --no-audit --no-fund) && touch $(NPMDIR)/node_modules; \
	fi

# Debian's Chromium, for the console's browser tests (internal/server's
# console_browser_test.go, driven by chromedp). Without it they skip, and
# this says so in one line; with CI=true it is installed with apt-get.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$CI" != true ]; then echo "make browser-deps: chromium is not installed: the browser tests will skip (apt-get install chromium)"; exit 0; fi; \
	echo "apt-get install chromium"; \
	{ apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }; } || \
	{ echo "make browser-deps: could not install chromium, and CI must run the browser tests"; exit 1; }

# -race needs cgo and a C compiler; without them the suite runs without it,
# and says so in one line.
test: npm-deps browser-deps
	@if [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1; then \
		echo "$(GO) test -race -count=1 ./..."; $(GO) test -race -count=1 ./...; \
	else \
		echo "make test: no C compiler for cgo (-race needs one): running without -race"; \
		$(GO) test -count=1 ./...; \
	fi

check: fmt-check tidy-check vet staticcheck test fuzz

# go.mod and go.sum are what `go mod tidy` makes of them: tidy a copy of both,
# compare, and put the originals back whatever the result. -e: the proxy
# refuses a test-only dependency of the SQLite driver.
tidy-check:
	@set -e; tmp=$$(mktemp -d); cp go.mod go.sum "$$tmp"/; \
	trap 'cp "$$tmp"/go.mod "$$tmp"/go.sum .; rm -rf "$$tmp"' EXIT; \
	$(GO) mod tidy -e >/dev/null 2>&1 || { echo "go mod tidy failed"; exit 1; }; \
	if ! diff -u "$$tmp"/go.mod go.mod || ! diff -u "$$tmp"/go.sum go.sum; then \
		echo "go.mod or go.sum is not tidy: run go mod tidy -e"; exit 1; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

# Every request decoder, the CSV parser of the root package and the SCIM
# filter and PATCH readers have a fuzz
# target; CI runs each briefly. A count, not a duration: a duration can end
# mid-input and report "context deadline exceeded" as a failure. Fuzz
# targets touch no database, so the PostgreSQL rerun of a suite is off
# (and CI's rule that the suite must reach PostgreSQL: `make test` has it).
FUZZPKGS    ?= . ./internal/rest ./internal/scim

fuzz:
	@set -e; for p in $(FUZZPKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			echo "fuzz $$p $$t"; CI= LETHE_TEST_POSTGRES_DSN= $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p; \
		done; \
	done
