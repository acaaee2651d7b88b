package triton

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// BenchmarkGRPCPassthrough measures what gateway B's triton backend adds to
// a KServe v2 gRPC call: the same ModelInfer batch sent to gateway A
// directly, and to gateway B whose backend forwards it to A over gRPC. Both
// gateways are real `infergate serve` processes on loopback. Calls
// alternate between the two paths so machine noise hits both alike; then
// closed-loop throughput runs in alternating one-second slices.
//
//	go test -run '^$' -bench GRPCPassthrough -benchtime 2000x ./adapters/triton
func BenchmarkGRPCPassthrough(b *testing.B) {
	a := startGateway(b, "A", gatewayConfig(b, backendYAML{name: "local", typ: "onnx"}))
	gb := startGateway(b, "B", gatewayConfig(b, backendYAML{name: "a", typ: "triton", url: "grpc://" + a.grpcAddr}))
	direct, via := benchClient(b, a.grpcAddr), benchClient(b, gb.grpcAddr)

	for _, rows := range []int{1, 8} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			req := benchRequest(rows, 32)
			ctx := context.Background()
			for _, c := range []pb.GRPCInferenceServiceClient{direct, via} { // warm up both paths
				for range 50 {
					mustInfer(b, ctx, c, req)
				}
			}
			var dLat, vLat []time.Duration
			b.ResetTimer()
			for i := range b.N {
				first, second := direct, via
				if i%2 == 1 {
					first, second = via, direct
				}
				d1 := timeInfer(b, ctx, first, req)
				d2 := timeInfer(b, ctx, second, req)
				if i%2 == 1 {
					d1, d2 = d2, d1
				}
				dLat, vLat = append(dLat, d1), append(vLat, d2)
			}
			b.StopTimer()
			dp50, dp99 := percentiles(dLat)
			vp50, vp99 := percentiles(vLat)
			b.ReportMetric(float64(dp50.Microseconds())/1000, "direct-p50-ms")
			b.ReportMetric(float64(dp99.Microseconds())/1000, "direct-p99-ms")
			b.ReportMetric(float64(vp50.Microseconds())/1000, "viaB-p50-ms")
			b.ReportMetric(float64(vp99.Microseconds())/1000, "viaB-p99-ms")
			b.ReportMetric(float64((vp50-dp50).Microseconds())/1000, "added-p50-ms")
			b.ReportMetric(float64((vp99-dp99).Microseconds())/1000, "added-p99-ms")

			dn, vn := throughput(b, ctx, direct, via, req, 4, 5, time.Second)
			b.ReportMetric(float64(dn)/5, "direct-calls/s")
			b.ReportMetric(float64(vn)/5, "viaB-calls/s")
			b.ReportMetric(float64(vn)/float64(dn), "throughput-ratio")
		})
	}
}

func benchClient(b *testing.B, addr string) pb.GRPCInferenceServiceClient {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return pb.NewGRPCInferenceServiceClient(conn)
}

// benchRequest is a padded batch of plausible ids asking for logits.
func benchRequest(rows, n int) *pb.ModelInferRequest {
	req := &pb.ModelInferRequest{ModelName: "langid",
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits"}}}
	for _, name := range []string{"input_ids", "attention_mask", "token_type_ids"} {
		var raw []byte
		for r := range rows {
			for i := range n {
				v := int64(0)
				switch {
				case name == "input_ids" && i == 0:
					v = 101
				case name == "input_ids" && i == n-1:
					v = 102
				case name == "input_ids":
					v = int64(100 + (r*31+i*7)%900)
				case name == "attention_mask":
					v = 1
				}
				raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
			}
		}
		req.Inputs = append(req.Inputs, &pb.ModelInferRequest_InferInputTensor{Name: name, Datatype: "INT64", Shape: []int64{int64(rows), int64(n)}})
		req.RawInputContents = append(req.RawInputContents, raw)
	}
	return req
}

func mustInfer(b *testing.B, ctx context.Context, c pb.GRPCInferenceServiceClient, req *pb.ModelInferRequest) {
	if _, err := c.ModelInfer(ctx, req); err != nil {
		b.Fatal(err)
	}
}

func timeInfer(b *testing.B, ctx context.Context, c pb.GRPCInferenceServiceClient, req *pb.ModelInferRequest) time.Duration {
	start := time.Now()
	mustInfer(b, ctx, c, req)
	return time.Since(start)
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

// throughput runs closed loops of workers against each client in
// alternating slices and returns the calls each completed.
func throughput(b *testing.B, ctx context.Context, direct, via pb.GRPCInferenceServiceClient, req *pb.ModelInferRequest, workers, rounds int, slice time.Duration) (dn, vn int64) {
	run := func(c pb.GRPCInferenceServiceClient) int64 {
		var n atomic.Int64
		var wg sync.WaitGroup
		end := time.Now().Add(slice)
		for range workers {
			wg.Go(func() {
				for time.Now().Before(end) {
					mustInfer(b, ctx, c, req)
					n.Add(1)
				}
			})
		}
		wg.Wait()
		return n.Load()
	}
	for r := range rounds {
		if r%2 == 0 {
			dn += run(direct)
			vn += run(via)
		} else {
			vn += run(via)
			dn += run(direct)
		}
	}
	return dn, vn
}
