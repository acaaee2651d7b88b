package tokenizer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// Load reads a vocab.txt (one token per line, id = line number, with the
// bert-base-uncased conventions: lowercase, strip accents, [CLS] A [SEP]
// [B [SEP]], no truncation or padding) or a HuggingFace tokenizer.json
// (everything it configures, including its truncation and padding),
// telling them apart by content.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	return t, nil
}

// Parse is Load from memory.
func Parse(data []byte) (*Tokenizer, error) {
	if trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSON(data)
	}
	return parseVocabTxt(data)
}

func parseVocabTxt(data []byte) (*Tokenizer, error) {
	vocab := map[string]int32{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var n int32
	for sc.Scan() {
		// HF's WordPiece::read_file keeps line.trim_end() with id = line number.
		vocab[strings.TrimRightFunc(sc.Text(), unicode.IsSpace)] = n
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vocab.txt: %w", err)
	}
	if n == 0 {
		return nil, errors.New("vocab.txt: empty vocabulary")
	}
	cfg := config{
		norm:     normalizer{clean: true, cjk: true, strip: true, lower: true},
		vocab:    vocab,
		unk:      "[UNK]",
		prefix:   "##",
		maxChars: 100,
	}
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		if id, ok := vocab[s]; ok {
			cfg.added = append(cfg.added, addedToken{content: s, id: id})
		}
	}
	cls, okC := vocab["[CLS]"]
	sep, okS := vocab["[SEP]"]
	if !okC || !okS {
		return nil, errors.New("vocab.txt: [CLS] and [SEP] must be in the vocabulary")
	}
	cfg.single = []templatePiece{{special: []int32{cls}}, {seq: 0}, {special: []int32{sep}}}
	cfg.pair = []templatePiece{{special: []int32{cls}}, {seq: 0}, {special: []int32{sep}}, {seq: 1, typeID: 1}, {special: []int32{sep}, typeID: 1}}
	return build(cfg)
}

// config is everything a Tokenizer is built from, whatever the file.
type config struct {
	norm         normalizer
	vocab        map[string]int32
	unk, prefix  string
	maxChars     int
	added        []addedToken
	single, pair []templatePiece
	trunc        *truncation
	pad          *padding
}

func build(cfg config) (*Tokenizer, error) {
	wp, err := buildWordPiece(cfg.vocab, cfg.unk, cfg.prefix, cfg.maxChars)
	if err != nil {
		return nil, err
	}
	size := 0
	for _, id := range cfg.vocab {
		if id < 0 {
			return nil, fmt.Errorf("negative id %d in the vocabulary", id)
		}
		size = max(size, int(id)+1)
	}
	for _, a := range cfg.added {
		size = max(size, int(a.id)+1)
	}
	t := &Tokenizer{
		wp:     wp,
		chars:  chars(),
		norm:   cfg.norm,
		tokens: make([]string, size),
		single: cfg.single,
		pair:   cfg.pair,
		trunc:  cfg.trunc,
		pad:    cfg.pad,
	}
	for s, id := range cfg.vocab {
		t.tokens[id] = s
	}
	for _, a := range cfg.added {
		t.tokens[a.id] = a.content
		t.added.add(a.content, a.id)
	}
	for _, tpl := range [][]templatePiece{cfg.single, cfg.pair} {
		for _, p := range tpl {
			for _, id := range p.special {
				if id < 0 || int(id) >= size {
					return nil, fmt.Errorf("post_processor: special token id %d is outside the vocabulary", id)
				}
			}
		}
	}
	switch id, ok := cfg.vocab["[PAD]"]; {
	case t.pad != nil:
		t.padID = t.pad.id
	case ok:
		t.padID = id
	}
	t.buildASCII()
	return t, nil
}
