//go:build unix

package launch

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/conductorone/baton-sdk/pkg/tempdir"
)

const handOffSupported = true

// stopGrace is how long a run that was told to stop (a signal, or its connector service gone) may take to
// unwind through the SDK before it is ended without it. docker stop waits 10 s, Kubernetes 30 s by default.
const stopGrace = 3 * time.Second

// oneShot is the runner's side of a one-shot run: a temporary directory of its own, the check-in socket its
// connector service reports on, and the reason the run was stopped, if it was.
type oneShot struct {
	dir      string
	listener *net.UnixListener
	cancel   context.CancelCauseFunc

	mu       sync.Mutex
	conn     net.Conn
	stopped  error // why the run was ended early; nil while it runs normally
	exitCode int
	finished bool
	gone     chan struct{} // closed once the connector service's end of the check-in is closed
}

// startOneShot prepares a one-shot run before the SDK starts its connector-service child: everything set
// here reaches the child (and the grandchild it hands off to) through the environment.
func startOneShot(cancel context.CancelCauseFunc) (*oneShot, error) {
	base := tempdir.Resolve("")
	dir, err := os.MkdirTemp(base, "baton-celigo-")
	if err != nil {
		return nil, fmt.Errorf("baton-celigo: creating the run's temporary directory in %s (set TMPDIR to a writable directory): %w", base, err)
	}
	run := &oneShot{dir: dir, cancel: cancel, gone: make(chan struct{})}
	socket := filepath.Join(dir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		run.removeDir()
		return nil, fmt.Errorf("baton-celigo: creating the connector service's check-in socket in %s (a shorter TMPDIR helps): %w", dir, err)
	}
	run.listener = l
	// The SDK keeps its temporary files (the c1z being built, a granter's store) in BATON_TMPDIR or TMPDIR:
	// both point into the run's own directory, which is removed when the run ends, however it ends.
	for k, v := range map[string]string{
		tempdir.EnvVar: dir, "TMPDIR": dir,
		handOffEnv: "1", runnerPIDEnv: strconv.Itoa(os.Getpid()), checkInEnv: socket,
	} {
		if err := os.Setenv(k, v); err != nil {
			run.removeDir()
			return nil, fmt.Errorf("baton-celigo: preparing the one-shot run: %w", err)
		}
	}
	go run.watch()
	return run, nil
}

// watch takes the one check-in the connector service makes and ends the run when the service's end closes
// before the run has finished: the service died (before or after the SDK connected to it), or reported why
// it could not start. Without this, the SDK would wait on a connection to it for ever.
func (r *oneShot) watch() {
	conn, err := r.listener.Accept()
	_ = r.listener.Close() // one check-in per run
	if err != nil {
		close(r.gone)
		return
	}
	r.mu.Lock()
	r.conn = conn
	finished := r.finished
	r.mu.Unlock()
	if finished { // the run ended while this check-in was on its way
		_ = conn.Close()
	}
	reason, _ := io.ReadAll(io.LimitReader(conn, 4096))
	close(r.gone)
	msg := strings.TrimSpace(string(reason))
	if msg == "" {
		msg = "it was killed, or its output was closed"
	}
	r.stop(fmt.Errorf("baton-celigo: the connector service ended before the run did (%s)", msg), 1)
}

// stop ends the run early: the SDK's context is cancelled so it unwinds, and after stopGrace the process
// ends without waiting for it. The first reason wins.
func (r *oneShot) stop(reason error, code int) {
	r.mu.Lock()
	if r.finished || r.stopped != nil {
		r.mu.Unlock()
		return
	}
	r.stopped, r.exitCode = reason, code
	r.mu.Unlock()
	r.cancel(reason)
	time.AfterFunc(stopGrace, func() {
		if code, first, stopped := r.end(); first {
			fmt.Fprintln(os.Stderr, stopped.Error())
			os.Exit(code)
		}
	})
}

// finish is called with the SDK's result once it returns: it ends the run and returns its true outcome,
// with the exit status it calls for (0: the SDK's own status for err).
func (r *oneShot) finish(err error) (int, error) {
	if code, _, stopped := r.end(); stopped != nil {
		return code, stopped
	}
	return 0, err
}

// end marks the run finished and, the first time, stops the connector service and removes the run's
// directory. It returns why the run was stopped, if it was.
func (r *oneShot) end() (code int, first bool, stopped error) {
	r.mu.Lock()
	first = !r.finished
	r.finished = true
	conn := r.conn
	stopped, code = r.stopped, r.exitCode
	r.mu.Unlock()
	if first {
		r.cleanUp(conn)
	}
	return code, first, stopped
}

// cleanUp closes the check-in, which ends the connector service, waits briefly for the service to go (so it
// writes nothing more into the run's directory), and removes that directory.
func (r *oneShot) cleanUp(conn net.Conn) {
	_ = r.listener.Close()
	if uc, ok := conn.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
		select {
		case <-r.gone:
		case <-time.After(stopGrace):
		}
		_ = uc.Close()
	}
	r.removeDir()
}

func (r *oneShot) removeDir() {
	if err := os.RemoveAll(r.dir); err != nil {
		fmt.Fprintf(os.Stderr, "baton-celigo: removing the run's temporary directory %s: %v\n", r.dir, err)
	}
}

// stopSignals are the signals that end a run: Ctrl-C, docker stop and Kubernetes (SIGTERM, sent to PID 1,
// which the kernel gives no default action), and a closed output pipe (`| head -1`).
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE}

// handleStopSignals makes SIGTERM stop the run as SIGINT does. The SDK itself listens for SIGINT only, and
// only once its runner runs (pkg/connectorrunner/runner.go:141, connectorRunner.Run): on it, a service ends
// with status 0, which is kept. A one-shot run that was stopped ends non-zero (128 + the signal), whatever
// the SDK returns. run is nil in service mode; there stopService is called instead, which ends the service
// the SDK's way also while it is still starting (saying Hello to ConductorOne, retried for minutes, before
// the SDK listens for SIGINT).
func handleStopSignals(run func() *oneShot, stopService func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, stopSignals...)
	go func() {
		for sig := range signals {
			s, _ := sig.(syscall.Signal)
			if s == syscall.SIGTERM {
				// The SDK's own stop path, which it takes on SIGINT.
				_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			}
			if r := run(); r != nil {
				r.stop(fmt.Errorf("baton-celigo: stopped by %s before the run finished", signalName(s)), 128+int(s))
				continue
			}
			if s != syscall.SIGPIPE {
				stopService()
				// The SDK ends the service with its own status; this only guards against a hang.
				time.AfterFunc(stopGrace, func() { os.Exit(128 + int(s)) })
			}
		}
	}()
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGPIPE:
		return "SIGPIPE (its output was closed)"
	default: // the runner handles only the three above; any other keeps Go's name
		return s.String()
	}
}
