// Package inferencepb holds the Go bindings of Triton's KServe v2 gRPC API
// (package inference, service GRPCInferenceService), generated from the
// wire-compatible subset in grpc_service.proto and model_config.proto.
// Regenerate with `make proto`.
package inferencepb
