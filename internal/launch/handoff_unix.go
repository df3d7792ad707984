//go:build unix

package launch

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

const handOffSupported = true

// handOff starts the grandchild that serves the connector in this process's place and returns without
// waiting for it.
//
// The grandchild cannot simply share this process's standard input: the SDK closes its end of that pipe as
// soon as this process exits, and the SDK's service stops (exit 0) when its standard input ends. So the
// configuration line is copied into a pipe of the grandchild's own, whose write end it also holds (it never
// ends), and the grandchild instead stops when the runner process does (stopWithRunner).
func handOff() error {
	fail := func(err error) error { return fmt.Errorf("baton-celigo: starting the connector service: %w", err) }
	config, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("reading the service configuration: %w", err))
	}
	stdin, keepOpen, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	if _, err := keepOpen.WriteString(config); err != nil {
		return fail(err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	service := exec.Command(exe, os.Args[1:]...) // #nosec G204 G702 -- this binary, with the arguments the SDK gave it.
	service.Env = append(withoutHandOff(os.Environ()), runnerPIDEnv+"="+strconv.Itoa(os.Getppid()))
	service.Stdin, service.Stdout, service.Stderr = stdin, os.Stdout, os.Stderr
	if os.Getenv(listenerFDEnv) == strconv.Itoa(listenerFD) {
		service.ExtraFiles = append(service.ExtraFiles, os.NewFile(listenerFD, "connector-service-listener"))
	}
	service.ExtraFiles = append(service.ExtraFiles, keepOpen)
	if err := service.Start(); err != nil {
		return fail(err)
	}
	// Not waited for on purpose: the runner talks to it over the socket, and it ends with the runner.
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

// stopWithRunner, in a grandchild started by handOff, ends this process as soon as the runner process ends.
func stopWithRunner(getenv func(string) string) error {
	raw := getenv(runnerPIDEnv)
	if raw == "" {
		return nil
	}
	pid, err := strconv.Atoi(raw)
	if err != nil || pid <= 1 {
		return fmt.Errorf("baton-celigo: %s=%q is not a process id", runnerPIDEnv, raw)
	}
	go func() {
		waitForExit(pid)
		os.Exit(0)
	}()
	return nil
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
