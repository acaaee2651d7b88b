package tokenizer

import "fmt"

// templatePiece is one element of a post-processor template: a special
// token (ids and tokens) or one of the input sequences (seq 0 or 1).
type templatePiece struct {
	special []int32 // nil for a sequence
	seq     int
	typeID  int32
}

func countSpecial(tpl []templatePiece) int {
	n := 0
	for _, p := range tpl {
		n += len(p.special)
	}
	return n
}

// truncation is HF's TruncationParams (stride only matters for the
// overflowing encodings, which this package does not produce).
type truncation struct {
	maxLen   int
	strategy string // "LongestFirst", "OnlyFirst", "OnlySecond"
	left     bool   // direction Left: keep the end
}

func (t *Tokenizer) truncationFor(opts Options) (*truncation, error) {
	switch {
	case opts.MaxLength < 0:
		return nil, fmt.Errorf("%w: MaxLength %d is negative", ErrInvalidOptions, opts.MaxLength)
	case opts.MaxLength > 0 && opts.NoTruncate:
		return nil, fmt.Errorf("%w: MaxLength and NoTruncate are mutually exclusive", ErrInvalidOptions)
	case opts.NoTruncate:
		return nil, nil
	case opts.MaxLength > 0:
		tr := truncation{strategy: "LongestFirst"}
		if t.trunc != nil {
			tr = *t.trunc
		}
		tr.maxLen = opts.MaxLength
		return &tr, nil
	}
	return t.trunc, nil
}

// truncLengths is HF's truncate_encodings: how many tokens of each
// sequence to keep so that n1+n2 <= maxLen.
func truncLengths(n1, n2 int, isPair bool, maxLen int, strategy string) (int, int, error) {
	total := n1 + n2
	if total <= maxLen {
		return n1, n2, nil
	}
	remove := total - maxLen
	switch strategy {
	case "LongestFirst":
		if !isPair {
			return n1 - remove, 0, nil
		}
		a, b := n1, n2
		swap := a > b
		if swap {
			a, b = b, a
		}
		if a > maxLen {
			b = a
		} else {
			b = max(a, maxLen-a)
		}
		if a+b > maxLen {
			a = maxLen / 2
			b = a + maxLen%2
		}
		if swap {
			a, b = b, a
		}
		return a, b, nil
	case "OnlyFirst":
		if n1 > remove {
			return n1 - remove, n2, nil
		}
	case "OnlySecond":
		if !isPair {
			return 0, 0, fmt.Errorf("%w: truncation strategy OnlySecond needs a text pair", ErrInvalidOptions)
		}
		if n2 > remove {
			return n1, n2 - remove, nil
		}
	default:
		return 0, 0, fmt.Errorf("%w: unsupported truncation strategy %q", ErrInvalidOptions, strategy)
	}
	return 0, 0, fmt.Errorf("%w: %s truncation: the sequence to truncate is too short to fit %d tokens", ErrInvalidOptions, strategy, maxLen)
}

// assemble truncates the encoded sequences and lays them out in dst with
// the post-processor template.
func (t *Tokenizer) assemble(dst *Encoding, s *scratch, isPair bool, tr *truncation) error {
	tpl := t.single
	if isPair {
		tpl = t.pair
	}
	n1, n2 := len(s.a.ids), len(s.b.ids)
	keep1, keep2 := n1, n2
	if tr != nil {
		added := countSpecial(tpl)
		if tr.maxLen < added {
			return fmt.Errorf("%w: max length %d is shorter than the %d special tokens", ErrInvalidOptions, tr.maxLen, added)
		}
		c1, c2 := n1, n2
		if isPair && tr.strategy == "LongestFirst" {
			c1, c2 = s.a.capLen(tr.maxLen, tr.left), s.b.capLen(tr.maxLen, tr.left)
		}
		var err error
		keep1, keep2, err = truncLengths(c1, c2, isPair, tr.maxLen-added, tr.strategy)
		if err != nil {
			return err
		}
	}
	keep1, keep2 = min(keep1, n1), min(keep2, n2)
	size := keep1 + keep2 + countSpecial(tpl)
	dst.IDs = grow(dst.IDs[:0], size)
	dst.TypeIDs = grow(dst.TypeIDs[:0], size)
	dst.AttentionMask = grow(dst.AttentionMask[:0], size)
	dst.Tokens = grow(dst.Tokens[:0], size)
	dst.Offsets = grow(dst.Offsets[:0], size)
	dst.Truncated = keep1 < n1 || keep2 < n2
	for _, p := range tpl {
		if p.special != nil {
			for _, id := range p.special {
				dst.IDs = append(dst.IDs, id)
				dst.TypeIDs = append(dst.TypeIDs, p.typeID)
				dst.AttentionMask = append(dst.AttentionMask, 1)
				dst.Tokens = append(dst.Tokens, t.tokens[id])
				dst.Offsets = append(dst.Offsets, [2]int{})
			}
			continue
		}
		q, keep := &s.a, keep1
		if p.seq == 1 {
			q, keep = &s.b, keep2
		}
		lo, hi := 0, keep
		if tr != nil && tr.left {
			lo, hi = len(q.ids)-keep, len(q.ids)
		}
		for i := lo; i < hi; i++ {
			id := q.ids[i]
			dst.IDs = append(dst.IDs, id)
			dst.TypeIDs = append(dst.TypeIDs, p.typeID)
			dst.AttentionMask = append(dst.AttentionMask, 1)
			dst.Tokens = append(dst.Tokens, t.tokens[id])
			dst.Offsets = append(dst.Offsets, q.offs[i])
		}
	}
	return nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, 0, n)
	}
	return s
}

// padding is HF's PaddingParams.
type padding struct {
	fixed    int // 0: BatchLongest
	multiple int
	left     bool
	id       int32
	typeID   int32
	token    string
}

// target is the padded length for a batch whose longest row is longest.
func (p *padding) target(longest int) int {
	n := longest
	if p.fixed > 0 {
		n = p.fixed
	}
	if p.multiple > 0 && n%p.multiple != 0 {
		n += p.multiple - n%p.multiple
	}
	return n
}

// apply pads e up to n tokens (never shortens it).
func (p *padding) apply(e *Encoding, n int) {
	k := n - e.Len()
	if k <= 0 {
		return
	}
	for i := 0; i < k; i++ {
		e.IDs = append(e.IDs, p.id)
		e.TypeIDs = append(e.TypeIDs, p.typeID)
		e.AttentionMask = append(e.AttentionMask, 0)
		e.Tokens = append(e.Tokens, p.token)
		e.Offsets = append(e.Offsets, [2]int{})
	}
	if p.left {
		rotateRight(e.IDs, k)
		rotateRight(e.TypeIDs, k)
		rotateRight(e.AttentionMask, k)
		rotateRight(e.Tokens, k)
		rotateRight(e.Offsets, k)
	}
}

// rotateRight moves the last k elements of s to its front.
func rotateRight[T any](s []T, k int) {
	n := len(s)
	tail := append([]T(nil), s[n-k:]...)
	copy(s[k:], s[:n-k])
	copy(s, tail)
}
