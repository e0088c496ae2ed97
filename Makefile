# One way to build, one way to test. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
GO ?= go
BIN := build/bin/audience-uploader

# Debian 12 ships webkit2gtk 4.1; the main package imports Wails, so every go
# command (build, vet, test) needs this tag and the GTK/WebKit headers.
export GOFLAGS := -tags=webkit2_41

# Fragments in mk/*.mk add their own targets to these lists.
SETUP_TARGETS := setup-go
TEST_TARGETS :=

.PHONY: all setup setup-go test test-go fuzz bench pgo cli fmt vet clean
all: cli

include $(wildcard mk/*.mk)

setup: $(SETUP_TARGETS)

# Packages the Go build needs on a fresh Debian machine (installed only when
# missing, so this is quick on a machine that has them).
GO_APT_PACKAGES := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
setup-go:
	@if ! pkg-config --exists webkit2gtk-4.1 gtk+-3.0 2>/dev/null; then \
		echo "installing $(GO_APT_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GO_APT_PACKAGES); \
	fi

cli:
	$(GO) build -trimpath -ldflags "$(APP_LDFLAGS)" -o $(BIN) .

vet:
	$(GO) vet ./...

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test: setup test-go $(TEST_TARGETS)

# Every fuzz target for FUZZTIME each (build/fuzz/*.log); fails on a finding.
FUZZTIME ?= 60s
fuzz: setup-go
	GO=$(GO) tools/fuzz-all.sh $(FUZZTIME)

# End-to-end figures (CLI binary on generated 10M and 50M-row files; then 10M rows
# of snappy Parquet, 10M rows of gzip CSV as 64 parts under an S3 prefix on
# versitygw vs one local file, 1M rows of Excel), then the micro-benchmarks of
# the hot paths. BENCH_FLAGS="-big-rows 0" skips 50M rows; -parquet-rows 0,
# -s3-rows 0 and -xlsx-rows 0 skip the others.
BENCH_FLAGS ?=
bench: setup-go
	$(GO) run ./cmd/bench $(BENCH_FLAGS)
	$(GO) test -run='^$$' -bench=. -benchmem ./backend/identifiers/ ./backend/records/ ./backend/transform/

# default.pgo merges CPU profiles of the CLI transforming the 10M-row benchmark
# file in both layouts; go build uses it for profile-guided optimization (less CPU
# per row here). Refresh it after changing the hot path: make pgo.
pgo: cli
	$(GO) run ./cmd/bench -big-rows 0 >/dev/null
	for layout in combined separate; do \
		rm -rf bench-out/pgo-out; \
		$(BIN) transform --cpuprofile bench-out/$$layout.pprof --layout $$layout --input bench-out/customers-10000000.jsonl \
			--out bench-out/pgo-out --map email=email --map phone=phone --map idfa=idfa --map gaid=gaid >/dev/null || exit 1; \
	done
	$(GO) tool pprof -proto bench-out/combined.pprof bench-out/separate.pprof > default.pgo
	rm -rf bench-out/pgo-out bench-out/*.pprof

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf build/bin
