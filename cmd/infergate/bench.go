package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// PLACEHOLDER: replaced by the issue that builds 'bench'.
func newBenchCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "bench",
		RunE: func(*cobra.Command, []string) error { return errors.New("bench: not built yet") },
	}
}
