# Lethe: `make test` is the test command; `make check` is what CI runs.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
FUZZTIME    ?= 30000x

.PHONY: all build run test check fmt-check vet staticcheck fuzz tidy-check

all: check

build:
	$(GO) build -o bin/lethe ./cmd/lethe

run:
	$(GO) run ./cmd/lethe serve --demo

test:
	$(GO) test -race -count=1 ./...

check: fmt-check vet staticcheck test fuzz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

# Every request decoder, and the CSV parser of the root package, has a fuzz
# target; CI runs each briefly. A count, not a duration: a duration can end
# mid-input and report "context deadline exceeded" as a failure.
FUZZPKGS    ?= . ./internal/rest

fuzz:
	@set -e; for p in $(FUZZPKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			echo "fuzz $$p $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p; \
		done; \
	done
