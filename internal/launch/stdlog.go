package launch

import (
	"log"
	"strings"

	"go.uber.org/zap"
)

// sendStdLogToZap routes Go's standard logger into the SDK's zap logger at debug level. The pebble storage
// engine the SDK opens sync files with logs through it ("Found 0 WALs"), which printed a plain-text line in
// the middle of JSON logs; at debug it keeps the chosen format and stays out of a default run.
func sendStdLogToZap() {
	log.SetFlags(0)
	log.SetPrefix("")
	log.SetOutput(stdLogWriter{})
}

type stdLogWriter struct{}

// Write logs through zap.L() at the time of the call: the SDK replaces the global logger once it has read
// --log-format and --log-level, after this is set up.
func (stdLogWriter) Write(p []byte) (int, error) {
	zap.L().Debug(strings.TrimRight(string(p), "\n"), zap.String("from", "go log"))
	return len(p), nil
}
