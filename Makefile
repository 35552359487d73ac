# edge — see README.md.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 20s
BENCHTIME ?= 1s

.PHONY: run test deps race bench bench-compare bench-function upload-rss fleet-demo fuzz lint build clean

## run: start the edge on its embedded default config (serves the demo on 127.0.0.1:8080)
run:
	$(GO) run ./cmd/edge serve

## build: build bin/edge
build:
	$(GO) build -o bin/edge ./cmd/edge

## test: lint, every Go test (integration tests start real servers on 127.0.0.1), then the
## end-to-end scripts that drive the built binary with real clients (the aws CLI: invalidations,
## URLs signed by `aws cloudfront sign`, the CloudFront Functions API, distributions created and
## changed through the API, edge import round trips)
test: deps lint build
	$(GO) test -count=1 -timeout 30m $(PKGS)
	$(GO) test -count=1 -tags fleetsim -run TestSimulation100Nodes -v ./fleet/
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/e2e-invalidation.sh
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/e2e-signed.sh
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/e2e-functions.sh
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/e2e-distributions.sh
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/e2e-policies.sh
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/e2e-import.sh

## deps: install what the tests use beyond Go when missing (GStreamer, aws CLI, Chromium and
## puppeteer-core; the S3 test server)
deps:
	bash scripts/test-deps.sh

## race: the concurrent packages' tests under the race detector (allocation tests excluded)
race:
	$(GO) test -race -count=1 -timeout 30m ./cache/... ./edge/... ./origin/... ./control/... ./smooth/... ./accesslog/... ./e2e/... ./httpcond/... ./function/... ./disk/... ./fleet/... ./h2/... ./cmd/...

## bench: hot-path benchmarks with allocation counts
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

## bench-compare: the edge against nginx, Varnish and a bare fasthttp server, same load (bench/README.md)
bench-compare: build
	bash scripts/bench-compare.sh

## bench-function: a 1 KiB hit through a trivial viewer-request function against the same hit
## without one, over sockets (throughput ratio and p99; the CloudFront Functions budget)
bench-function: build
	bash scripts/bench-function.sh

## upload-rss: the edge's peak RSS under 16 concurrent 64 MiB uploads, refused and forwarded
upload-rss: build
	EDGE_BIN=$(CURDIR)/bin/edge bash scripts/upload-rss.sh

## fleet-demo: a NATS server, an origin, a shield and three edges on 127.0.0.1 (examples/fleet):
## the same Zipf load through the fleet and through one edge (origin requests compared), an
## invalidation fanned out through NATS, NATS stopped and restarted (README, "A fleet")
fleet-demo: build
	bash scripts/fleet-demo.sh

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin
