# Everything here needs only Go: tools are installed into .tools/ on first use.
SHELL       := /bin/bash
GO          ?= go
TOOLS       := $(CURDIR)/.tools
OCB         := $(TOOLS)/builder
OCB_VERSION := v0.165.0
MDATAGEN    := $(TOOLS)/mdatagen
# mdatagen v0.159.0 is the newest served here and `go install` cannot fetch it:
# it is built in a throwaway module so it never enters our go.mod.
MDATAGEN_VERSION := v0.159.0
COLLECTOR   := _build/otelcol-salesforce
SIM         := $(TOOLS)/sfsim
RUN_DIR     := $(CURDIR)/.run
SIM_ADDR    ?= 127.0.0.1:18443
BENCH_COUNT ?= 6

.PHONY: run test build bench e2e generate lint tools clean

## run: build the collector, start the Salesforce simulator and print events (Ctrl-C stops both)
run: build $(SIM)
	@mkdir -p $(RUN_DIR)/storage
	@set -m; \
	$(SIM) -addr $(SIM_ADDR) -private-key-out $(RUN_DIR)/sf.key -client-id demo-client-id \
		-username integration@demo.example.com -arrival-every 5s & sim=$$!; \
	trap 'kill $$sim 2>/dev/null; wait $$sim 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 50); do [ -s $(RUN_DIR)/sf.key ] && break; sleep 0.1; done; \
	SF_LOGIN_URL=http://$(SIM_ADDR) SF_KEY_FILE=$(RUN_DIR)/sf.key SF_STORAGE_DIR=$(RUN_DIR)/storage \
		./$(COLLECTOR) --config testdata/demo-config.yaml

## test: every test, race-checked, plus formatting and vet
test: lint
	$(GO) test -race -count=1 ./...

## e2e: the built collector against the simulator, counted against its ground truth
e2e: build
	$(GO) test -tags e2e -count=1 -timeout 20m ./internal/e2e/... -collector $(CURDIR)/$(COLLECTOR)

## build: the collector binary at _build/otelcol-salesforce
build: $(OCB)
	$(OCB) --config builder-config.yaml

## bench: the benchmarks, benchstat-friendly
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./...

## generate: regenerate mdatagen's code from metadata.yaml
generate: $(MDATAGEN)
	cd receiver && $(MDATAGEN) metadata.yaml

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

tools: $(OCB) $(MDATAGEN) $(SIM)

$(OCB):
	GOBIN=$(TOOLS) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(MDATAGEN):
	@mkdir -p $(TOOLS)/mdatagen-mod
	cd $(TOOLS)/mdatagen-mod && ( [ -f go.mod ] || $(GO) mod init mdatagen-tools >/dev/null ) && \
		$(GO) get go.opentelemetry.io/collector/cmd/mdatagen@$(MDATAGEN_VERSION) && \
		$(GO) build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

$(SIM): $(shell find internal/simulator -name '*.go' 2>/dev/null)
	$(GO) build -o $(SIM) ./internal/simulator/cmd/sfsim

clean:
	rm -rf _build $(TOOLS) $(RUN_DIR)
