// Command celigo-mock serves the fake Celigo integrator.io API used by the tests, with
// generated data, for demos and manual tries of baton-celigo (--base-url).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "celigo-mock:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends; it is main without the process globals, for tests.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("celigo-mock", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	token := fs.String("token", "mock-token", "the bearer token the fake accepts")
	users := fs.Int("users", 25, "number of ashare records to generate")
	integrations := fs.Int("integrations", 8, "number of integrations to generate")
	seed := fs.Int64("seed", 1, "generator seed")
	pageSize := fs.Int("page-size", 10, "list page size")
	ownerVisible := fs.Bool("owner-visible", true, "token belongs to the owner (false: to the first administrator share)")
	readyFile := fs.String("ready-file", "", "write the base URL to this file once listening")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *users < 0 || *integrations < 0 || *pageSize < 1 {
		return errors.New("-users and -integrations must be >= 0 and -page-size >= 1")
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}

	acct := celigotest.Generate(*seed, *users, *integrations)
	if !*ownerVisible {
		id, ok := firstAdministrator(acct)
		if !ok {
			return errors.New("-owner-visible=false needs an administrator share; raise -users")
		}
		acct.TokenUserID = id
	}
	h := celigotest.NewHandler(*token, acct)
	h.SetPageSize(*pageSize)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if *readyFile != "" {
		if err := writeAtomic(*readyFile, base+"\n"); err != nil {
			_ = srv.Close()
			return fmt.Errorf("writing -ready-file: %w", err)
		}
	}
	fmt.Fprintln(stdout, base)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkLoopback refuses to expose the fake (and its well-known token) beyond this host.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: only loopback addresses are allowed (e.g. 127.0.0.1:8080)", addr)
	}
	return nil
}

func firstAdministrator(acct celigotest.Account) (string, bool) {
	for _, rec := range acct.Shares {
		if rec["accessLevel"] != celigotest.LevelAdministrator {
			continue
		}
		if u, ok := rec["sharedWithUser"].(map[string]any); ok {
			if id, ok := u["_id"].(string); ok {
				return id, true
			}
		}
	}
	return "", false
}

// writeAtomic renames into place so a polling script never reads a half-written URL.
func writeAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".celigo-mock-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
