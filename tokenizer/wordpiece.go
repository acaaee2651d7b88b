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
	popStart    []int32    // failure pops of a node: pops[popStart[n]:popStart[n+1]]
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

// edgeTable is an open-addressing hash map from (node, byte) to child node.
type edgeTable struct {
	keys []uint32 // node<<8 | byte, plus 1 so that 0 means empty
	vals []int32
	mask uint32
}

func (e *edgeTable) get(node int32, c byte) int32 {
	k := uint32(node)<<8 | uint32(c) + 1
	for i := (k * 0x9E3779B1) >> 7 & e.mask; ; i = (i + 1) & e.mask {
		switch e.keys[i] {
		case k:
			return e.vals[i]
		case 0:
			return -1
		}
	}
}

func (e *edgeTable) put(node int32, c byte, child int32) {
	k := uint32(node)<<8 | uint32(c) + 1
	for i := (k * 0x9E3779B1) >> 7 & e.mask; ; i = (i + 1) & e.mask {
		if e.keys[i] == 0 || e.keys[i] == k {
			e.keys[i], e.vals[i] = k, child
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

// buildWordPiece compiles vocab (token -> id) for LinMaxMatch.
func buildWordPiece(vocab map[string]int32, unk string, prefix string, maxChars int) (*wordPiece, error) {
	unkID, ok := vocab[unk]
	if !ok {
		return nil, errors.New("wordpiece: unk_token " + unk + " is not in the vocabulary")
	}
	type edge struct {
		c     byte
		child int32
	}
	var children [][]edge
	var token, depth []int32
	newNode := func(d int32) int32 {
		children = append(children, nil)
		token = append(token, -1)
		depth = append(depth, d)
		return int32(len(token) - 1)
	}
	root, sroot := newNode(0), newNode(0)
	insert := func(from int32, s string, id int32) {
		n := from
		for i := 0; i < len(s); i++ {
			var next int32 = -1
			for _, e := range children[n] {
				if e.c == s[i] {
					next = e.child
					break
				}
			}
			if next < 0 {
				next = newNode(depth[n] + 1)
				children[n] = append(children[n], edge{s[i], next})
			}
			n = next
		}
		if n != root && n != sroot {
			token[n] = id
		}
	}
	for tok, id := range vocab {
		insert(root, tok, id)
		if prefix != "" && strings.HasPrefix(tok, prefix) {
			insert(sroot, tok[len(prefix):], id)
		}
	}

	w := &wordPiece{root: root, sroot: sroot, unk: unkID, maxChars: maxChars}
	nodes := len(token)
	size := 1
	for size < nodes*2 {
		size <<= 1
	}
	w.edges = edgeTable{keys: make([]uint32, size), vals: make([]int32, size), mask: uint32(size - 1)}
	for i := range w.rootNext {
		w.rootNext[i], w.srootNext[i] = -1, -1
	}
	for n, es := range children {
		for _, e := range es {
			switch int32(n) {
			case root:
				w.rootNext[e.c] = e.child
			case sroot:
				w.srootNext[e.c] = e.child
			default:
				w.edges.put(int32(n), e.c, e.child)
			}
		}
	}

	// Failure links and pops, breadth first over both tries together: a
	// failure link always leads to a shallower node, already computed.
	w.fail = make([]int32, nodes)
	nodePops := make([][]pop, nodes)
	w.fail[root], w.fail[sroot] = -1, -1
	queue := []int32{root, sroot}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, e := range children[u] {
			v := e.child
			queue = append(queue, v)
			if token[v] >= 0 {
				w.fail[v] = sroot
				nodePops[v] = []pop{{token[v], depth[v]}}
				continue
			}
			z := w.fail[u]
			ps := append([]pop(nil), nodePops[u]...)
			for z >= 0 && w.next(z, e.c) < 0 {
				ps = append(ps, nodePops[z]...)
				z = w.fail[z]
			}
			if z < 0 {
				w.fail[v] = -1
				continue
			}
			w.fail[v] = w.next(z, e.c)
			nodePops[v] = ps
		}
	}
	w.popStart = make([]int32, nodes+1)
	for n, ps := range nodePops {
		w.popStart[n] = int32(len(w.pops))
		w.pops = append(w.pops, ps...)
	}
	w.popStart[nodes] = int32(len(w.pops))
	return w, nil
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
		dst = append(dst, w.pops[w.popStart[u]:w.popStart[u+1]]...)
		u = f
	}
	for u != w.sroot {
		f := w.fail[u]
		if f < 0 {
			return dst, false
		}
		dst = append(dst, w.pops[w.popStart[u]:w.popStart[u+1]]...)
		u = f
	}
	return dst, true
}
