package triton

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/infergate/infergate/adapters"
	"github.com/infergate/infergate/adapters/onnx"
	pb "github.com/infergate/infergate/adapters/triton/inferencepb"
)

// repoModelDir is the reference model's Triton model folder.
const repoModelDir = "../../deploy/model_repository/langid"

// TestModelRepositoryForTriton checks deploy/model_repository/langid the way
// tritonserver does when it loads the folder: config.pbtxt parses as a
// ModelConfig, names the folder's model, and its inputs and outputs match
// the ONNX file's names, data types and shapes (with max_batch_size > 0 the
// dims leave out the batch dimension, which the model must have dynamic);
// dynamic batching needs batching enabled. No GPU or Triton binary here,
// so the rules are applied to the real files instead.
func TestModelRepositoryForTriton(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoModelDir, "config.pbtxt"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg pb.ModelConfig
	// The proto here is a subset of Triton's: fields it lacks are skipped.
	if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(text, &cfg); err != nil {
		t.Fatalf("config.pbtxt: %v", err)
	}
	if cfg.GetName() != "" && cfg.GetName() != filepath.Base(repoModelDir) {
		t.Errorf("name %q; Triton wants the folder's name %q", cfg.GetName(), filepath.Base(repoModelDir))
	}
	if cfg.GetPlatform() != "onnxruntime_onnx" && cfg.GetBackend() != "onnxruntime" {
		t.Errorf("platform %q, backend %q; want onnxruntime_onnx or onnxruntime", cfg.GetPlatform(), cfg.GetBackend())
	}
	if cfg.GetMaxBatchSize() < 0 {
		t.Errorf("max_batch_size %d < 0", cfg.GetMaxBatchSize())
	}
	if db := cfg.GetDynamicBatching(); db != nil {
		if cfg.GetMaxBatchSize() == 0 {
			t.Error("dynamic_batching with max_batch_size 0: Triton rejects batching for a model that does not batch")
		}
		for _, p := range db.GetPreferredBatchSize() {
			if p <= 0 || p > cfg.GetMaxBatchSize() {
				t.Errorf("preferred_batch_size %d outside [1, max_batch_size %d]", p, cfg.GetMaxBatchSize())
			}
		}
	}

	rt, err := onnx.New(context.Background(), onnx.Options{ModelPath: filepath.Join(repoModelDir, "1", "model.onnx")})
	if err != nil {
		t.Fatalf("1/model.onnx, the file Triton loads by default: %v", err)
	}
	defer rt.Close()
	md, err := rt.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	batching := cfg.GetMaxBatchSize() > 0
	type io struct {
		name  string
		dtype pb.DataType
		dims  []int64
	}
	var ins, outs []io
	for _, in := range cfg.GetInput() {
		ins = append(ins, io{in.GetName(), in.GetDataType(), in.GetDims()})
	}
	for _, out := range cfg.GetOutput() {
		outs = append(outs, io{out.GetName(), out.GetDataType(), out.GetDims()})
	}
	check := func(kind string, cfgIO []io, model []adapters.TensorSpec) {
		if len(cfgIO) != len(model) {
			t.Errorf("config has %d %ss; the model has %d (%v)", len(cfgIO), kind, len(model), model)
		}
		for _, c := range cfgIO {
			var m *adapters.TensorSpec
			for i := range model {
				if model[i].Name == c.name {
					m = &model[i]
				}
			}
			if m == nil {
				t.Errorf("%s %q is not in the model (%v)", kind, c.name, model)
				continue
			}
			if want := "TYPE_" + m.DType; c.dtype.String() != want {
				t.Errorf("%s %q: data_type %v; the model's is %s", kind, c.name, c.dtype, want)
			}
			shape := m.Shape
			if batching {
				if len(shape) == 0 || shape[0] != -1 {
					t.Errorf("%s %q: model shape %v has no dynamic batch dimension, yet max_batch_size is %d", kind, c.name, shape, cfg.GetMaxBatchSize())
					continue
				}
				shape = shape[1:]
			}
			if !dimsMatch(c.dims, shape) {
				t.Errorf("%s %q: dims %v do not match the model's shape %v (batch dimension %s)", kind, c.name, c.dims, m.Shape,
					map[bool]string{true: "left out, max_batch_size > 0", false: "included, max_batch_size 0"}[batching])
			}
		}
	}
	check("input", ins, md.Inputs)
	check("output", outs, md.Outputs)
	if strings.TrimSpace(string(text)) == "" {
		t.Error("config.pbtxt is empty")
	}
}

// dimsMatch applies the rule of Triton's ONNX Runtime backend: same rank,
// and each dimension equal or variable (-1) in the model; a variable config
// dimension against a fixed model one is a mismatch.
func dimsMatch(cfg, model []int64) bool {
	if len(cfg) != len(model) {
		return false
	}
	for i := range cfg {
		if cfg[i] != model[i] && model[i] != -1 {
			return false
		}
	}
	return true
}
