//go:build unix

package launch

import (
	"os/exec"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func TestIsHandOffRequest(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == handOffEnv {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		name string
		args []string
		env  string
		want bool
	}{
		{"service child of a one-shot run", []string{"baton-celigo", "-f", "x.c1z", serviceCommand}, "1", true},
		{"service child of a service", []string{"baton-celigo", serviceCommand}, "", false},
		{"the one-shot run itself", []string{"baton-celigo", "-f", "x.c1z"}, "1", false},
		{"no arguments", []string{"baton-celigo"}, "1", false},
	}
	for _, tc := range cases {
		if got := isHandOffRequest(tc.args, env(tc.env)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOneShotRunsAndServicesArePreparedApart(t *testing.T) {
	for _, tc := range []struct {
		clientID          string
		oneShot, services int
	}{{"", 1, 0}, {"client-abc", 0, 1}} {
		v := viper.New()
		cmd := &cobra.Command{RunE: func(*cobra.Command, []string) error { return nil }}
		cmd.Flags().String("client-id", "", "")
		if err := cmd.Flags().Set("client-id", tc.clientID); err != nil {
			t.Fatal(err)
		}
		oneShot, services := 0, 0
		prepareRuns(cmd, v, func() error { oneShot++; return nil }, func() error { services++; return nil })
		if err := cmd.RunE(cmd, nil); err != nil {
			t.Fatal(err)
		}
		if oneShot != tc.oneShot || services != tc.services {
			t.Errorf("client-id %q: prepared as a one-shot run %d times and as a service %d times, want %d and %d",
				tc.clientID, oneShot, services, tc.oneShot, tc.services)
		}
	}
}

func TestWithoutHandOff(t *testing.T) {
	got := withoutHandOff([]string{"A=1", handOffEnv + "=1", handOffEnv + "X=2", "B=2"})
	want := []string{"A=1", handOffEnv + "X=2", "B=2"}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}

func TestServiceOfOneShotRefusesABadRunner(t *testing.T) {
	args := []string{"baton-celigo", serviceCommand}
	for _, env := range []map[string]string{
		{checkInFDEnv: "4", runnerPIDEnv: "abc"},
		{checkInFDEnv: "4", runnerPIDEnv: "0"},
		{checkInFDEnv: "4", runnerPIDEnv: "-5"},
		{checkInFDEnv: "x", runnerPIDEnv: "1"},
		{checkInFDEnv: "1", runnerPIDEnv: "1"},
	} {
		if _, err := serviceOfOneShot(args, func(k string) string { return env[k] }); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
	// Not a one-shot run's connector service: nothing to watch.
	for _, a := range [][]string{args, {"baton-celigo", "-f", "x.c1z"}} {
		env := map[string]string{runnerPIDEnv: "1"}
		if a[len(a)-1] != serviceCommand {
			env[checkInFDEnv] = "4"
		}
		if f, err := serviceOfOneShot(a, func(k string) string { return env[k] }); f != nil || err != nil {
			t.Errorf("%v with %v: %v, %v", a, env, f, err)
		}
	}
}

// TestWaitForExit: both watchers return once the watched process ends, and not before.
func TestWaitForExit(t *testing.T) {
	for name, wait := range map[string]func(int){"waitForExit": waitForExit, "pollForExit": pollForExit} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("cat") // ends when its standard input is closed
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { wait(cmd.Process.Pid); close(done) }()
			select {
			case <-done:
				t.Fatal("returned while the process was running")
			case <-time.After(100 * time.Millisecond):
			}
			_ = stdin.Close()
			_ = cmd.Wait()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("did not return after the process ended")
			}
		})
	}
}
