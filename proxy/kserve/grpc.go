package kserve

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/infergate/infergate/adapters"
	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// RegisterGRPC serves inference.GRPCInferenceService on s for models.
// Tensors come back in raw_output_contents, as Triton sends them.
func RegisterGRPC(s *grpc.Server, models Models) {
	pb.RegisterGRPCInferenceServiceServer(s, &grpcServer{models: models})
}

type grpcServer struct {
	pb.UnimplementedGRPCInferenceServiceServer
	models Models
}

// grpcErr converts an error to a status with the code of the same table
// the HTTP side uses.
func grpcErr(err error) error {
	return status.Error(grpcCode(err), err.Error())
}

func (g *grpcServer) ServerLive(context.Context, *pb.ServerLiveRequest) (*pb.ServerLiveResponse, error) {
	return &pb.ServerLiveResponse{Live: true}, nil
}

func (g *grpcServer) ServerReady(context.Context, *pb.ServerReadyRequest) (*pb.ServerReadyResponse, error) {
	return &pb.ServerReadyResponse{Ready: allReady(g.models)}, nil
}

func (g *grpcServer) ServerMetadata(context.Context, *pb.ServerMetadataRequest) (*pb.ServerMetadataResponse, error) {
	return &pb.ServerMetadataResponse{Name: serverName, Version: serverVersion(), Extensions: extensions()}, nil
}

func (g *grpcServer) ModelReady(ctx context.Context, r *pb.ModelReadyRequest) (*pb.ModelReadyResponse, error) {
	t, err := resolve(ctx, g.models, r.GetName(), r.GetVersion())
	if err != nil {
		return nil, grpcErr(err)
	}
	return &pb.ModelReadyResponse{Ready: t.model.Ready()}, nil
}

func (g *grpcServer) ModelMetadata(ctx context.Context, r *pb.ModelMetadataRequest) (*pb.ModelMetadataResponse, error) {
	t, err := resolve(ctx, g.models, r.GetName(), r.GetVersion())
	if err != nil {
		return nil, grpcErr(err)
	}
	md, err := t.model.Metadata(ctx)
	if err != nil {
		return nil, grpcErr(err)
	}
	d := describe(t.name, md)
	resp := &pb.ModelMetadataResponse{Name: d.Name, Versions: d.Versions, Platform: d.Platform}
	for _, in := range d.Inputs {
		resp.Inputs = append(resp.Inputs, &pb.ModelMetadataResponse_TensorMetadata{Name: in.Name, Datatype: in.Datatype, Shape: in.Shape})
	}
	for _, out := range d.Outputs {
		resp.Outputs = append(resp.Outputs, &pb.ModelMetadataResponse_TensorMetadata{Name: out.Name, Datatype: out.Datatype, Shape: out.Shape})
	}
	return resp, nil
}

func (g *grpcServer) ModelConfig(ctx context.Context, r *pb.ModelConfigRequest) (*pb.ModelConfigResponse, error) {
	t, err := resolve(ctx, g.models, r.GetName(), r.GetVersion())
	if err != nil {
		return nil, grpcErr(err)
	}
	md, err := t.model.Metadata(ctx)
	if err != nil {
		return nil, grpcErr(err)
	}
	c := configOf(t.name, md)
	cfg := &pb.ModelConfig{Name: c.Name, Platform: c.Platform, MaxBatchSize: int32(c.MaxBatchSize)}
	for _, in := range c.Input {
		cfg.Input = append(cfg.Input, &pb.ModelInput{Name: in.Name, DataType: pb.DataType_TYPE_INT64, Dims: in.Dims})
	}
	for _, out := range c.Output {
		cfg.Output = append(cfg.Output, &pb.ModelOutput{Name: out.Name, DataType: pb.DataType_TYPE_FP32, Dims: out.Dims})
	}
	return &pb.ModelConfigResponse{Config: cfg}, nil
}

func (g *grpcServer) ModelInfer(ctx context.Context, r *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	t, err := resolve(ctx, g.models, r.GetModelName(), r.GetModelVersion())
	if err != nil {
		return nil, grpcErr(err)
	}
	b, err := decodeGRPCInfer(r)
	if err != nil {
		return nil, grpcErr(err)
	}
	out, err := t.model.Infer(ctx, b)
	if err != nil {
		return nil, grpcErr(err)
	}
	names, err := outputOrder(b.Outputs, out)
	if err != nil {
		return nil, grpcErr(adapters.Wrap(adapters.KindInternal, err))
	}
	resp := &pb.ModelInferResponse{ModelName: t.name, ModelVersion: t.version, Id: r.GetId()}
	for _, name := range names {
		resp.Outputs = append(resp.Outputs, &pb.ModelInferResponse_InferOutputTensor{Name: name, Datatype: "FP32", Shape: out[name].Shape})
		resp.RawOutputContents = append(resp.RawOutputContents, appendFloats(make([]byte, 0, 4*len(out[name].Data)), out[name].Data))
	}
	return resp, nil
}

// decodeGRPCInfer reads inputs from raw_input_contents (one entry per
// input, in order) or from each input's typed contents.
func decodeGRPCInfer(r *pb.ModelInferRequest) (adapters.Batch, error) {
	raw := r.GetRawInputContents()
	if len(r.GetInputs()) == 0 {
		return adapters.Batch{}, badRequest("request has no inputs")
	}
	if len(raw) != 0 && len(raw) != len(r.GetInputs()) {
		return adapters.Batch{}, badRequest("%d inputs but %d raw_input_contents", len(r.GetInputs()), len(raw))
	}
	inputs := make([]inputTensor, 0, len(r.GetInputs()))
	for i, in := range r.GetInputs() {
		n, err := checkShape(in.GetName(), in.GetShape())
		if err != nil {
			return adapters.Batch{}, err
		}
		var vals []int64
		if len(raw) != 0 {
			if in.GetContents() != nil {
				return adapters.Batch{}, badRequest("input %q has contents while raw_input_contents is used", in.GetName())
			}
			vals, err = decodeRaw(in.GetName(), in.GetDatatype(), raw[i], n)
		} else {
			vals, err = typedContents(in, n)
		}
		if err != nil {
			return adapters.Batch{}, err
		}
		inputs = append(inputs, inputTensor{name: in.GetName(), shape: in.GetShape(), vals: vals})
	}
	var outputs []string
	for _, o := range r.GetOutputs() {
		outputs = append(outputs, o.GetName())
	}
	return buildBatch(inputs, outputs)
}

// typedContents reads int64_contents (INT64) or int_contents (INT32).
func typedContents(in *pb.ModelInferRequest_InferInputTensor, n int64) ([]int64, error) {
	if _, err := intSize(in.GetName(), in.GetDatatype()); err != nil {
		return nil, err
	}
	var vals []int64
	switch in.GetDatatype() {
	case "INT64":
		vals = append(vals, in.GetContents().GetInt64Contents()...)
	case "INT32":
		for _, v := range in.GetContents().GetIntContents() {
			vals = append(vals, int64(v))
		}
	}
	if int64(len(vals)) != n {
		return nil, badRequest("input %q: shape needs %d elements, contents has %d", in.GetName(), n, len(vals))
	}
	return vals, nil
}
