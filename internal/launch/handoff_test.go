//go:build unix

package launch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeServiceEnv makes this test binary act as the connector service that startService starts: "exit" ends
// at once without a word (as a service killed by SIGPIPE does), "report" reports a failure on its check-in
// and ends, "serve" runs until its check-in closes.
const fakeServiceEnv = "LAUNCH_TEST_FAKE_SERVICE"

func TestMain(m *testing.M) {
	switch os.Getenv(fakeServiceEnv) {
	case "":
		os.Exit(m.Run())
	case "exit":
		os.Exit(3)
	case "report":
		checkIn, err := serviceOfOneShot([]string{"x", serviceCommand}, os.Getenv)
		if err != nil {
			panic(err)
		}
		_, _ = checkIn.WriteString("missing required listener fd")
		os.Exit(2)
	case "serve":
		if _, err := serviceOfOneShot([]string{"x", serviceCommand}, os.Getenv); err != nil {
			panic(err)
		}
		select {} // ends when the check-in closes
	}
}

// handOffTo runs the runner's side of a one-shot run and the child's hand-off to exe in fakeServiceEnv mode,
// and returns the run and its context.
func handOffTo(t *testing.T, exe, mode, config string) (*oneShot, context.Context, error) {
	t.Helper()
	// startOneShot sets these for the SDK's child; t.Setenv puts them back afterwards.
	for _, k := range []string{"TMPDIR", "BATON_TMPDIR", handOffEnv, runnerPIDEnv, checkInEnv, fakeServiceEnv} {
		t.Setenv(k, "")
	}
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv(fakeServiceEnv, mode)
	ctx, cancel := context.WithCancelCause(context.Background())
	t.Cleanup(func() { cancel(nil) })
	run, err := startOneShot(cancel)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", os.Getenv(checkInEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = startService(conn.(*net.UnixConn), exe, []string{serviceCommand}, strings.NewReader(config))
	if err != nil {
		_, _ = conn.Write([]byte(err.Error())) // as handOff reports it
	}
	return run, ctx, err
}

// TestAFailedHandOffEndsTheRun breaks each step of the hand-off on purpose: the run's context is cancelled
// with the reason, and the run ends with it and a non-zero status.
func TestAFailedHandOffEndsTheRun(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, exe, mode, config, want string
	}{
		{"no configuration from the SDK", self, "serve", "", "reading its configuration from the runner"},
		{"the service cannot start", "/nonexistent/baton-celigo", "serve", "cfg\n", "starting the connector service"},
		{"the service dies at once", self, "exit", "cfg\n", "it was killed, or its output was closed"},
		{"the service reports its failure", self, "report", "cfg\n", "missing required listener fd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, ctx, _ := handOffTo(t, tc.exe, tc.mode, tc.config)
			select {
			case <-ctx.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("the run was not stopped")
			}
			code, err := run.finish(nil)
			if code == 0 || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("finish: %v, %d; want a non-zero status and %q", err, code, tc.want)
			}
			if cause := context.Cause(ctx); !errors.Is(cause, err) {
				t.Errorf("the run's context ended with %v, want %v", cause, err)
			}
			if _, err := os.Stat(run.dir); !os.IsNotExist(err) {
				t.Errorf("the run's directory is still there: %v", err)
			}
		})
	}
}

// TestAFinishedRunStopsItsService: a service that is running when the run finishes ends, the run keeps the
// SDK's result, and the run's directory is gone.
func TestAFinishedRunStopsItsService(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run, ctx, err := handOffTo(t, self, "serve", "cfg\n")
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the service's check-in to reach the runner.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		run.mu.Lock()
		in := run.conn != nil
		run.mu.Unlock()
		if in {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no check-in")
		}
	}
	sdkErr := fmt.Errorf("the SDK's own result")
	if code, err := run.finish(sdkErr); err != sdkErr || code != 0 { //nolint:errorlint // the very same error
		t.Errorf("finish: %v, %d; want the SDK's result", err, code)
	}
	select {
	case <-run.gone:
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not end")
	}
	if ctx.Err() != nil {
		t.Errorf("a finished run was stopped: %v", context.Cause(ctx))
	}
	if _, err := os.Stat(run.dir); !os.IsNotExist(err) {
		t.Errorf("the run's directory is still there: %v", err)
	}
}

// TestHandOffWithoutTheRunnersSocket: a child whose runner's check-in socket is gone fails at once.
func TestHandOffWithoutTheRunnersSocket(t *testing.T) {
	t.Setenv(checkInEnv, t.TempDir()+"/gone")
	if err := handOff(); err == nil || !strings.Contains(err.Error(), "checking in with the runner") {
		t.Errorf("handOff: %v", err)
	}
}
