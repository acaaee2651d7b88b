package kserve

import (
	"context"
	"net"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/infergate/infergate/adapters"
	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// startGRPC serves models on a loopback port and returns a client.
func startGRPC(t *testing.T, models Models) pb.GRPCInferenceServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	RegisterGRPC(s, models)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		s.Stop()
		<-done
	})
	return pb.NewGRPCInferenceServiceClient(conn)
}

func TestGRPCHealthAndMetadata(t *testing.T) {
	down := newFakeModel()
	down.notReady = true
	c := startGRPC(t, fakeModels{"langid": newFakeModel(), "down": down})
	ctx := context.Background()

	live, err := c.ServerLive(ctx, &pb.ServerLiveRequest{})
	if err != nil || !live.GetLive() {
		t.Errorf("ServerLive = %v, %v; want live", live, err)
	}
	ready, err := c.ServerReady(ctx, &pb.ServerReadyRequest{})
	if err != nil || ready.GetReady() {
		t.Errorf("ServerReady = %v, %v; want not ready (one model is down)", ready, err)
	}
	mr, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "langid", Version: "1"})
	if err != nil || !mr.GetReady() {
		t.Errorf("ModelReady(langid) = %v, %v; want ready", mr, err)
	}
	sm, err := c.ServerMetadata(ctx, &pb.ServerMetadataRequest{})
	if err != nil || !slices.Contains(sm.GetExtensions(), "binary_tensor_data") {
		t.Errorf("ServerMetadata = %v, %v", sm, err)
	}
	md, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "langid"})
	if err != nil {
		t.Fatal(err)
	}
	if md.GetName() != "langid" || len(md.GetInputs()) != 3 || md.GetOutputs()[0].GetName() != "logits" ||
		!slices.Equal(md.GetOutputs()[0].GetShape(), []int64{-1, 3}) || md.GetInputs()[0].GetDatatype() != "INT64" {
		t.Errorf("ModelMetadata = %v", md)
	}
	cfg, err := c.ModelConfig(ctx, &pb.ModelConfigRequest{Name: "langid"})
	if err != nil || cfg.GetConfig().GetInput()[0].GetDataType() != pb.DataType_TYPE_INT64 || len(cfg.GetConfig().GetOutput()) != 2 {
		t.Errorf("ModelConfig = %v, %v", cfg, err)
	}
	for _, tt := range []struct {
		name, version string
		code          codes.Code
	}{{"nope", "", codes.NotFound}, {"langid", "9", codes.NotFound}} {
		_, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: tt.name, Version: tt.version})
		if status.Code(err) != tt.code {
			t.Errorf("ModelMetadata(%q, %q) = %v; want %v", tt.name, tt.version, err, tt.code)
		}
	}
}

func TestGRPCInfer(t *testing.T) {
	ids := []int64{101, 7592, 102, 101, 2088, 0}
	mask := []int64{1, 1, 1, 1, 1, 0}
	input := func(name, dtype string, raw bool, vals []int64) (*pb.ModelInferRequest_InferInputTensor, []byte) {
		in := &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: dtype, Shape: []int64{2, 3}}
		switch {
		case raw && dtype == "INT32":
			var v []int32
			for _, x := range vals {
				v = append(v, int32(x))
			}
			return in, le32(v...)
		case raw:
			return in, le64(vals...)
		case dtype == "INT32":
			in.Contents = &pb.InferTensorContents{}
			for _, x := range vals {
				in.Contents.IntContents = append(in.Contents.IntContents, int32(x))
			}
		default:
			in.Contents = &pb.InferTensorContents{Int64Contents: vals}
		}
		return in, nil
	}
	tests := []struct {
		name  string
		dtype string
		raw   bool
	}{{"raw INT64", "INT64", true}, {"raw INT32", "INT32", true}, {"typed INT64", "INT64", false}, {"typed INT32", "INT32", false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeModel()
			c := startGRPC(t, fakeModels{"langid": m})
			req := &pb.ModelInferRequest{ModelName: "langid", Id: "7",
				Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits"}}}
			for _, in := range []struct {
				name string
				vals []int64
			}{{"input_ids", ids}, {"attention_mask", mask}} {
				tensor, raw := input(in.name, tt.dtype, tt.raw, in.vals)
				req.Inputs = append(req.Inputs, tensor)
				if tt.raw {
					req.RawInputContents = append(req.RawInputContents, raw)
				}
			}
			resp, err := c.ModelInfer(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetId() != "7" || len(resp.GetOutputs()) != 1 || len(resp.GetRawOutputContents()) != 1 {
				t.Fatalf("ModelInfer = %v", resp)
			}
			o := resp.GetOutputs()[0]
			want := []float32{101 + 7592 + 102, 3, 0, 101 + 2088, 2, 0}
			if got := floats(resp.GetRawOutputContents()[0]); o.GetName() != "logits" || o.GetDatatype() != "FP32" ||
				!slices.Equal(o.GetShape(), []int64{2, 3}) || !slices.Equal(got, want) {
				t.Errorf("output %v = %v; want logits FP32 [2 3] %v", o, got, want)
			}
		})
	}
}

func TestGRPCInferErrors(t *testing.T) {
	ok := &pb.ModelInferRequest_InferInputTensor{Name: "input_ids", Datatype: "INT64", Shape: []int64{1, 2}}
	tests := []struct {
		name     string
		modelErr error
		req      *pb.ModelInferRequest
		code     codes.Code
	}{
		{"unknown model", nil, &pb.ModelInferRequest{ModelName: "nope"}, codes.NotFound},
		{"no inputs", nil, &pb.ModelInferRequest{ModelName: "langid"}, codes.InvalidArgument},
		{"raw count", nil, &pb.ModelInferRequest{ModelName: "langid", Inputs: []*pb.ModelInferRequest_InferInputTensor{ok},
			RawInputContents: [][]byte{le64(1, 2), le64(1)}}, codes.InvalidArgument},
		{"raw size", nil, &pb.ModelInferRequest{ModelName: "langid", Inputs: []*pb.ModelInferRequest_InferInputTensor{ok},
			RawInputContents: [][]byte{le64(1)}}, codes.InvalidArgument},
		{"BYTES", nil, &pb.ModelInferRequest{ModelName: "langid", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "input_ids", Datatype: "BYTES", Shape: []int64{1, 1}, Contents: &pb.InferTensorContents{BytesContents: [][]byte{[]byte("hi")}}}}}, codes.InvalidArgument},
		{"unavailable", adapters.Errorf(adapters.KindUnavailable, "breaker open"), &pb.ModelInferRequest{ModelName: "langid",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{ok}, RawInputContents: [][]byte{le64(1, 2)}}, codes.Unavailable},
		{"timeout", adapters.Errorf(adapters.KindTimeout, "deadline"), &pb.ModelInferRequest{ModelName: "langid",
			Inputs: []*pb.ModelInferRequest_InferInputTensor{ok}, RawInputContents: [][]byte{le64(1, 2)}}, codes.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newFakeModel()
			m.err = tt.modelErr
			c := startGRPC(t, fakeModels{"langid": m})
			_, err := c.ModelInfer(context.Background(), tt.req)
			if status.Code(err) != tt.code {
				t.Errorf("ModelInfer = %v; want %v", err, tt.code)
			}
		})
	}
}
