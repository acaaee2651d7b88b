package triton

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/infergate/infergate/adapters"
	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// maxMessage lets hidden-state responses of large batches through (gRPC's
// default receive limit is 4 MiB, one 32x128x256 FP32 tensor).
const maxMessage = 256 << 20

// grpcTransport speaks GRPCInferenceService over one multiplexed connection.
type grpcTransport struct {
	conn *grpc.ClientConn
	c    pb.GRPCInferenceServiceClient
}

func newGRPC(host string, useTLS bool) (*grpcTransport, error) {
	creds := insecure.NewCredentials()
	if useTLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	conn, err := grpc.NewClient(host,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		// Reconnect within a second of a restarted server coming back;
		// gRPC's default backoff grows to two minutes, far too long for a
		// replica the pool wants back.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("grpc %s: %w", host, err)
	}
	return &grpcTransport{conn: conn, c: pb.NewGRPCInferenceServiceClient(conn)}, nil
}

func (g *grpcTransport) close() error { return g.conn.Close() }

func (g *grpcTransport) serverReady(ctx context.Context) (bool, error) {
	r, err := g.c.ServerReady(ctx, &pb.ServerReadyRequest{})
	if err != nil {
		return false, grpcError(ctx, err)
	}
	return r.GetReady(), nil
}

func (g *grpcTransport) modelReady(ctx context.Context, model, version string) (bool, error) {
	r, err := g.c.ModelReady(ctx, &pb.ModelReadyRequest{Name: model, Version: version})
	if err != nil {
		return false, grpcError(ctx, err)
	}
	return r.GetReady(), nil
}

// binaryTensors is true: gRPC tensors always travel as raw bytes.
func (g *grpcTransport) binaryTensors(context.Context) (bool, error) { return true, nil }

func (g *grpcTransport) modelMetadata(ctx context.Context, model, version string) (*modelMetadata, error) {
	r, err := g.c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: model, Version: version})
	if err != nil {
		return nil, grpcError(ctx, err)
	}
	md := &modelMetadata{Name: r.GetName(), Versions: r.GetVersions(), Platform: r.GetPlatform()}
	for _, t := range r.GetInputs() {
		md.Inputs = append(md.Inputs, tensorMeta{Name: t.GetName(), Datatype: t.GetDatatype(), Shape: t.GetShape()})
	}
	for _, t := range r.GetOutputs() {
		md.Outputs = append(md.Outputs, tensorMeta{Name: t.GetName(), Datatype: t.GetDatatype(), Shape: t.GetShape()})
	}
	return md, nil
}

func (g *grpcTransport) modelConfig(ctx context.Context, model, version string) (*modelConfig, error) {
	r, err := g.c.ModelConfig(ctx, &pb.ModelConfigRequest{Name: model, Version: version})
	if status.Code(err) == codes.Unimplemented {
		return nil, nil // a KServe server without Triton's config extension
	}
	if err != nil {
		return nil, grpcError(ctx, err)
	}
	return &modelConfig{MaxBatchSize: int(r.GetConfig().GetMaxBatchSize())}, nil
}

func (g *grpcTransport) infer(ctx context.Context, call *inferCall) (map[string]outTensor, error) {
	req := &pb.ModelInferRequest{ModelName: call.model, ModelVersion: call.version}
	for _, in := range call.inputs {
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: in.name, Datatype: in.dtype, Shape: in.shape})
		req.RawInputContents = append(req.RawInputContents,
			appendInts(make([]byte, 0, len(in.values)*intSize(in.dtype)), in.dtype, in.values))
	}
	for _, name := range call.outputs {
		req.Outputs = append(req.Outputs, &pb.ModelInferRequest_InferRequestedOutputTensor{Name: name})
	}
	resp, err := g.c.ModelInfer(ctx, req)
	if err != nil {
		return nil, grpcError(ctx, err)
	}
	return decodeGRPCOutputs(resp)
}

// decodeGRPCOutputs reads raw_output_contents, or typed contents from
// servers that do not send raw bytes.
func decodeGRPCOutputs(resp *pb.ModelInferResponse) (map[string]outTensor, error) {
	raw := resp.GetRawOutputContents()
	if len(raw) != 0 && len(raw) != len(resp.GetOutputs()) {
		return nil, adapters.Errorf(adapters.KindInternal, "response has %d outputs but %d raw contents", len(resp.GetOutputs()), len(raw))
	}
	out := make(map[string]outTensor, len(resp.GetOutputs()))
	for i, t := range resp.GetOutputs() {
		n := elements(t.GetShape())
		var data []float32
		var err error
		switch {
		case len(raw) != 0:
			data, err = decodeFloats(t.GetDatatype(), raw[i], n)
		case t.GetContents() != nil && t.GetDatatype() == "FP32":
			data = t.GetContents().GetFp32Contents()
		case t.GetContents() != nil && t.GetDatatype() == "FP64":
			for _, v := range t.GetContents().GetFp64Contents() {
				data = append(data, float32(v))
			}
		default:
			err = fmt.Errorf("no data for %s tensor", t.GetDatatype())
		}
		if err != nil {
			return nil, adapters.Errorf(adapters.KindInternal, "output %q: %w", t.GetName(), err)
		}
		out[t.GetName()] = outTensor{shape: t.GetShape(), data: data}
	}
	return out, nil
}
