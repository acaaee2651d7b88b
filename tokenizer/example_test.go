package tokenizer_test

import (
	"fmt"

	"github.com/infergate/infergate/tokenizer"
)

func ExampleTokenizer_Encode() {
	tok, err := tokenizer.Load("../deploy/model_repository/langid/vocab.txt")
	if err != nil {
		panic(err)
	}
	enc, err := tok.Encode("Héllo, wörld!", tokenizer.Options{MaxLength: 128})
	if err != nil {
		panic(err)
	}
	fmt.Println(enc.Tokens)
	fmt.Println(enc.IDs)
	fmt.Println(enc.Offsets)
	// Output:
	// [[CLS] hello , world ! [SEP]]
	// [101 7592 1010 2088 999 102]
	// [[0 0] [0 5] [5 6] [7 12] [12 13] [0 0]]
}

func ExampleTokenizer_EncodePair() {
	tok, err := tokenizer.Load("../deploy/model_repository/langid/vocab.txt")
	if err != nil {
		panic(err)
	}
	enc, err := tok.EncodePair("Is it raining?", "It is sunny.", tokenizer.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(enc.Tokens)
	fmt.Println(enc.TypeIDs)
	// Output:
	// [[CLS] is it raining ? [SEP] it is sunny . [SEP]]
	// [0 0 0 0 0 0 1 1 1 1 1]
}
