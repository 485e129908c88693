# Parley: `make run` builds everything and starts the demo; `make test` runs
# every test. Both install what they need on a fresh machine.

GO        ?= go
BIN       := bin/parley
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

# Services the Go tests use; CI sets PARLEY_TEST_REQUIRE_SERVICES=1 so a
# missing one fails instead of skipping.
export PARLEY_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export PARLEY_TEST_NATS_URL     ?= nats://127.0.0.1:4222

.PHONY: all build run test test-go vet bench clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/parley

run: build
	./$(BIN) serve

test: vet test-go

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
