# Everything here needs only Go (make image also podman or docker): tools are
# installed into .tools/ on first use.
SHELL       := /bin/bash
GO          ?= go
TOOLS       := $(CURDIR)/.tools
OCB         := $(TOOLS)/builder
OCB_VERSION := v0.165.0
MDATAGEN    := $(TOOLS)/mdatagen
GOIMPORTS   := $(TOOLS)/goimports
# mdatagen v0.159.0 is the newest served here and `go install` cannot fetch it:
# it is built in a throwaway module so it never enters our go.mod.
MDATAGEN_VERSION := v0.159.0
GOLANGCI_LINT := $(TOOLS)/golangci-lint
GOLANGCI_LINT_VERSION := v2.15.0
# Pub/Sub API code generation (make generate); protoc-gen-go matches the
# google.golang.org/protobuf version in go.mod.
PROTOC_GEN_GO      := $(TOOLS)/protoc-gen-go
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC := $(TOOLS)/protoc-gen-go-grpc
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PUBSUB_PROTO_DIR   := internal/pubsub/eventbusv1
COLLECTOR   := _build/otelcol-salesforce
SIM         := $(TOOLS)/sfsim
RUN_DIR     := $(CURDIR)/.run
SIM_HOST    ?= 127.0.0.1
SIM_PORT    ?= 18443
PUBSUB_PORT ?= 18444
SIM_ADDR    := $(SIM_HOST):$(SIM_PORT)
BENCH_COUNT ?= 6

VLOGS       := $(TOOLS)/victoria-logs
VLOGS_VERSION := v1.52.1
FUZZTIME    ?= 10s
# package:target of every fuzz test (go test -fuzz takes one target at a time)
FUZZ_TARGETS := \
	internal/eventlog:FuzzReader internal/eventlog:FuzzReaderChunking internal/eventlog:FuzzReaderRoundTrip \
	internal/sobject:FuzzDecodeRecord internal/sobject:FuzzDecodeRecordMatchesStdlib internal/sobject:FuzzDecodePageMatchesStdlib \
	internal/sfapi:FuzzParseLimitInfo internal/sfapi:FuzzParseAPIError \
	internal/testing/simulator/soql:FuzzQuoteStringRoundTrip internal/eventavro:FuzzDecode internal/convert:FuzzFastKVMatchesPublicAPI
SOAK_FUZZTIME ?= 5m

.PHONY: run test build image bench bench-fastkv bench-schema e2e fuzz soak victorialogs generate lint tools clean

## run: build the collector, start the Salesforce simulator and print events (Ctrl-C stops both)
run: build $(SIM)
	@# The simulator's org is new on every run, so its cursors start fresh too.
	@# The collector starts once the simulator listens on both ports, so its
	@# status is never a connection refused at start.
	@rm -rf $(RUN_DIR) && mkdir -p $(RUN_DIR)/storage
	@$(SIM) -addr $(SIM_ADDR) -private-key-out $(RUN_DIR)/sf.key -client-id demo-client-id \
		-username integration@demo.example.com -arrival-every 5s \
		-pubsub-addr $(SIM_HOST):$(PUBSUB_PORT) -publish-every 5s & sim=$$!; \
	trap 'kill $$sim 2>/dev/null; wait $$sim 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 100); do \
		[ -s $(RUN_DIR)/sf.key ] && (: </dev/tcp/$(SIM_HOST)/$(SIM_PORT)) 2>/dev/null && (: </dev/tcp/$(SIM_HOST)/$(PUBSUB_PORT)) 2>/dev/null && break; \
		sleep 0.1; \
	done; \
	SF_LOGIN_URL=http://$(SIM_ADDR) SF_KEY_FILE=$(RUN_DIR)/sf.key SF_STORAGE_DIR=$(RUN_DIR)/storage \
		./$(COLLECTOR) --config testdata/demo-config.yaml

## test: every test, race-checked, after make lint
test: lint
	$(GO) test -race -count=1 ./...

## e2e: the built collector against the simulator (and VictoriaLogs), counted against the ground truth
# RELIABILITY lines in the output are the figures docs/reliability.md quotes.
# TestImage also runs make image and reads the image back (it skips without
# podman or docker; .ci/run installs podman).
e2e: build $(VLOGS)
	$(GO) test -tags e2e -count=1 -v -timeout 20m ./internal/testing/e2e/... -collector $(CURDIR)/$(COLLECTOR) \
		-victorialogs $(VLOGS)

## fuzz: every fuzz test for FUZZTIME each (CI: 10s), from the committed seed corpora
# A failing input is written to <pkg>/testdata/fuzz/<target>/ and fails the run.
# A bare "context deadline exceeded" at the end of -fuzztime with no input
# written is the Go fuzz coordinator's own race (golang/go#75804, fixed in
# Go 1.27), not a finding: it is reported and ignored.
fuzz:
	@mkdir -p $(RUN_DIR); set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		before=$$(ls $$pkg/testdata/fuzz/$$fn 2>/dev/null | wc -l); \
		if $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) ./$$pkg/ > $(RUN_DIR)/fuzz.log 2>&1; then \
			tail -n 1 $(RUN_DIR)/fuzz.log; \
		else \
			cat $(RUN_DIR)/fuzz.log; \
			after=$$(ls $$pkg/testdata/fuzz/$$fn 2>/dev/null | wc -l); \
			if [ "$$after" = "$$before" ] && grep -q 'context deadline exceeded' $(RUN_DIR)/fuzz.log; then \
				echo "   (no failing input: the Go fuzz coordinator's deadline race, golang/go#75804; ignored)"; \
			else exit 1; fi; \
		fi; \
	done

## soak: long runs outside CI: 20 SIGKILLs over a bigger backfill, the fault scenarios, then SOAK_FUZZTIME per fuzz test
soak: build $(VLOGS)
	$(GO) test -tags e2e -count=1 -v -timeout 120m -run 'TestSIGKILL|TestFault' ./internal/testing/e2e/... \
		-collector $(CURDIR)/$(COLLECTOR) -victorialogs $(VLOGS) -soak
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(SOAK_FUZZTIME)

## victorialogs: the VictoriaLogs server the e2e suite delivers into
victorialogs: $(VLOGS)

$(VLOGS):
	GOBIN=$(TOOLS) $(GO) install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$(VLOGS_VERSION)

## build: the collector binary at _build/otelcol-salesforce
build: $(OCB)
	$(OCB) --config builder-config.yaml

# The image is the Dockerfile's: FROM scratch, so nothing is pulled and the
# build needs no network. Its binary is the file make build just made
# (static: ocb builds with CGO_ENABLED=0); the CA bundle is the building
# machine's (CA_BUNDLE=... picks another); /etc/passwd names the user.
# CONTAINER_ENGINE is podman if found, else docker; set it to add flags,
# e.g. CONTAINER_ENGINE="podman --storage-driver vfs". Neither is installed
# here (a fresh machine has only Go): .ci/run installs podman for make e2e.
IMAGE         ?= otelcol-salesforce
IMAGE_VERSION := $(shell sed -n 's/^  version: \([0-9.]*\)$$/\1/p' builder-config.yaml)
IMAGE_ROOTFS  := _build/image/rootfs
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || { command -v docker >/dev/null 2>&1 && echo docker; })
CA_BUNDLE     ?= $(firstword $(wildcard /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem))

## image: the container image of make build's collector, tagged otelcol-salesforce:<dist.version> and :latest (IMAGE=... renames)
image: build
	@[ -n "$(CONTAINER_ENGINE)" ] || { echo "image: neither podman nor docker is on PATH; install one (Debian/Ubuntu: apt-get install podman) and run make image again"; exit 1; }
	@[ "$$($(GO) env GOOS)" = linux ] || { echo "image: make build made a $$($(GO) env GOOS) binary and the image needs a linux one: GOOS=linux make image"; exit 1; }
	@[ -s "$(CA_BUNDLE)" ] || { echo "image: no CA bundle at '$(CA_BUNDLE)'; name one: make image CA_BUNDLE=/path/to/ca-certificates.crt"; exit 1; }
	@# umask 022: the unprivileged user must be able to read what is copied in.
	rm -rf $(IMAGE_ROOTFS)
	umask 022 && mkdir -p $(IMAGE_ROOTFS)/etc/ssl/certs && \
		cp $(CA_BUNDLE) $(IMAGE_ROOTFS)/etc/ssl/certs/ca-certificates.crt && \
		chmod 0644 $(IMAGE_ROOTFS)/etc/ssl/certs/ca-certificates.crt && \
		printf '%s\n' root:x:0:0:root:/root:/sbin/nologin otelcol:x:10001:10001:otelcol:/:/sbin/nologin > $(IMAGE_ROOTFS)/etc/passwd && \
		printf '%s\n' root:x:0: otelcol:x:10001: > $(IMAGE_ROOTFS)/etc/group
	$(CONTAINER_ENGINE) build --build-arg VERSION=$(IMAGE_VERSION) \
		-t $(IMAGE):$(IMAGE_VERSION) -t $(IMAGE):latest -f Dockerfile .

## bench: the benchmarks (benchstat-readable, saved to $(BENCH_OUT)), then the summary table
# Go benchmarks of the module (-count $(BENCH_COUNT)); the API-call counts
# (deterministic: one run); the filelog peer (its own module); the built
# collector end to end (build tag e2e), and against a stock filelog +
# csv_parser collector, A/B alternated (TestThroughputBlackBox). See PERFORMANCE.md.
BENCH_OUT   ?= $(CURDIR)/_build/bench.txt
BENCH_PKGS   = $$($(GO) list ./... | grep -v /internal/bench/apicalls)
bench:
	@mkdir -p $(dir $(BENCH_OUT))
	@{ echo "# $$(date -u +%FT%TZ) nproc=$$(nproc) $$($(GO) version)"; \
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -timeout 30m $(BENCH_PKGS) && \
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -count 1 ./internal/bench/apicalls/ && \
	( cd internal/bench/peer && $(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -count $(BENCH_COUNT) . ) && \
	{ $(MAKE) --no-print-directory build $(STOCK) >/dev/null 2>&1 && \
	  $(GO) test -tags e2e -count=1 -v -run 'Throughput|Scale' -timeout 20m ./internal/testing/e2e/ -collector $(CURDIR)/$(COLLECTOR) \
	    -stock $(CURDIR)/$(STOCK) \
	  || echo "# e2e throughput not measured: the collectors did not build or the run failed"; }; \
	} 2>&1 | tee $(BENCH_OUT); test $${PIPESTATUS[0]} -eq 0
	@echo; echo "Summary (medians; $(BENCH_OUT) is benchstat-readable):"
	@$(GO) run ./internal/bench/report $(BENCH_OUT)

## bench-fastkv: the black box with and without internal/convert's fast path (kv.go), each also with pdata.useProtoPooling
# The second collector is the same ocb module built as ocb builds it, with
# -tags nofastkv (every key/value through pdata's public API); run after a
# pdata upgrade. See PERFORMANCE.md (issue #24).
NOFASTKV := _build/otelcol-salesforce-nofastkv
bench-fastkv: build
	cd _build && CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -tags nofastkv -o $(CURDIR)/$(NOFASTKV) .
	$(GO) test -tags e2e -count=1 -v -run TestFastKVBlackBox -timeout 30m ./internal/testing/e2e/ -collector $(CURDIR)/$(COLLECTOR) \
		-nofastkv $(CURDIR)/$(NOFASTKV) -blackbox-rounds 7

## bench-schema: the black box with the receiver's schema option and the OTTL recipes, against the receiver alone (issue #26)
# See docs/schemas.md ("What it costs").
bench-schema: build
	$(GO) test -tags e2e -count=1 -v -run TestSchemaBlackBox -timeout 60m ./internal/testing/e2e/ -collector $(CURDIR)/$(COLLECTOR) \
		-schema-blackbox -blackbox-rounds 5

# The stock peer of the black-box comparison (filelog + csv_parser), built
# by ocb on first use; only make bench uses it.
STOCK := _build/stock/otelcol-stock
$(STOCK): internal/bench/peer/stock-builder-config.yaml | $(OCB)
	@mkdir -p $(dir $(STOCK))
	cd internal/bench/peer && $(OCB) --config stock-builder-config.yaml

## generate: regenerate mdatagen's code from metadata.yaml and the Pub/Sub API's Go code from its .proto
# protoc itself is not a Go tool: it comes from the system (Debian/Ubuntu:
# apt-get install protobuf-compiler). The generated code is committed, so
# only this target needs it.
generate: $(MDATAGEN) $(PROTOC_GEN_GO) $(PROTOC_GEN_GO_GRPC) $(GOIMPORTS)
	@command -v protoc >/dev/null || { echo "generate: protoc not found on PATH; install it (Debian/Ubuntu: apt-get install protobuf-compiler) and run make generate again"; exit 1; }
	@# mdatagen names the package after its directory: run it where the
	@# module root is called salesforcereceiver, whatever the checkout's name.
	@mkdir -p $(TOOLS)/gen && ln -sfn $(CURDIR) $(TOOLS)/gen/salesforcereceiver
	cd $(TOOLS)/gen/salesforcereceiver && $(MDATAGEN) metadata.yaml
	$(GOIMPORTS) -local github.com/sfevents -w generated_*.go internal/metadata internal/metadatatest
	cd $(PUBSUB_PROTO_DIR) && PATH=$(TOOLS):$$PATH protoc -I . \
		--go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative pubsub_api.proto

$(GOIMPORTS):
	GOBIN=$(TOOLS) $(GO) install golang.org/x/tools/cmd/goimports@v0.52.0

$(PROTOC_GEN_GO):
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(PROTOC_GEN_GO_GRPC):
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

## lint: gofmt, go vet (also the e2e tag) and golangci-lint (.golangci.yml, close to contrib's linters)
lint: $(GOLANGCI_LINT)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./internal/testing/e2e/...
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

tools: $(OCB) $(MDATAGEN) $(GOLANGCI_LINT) $(SIM) $(VLOGS)

$(OCB):
	GOBIN=$(TOOLS) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(MDATAGEN):
	@mkdir -p $(TOOLS)/mdatagen-mod
	cd $(TOOLS)/mdatagen-mod && ( [ -f go.mod ] || $(GO) mod init mdatagen-tools >/dev/null ) && \
		$(GO) get go.opentelemetry.io/collector/cmd/mdatagen@$(MDATAGEN_VERSION) && \
		$(GO) build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

$(SIM): $(shell find internal/testing/simulator -name '*.go' 2>/dev/null)
	$(GO) build -o $(SIM) ./internal/testing/simulator/cmd/sfsim

clean:
	rm -rf _build $(TOOLS) $(RUN_DIR)
