package triton

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// stubTriton is a GRPCInferenceService whose model each test sets, served
// on a real loopback grpc.Server (grpc-go's stubserver pattern). Its model
// answers logits[r] = [sum of row r's ids, sum of its mask] in outDType.
type stubTriton struct {
	pb.UnimplementedGRPCInferenceServiceServer
	md       *pb.ModelMetadataResponse
	maxBatch int32
	outDType string // FP32 or FP16
	err      error  // returned by ModelInfer when set
	noConfig bool   // ModelConfig is Unimplemented

	mu    sync.Mutex
	calls []*pb.ModelInferRequest
}

func (s *stubTriton) ServerReady(context.Context, *pb.ServerReadyRequest) (*pb.ServerReadyResponse, error) {
	return &pb.ServerReadyResponse{Ready: true}, nil
}

func (s *stubTriton) ModelReady(_ context.Context, r *pb.ModelReadyRequest) (*pb.ModelReadyResponse, error) {
	return &pb.ModelReadyResponse{Ready: r.GetName() == s.md.GetName()}, nil
}

func (s *stubTriton) ModelMetadata(_ context.Context, r *pb.ModelMetadataRequest) (*pb.ModelMetadataResponse, error) {
	if r.GetName() != s.md.GetName() {
		return nil, status.Errorf(codes.NotFound, "Request for unknown model: '%s' is not found", r.GetName())
	}
	return s.md, nil
}

func (s *stubTriton) ModelConfig(_ context.Context, r *pb.ModelConfigRequest) (*pb.ModelConfigResponse, error) {
	if s.noConfig {
		return nil, status.Error(codes.Unimplemented, "no config")
	}
	return &pb.ModelConfigResponse{Config: &pb.ModelConfig{Name: r.GetName(), MaxBatchSize: s.maxBatch}}, nil
}

func (s *stubTriton) ModelInfer(_ context.Context, r *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	s.mu.Lock()
	s.calls = append(s.calls, r)
	s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if s.maxBatch > 0 && r.GetInputs()[0].GetShape()[0] > int64(s.maxBatch) {
		return nil, status.Errorf(codes.InvalidArgument, "batch %d exceeds max_batch_size %d", r.GetInputs()[0].GetShape()[0], s.maxBatch)
	}
	vals := map[string][]int64{}
	for i, in := range r.GetInputs() {
		raw := r.GetRawInputContents()[i]
		for j := 0; j < len(raw); {
			switch in.GetDatatype() {
			case "INT32":
				vals[in.GetName()] = append(vals[in.GetName()], int64(int32(binary.LittleEndian.Uint32(raw[j:]))))
				j += 4
			default:
				vals[in.GetName()] = append(vals[in.GetName()], int64(binary.LittleEndian.Uint64(raw[j:])))
				j += 8
			}
		}
	}
	shape := r.GetInputs()[0].GetShape()
	rows, n := shape[0], shape[1]
	ids, mask := vals[s.md.GetInputs()[0].GetName()], vals[s.md.GetInputs()[1].GetName()]
	var out []byte
	for row := range rows {
		var a, b float32
		for i := row * n; i < (row+1)*n; i++ {
			a += float32(ids[i])
			b += float32(mask[i])
		}
		for _, v := range []float32{a, b} {
			if s.outDType == "FP16" {
				out = binary.LittleEndian.AppendUint16(out, floatToHalf(v))
			} else {
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
			}
		}
	}
	return &pb.ModelInferResponse{
		ModelName:         r.GetModelName(),
		Outputs:           []*pb.ModelInferResponse_InferOutputTensor{{Name: s.md.GetOutputs()[0].GetName(), Datatype: s.outDType, Shape: []int64{rows, 2}}},
		RawOutputContents: [][]byte{out},
	}, nil
}

// floatToHalf converts small integers exactly (all the stub needs).
func floatToHalf(f float32) uint16 {
	if f == 0 {
		return 0
	}
	bits := math.Float32bits(f)
	exp := int((bits>>23)&0xff) - 127 + 15
	if exp <= 0 || exp >= 31 {
		panic(fmt.Sprintf("floatToHalf(%g) out of the stub's range", f))
	}
	return uint16(bits>>16)&0x8000 | uint16(exp)<<10 | uint16((bits>>13)&0x3ff)
}

func (s *stubTriton) rowsPerCall() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []int64
	for _, c := range s.calls {
		rows = append(rows, c.GetInputs()[0].GetShape()[0])
	}
	return rows
}

// serve starts the stub on loopback and returns its grpc:// URL.
func (s *stubTriton) serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	pb.RegisterGRPCInferenceServiceServer(gs, s)
	done := make(chan struct{})
	go func() { defer close(done); _ = gs.Serve(lis) }()
	t.Cleanup(func() { gs.Stop(); <-done })
	return "grpc://" + lis.Addr().String()
}

// tfStyle is a model exported with TensorFlow's BERT names and INT32 inputs.
func tfStyle() *pb.ModelMetadataResponse {
	in := func(name string) *pb.ModelMetadataResponse_TensorMetadata {
		return &pb.ModelMetadataResponse_TensorMetadata{Name: name, Datatype: "INT32", Shape: []int64{-1, -1}}
	}
	return &pb.ModelMetadataResponse{
		Name: "bert", Versions: []string{"3"}, Platform: "tensorflow_savedmodel",
		Inputs:  []*pb.ModelMetadataResponse_TensorMetadata{in("input_word_ids"), in("input_mask"), in("segment_ids")},
		Outputs: []*pb.ModelMetadataResponse_TensorMetadata{{Name: "classifier_output", Datatype: "FP32", Shape: []int64{-1, 2}}},
	}
}
