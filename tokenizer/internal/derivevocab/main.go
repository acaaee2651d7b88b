// Command derivevocab writes the vocab.txt (one token per line, line
// number = id) of a HuggingFace tokenizer.json to stdout.
//
// Usage: go run ./tokenizer/internal/derivevocab tokenizer.json > vocab.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/infergate/infergate/tokenizer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "derivevocab:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: derivevocab tokenizer.json")
	}
	tok, err := tokenizer.Load(os.Args[1])
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for id, s := range tok.Vocab() {
		if s == "" || strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("id %d: token %q cannot be written to vocab.txt", id, s)
		}
		fmt.Fprintln(w, s)
	}
	return w.Flush()
}
