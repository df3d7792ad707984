package launch

import (
	"os/exec"
	"testing"
	"time"
)

// TestServiceWaitsUntilItsParentIsReaped: the grandchild of a one-shot run serves only once the runner has
// reaped the SDK's child, not merely once that child has ended. Until the reap, the task's end could still
// "kill" the ended child, the SDK's wait would return an error, and the SDK would exit 0 after a failure.
func TestServiceWaitsUntilItsParentIsReaped(t *testing.T) {
	for name, wait := range map[string]func(pid int, limit time.Duration){
		"process handle": waitUntilReaped,
		"polling":        pollUntilReaped,
	} {
		t.Run(name, func(t *testing.T) {
			child := exec.Command("sleep", "600")
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { wait(child.Process.Pid, time.Hour); close(done) }()
			returned := func(within time.Duration) bool {
				select {
				case <-done:
					return true
				case <-time.After(within):
					return false
				}
			}
			if returned(100 * time.Millisecond) {
				t.Fatal("returned while the process was running")
			}
			if err := child.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if returned(300 * time.Millisecond) {
				t.Fatal("returned once the process ended, before its parent reaped it")
			}
			_ = child.Wait()            // the reap
			if !returned(time.Minute) { // a guard against a hang, not a timing assertion
				t.Fatal("did not return after the process was reaped")
			}
		})
	}
}
