package launch

import (
	"context"
	"errors"
	"os"
)

// On Windows the SDK passes no listening socket to its child, and the hand-off is never requested (see the
// package doc for what that leaves).
const handOffSupported = false

type oneShot struct{}

func startOneShot(context.CancelCauseFunc) (*oneShot, error) { return &oneShot{}, nil }

func (*oneShot) finish(err error) (int, error) { return 0, err }

func handOff() error {
	return errors.New("baton-celigo: the connector-service hand-off is not supported on Windows")
}

func serviceOfOneShot([]string, func(string) string) (*os.File, error) { return nil, nil }

func handleStopSignals(func() *oneShot, func()) {}

// useServiceTempDir leaves a Windows service's temporary files where the SDK puts them.
func useServiceTempDir() error { return nil }
