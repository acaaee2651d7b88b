package tokenizer

import (
	"errors"
	"strings"
)

// wordPiece is the WordPiece model compiled for LinMaxMatch (Song et al.,
// "Fast WordPiece Tokenization", EMNLP 2021): a trie of the vocabulary with
// failure links and failure pops, so a word of n bytes is split in O(n) with
// the same result as greedy longest-match-first and no rescanning.
//
// Two roots: root matches a word's first token (the literal vocabulary
// entry), sroot matches continuation tokens (entries that start with the
// continuing-subword prefix, prefix removed).
type wordPiece struct {
	root, sroot int32
	rootNext    [256]int32 // dense children of root
	srootNext   [256]int32 // dense children of sroot
	edges       edgeTable  // children of every other node
	fail        []int32    // failure link per node, -1 when none
	popStart    []int32    // failure pops of a node: pops[popStart[n]:popStart[n]+popLen[n]]
	popLen      []int32
	pops        []pop
	unk         int32
	maxChars    int
}

// pop is one token emitted when following a failure link: its id and how
// many bytes of the word it covers.
type pop struct {
	id  int32
	len int32
}

// edgeTable is an open-addressing hash map from (node, byte) to child
// node; key and value share one word so a lookup touches one cache line.
type edgeTable struct {
	slots []uint64 // (node<<8 | byte) + 1 in the high half, child in the low half; 0 is empty
	mask  uint32
}

func edgeHash(k uint32) uint32 { return (k * 0x9E3779B1) >> 7 }

func (e *edgeTable) get(node int32, c byte) int32 {
	k := uint32(node)<<8 | uint32(c) + 1
	for i := edgeHash(k) & e.mask; ; i = (i + 1) & e.mask {
		v := e.slots[i]
		if uint32(v>>32) == k {
			return int32(uint32(v))
		}
		if v == 0 {
			return -1
		}
	}
}

func (e *edgeTable) put(node int32, c byte, child int32) {
	k := uint32(node)<<8 | uint32(c) + 1
	for i := edgeHash(k) & e.mask; ; i = (i + 1) & e.mask {
		if e.slots[i] == 0 || uint32(e.slots[i]>>32) == k {
			e.slots[i] = uint64(k)<<32 | uint64(uint32(child))
			return
		}
	}
}

func (w *wordPiece) next(node int32, c byte) int32 {
	switch node {
	case w.root:
		return w.rootNext[c]
	case w.sroot:
		return w.srootNext[c]
	}
	return w.edges.get(node, c)
}

// trieBuilder holds the trie while it is built: children as sibling
// lists in flat arrays, so building allocates per vocabulary, not per node.
type trieBuilder struct {
	first, sibling, token, depth []int32
	label                        []byte
	lookup                       map[uint64]int32 // (node<<8 | byte) -> child
}

func (b *trieBuilder) newNode(d int32) int32 {
	b.first = append(b.first, -1)
	b.sibling = append(b.sibling, -1)
	b.token = append(b.token, -1)
	b.depth = append(b.depth, d)
	b.label = append(b.label, 0)
	return int32(len(b.token) - 1)
}

func (b *trieBuilder) insert(from int32, s string, id int32) {
	n := from
	for i := 0; i < len(s); i++ {
		k := uint64(n)<<8 | uint64(s[i])
		next, ok := b.lookup[k]
		if !ok {
			next = b.newNode(b.depth[n] + 1)
			b.label[next] = s[i]
			b.sibling[next] = b.first[n]
			b.first[n] = next
			b.lookup[k] = next
		}
		n = next
	}
	if b.depth[n] > 0 {
		b.token[n] = id
	}
}

// buildWordPiece compiles vocab (token -> id) for LinMaxMatch.
func buildWordPiece(vocab map[string]int32, unk string, prefix string, maxChars int) (*wordPiece, error) {
	unkID, ok := vocab[unk]
	if !ok {
		return nil, errors.New("wordpiece: unk_token " + unk + " is not in the vocabulary")
	}
	b := &trieBuilder{lookup: make(map[uint64]int32, len(vocab)*4)}
	root, sroot := b.newNode(0), b.newNode(0)
	for tok, id := range vocab {
		b.insert(root, tok, id)
		if prefix != "" && strings.HasPrefix(tok, prefix) {
			b.insert(sroot, tok[len(prefix):], id)
		}
	}
	b.lookup = nil

	nodes := len(b.token)
	w := &wordPiece{root: root, sroot: sroot, unk: unkID, maxChars: maxChars}
	size := 1
	for size < nodes*2 {
		size <<= 1
	}
	w.edges = edgeTable{slots: make([]uint64, size), mask: uint32(size - 1)}
	for i := range w.rootNext {
		w.rootNext[i], w.srootNext[i] = -1, -1
	}
	for n := int32(0); n < int32(nodes); n++ {
		for c := b.first[n]; c >= 0; c = b.sibling[c] {
			switch n {
			case root:
				w.rootNext[b.label[c]] = c
			case sroot:
				w.srootNext[b.label[c]] = c
			default:
				w.edges.put(n, b.label[c], c)
			}
		}
	}

	// Failure links and pops, breadth first over both tries together: a
	// failure link always leads to a shallower node, already computed.
	w.fail = make([]int32, nodes)
	w.popStart = make([]int32, nodes)
	w.popLen = make([]int32, nodes)
	w.fail[root], w.fail[sroot] = -1, -1
	queue := make([]int32, 0, nodes)
	queue = append(queue, root, sroot)
	var tmp []pop
	for qi := 0; qi < len(queue); qi++ {
		u := queue[qi]
		for v := b.first[u]; v >= 0; v = b.sibling[v] {
			queue = append(queue, v)
			c := b.label[v]
			if b.token[v] >= 0 {
				w.fail[v] = sroot
				w.popStart[v], w.popLen[v] = int32(len(w.pops)), 1
				w.pops = append(w.pops, pop{b.token[v], b.depth[v]})
				continue
			}
			z := w.fail[u]
			tmp = append(tmp[:0], w.popsOf(u)...)
			for z >= 0 && w.next(z, c) < 0 {
				tmp = append(tmp, w.popsOf(z)...)
				z = w.fail[z]
			}
			if z < 0 {
				w.fail[v] = -1
				continue
			}
			w.fail[v] = w.next(z, c)
			w.popStart[v], w.popLen[v] = int32(len(w.pops)), int32(len(tmp))
			w.pops = append(w.pops, tmp...)
		}
	}
	return w, nil
}

func (w *wordPiece) popsOf(n int32) []pop {
	return w.pops[w.popStart[n] : w.popStart[n]+w.popLen[n]]
}

// tokenize splits one normalized word into (id, byte length) pieces
// appended to dst. When the word cannot be split, or it has more than
// maxChars code points, it returns dst with ok false and the caller
// emits unk for the whole word.
func (w *wordPiece) tokenize(word []byte, chars int, dst []pop) ([]pop, bool) {
	if chars > w.maxChars {
		return dst, false
	}
	u := w.root
	for i := 0; i < len(word); {
		v := w.next(u, word[i])
		if v >= 0 {
			u = v
			i++
			continue
		}
		f := w.fail[u]
		if f < 0 {
			return dst, false
		}
		dst = append(dst, w.popsOf(u)...)
		u = f
	}
	for u != w.sroot {
		f := w.fail[u]
		if f < 0 {
			return dst, false
		}
		dst = append(dst, w.popsOf(u)...)
		u = f
	}
	return dst, true
}
