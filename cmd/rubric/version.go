package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine"
)

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rubric's version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprintf(e.stdout, "rubric %s\n", engine.Version())
			return nil
		},
	}
}
