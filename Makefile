# Entry points; the README's two commands are `make run` and `make test`.
GO ?= go
BIN := bin/infergate

.PHONY: build run test deps model proto bench
build:
	$(GO) build -o $(BIN) ./cmd/infergate

# The gateway on the embedded default (reference model on ONNX Runtime, :8080).
run: deps build
	./$(BIN) serve

test:
	bash scripts/test.sh

deps:
	bash scripts/install-deps.sh

# The benchmark suite (benchmarks/scenarios) against the real gateway over
# loopback; writes benchmarks/results/*.md, *.json and *.svg. bert-base.yaml
# needs the BERT-base-shaped model of `make model-base`.
BENCH_SCENARIOS ?= $(wildcard benchmarks/scenarios/*.yaml)
bench: deps build
	@test -f deploy/training/work/bert-base/model.onnx || $(MAKE) model-base
	./$(BIN) bench suite $(BENCH_SCENARIOS)

# Go bindings of the KServe v2 gRPC API (adapters/triton/inferencepb). Needs
# protoc (apt protobuf-compiler); the plugins are pinned to go.mod's protobuf
# and a protoc-gen-go-grpc that targets the grpc runtime in go.mod.
PROTOC_GEN_GO := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
PB_DIR := adapters/triton/inferencepb
proto:
	GOBIN=$(CURDIR)/bin $(GO) install $(PROTOC_GEN_GO)
	GOBIN=$(CURDIR)/bin $(GO) install $(PROTOC_GEN_GO_GRPC)
	PATH=$(CURDIR)/bin:$$PATH protoc -I $(PB_DIR) \
		--go_out=$(PB_DIR) --go_opt=paths=source_relative \
		--go-grpc_out=$(PB_DIR) --go-grpc_opt=paths=source_relative \
		$(PB_DIR)/model_config.proto $(PB_DIR)/grpc_service.proto

# The reference model: dataset from Debian catalogs, training, ONNX export,
# golden fixtures and model card numbers (deploy/training/recipe.sh, ~20 min).
model:
	bash deploy/training/recipe.sh

# A random BERT-base-shaped ONNX model for realistic-compute benchmarks, at
# deploy/training/work/bert-base/model.onnx (never committed).
.PHONY: model-base
model-base:
	bash deploy/training/recipe.sh base
