//go:build unix

package launch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// handOff, in the SDK's connector-service child of a one-shot run, checks in with the runner, starts the
// grandchild that serves the connector in this process's place, hands it the check-in connection, and
// returns without waiting for it.
//
// A failure after the check-in is reported to the runner, which ends the run with it as its last line; this
// process then ends 0, so that the SDK's exit on a failed child does not race the report. Only a failed
// check-in (the runner's socket is gone) ends this process non-zero, which the SDK turns into the runner's
// exit 1 ("connector service quit unexpectedly").
func handOff() error {
	conn, err := net.Dial("unix", os.Getenv(checkInEnv)) // #nosec G704 -- the runner's own socket, set by the runner.
	if err != nil {
		return fmt.Errorf("baton-celigo: starting the connector service: checking in with the runner: %w", err)
	}
	defer conn.Close()
	exe, err := os.Executable()
	if err == nil {
		err = startService(conn.(*net.UnixConn), exe, os.Args[1:], os.Stdin)
	}
	if err != nil {
		if _, werr := io.WriteString(conn, err.Error()); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return nil
}

// startService starts exe with args as the connector service. The configuration line the SDK wrote to this
// process's standard input is copied into a pipe of the service's own, whose write end the service also holds
// (so it never ends): the SDK closes its end of this process's input as soon as this process exits, and the
// SDK's service stops when its input ends. The service stops instead with the runner (stopWithRunner).
func startService(checkIn *net.UnixConn, exe string, args []string, config io.Reader) error {
	fail := func(err error) error { return fmt.Errorf("starting the connector service: %w", err) }
	line, err := bufio.NewReader(config).ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("reading its configuration from the runner: %w", err))
	}
	stdin, keepOpen, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer stdin.Close()
	defer keepOpen.Close()
	if _, err := keepOpen.WriteString(line); err != nil {
		return fail(err)
	}
	checkInFile, err := checkIn.File()
	if err != nil {
		return fail(err)
	}
	defer checkInFile.Close()

	service := exec.Command(exe, args...) // #nosec G204 G702 -- this binary, with the arguments the SDK gave it.
	service.Stdin, service.Stdout, service.Stderr = stdin, os.Stdout, os.Stderr
	if os.Getenv(listenerFDEnv) == strconv.Itoa(listenerFD) {
		service.ExtraFiles = append(service.ExtraFiles, os.NewFile(listenerFD, "connector-service-listener"))
	}
	service.ExtraFiles = append(service.ExtraFiles, keepOpen, checkInFile)
	checkInFD := 3 + len(service.ExtraFiles) - 1
	service.Env = append(withoutHandOff(os.Environ()), checkInFDEnv+"="+strconv.Itoa(checkInFD))
	if err := service.Start(); err != nil {
		return fail(err)
	}
	// Not waited for on purpose: the runner talks to it over the socket and watches it through the check-in,
	// and it ends with the runner.
	return service.Process.Release()
}

// withoutHandOff drops handOffEnv, so the grandchild serves instead of handing off again.
func withoutHandOff(env []string) []string {
	kept := env[:0:0]
	for _, kv := range env {
		if len(kv) > len(handOffEnv) && kv[:len(handOffEnv)+1] == handOffEnv+"=" {
			continue
		}
		kept = append(kept, kv)
	}
	return kept
}

// serviceOfOneShot, in a grandchild started by handOff, ends this process as soon as the runner process ends
// (its pid was set by the runner itself, before the SDK started any child) or the runner closes the
// check-in. It returns the check-in, on which the service reports why it failed; nil outside a hand-off.
func serviceOfOneShot(args []string, getenv func(string) string) (*os.File, error) {
	rawFD := getenv(checkInFDEnv)
	if rawFD == "" || !isServiceProcess(args) {
		return nil, nil
	}
	raw := getenv(runnerPIDEnv)
	pid, err := strconv.Atoi(raw)
	if err != nil || pid < 1 {
		return nil, fmt.Errorf("baton-celigo: %s=%q is not a process id", runnerPIDEnv, raw)
	}
	fd, err := strconv.Atoi(rawFD)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("baton-celigo: %s=%q is not a file descriptor", checkInFDEnv, rawFD)
	}
	checkIn := os.NewFile(uintptr(fd), "check-in")
	go func() {
		waitForExit(pid)
		os.Exit(0)
	}()
	go func() {
		_, _ = io.Copy(io.Discard, checkIn) // the runner never writes: this returns when it closes or ends
		os.Exit(0)
	}()
	return checkIn, nil
}

// pollForExit returns once process pid no longer exists. It is the fallback where a process cannot be
// waited for by handle.
func pollForExit(pid int) {
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
