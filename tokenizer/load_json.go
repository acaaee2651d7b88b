package tokenizer

import (
	"encoding/json"
	"fmt"
)

// hfFile is the subset of HF's tokenizer.json this package understands;
// anything else it meets is rejected by name rather than ignored.
type hfFile struct {
	Truncation *struct {
		Direction string `json:"direction"`
		MaxLength int    `json:"max_length"`
		Strategy  string `json:"strategy"`
		Stride    int    `json:"stride"`
	} `json:"truncation"`
	Padding *struct {
		Strategy        json.RawMessage `json:"strategy"`
		Direction       string          `json:"direction"`
		PadToMultipleOf *int            `json:"pad_to_multiple_of"`
		PadID           int32           `json:"pad_id"`
		PadTypeID       int32           `json:"pad_type_id"`
		PadToken        string          `json:"pad_token"`
	} `json:"padding"`
	AddedTokens []struct {
		ID         int32  `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type                    string           `json:"type"`
		UnkToken                string           `json:"unk_token"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    *int             `json:"max_input_chars_per_word"`
		Vocab                   map[string]int32 `json:"vocab"`
	} `json:"model"`
}

type typed struct {
	Type string `json:"type"`
}

func isNull(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }

func parseJSON(data []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	cfg := config{vocab: f.Model.Vocab, unk: f.Model.UnkToken, prefix: "##", maxChars: 100} // HF's WordPiece defaults
	if cfg.unk == "" {
		cfg.unk = "[UNK]"
	}
	if f.Model.Type != "WordPiece" {
		return nil, fmt.Errorf("tokenizer.json: unsupported model type %q (only WordPiece)", f.Model.Type)
	}
	if len(cfg.vocab) == 0 {
		return nil, fmt.Errorf("tokenizer.json: model.vocab is empty")
	}
	if f.Model.ContinuingSubwordPrefix != nil {
		cfg.prefix = *f.Model.ContinuingSubwordPrefix
	}
	if f.Model.MaxInputCharsPerWord != nil {
		if cfg.maxChars = *f.Model.MaxInputCharsPerWord; cfg.maxChars < 0 {
			return nil, fmt.Errorf("tokenizer.json: model.max_input_chars_per_word %d is negative", cfg.maxChars)
		}
	}
	var err error
	if cfg.norm, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if isNull(f.PreTokenizer) {
		return nil, fmt.Errorf("tokenizer.json: unsupported pre_tokenizer null (only BertPreTokenizer)")
	}
	var pt typed
	if err := json.Unmarshal(f.PreTokenizer, &pt); err != nil || pt.Type != "BertPreTokenizer" {
		return nil, fmt.Errorf("tokenizer.json: unsupported pre_tokenizer type %q (only BertPreTokenizer)", pt.Type)
	}
	for i, a := range f.AddedTokens {
		if a.SingleWord || a.Lstrip || a.Rstrip || a.Normalized {
			return nil, fmt.Errorf("tokenizer.json: unsupported added_tokens[%d] %q: single_word, lstrip, rstrip and normalized must be false", i, a.Content)
		}
		if a.ID < 0 {
			return nil, fmt.Errorf("tokenizer.json: added_tokens[%d] %q has negative id %d", i, a.Content, a.ID)
		}
		cfg.added = append(cfg.added, addedToken{content: a.Content, id: a.ID})
	}
	if cfg.single, cfg.pair, err = parsePostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	if tr := f.Truncation; tr != nil {
		cfg.trunc = &truncation{maxLen: tr.MaxLength, strategy: tr.Strategy}
		switch tr.Strategy {
		case "LongestFirst", "OnlyFirst", "OnlySecond":
		default:
			return nil, fmt.Errorf("tokenizer.json: unsupported truncation.strategy %q", tr.Strategy)
		}
		switch tr.Direction {
		case "Right", "":
		case "Left":
			cfg.trunc.left = true
		default:
			return nil, fmt.Errorf("tokenizer.json: unsupported truncation.direction %q", tr.Direction)
		}
		if tr.MaxLength < 0 {
			return nil, fmt.Errorf("tokenizer.json: truncation.max_length %d is negative", tr.MaxLength)
		}
	}
	if p := f.Padding; p != nil {
		cfg.pad = &padding{id: p.PadID, typeID: p.PadTypeID, token: p.PadToken}
		if p.PadToMultipleOf != nil {
			cfg.pad.multiple = *p.PadToMultipleOf
		}
		var fixed struct {
			Fixed *int `json:"Fixed"`
		}
		var name string
		switch {
		case json.Unmarshal(p.Strategy, &name) == nil && name == "BatchLongest":
		case json.Unmarshal(p.Strategy, &fixed) == nil && fixed.Fixed != nil && *fixed.Fixed > 0:
			cfg.pad.fixed = *fixed.Fixed
		default:
			return nil, fmt.Errorf("tokenizer.json: unsupported padding.strategy %s", p.Strategy)
		}
		switch p.Direction {
		case "Right", "":
		case "Left":
			cfg.pad.left = true
		default:
			return nil, fmt.Errorf("tokenizer.json: unsupported padding.direction %q", p.Direction)
		}
	}
	if cfg.trunc != nil && cfg.trunc.maxLen < countSpecial(cfg.single) {
		return nil, fmt.Errorf("tokenizer.json: truncation.max_length %d is shorter than the %d special tokens", cfg.trunc.maxLen, countSpecial(cfg.single))
	}
	t, err := build(cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	return t, nil
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return normalizer{}, nil
	}
	var n struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return normalizer{}, fmt.Errorf("tokenizer.json: normalizer: %w", err)
	}
	if n.Type != "BertNormalizer" {
		return normalizer{}, fmt.Errorf("tokenizer.json: unsupported normalizer type %q (only BertNormalizer)", n.Type)
	}
	orTrue := func(b *bool) bool { return b == nil || *b }
	out := normalizer{clean: orTrue(n.CleanText), cjk: orTrue(n.HandleChineseChars), lower: orTrue(n.Lowercase)}
	out.strip = out.lower
	if n.StripAccents != nil {
		out.strip = *n.StripAccents
	}
	return out, nil
}

func parsePostProcessor(raw json.RawMessage) (single, pair []templatePiece, err error) {
	if isNull(raw) {
		return []templatePiece{{seq: 0}}, []templatePiece{{seq: 0}, {seq: 1, typeID: 1}}, nil
	}
	var pp struct {
		Type          string            `json:"type"`
		Sep           []json.RawMessage `json:"sep"`
		Cls           []json.RawMessage `json:"cls"`
		Single        []json.RawMessage `json:"single"`
		Pair          []json.RawMessage `json:"pair"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &pp); err != nil {
		return nil, nil, fmt.Errorf("tokenizer.json: post_processor: %w", err)
	}
	switch pp.Type {
	case "BertProcessing":
		var cls, sep int32
		if len(pp.Cls) != 2 || len(pp.Sep) != 2 || json.Unmarshal(pp.Cls[1], &cls) != nil || json.Unmarshal(pp.Sep[1], &sep) != nil {
			return nil, nil, fmt.Errorf("tokenizer.json: post_processor BertProcessing: cls and sep must be [token, id]")
		}
		single = []templatePiece{{special: []int32{cls}}, {seq: 0}, {special: []int32{sep}}}
		pair = []templatePiece{{special: []int32{cls}}, {seq: 0}, {special: []int32{sep}}, {seq: 1, typeID: 1}, {special: []int32{sep}, typeID: 1}}
		return single, pair, nil
	case "TemplateProcessing":
		conv := func(name string, items []json.RawMessage) ([]templatePiece, error) {
			var out []templatePiece
			for _, it := range items {
				var p struct {
					SpecialToken *struct {
						ID     string `json:"id"`
						TypeID int32  `json:"type_id"`
					} `json:"SpecialToken"`
					Sequence *struct {
						ID     string `json:"id"`
						TypeID int32  `json:"type_id"`
					} `json:"Sequence"`
				}
				if err := json.Unmarshal(it, &p); err != nil {
					return nil, fmt.Errorf("tokenizer.json: post_processor.%s: %w", name, err)
				}
				switch {
				case p.SpecialToken != nil:
					st, ok := pp.SpecialTokens[p.SpecialToken.ID]
					if !ok || len(st.IDs) == 0 {
						return nil, fmt.Errorf("tokenizer.json: post_processor.%s: special token %q is not in special_tokens", name, p.SpecialToken.ID)
					}
					out = append(out, templatePiece{special: st.IDs, typeID: p.SpecialToken.TypeID})
				case p.Sequence != nil && p.Sequence.ID == "A":
					out = append(out, templatePiece{seq: 0, typeID: p.Sequence.TypeID})
				case p.Sequence != nil && p.Sequence.ID == "B":
					out = append(out, templatePiece{seq: 1, typeID: p.Sequence.TypeID})
				default:
					return nil, fmt.Errorf("tokenizer.json: post_processor.%s: unsupported template piece %s", name, it)
				}
			}
			return out, nil
		}
		if single, err = conv("single", pp.Single); err != nil {
			return nil, nil, err
		}
		if pair, err = conv("pair", pp.Pair); err != nil {
			return nil, nil, err
		}
		return single, pair, nil
	}
	return nil, nil, fmt.Errorf("tokenizer.json: unsupported post_processor type %q (only TemplateProcessing and BertProcessing)", pp.Type)
}
