// Package adapters holds the contract between the gateway and the model
// runtimes it fronts: the Runtime interface, the tensor types that cross it and
// the error kinds a caller can match. Like database/sql/driver it is a small
// leaf package: concrete runtimes live in child packages (adapters/onnx,
// adapters/triton) and the gateway depends only on this one.
package adapters

import (
	"context"
	"math"
)

// Standard tensor names of a BERT-family model. Adapters map them to the
// model's own names found in its metadata.
const (
	InputIDs        = "input_ids"
	AttentionMask   = "attention_mask"
	TokenTypeIDs    = "token_type_ids"
	Logits          = "logits"
	LastHiddenState = "last_hidden_state"
)

// Batch is a padded batch of tokenized sequences, row-major with shape
// [Rows, Len]. All three slices have Rows*Len elements.
type Batch struct {
	Rows, Len     int
	InputIDs      []int64
	AttentionMask []int64
	TokenTypeIDs  []int64
	// Outputs names the outputs the caller needs; empty means all of them.
	// Asking for logits alone lets a runtime skip copying hidden states.
	Outputs []string
}

// Validate reports a KindBadInput error when the slices do not match the
// shape, or hold values no BERT-family model accepts: negative token or
// token-type ids (ONNX Gather would silently read them from the end of the
// table) and attention masks other than 0 or 1.
func (b Batch) Validate() error {
	switch {
	case b.Rows <= 0 || b.Len <= 0:
		return Errorf(KindBadInput, "batch shape [%d, %d] is empty", b.Rows, b.Len)
	case b.Rows > math.MaxInt/b.Len:
		return Errorf(KindBadInput, "batch shape [%d, %d] is too large", b.Rows, b.Len)
	}
	n := b.Rows * b.Len
	if len(b.InputIDs) != n || len(b.AttentionMask) != n || len(b.TokenTypeIDs) != n {
		return Errorf(KindBadInput, "batch shape [%d, %d] needs %d values per input, got %d, %d, %d",
			b.Rows, b.Len, n, len(b.InputIDs), len(b.AttentionMask), len(b.TokenTypeIDs))
	}
	for i := range n {
		switch {
		case b.InputIDs[i] < 0:
			return Errorf(KindBadInput, "input_ids[%d][%d] = %d is negative", i/b.Len, i%b.Len, b.InputIDs[i])
		case b.TokenTypeIDs[i] < 0:
			return Errorf(KindBadInput, "token_type_ids[%d][%d] = %d is negative", i/b.Len, i%b.Len, b.TokenTypeIDs[i])
		case b.AttentionMask[i] != 0 && b.AttentionMask[i] != 1:
			return Errorf(KindBadInput, "attention_mask[%d][%d] = %d is not 0 or 1", i/b.Len, i%b.Len, b.AttentionMask[i])
		}
	}
	return nil
}

// Tensor is a dense float32 output, row-major.
type Tensor struct {
	Shape []int64
	Data  []float32
}

// Outputs maps standard output names (Logits, LastHiddenState) to tensors.
type Outputs map[string]Tensor

// TensorSpec describes one input or output of a model. DType uses the KServe
// v2 names (INT64, FP32, ...); -1 in Shape is a dynamic dimension.
type TensorSpec struct {
	Name  string
	DType string
	Shape []int64
}

// Metadata describes a loaded model.
type Metadata struct {
	Name     string
	Version  string
	Platform string
	Inputs   []TensorSpec
	Outputs  []TensorSpec
	// MaxBatchSize is the largest number of rows one call takes; 0 means no limit.
	MaxBatchSize int
}

// Runtime is one replica of a model in some runtime. Implementations must be
// safe for concurrent use and honour ctx deadlines and cancellation.
type Runtime interface {
	// Infer runs the model on a batch. Errors are *Error values whose Kind
	// tells the caller whether another replica may succeed.
	Infer(ctx context.Context, b Batch) (Outputs, error)
	// Ready returns nil when the replica can serve now.
	Ready(ctx context.Context) error
	// Metadata describes the model this replica serves.
	Metadata(ctx context.Context) (Metadata, error)
	// Close releases every resource the runtime holds.
	Close() error
}
