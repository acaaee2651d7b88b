package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// charFlags classifies one code point the way HF tokenizers' BertNormalizer
// and BertPreTokenizer see it. HF pins older Unicode tables than Go's (the
// unicode_categories crate for control, punctuation and Mn; Rust's std for
// lowercase), so Go's tables are corrected by the generated hf* lists in
// tables_hf.go.
type charFlags uint8

const (
	cRemove charFlags = 1 << iota // dropped by clean_text (NUL, U+FFFD, Cc, Cf, Co)
	cSpace                        // White_Space: a word break
	cPunct                        // BERT punctuation: a word of its own
	cCJK                          // CJK ideograph: surrounded by spaces
	cMn                           // nonspacing mark: dropped by strip_accents
	cLower                        // lowercasing changes it
	cDecomp                       // NFD changes it (or HF's strip_accents output is pinned)
	cCCC                          // nonzero canonical combining class: NFD may reorder it
)

const blockBits = 7

// charTable is a two-level lookup of charFlags for every code point, built
// once and never written after.
type charTable struct {
	index  [(unicode.MaxRune + 1) >> blockBits]uint16
	data   []charFlags
	decomp map[rune]string // canonical decompositions (cDecomp runes), HF's version
	ccc    map[rune]uint8  // canonical combining classes (cCCC runes)
}

func (t *charTable) get(r rune) charFlags {
	if uint32(r) > unicode.MaxRune {
		return cRemove
	}
	return t.data[int(t.index[r>>blockBits])<<blockBits|int(r&(1<<blockBits-1))]
}

// chars returns the shared table, built on first use and only read after.
//
//go:generate bash ../benchmarks/tokenizer/gen-tables.sh
var chars = sync.OnceValue(buildCharTable)

func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

func setRanges(flat []charFlags, tab *unicode.RangeTable, f charFlags) {
	for _, r16 := range tab.R16 {
		for r := uint32(r16.Lo); r <= uint32(r16.Hi); r += uint32(r16.Stride) {
			flat[r] |= f
		}
	}
	for _, r32 := range tab.R32 {
		for r := r32.Lo; r <= r32.Hi; r += r32.Stride {
			flat[r] |= f
		}
	}
}

func buildCharTable() *charTable {
	flat := make([]charFlags, unicode.MaxRune+1)
	for _, tab := range []*unicode.RangeTable{unicode.Cc, unicode.Cf, unicode.Co} {
		setRanges(flat, tab, cRemove)
	}
	flat[0] |= cRemove
	flat[0xFFFD] |= cRemove
	for _, r := range "\t\n\r" {
		flat[r] &^= cRemove
	}
	setRanges(flat, unicode.White_Space, cSpace)
	setRanges(flat, unicode.P, cPunct)
	for r := rune(0); r < 128; r++ {
		if r > ' ' && r < 127 && !('0' <= r && r <= '9') && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') {
			flat[r] |= cPunct
		}
	}
	setRanges(flat, unicode.Mn, cMn)
	for _, r := range hfCleanToggle {
		flat[r] ^= cRemove
	}
	for _, r := range hfPunctToggle {
		flat[r] ^= cPunct
	}
	for _, r := range hfMnToggle {
		flat[r] ^= cMn
	}
	for _, cr := range [][2]rune{{0x4E00, 0x9FFF}, {0x3400, 0x4DBF}, {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
		{0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0xF900, 0xFAFF}, {0x2F800, 0x2FA1F}} {
		for r := cr[0]; r <= cr[1]; r++ {
			flat[r] |= cCJK
		}
	}
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			if unicode.ToLower(r) != r {
				flat[r] |= cLower
			}
		}
	}
	flat[0x130] |= cLower
	for _, o := range hfLower {
		flat[o.r] |= cLower
	}
	t := &charTable{decomp: map[rune]string{}, ccc: map[rune]uint8{}}
	var buf [4]byte
	for r := rune(0xC0); r < 0x30000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		p := norm.NFD.Properties(buf[:n])
		if p.CCC() != 0 {
			flat[r] |= cCCC
			t.ccc[r] = p.CCC()
		}
		if !norm.NFD.IsNormal(buf[:n]) {
			flat[r] |= cDecomp
			t.decomp[r] = norm.NFD.String(string(r))
		}
	}
	for _, o := range hfStrip {
		flat[o.r] |= cDecomp
		t.decomp[o.r] = o.s
	}
	for _, r := range hfCCCToggle {
		flat[r] ^= cCCC
		if flat[r]&cCCC == 0 {
			delete(t.ccc, r)
		}
	}
	seen := map[string]uint16{}
	const bs = 1 << blockBits
	for b := 0; b < len(t.index); b++ {
		blk := flat[b*bs : (b+1)*bs]
		key := string(blk)
		i, ok := seen[key]
		if !ok {
			i = uint16(len(t.data) / bs)
			seen[key] = i
			t.data = append(t.data, blk...)
		}
		t.index[b] = i
	}
	return t
}

// lowerString is the full lowercase mapping of r as HF applies it
// (char::to_lowercase): İ becomes "i̇"; everything else maps to one rune.
func lowerString(r rune, dst []rune) []rune {
	if s, ok := lookupOverride(hfLower[:], r); ok {
		for _, x := range s {
			dst = append(dst, x)
		}
		return dst
	}
	if r == 0x130 {
		return append(dst, 'i', 0x307)
	}
	return append(dst, unicode.ToLower(r))
}

// decompose appends the canonical decomposition of r (NFD, before
// reordering) as HF's normalisation tables have it.
func (t *charTable) decompose(r rune, dst []rune) []rune {
	d, ok := t.decomp[r]
	if !ok {
		return append(dst, r)
	}
	for _, x := range d {
		dst = append(dst, x)
	}
	return dst
}

type runeOverride struct {
	r rune
	s string
}

func lookupOverride(list []runeOverride, r rune) (string, bool) {
	lo, hi := 0, len(list)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case list[m].r == r:
			return list[m].s, true
		case list[m].r < r:
			lo = m + 1
		default:
			hi = m
		}
	}
	return "", false
}
