package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// PLACEHOLDER: replaced by the issue that builds 'tokenize'.
func newTokenizeCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "tokenize",
		RunE: func(*cobra.Command, []string) error { return errors.New("tokenize: not built yet") },
	}
}
