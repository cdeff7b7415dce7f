package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rubric-dev/rubric/engine/serve"
)

func serveCmd(e *env) *cobra.Command {
	var dir, addr, tokenFile, cert, key, logFormat string
	var cacheMB, maxSnapshots, maxConcurrent int
	var maxBodyMB int64
	var timeout, shutdown, drain time.Duration
	var logValues bool
	c := &cobra.Command{
		Use:   "serve --policies DIR",
		Short: "Serve the policies under DIR over HTTP (eval, explain, validate), reloading them when they change",
		Long: `serve answers POST /v1/policies/{name}/eval with the outcomes of the
snapshots in the body (one JSON object, a JSON array, or NDJSON), exactly as
rubric eval writes them; /v1/policies lists what is served; /v1/validate
checks policy files; /healthz, /readyz and /metrics are for the platform.
Every policy directory directly under DIR is served by its name, and reloaded
when its files change; a change that does not validate leaves the last good
version serving (status "stale"). See docs/serve.md.`,
		Example: `  rubric serve --policies policies
  rubric serve --policies /etc/rubric/policies --addr 0.0.0.0:8443 --token-file /etc/rubric/tokens --tls-cert cert.pem --tls-key key.pem`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if dir == "" {
				return usageErr("--policies DIR is required")
			}
			var handler slog.Handler
			switch logFormat {
			case "json":
				handler = slog.NewJSONHandler(e.stderr, nil)
			case "text":
				handler = slog.NewTextHandler(e.stderr, nil)
			default:
				return usageErr("unknown --log-format %q (json or text)", logFormat)
			}
			cfg := serve.Config{Policies: dir, CacheMB: cacheMB, MaxBodyBytes: maxBodyMB << 20, MaxSnapshots: maxSnapshots,
				MaxConcurrent: maxConcurrent, EvalTimeout: timeout, LogValues: logValues, Logger: slog.New(handler)}
			if tokenFile != "" {
				tokens, err := serve.ReadTokens(tokenFile)
				if err != nil {
					return usageErr("%v", err)
				}
				cfg.Tokens, cfg.TokenFile = tokens, tokenFile
			}
			if len(cfg.Tokens) == 0 && !serve.IsLoopback(addr) {
				return usageErr("refusing to listen on %s without --token-file: anyone who can reach it could read every outcome", addr)
			}
			s, err := serve.New(cfg)
			steadyGC()
			if err != nil {
				return usageErr("%v", err)
			}
			defer s.Close()
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if err := s.Serve(ctx, serve.ListenConfig{Addr: addr, TLSCert: cert, TLSKey: key, ShutdownDeadline: shutdown, Drain: drain}); err != nil {
				return fail(fmt.Sprintf("serve: %v", err))
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "policies", "", "directory whose subdirectories are the policies to serve (required)")
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&tokenFile, "token-file", "", "file of accepted bearer tokens, one a line (required beyond loopback)")
	f.StringVar(&cert, "tls-cert", "", "TLS certificate (PEM)")
	f.StringVar(&key, "tls-key", "", "TLS private key (PEM)")
	f.IntVar(&cacheMB, "cache-mb", 64, "result cache size in MiB (0: no cache)")
	f.Int64Var(&maxBodyMB, "max-body-mb", 32, "request body limit in MiB")
	f.IntVar(&maxSnapshots, "max-snapshots", 100000, "snapshots per request")
	f.IntVar(&maxConcurrent, "max-concurrent", 4*runtime.GOMAXPROCS(0), "evaluations at once; more wait (up to --timeout)")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "per request: waiting for an evaluation slot")
	f.DurationVar(&drain, "drain", 0, "on SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes (a load balancer's probe interval; Kubernetes: a few seconds)")
	f.DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	f.StringVar(&logFormat, "log-format", "json", "json or text")
	f.BoolVar(&logValues, "log-values", false, "log snapshot values (never by default)")
	return c
}
