package tokenizer

import (
	"errors"
	"slices"
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
	// Children of every other node, contiguous and sorted by label: node
	// n's are childLabel/childNode[childStart[n]:childStart[n+1]]. Nodes are
	// numbered breadth first, so the shallow, hot ones share cache lines.
	childStart []int32
	childLabel []byte
	childNode  []int32
	fail       []int32 // failure link per node, -1 when none
	popStart   []int32 // failure pops of a node: pops[popStart[n]:popStart[n]+popLen[n]]
	popLen     []int32
	pops       []pop
	unk        int32
	maxChars   int
}

// pop is one token emitted when following a failure link: its id and how
// many bytes of the word it covers.
type pop struct {
	id  int32
	len int32
}

// next is the trie transition from node on byte c, -1 when there is none.
func (w *wordPiece) next(node int32, c byte) int32 {
	switch node {
	case w.root:
		return w.rootNext[c]
	case w.sroot:
		return w.srootNext[c]
	}
	lo, hi := int(w.childStart[node]), int(w.childStart[node+1])
	if hi-lo <= 8 {
		for i := lo; i < hi; i++ {
			if w.childLabel[i] == c {
				return w.childNode[i]
			}
		}
		return -1
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch l := w.childLabel[m]; {
		case l == c:
			return w.childNode[m]
		case l < c:
			lo = m + 1
		default:
			hi = m
		}
	}
	return -1
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

	// Number the nodes breadth first, both roots first.
	nodes := len(b.token)
	order := make([]int32, 0, nodes) // new -> old
	order = append(order, root, sroot)
	for qi := 0; qi < len(order); qi++ {
		for c := b.first[order[qi]]; c >= 0; c = b.sibling[c] {
			order = append(order, c)
		}
	}
	renum := make([]int32, nodes) // old -> new
	for n, old := range order {
		renum[old] = int32(n)
	}
	w := &wordPiece{root: 0, sroot: 1, unk: unkID, maxChars: maxChars}
	for i := range w.rootNext {
		w.rootNext[i], w.srootNext[i] = -1, -1
	}
	w.childStart = make([]int32, nodes+1)
	w.childLabel = make([]byte, 0, nodes)
	w.childNode = make([]int32, 0, nodes)
	token, depth := make([]int32, nodes), make([]int32, nodes)
	type edge struct {
		c     byte
		child int32
	}
	var kids []edge
	for n, old := range order {
		token[n], depth[n] = b.token[old], b.depth[old]
		w.childStart[n] = int32(len(w.childNode))
		kids = kids[:0]
		for c := b.first[old]; c >= 0; c = b.sibling[c] {
			kids = append(kids, edge{b.label[c], renum[c]})
		}
		slices.SortFunc(kids, func(x, y edge) int { return int(x.c) - int(y.c) })
		for _, e := range kids {
			switch int32(n) {
			case w.root:
				w.rootNext[e.c] = e.child
			case w.sroot:
				w.srootNext[e.c] = e.child
			default:
				w.childLabel = append(w.childLabel, e.c)
				w.childNode = append(w.childNode, e.child)
			}
		}
	}
	w.childStart[nodes] = int32(len(w.childNode))

	// Failure links and pops, breadth first (node order) over both tries
	// together: a failure link always leads to a shallower node, already
	// computed.
	w.fail = make([]int32, nodes)
	w.popStart = make([]int32, nodes)
	w.popLen = make([]int32, nodes)
	w.fail[w.root], w.fail[w.sroot] = -1, -1
	var tmp []pop
	visit := func(u, v int32, c byte) {
		if token[v] >= 0 {
			w.fail[v] = w.sroot
			w.popStart[v], w.popLen[v] = int32(len(w.pops)), 1
			w.pops = append(w.pops, pop{token[v], depth[v]})
			return
		}
		z := w.fail[u]
		tmp = append(tmp[:0], w.popsOf(u)...)
		for z >= 0 && w.next(z, c) < 0 {
			tmp = append(tmp, w.popsOf(z)...)
			z = w.fail[z]
		}
		if z < 0 {
			w.fail[v] = -1
			return
		}
		w.fail[v] = w.next(z, c)
		w.popStart[v], w.popLen[v] = int32(len(w.pops)), int32(len(tmp))
		w.pops = append(w.pops, tmp...)
	}
	for u := int32(0); u < int32(nodes); u++ {
		if u == w.root || u == w.sroot {
			dense := &w.rootNext
			if u == w.sroot {
				dense = &w.srootNext
			}
			for c, v := range dense {
				if v >= 0 {
					visit(u, v, byte(c))
				}
			}
			continue
		}
		for i := w.childStart[u]; i < w.childStart[u+1]; i++ {
			visit(u, w.childNode[i], w.childLabel[i])
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
