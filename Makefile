# One way to build, one way to test. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
GO ?= go
BIN := build/bin/audience-uploader

# Fragments in mk/*.mk add their own targets to these lists.
SETUP_TARGETS :=
TEST_TARGETS :=

.PHONY: all setup test test-go bench cli fmt vet clean
all: cli

include $(wildcard mk/*.mk)

setup: $(SETUP_TARGETS)

cli:
	$(GO) build -o $(BIN) .

vet:
	$(GO) vet ./...

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test: setup test-go $(TEST_TARGETS)

bench:
	$(GO) run ./cmd/bench

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf build/bin
