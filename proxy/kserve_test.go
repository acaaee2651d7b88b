package proxy_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/triton"
	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// TestKServeFrontendsReachThePool calls the gateway as if it were Triton,
// with the project's own Triton client over gRPC and HTTP, and checks the
// answer is the replica's.
func TestKServeFrontendsReachThePool(t *testing.T) {
	fake := newFakeRuntime(3, 4)
	g := startGateway(t, fakeConfig(t, 3, "a"), fakeFactory(map[string]*fakeRuntime{"a": fake}))
	batch := adapters.Batch{
		Rows: 2, Len: 3,
		InputIDs:      []int64{101, 7592, 102, 101, 102, 0},
		AttentionMask: []int64{1, 1, 1, 1, 1, 0},
		TokenTypeIDs:  make([]int64, 6),
	}
	want, err := fake.Infer(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"grpc://" + g.GRPC, g.URL} {
		t.Run(url[:4], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := triton.New(ctx, triton.Options{URL: url, Model: "m", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("triton.New(%s): %v", url, err)
			}
			defer c.Close()
			got, err := c.Infer(ctx, batch)
			if err != nil {
				t.Fatalf("Infer: %v", err)
			}
			if url[:4] == "grpc" {
				m := string(do(t, "GET", g.URL+"/metrics", nil).Body)
				if !strings.Contains(m, `infergate_requests_total{code="OK",model="m",route="/inference.GRPCInferenceService/ModelInfer"} 1`) {
					t.Error("/metrics does not count the gRPC ModelInfer call")
				}
			}
			for _, name := range []string{adapters.Logits, adapters.LastHiddenState} {
				w, gt := want[name].Data, got[name].Data
				if len(w) != len(gt) {
					t.Fatalf("%s: %d values; want %d", name, len(gt), len(w))
				}
				for i := range w {
					if w[i] != gt[i] {
						t.Fatalf("%s[%d] = %v; want %v", name, i, gt[i], w[i])
					}
				}
			}
		})
	}
}

func TestGRPCNeedsTheAPIKeysToo(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("k1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, 3, "a")
	cfg.Server.APIKeysFile = keys
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": newFakeRuntime(3, 4)}))
	conn, err := grpc.NewClient(g.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := pb.NewGRPCInferenceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := c.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil {
		t.Errorf("ServerLive without a key: %v; probes need none", err)
	}
	tests := []struct {
		name string
		md   []string
		want codes.Code
	}{
		{"no key", nil, codes.Unauthenticated},
		{"wrong key", []string{"authorization", "Bearer k2"}, codes.Unauthenticated},
		{"bearer", []string{"authorization", "Bearer k1"}, codes.OK},
		{"x-api-key", []string{"x-api-key", "k1"}, codes.OK},
	}
	for _, tt := range tests {
		_, err := c.ModelReady(metadata.AppendToOutgoingContext(ctx, tt.md...), &pb.ModelReadyRequest{Name: "m"})
		if got := status.Code(err); got != tt.want {
			t.Errorf("%s: ModelReady = %v; want %v", tt.name, err, tt.want)
		}
	}
}

// TestKServeHTTPMetricsNameTheModel checks /v2/models/{m}/... requests are
// counted under the model of their path, and that unknown names do not
// become labels.
func TestKServeHTTPMetricsNameTheModel(t *testing.T) {
	g := startGateway(t, fakeConfig(t, 3, "a"), fakeFactory(map[string]*fakeRuntime{"a": newFakeRuntime(3, 4)}))
	tests := []struct {
		method, path string
		body         any
		want         string
	}{
		{"GET", "/v2/models/m", nil, `infergate_requests_total{code="200",model="m",route="/v2/models/:model"} 1`},
		{"GET", "/v2/models/m/ready", nil, `infergate_requests_total{code="200",model="m",route="/v2/models/:model/ready"} 1`},
		{"POST", "/v2/models/m/infer", `{"inputs":[]}`, `infergate_requests_total{code="400",model="m",route="/v2/models/:model/infer"} 1`},
		{"GET", "/v2/models/nosuch", nil, `infergate_requests_total{code="404",model="",route="/v2/models/:model"} 1`},
	}
	for _, tt := range tests {
		do(t, tt.method, g.URL+tt.path, tt.body)
	}
	m := string(do(t, "GET", g.URL+"/metrics", nil).Body)
	for _, tt := range tests {
		if !strings.Contains(m, tt.want) {
			t.Errorf("%s %s: /metrics lacks %s", tt.method, tt.path, tt.want)
		}
	}
	if strings.Contains(m, `model="nosuch"`) {
		t.Error("an unknown model name became a metric label")
	}
}
