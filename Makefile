# Parley: `make run` builds everything and starts the demo; `make test` runs
# every test. Both install what they need on a fresh machine (Go 1.26 and
# Node 20 must be present; Chromium comes from Debian's packages).

GO        ?= go
BIN       := bin/parley
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
WEB_STAMP := web/node_modules/.package-lock.json

# Services the Go tests use; CI sets PARLEY_TEST_REQUIRE_SERVICES=1 so a
# missing one fails instead of skipping.
export PARLEY_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export PARLEY_TEST_NATS_URL     ?= nats://127.0.0.1:4222

.PHONY: all build build-web run test test-go test-web e2e chromium vet bench generate clean

all: build

# npm ci runs again only when the lockfile changes.
$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund

build-web: $(WEB_STAMP)
	cd web && npm run build

# The binary embeds the built web apps (internal/webui).
build: build-web
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/parley

# Parley on :8080 and the reference host service on :8081; open
# http://localhost:8081 to sign in and enter the chat.
run: build
	@echo "Parley: http://localhost:8080   demo host: http://localhost:8081"
	@./$(BIN) demo-host & pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT INT TERM; ./$(BIN) serve

test: vet test-go test-web e2e

vet:
	$(GO) vet ./...

test-go: build-web
	$(GO) test -race -count=1 ./...

test-web: build
	cd web && npm test && PARLEY_BIN=$(CURDIR)/$(BIN) npm run test:server

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

e2e: build chromium
	cd web && PARLEY_BIN=$(CURDIR)/$(BIN) npm run e2e

generate:
	$(GO) generate ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin web/node_modules
