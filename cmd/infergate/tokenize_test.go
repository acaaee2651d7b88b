package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/infergate/infergate/tokenizer"
)

func TestTokenizeStream(t *testing.T) {
	tok, err := tokenizer.Load("../../deploy/model_repository/langid/vocab.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		give    string
		opts    tokenizer.Options
		want    string
		wantErr string
	}{
		{"single and pair",
			"{\"text\":\"Hello, World!\"}\n\n{\"text\":\"a\",\"text_pair\":\"b c\"}\n",
			tokenizer.Options{},
			`{"ids":[101,7592,1010,2088,999,102],"type_ids":[0,0,0,0,0,0],"tokens":["[CLS]","hello",",","world","!","[SEP]"],"offsets":[[0,0],[0,5],[5,6],[7,12],[12,13],[0,0]]}
{"ids":[101,1037,102,1038,1039,102],"type_ids":[0,0,0,1,1,1],"tokens":["[CLS]","a","[SEP]","b","c","[SEP]"],"offsets":[[0,0],[0,1],[0,0],[0,1],[2,3],[0,0]]}
`, ""},
		{"last line without newline, html kept", `{"text":"<b>"}`, tokenizer.Options{},
			`{"ids":[101,1026,1038,1028,102],"type_ids":[0,0,0,0,0],"tokens":["[CLS]","<","b",">","[SEP]"],"offsets":[[0,0],[0,1],[1,2],[2,3],[0,0]]}
`, ""},
		{"max length", `{"text":"one two three"}`, tokenizer.Options{MaxLength: 3},
			`{"ids":[101,2028,102],"type_ids":[0,0,0],"tokens":["[CLS]","one","[SEP]"],"offsets":[[0,0],[0,3],[0,0]]}
`, ""},
		{"missing text", "{\"text\":\"a\"}\n{\"txt\":\"a\"}\n", tokenizer.Options{}, "", "line 2: missing \"text\""},
		{"bad json", "{\"text\":\n", tokenizer.Options{}, "", "line 1:"},
		{"max length too small", `{"text":"a"}`, tokenizer.Options{MaxLength: 1}, "", "line 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := tokenizeStream(tok, tt.opts, strings.NewReader(tt.give), &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("tokenizeStream error = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && out.String() != tt.want {
				t.Errorf("tokenizeStream(%q) =\n%s\nwant\n%s", tt.give, out.String(), tt.want)
			}
		})
	}
}

func TestTokenizeCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"max-len flag", []string{"--tokenizer", "../../deploy/model_repository/langid/vocab.txt", "--max-len", "3"},
			`{"ids":[101,2028,102],"type_ids":[0,0,0],"tokens":["[CLS]","one","[SEP]"],"offsets":[[0,0],[0,3],[0,0]]}` + "\n", ""},
		{"bad max-len", []string{"--tokenizer", "../../deploy/model_repository/langid/vocab.txt", "--max-len", "1"}, "", "flags"},
		{"missing tokenizer flag", nil, "", "tokenizer"},
		{"missing file", []string{"--tokenizer", "nope/vocab.txt"}, "", "nope/vocab.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newTokenizeCmd()
			var out bytes.Buffer
			cmd.SetArgs(tt.args)
			cmd.SetIn(strings.NewReader(`{"text":"one two"}` + "\n"))
			cmd.SetOut(&out)
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("tokenize %v: error = %v; want one mentioning %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || out.String() != tt.want {
				t.Errorf("tokenize %v = %q, %v; want %q", tt.args, out.String(), err, tt.want)
			}
		})
	}
}
