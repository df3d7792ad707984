package launch

import "errors"

// On Windows the SDK passes no listening socket to its child, and the hand-off is never requested.
const handOffSupported = false

func handOff() error {
	return errors.New("baton-celigo: the connector-service hand-off is not supported on Windows")
}

func stopWithRunner(func(string) string) error { return nil }
