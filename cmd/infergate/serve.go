package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// PLACEHOLDER: replaced by the issue that builds 'serve'.
func newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "serve",
		RunE: func(*cobra.Command, []string) error { return errors.New("serve: not built yet") },
	}
}
