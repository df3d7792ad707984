// Package launch runs the connector's command line, so that every way it is run ends by itself with an exit
// status that tells the truth. It is the only place that knows how baton-sdk v0.26.0 runs its connector
// service; the SDK lines it relies on are named below.
//
// baton-sdk v0.26.0 (as v0.25.0) runs a one-shot task (a sync, a provisioning request, an action) against a
// child process of the same binary (`<args> _connector-service`), started with exec.CommandContext on the
// runner's context (internal/connector/connector.go:317). When the task ends, the runner cancels that
// context, which kills the child, and the SDK goroutine waiting on the child calls os.Exit(0) ("connector
// service quit expectedly", connector.go:342-354). That exit races the task's error on its way back to main, so a failed
// run could end with status 0. The SDK calls os.Exit only when the child's Wait returns an error.
//
// So, in a one-shot run (unix):
//   - the runner, before the SDK starts its child, makes a temporary directory of its own (the SDK's
//     BATON_TMPDIR and TMPDIR point into it; it is removed when the run ends, however it ends), listens on a
//     check-in socket there, and puts its own pid, the socket and the hand-off request in the environment;
//   - the child checks in, starts a grandchild (same binary and arguments, the SDK's server configuration,
//     the same output and listening socket), hands it the check-in connection and exits 0 at once: the SDK's
//     wait returns nil, its goroutine does nothing, and the task's own result decides the exit status;
//   - the grandchild serves only once the runner has reaped the child: until then the task's end could still
//     "kill" the ended child (os/exec reports a context cancelled before its wait took the exit), and the
//     SDK would exit 0 after a failure;
//   - the grandchild serves the connector until the runner's process ends (the pid it was given, 1 included)
//     or the runner closes the check-in;
//   - the runner ends the run, non-zero and with the reason as its last line, when the grandchild's end of
//     the check-in closes before the run has finished (it failed to start, reported an error, or died, for
//     instance of SIGPIPE under `| head -1`). Without that the SDK would wait for ever: it dials the
//     service with grpc.WithBlock on a context with no deadline (connector.go:417).
//
// Signals: the SDK listens for SIGINT only (pkg/connectorrunner/runner.go:141). SIGTERM, which docker stop and
// Kubernetes send (to PID 1, where the kernel applies no default action), is made to stop the run the same
// way. A one-shot run that was stopped by a signal ends non-zero (128 + the signal) within a few seconds;
// a service ends with the SDK's own status for a service told to stop, 0, also when it is stopped while it
// still starts (the SDK retries its Hello to ConductorOne for minutes before it listens for SIGINT): its
// context is cancelled with the SDK's own cause (connectorrunner.ErrSigTerm).
//
// Otherwise service mode (--client-id) is left as the SDK runs it: there the SDK's exit on a dying child is
// what lets a supervisor restart the service. Only its temporary files go into a directory of its own,
// which the next start removes (servicetmp_unix.go): a service stopped during a sync cannot remove them
// itself. Hosted (lambda) mode starts no child at all.
//
// Windows: the SDK passes no listening socket to its child there, so there is no hand-off, and the SDK's
// race is not removed: a failed one-shot run on Windows can, rarely, exit 0. Check the log (an "error" line)
// or the sync file rather than the exit status alone there.
package launch

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/conductorone/baton-sdk/pkg/cli"
	sdkconfig "github.com/conductorone/baton-sdk/pkg/config"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/connectorrunner"
	"github.com/conductorone/baton-sdk/pkg/exit"
	"github.com/conductorone/baton-sdk/pkg/field"
	"github.com/conductorone/baton-sdk/pkg/types"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

const (
	// handOffEnv, set to "1" by a one-shot run, asks its connector-service child to hand its work to a
	// grandchild and exit 0. The grandchild runs with it unset.
	handOffEnv = "BATON_CELIGO_SERVICE_HAND_OFF"
	// serviceCommand is the hidden subcommand the SDK appends when it starts the connector-service child.
	serviceCommand = "_connector-service"
	// runnerPIDEnv names, for the grandchild, the runner process whose end is its own. The runner sets it to
	// its own pid before the SDK starts any child (a pid read later, as a parent's parent, may already be a
	// subreaper's).
	runnerPIDEnv = "BATON_CELIGO_RUNNER_PID"
	// checkInEnv is the runner's unix socket on which the child checks in; checkInFDEnv is the grandchild's
	// file descriptor of that connection.
	checkInEnv   = "BATON_CELIGO_CHECK_IN"
	checkInFDEnv = "BATON_CELIGO_CHECK_IN_FD"
	// childPIDEnv names, for the grandchild, the SDK's connector-service child that started it: the
	// grandchild serves only once the runner has reaped that child (see waitUntilReaped).
	childPIDEnv = "BATON_CELIGO_SERVICE_CHILD_PID"
	// listenerFDEnv is how the SDK tells the child that its listening socket is file descriptor 3.
	listenerFDEnv = "BATON_CONNECTOR_SERVICE_LISTENER_FD"
	listenerFD    = 3
)

// Run is the connector's main: the SDK's command line, with a one-shot run's exit status made reliable.
func Run[T field.Configurable](ctx context.Context, name, version string, schema field.Configuration,
	newConnector cli.NewConnector[T], opts ...connectorrunner.Option,
) {
	sendStdLogToZap()
	if isHandOffRequest(os.Args, os.Getenv) {
		exit.LogExit(handOff())
		return
	}
	checkIn, err := serviceOfOneShot(os.Args, os.Getenv)
	if err != nil {
		exit.LogExit(err)
		return
	}

	// The SDK's commands run on this context (MakeMainCommand keeps it): cancelling it is how a one-shot
	// run whose connector service is gone, or that was told to stop, unwinds.
	// It lives as long as the process.
	ctx, cancel := context.WithCancelCause(ctx)
	// DefineConfigurationV2 rather than RunConnector: it returns the command and its settings, which the
	// one-shot check below needs. RunConnector is these same steps with no way in.
	v, cmd, err := sdkconfig.DefineConfigurationV2(ctx, name, builderFunc(newConnector), schema, opts...)
	if err != nil {
		exit.LogExit(err)
		return
	}
	cmd.Version = version
	if checkIn != nil {
		// This is the connector service of a one-shot run: its runner reports why it failed.
		waitForTheChildsReap(os.Getenv)
		err := cmd.Execute()
		if err != nil {
			_, _ = checkIn.WriteString(err.Error())
		}
		exit.LogExit(err)
		return
	}
	var run atomic.Pointer[oneShot]
	var serviceStopped atomic.Bool
	if !isServiceProcess(os.Args) {
		handleStopSignals(run.Load, func() {
			serviceStopped.Store(true)
			cancel(connectorrunner.ErrSigTerm) // what the SDK's runner does on SIGINT
		})
	}
	prepareRuns(cmd, v, func() error {
		r, err := startOneShot(cancel)
		run.Store(r)
		return err
	}, useServiceTempDir)
	prepareProvisioning(cmd, v)
	err = cmd.Execute()
	if serviceStopped.Load() {
		// A service told to stop ends with the SDK's status for that, 0, also when it was stopped while
		// starting: the SDK would otherwise report the cancelled start (or exit 0 from its child's watcher,
		// whichever comes first).
		exit.LogExit(nil)
		return
	}
	if r := run.Load(); r != nil {
		var code int
		if code, err = r.finish(err); code != 0 {
			fmt.Fprintln(os.Stderr, err.Error())
			os.Exit(code)
		}
	}
	exit.LogExit(err)
}

// builderFunc adapts the connector's constructor to the SDK's command, as RunConnector does.
func builderFunc[T field.Configurable](newConnector cli.NewConnector[T]) cli.GetConnectorFunc2[T] {
	return func(ctx context.Context, cfg T, rt cli.RunTimeOpts) (types.ConnectorServer, error) {
		if isServiceProcess(os.Args) {
			// The SDK has just made this connector service's logger; it derives the ones it writes with later.
			quietServiceLogger(os.Getenv(checkInFDEnv) != "")
		}
		builder, builderOpts, err := newConnector(ctx, cfg, &cli.ConnectorOpts{
			TokenSource:         rt.TokenSource,
			SelectedAuthMethod:  rt.SelectedAuthMethod,
			SyncResourceTypeIDs: rt.SyncResourceTypeIDs,
			EgressPolicy:        rt.EgressPolicy,
		})
		if err != nil {
			return nil, err
		}
		builderOpts = append(builderOpts, connectorbuilder.WithSessionStore(rt.SessionStore))
		return connectorbuilder.NewConnector(ctx, builder, builderOpts...)
	}
}

// prepareRuns makes the main command, before the SDK starts its connector-service child (which inherits the
// environment they set up), call startOneShot when it runs one-shot and startService when it runs as a
// service (unix only: on Windows neither is used).
func prepareRuns(cmd *cobra.Command, v *viper.Viper, startOneShot, startService func() error) {
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := v.BindPFlags(c.Flags()); err != nil {
			return err
		}
		quietRunnerOutput(v, v.GetString("client-id") == "")
		if handOffSupported && runtime.GOOS != "windows" {
			// The SDK runs as a service exactly when client-id is set (or as a Windows service).
			start := startOneShot
			if v.GetString("client-id") != "" {
				start = startService
			}
			if err := start(); err != nil {
				return err
			}
		}
		return run(c, args)
	}
}

// isHandOffRequest reports whether this process is a one-shot run's connector-service child.
func isHandOffRequest(args []string, getenv func(string) string) bool {
	return isServiceProcess(args) && getenv(handOffEnv) == "1"
}

// isServiceProcess reports whether this process is a connector service the SDK started.
func isServiceProcess(args []string) bool {
	return len(args) > 1 && args[len(args)-1] == serviceCommand
}
