// Package tokenizer is BERT WordPiece tokenization that gives exactly the
// ids, type ids and offsets of HuggingFace tokenizers (the reference the
// models were trained with), in linear time, for the gateway's hot path.
//
// It loads a vocab.txt (bert-base-uncased conventions) or an HF
// tokenizer.json with a BertNormalizer, a BertPreTokenizer, a WordPiece
// model and a TemplateProcessing or BertProcessing post-processor; any other
// component is rejected at load with an error naming it.
//
// One pass over the text does added-token matching, normalisation,
// pre-tokenisation and WordPiece (LinMaxMatch: a trie with failure links,
// no rescanning). A Tokenizer is immutable and safe for concurrent use;
// EncodeTo reuses the caller's Encoding so steady-state encoding allocates
// nothing. Parity with HF tokenizers 0.23.2 is tested against committed
// goldens (benchmarks/tokenizer), including HF's quirks: its pinned Unicode
// tables, NFD alignments, and longest_first word caps for pairs.
//
// Input must be valid UTF-8: invalid input is rejected with an error that
// wraps ErrInvalidUTF8 (HF's bindings only ever see valid strings, so there
// is no reference behaviour to copy, and silently replacing bytes would make
// the code-point offsets ambiguous).
package tokenizer

import (
	"errors"
	"fmt"
	"sync"
)

// Errors of Encode and friends wrap one of these, so a server can answer
// 422 for text it cannot tokenize and 400 for options that cannot apply.
var (
	// ErrInvalidUTF8: a text is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("tokenizer: text is not valid UTF-8")
	// ErrInvalidOptions: the options (or the loaded truncation) cannot be
	// applied, e.g. a MaxLength shorter than the special tokens.
	ErrInvalidOptions = errors.New("tokenizer: invalid options")
)

// Options adjust one call; the zero value applies the truncation and
// padding configured by the loaded file (none for a vocab.txt).
type Options struct {
	MaxLength  int  // >0: truncate to this many tokens, specials included (overrides the loaded truncation)
	NoTruncate bool // ignore any truncation configured in the loaded file
	NoPadding  bool // ignore the padding configured in tokenizer.json
}

// Encoding is one tokenized input, ready to become a row of a model batch.
type Encoding struct {
	IDs, TypeIDs, AttentionMask []int32
	Tokens                      []string
	Offsets                     [][2]int // unicode code points into the original text ([start, end)); [0,0] for special and padding tokens
	Truncated                   bool     // tokens were dropped to respect the maximum length
}

// Len is the number of tokens, padding included.
func (e *Encoding) Len() int { return len(e.IDs) }

// Tokenizer is immutable after Load and safe for concurrent use.
type Tokenizer struct {
	wp        *wordPiece
	chars     *charTable
	norm      normalizer
	ascii     [128]asciiAction
	tokens    []string // by id
	added     addedTokens
	single    []templatePiece
	pair      []templatePiece
	trunc     *truncation
	pad       *padding
	padID     int32
	scratches sync.Pool
}

// VocabSize is the number of ids (the model's embedding rows it needs).
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// PadID is the id to pad batches with: the configured padding id, else the
// id of [PAD], else 0.
func (t *Tokenizer) PadID() int32 { return t.padID }

// Vocab returns the tokens by id (a copy); it is how vocab.txt is derived
// from a tokenizer.json.
func (t *Tokenizer) Vocab() []string { return append([]string(nil), t.tokens...) }

// Encode tokenizes one text.
func (t *Tokenizer) Encode(text string, opts Options) (Encoding, error) {
	var e Encoding
	err := t.encode(&e, text, "", false, opts)
	return e, err
}

// EncodePair tokenizes a text pair (e.g. query and passage) with the
// pair template: type id 0 for text, 1 for pair in BERT.
func (t *Tokenizer) EncodePair(text, pair string, opts Options) (Encoding, error) {
	var e Encoding
	err := t.encode(&e, text, pair, true, opts)
	return e, err
}

// EncodeTo is Encode into dst, reusing its slices: a caller that keeps dst
// across calls tokenizes with no allocation at all.
func (t *Tokenizer) EncodeTo(dst *Encoding, text string, opts Options) error {
	return t.encode(dst, text, "", false, opts)
}

// EncodePairTo is EncodePair into dst, reusing its slices.
func (t *Tokenizer) EncodePairTo(dst *Encoding, text, pair string, opts Options) error {
	return t.encode(dst, text, pair, true, opts)
}

func (t *Tokenizer) encode(dst *Encoding, a, b string, isPair bool, opts Options) error {
	tr, err := t.truncationFor(opts)
	if err != nil {
		return err
	}
	s := t.getScratch()
	defer t.scratches.Put(s)
	s.a.reset()
	s.b.reset()
	limit := 0
	if tr != nil && !tr.left {
		limit = max(tr.maxLen, 1)
	}
	if err := t.encodeSequence(s, a, &s.a, limit); err != nil {
		return err
	}
	if isPair {
		if err := t.encodeSequence(s, b, &s.b, limit); err != nil {
			return fmt.Errorf("pair: %w", err)
		}
	}
	if err := t.assemble(dst, s, isPair, tr); err != nil {
		return err
	}
	if t.pad != nil && !opts.NoPadding {
		t.pad.apply(dst, t.pad.target(dst.Len()))
	}
	return nil
}

func (t *Tokenizer) getScratch() *scratch {
	if s, ok := t.scratches.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}
