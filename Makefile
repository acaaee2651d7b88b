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
