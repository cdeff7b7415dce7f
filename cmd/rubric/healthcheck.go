package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func healthcheckCmd(e *env) *cobra.Command {
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Probe a running rubric serve: exit 0 when URL answers 2xx (default its /readyz)",
		Long: `healthcheck GETs URL (default http://127.0.0.1:8080/readyz) and exits 0 when
it answers 2xx, 1 otherwise: a container's HEALTHCHECK where there is no
shell or curl (the distroless image).`,
		Example: `  rubric healthcheck
  rubric healthcheck http://127.0.0.1:9090/healthz`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			url := "http://127.0.0.1:8080/readyz"
			if len(args) == 1 {
				url = args[0]
			}
			client := &http.Client{Timeout: timeout}
			resp, err := client.Get(url)
			if err != nil {
				return fail(fmt.Sprintf("healthcheck %s: %v", url, err))
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				return fail(fmt.Sprintf("healthcheck %s: %s", url, resp.Status))
			}
			fmt.Fprintf(e.stdout, "%s: %s\n", url, resp.Status)
			return nil
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return c
}
