package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// These tests run the built binary the ways it is deployed: as PID 1 (a container without --init, a
// Kubernetes Job), told to stop (docker stop, Kubernetes, Ctrl-C), and under a subreaper. Every run must end
// by itself, with the true status, leaving no process and nothing in its TMPDIR.

// hangGuard bounds every run: a run still going after it has hung.
const hangGuard = 60 * time.Second

// pid1Prefix returns the command that runs a program as PID 1 of a new PID namespace. CI runs as root, where
// this always works: there a failure to make one fails the test instead of skipping it.
func pid1Prefix(t *testing.T) []string {
	t.Helper()
	prefix := []string{"unshare", "--pid", "--fork", "--mount-proc"}
	out, err := exec.Command(prefix[0], append(prefix[1:], "true")...).CombinedOutput() // #nosec G204 -- fixed arguments.
	if err != nil {
		msg := fmt.Sprintf("cannot make a PID namespace here (unshare needs root or CAP_SYS_ADMIN): %v %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return prefix
}

// process is one run of the binary, possibly behind a prefix such as unshare.
type process struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	tmp    string // the run's TMPDIR
	prefix []string
	// service: the run is a service, whose own temporary directory remains after it (its next start
	// removes it); nothing else may.
	service bool
}

func startBaton(t *testing.T, prefix, env []string, args ...string) *process {
	t.Helper()
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	argv := append(append(append([]string{}, prefix...), binary), args...)
	cmd := exec.Command(argv[0], argv[1:]...) // #nosec G204 -- the binary under test.
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &process{cmd: cmd, out: &out, tmp: tmp, prefix: prefix}
}

// wait returns the run's exit status, failing the test if it has not ended within hangGuard. It then checks
// that the run left nothing in its TMPDIR and no process of its own behind.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(hangGuard):
		_ = p.cmd.Process.Kill()
		<-done
		t.Fatalf("the run hung (killed after %s):\n%s", hangGuard, p.out)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.out.String(), secret) {
		t.Fatal("the token appears in the output")
	}
	left, _ := os.ReadDir(p.tmp)
	if p.service && len(left) == 1 && strings.HasPrefix(left[0].Name(), "baton-celigo-service-") {
		left = nil
	}
	if len(left) != 0 {
		t.Errorf("the run left %d entries in its TMPDIR (%s...)", len(left), left[0].Name())
	}
	if pids := processesWithTMPDIR(p.tmp); len(pids) != 0 {
		t.Errorf("processes of the run are still running: %v", pids)
	}
	return code
}

// runnerPID is the pid of the run's runner as seen from here: the binary itself, or unshare's child.
func (p *process) runnerPID(t *testing.T) int {
	t.Helper()
	if len(p.prefix) == 0 {
		return p.cmd.Process.Pid
	}
	for deadline := time.Now().Add(hangGuard); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.cmd.Process.Pid, p.cmd.Process.Pid))
		if f := strings.Fields(string(raw)); len(f) > 0 {
			pid, err := strconv.Atoi(f[0])
			if err == nil {
				return pid
			}
		}
	}
	t.Fatal("unshare started no runner")
	return 0
}

// processesWithTMPDIR lists the processes whose environment has a TMPDIR inside tmp: the run's runner,
// connector-service child and grandchild all do (the runner points TMPDIR into a directory of its own there).
func processesWithTMPDIR(tmp string) []int {
	var pids []int
	// A process that is ending may still be listed for a moment: look again until none is, within the guard.
	for deadline := time.Now().Add(hangGuard); ; time.Sleep(50 * time.Millisecond) {
		pids = pids[:0]
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
			if err == nil && bytes.Contains(env, []byte("\x00TMPDIR="+tmp)) {
				pids = append(pids, pid)
			}
		}
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
	}
}

// holdIntegrations makes fake Celigo slow to answer the integrations list, until the test ends or the
// request is abandoned; the returned channel closes when the first such request arrives (a sync is then
// under way).
func holdIntegrations(t *testing.T, fake *celigotest.Server) <-chan struct{} {
	t.Helper()
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path == "/v1/integrations" {
			once.Do(func() { close(reached) })
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return nil
	})
	t.Cleanup(func() { close(release) })
	return reached
}

// TestRunsAsPID1: as PID 1 of its own PID namespace (a container without --init, a Kubernetes Job) a sync
// completes and exits 0, and a wrong token and a refused grant exit non-zero; none hangs.
func TestRunsAsPID1(t *testing.T) {
	prefix := pid1Prefix(t)
	fake := newFake(t)
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	quiet := []string{"--base-url", fake.URL, "--log-level", "error"}
	dir := t.TempDir()

	synced := filepath.Join(dir, "synced.c1z")
	if code := startBaton(t, nil, env, append(quiet, "-f", synced)...).wait(t); code != 0 {
		t.Fatalf("baseline sync: exit %d", code)
	}
	baseline, err := synctest.Read(t.Context(), synced)
	if err != nil {
		t.Fatal(err)
	}

	c1z := filepath.Join(dir, "pid1.c1z")
	p := startBaton(t, prefix, env, append(quiet, "-f", c1z)...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("sync as PID 1: exit %d:\n%s", code, p.out)
	}
	checkComplete(t, c1z, baseline)

	p = startBaton(t, prefix, []string{"BATON_CELIGO_ACCESS_TOKEN=wrong-token"}, append(quiet, "-f", filepath.Join(dir, "wrong.c1z"))...)
	if code := p.wait(t); code == 0 {
		t.Errorf("wrong token as PID 1: exit 0:\n%s", p.out)
	}

	p = startBaton(t, prefix, env, append(quiet, "-f", synced, "--grant-entitlement", "role:owner:assigned",
		"--grant-principal-type", "user", "--grant-principal", firstPlainUser(t, fake))...)
	if code := p.wait(t); code == 0 {
		t.Errorf("refused grant as PID 1: exit 0:\n%s", p.out)
	}
}

// TestStopSignalsEndARun: SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C), sent while a sync waits on
// Celigo, end the run non-zero, leave no sync file claiming to be complete and no process; as PID 1 and not.
func TestStopSignalsEndARun(t *testing.T) {
	pid1 := pid1Prefix(t)
	for _, tc := range []struct {
		name   string
		prefix []string
		sig    syscall.Signal
	}{
		{"SIGTERM", nil, syscall.SIGTERM},
		{"SIGINT", nil, syscall.SIGINT},
		{"SIGTERM to PID 1", pid1, syscall.SIGTERM},
		{"SIGINT to PID 1", pid1, syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			reached := holdIntegrations(t, fake)
			c1z := filepath.Join(t.TempDir(), "sync.c1z")
			p := startBaton(t, tc.prefix, []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret},
				"--base-url", fake.URL, "--log-level", "error", "-f", c1z)
			select {
			case <-reached:
			case <-time.After(hangGuard):
				t.Fatalf("the sync never reached Celigo's integrations:\n%s", p.out)
			}
			if err := syscall.Kill(p.runnerPID(t), tc.sig); err != nil {
				t.Fatal(err)
			}
			code := p.wait(t)
			if code == 0 {
				t.Errorf("exit 0 after %s:\n%s", tc.sig, p.out)
			}
			if id, err := synctest.FinishedSync(t.Context(), c1z); err == nil && id != "" {
				t.Errorf("the sync file claims a finished sync %s", id)
			}
		})
	}
}

// TestKilledRunnerLeavesNoServiceUnderASubreaper: a runner killed at any moment of its start, under a
// subreaper (as systemd user services, tini -s and some CI runners are), leaves no connector service running:
// the service once watched the subreaper's pid, read as its parent's parent after the runner had died. This
// test process is the subreaper while it runs (the package's tests run one at a time).
func TestKilledRunnerLeavesNoServiceUnderASubreaper(t *testing.T) {
	fake := newFake(t)
	if err := setSubreaper(true); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = setSubreaper(false)
		reapOrphans()
	}()
	for _, delay := range []time.Duration{5, 20, 50, 120, 300} {
		t.Run(fmt.Sprintf("%dms", delay), func(t *testing.T) {
			c1z := filepath.Join(t.TempDir(), "sync.c1z")
			p := startBaton(t, nil, []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret},
				"--base-url", fake.URL, "--log-level", "error", "-f", c1z)
			time.Sleep(delay * time.Millisecond)
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
			if pids := processesWithTMPDIR(p.tmp); len(pids) != 0 {
				t.Errorf("processes of the killed run are still running: %v", pids)
			}
			reapOrphans()
		})
	}
}

// TestAClosedOutputEndsTheRun: `baton-celigo … 2>&1 | head -1`. The reader goes after the first line, so the
// next write of any of the run's processes meets a closed pipe; the run must still end by itself, non-zero
// (it could not report what it did), leaving no process and nothing in its TMPDIR; as PID 1 and not.
func TestAClosedOutputEndsTheRun(t *testing.T) {
	pid1 := pid1Prefix(t)
	for _, tc := range []struct {
		name   string
		prefix []string
	}{{"plain", nil}, {"as PID 1", pid1}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			dir := t.TempDir()
			tmp := filepath.Join(dir, "tmp")
			if err := os.Mkdir(tmp, 0o700); err != nil {
				t.Fatal(err)
			}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			argv := append(append(append([]string{}, tc.prefix...), binary), "--base-url", fake.URL, "-f", filepath.Join(dir, "sync.c1z"))
			cmd := exec.Command(argv[0], argv[1:]...) // #nosec G204 -- the binary under test.
			cmd.Dir = dir
			cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp, "BATON_CELIGO_ACCESS_TOKEN=" + secret}
			cmd.Stdout, cmd.Stderr = w, w // the pipe itself, as a shell gives it: no copying in between
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			_ = w.Close()
			first := make([]byte, 0, 512) // head -1: read one line, then close the pipe
			for b := make([]byte, 1); !bytes.HasSuffix(first, []byte("\n")); {
				if _, err := r.Read(b); err != nil {
					break
				}
				first = append(first, b[0])
			}
			_ = r.Close()

			p := &process{cmd: cmd, out: bytes.NewBuffer(first), tmp: tmp, prefix: tc.prefix}
			if code := p.wait(t); code == 0 {
				t.Errorf("exit 0 though its output was closed after %q", first)
			}
		})
	}
}
