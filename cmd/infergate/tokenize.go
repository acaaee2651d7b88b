package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/infergate/infergate/tokenizer"
)

// tokenizeRequest is one input line of `infergate tokenize`.
type tokenizeRequest struct {
	Text     *string `json:"text"`
	TextPair *string `json:"text_pair"`
}

// tokenizeResponse is one output line; other tools parse it, keep it stable.
type tokenizeResponse struct {
	IDs     []int32  `json:"ids"`
	TypeIDs []int32  `json:"type_ids"`
	Tokens  []string `json:"tokens"`
	Offsets [][2]int `json:"offsets"`
}

func newTokenizeCmd() *cobra.Command {
	var (
		path     string
		opts     tokenizer.Options
		noPadSet bool
	)
	cmd := &cobra.Command{
		Use:   "tokenize",
		Short: "Tokenize JSON lines from stdin exactly like HF tokenizers",
		Long: `Reads JSON lines {"text": ..., "text_pair": ...} (text_pair optional) on stdin
and writes one JSON line per input: {"ids", "type_ids", "tokens", "offsets"},
offsets in Unicode code points. Truncation and padding configured in a
tokenizer.json apply unless overridden by the flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.NoPadding = noPadSet
			tok, err := tokenizer.Load(path)
			if err != nil {
				return err
			}
			if _, err := tok.Encode("", opts); err != nil {
				return fmt.Errorf("tokenize: flags: %w", err)
			}
			return tokenizeStream(tok, opts, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&path, "tokenizer", "", "vocab.txt or tokenizer.json (required)")
	cmd.Flags().IntVar(&opts.MaxLength, "max-len", 0, "truncate to N tokens, specials included (0: as the file configures)")
	cmd.Flags().BoolVar(&opts.NoTruncate, "no-truncate", false, "ignore the truncation configured in tokenizer.json")
	cmd.Flags().BoolVar(&noPadSet, "no-pad", false, "ignore the padding configured in tokenizer.json")
	_ = cmd.MarkFlagRequired("tokenizer")
	return cmd
}

// tokenizeStream answers each input line with one output line, flushing
// whenever it is about to wait for more input so it works interactively
// and in pipelines alike.
func tokenizeStream(tok *tokenizer.Tokenizer, opts tokenizer.Options, in io.Reader, out io.Writer) error {
	br := bufio.NewReaderSize(in, 1<<16)
	bw := bufio.NewWriterSize(out, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var e tokenizer.Encoding
	for line := 1; ; line++ {
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		raw, err := br.ReadBytes('\n')
		if len(raw) == 0 && errors.Is(err, io.EOF) {
			return bw.Flush()
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading line %d: %w", line, err)
		}
		if len(trimSpace(raw)) == 0 {
			continue
		}
		var req tokenizeRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return errors.Join(fmt.Errorf("line %d: %w", line, err), bw.Flush())
		}
		if req.Text == nil {
			return errors.Join(fmt.Errorf("line %d: missing \"text\"", line), bw.Flush())
		}
		if req.TextPair != nil {
			err = tok.EncodePairTo(&e, *req.Text, *req.TextPair, opts)
		} else {
			err = tok.EncodeTo(&e, *req.Text, opts)
		}
		if err != nil {
			return errors.Join(fmt.Errorf("line %d: %w", line, err), bw.Flush())
		}
		if err := enc.Encode(tokenizeResponse{e.IDs, e.TypeIDs, e.Tokens, e.Offsets}); err != nil {
			return err
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}
