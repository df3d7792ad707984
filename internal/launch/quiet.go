package launch

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/spf13/viper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The SDK logs its own workings at info: gRPC's connection states (grpc_zap sends gRPC's internal logger to
// zap at info, internal/connector/connector.go:224), the syncer's phases and storage internals, and, when a
// one-shot run fails, the same error three or four more times on its way up (ugrpc/logging.go,
// ratelimit/grpc.go, connectorrunner/runner.go, cli/commands.go), before the run's own last line states it.
// The SDK has no hook for its logger's configuration, so its output is filtered on the way out, by one
// policy (keep below), in the two places a one-shot run's lines are written:
//   - the process the user started writes through a zap sink of ours (quietSink), which the SDK uses when
//     --log-path is not set (it passes --log-path to zap as the output);
//   - the connector service (the grandchild of a one-shot run, or a service's child) reads no --log-path,
//     so its logger, the one the SDK keeps in zap.L() and in every context, gets our core in front
//     (quietServiceLogger) before the SDK derives any logger the service writes with.
// At debug level nothing is filtered. docs/running.md lists what remains.

// logRecord is what the output policy needs to know of one log line.
type logRecord struct {
	level  zapcore.Level
	caller string // "dir/file.go:line", as zap's short caller encoder writes it
	msg    string
	grpc   bool // written by gRPC's own logger (grpc_zap marks its lines grpc_log=true)
}

// outputPolicy decides which lines a user sees.
type outputPolicy struct {
	verbose bool // debug level: everything
	oneShot bool // the run's last line states the error it ends with
}

// ourDirs are the directories of this module's packages that log; a line from anywhere else at info is the
// SDK's (or a library's) own workings. The SDK's internal/connector is also "connector": its
// connector/connector.go is told apart by file, as ours logs nothing (a test checks).
var ourDirs = map[string]bool{"connector": true, "celigo": true, "launch": true, "config": true}

// sdkSummaries are the SDK's info lines a user wants from a sync: one per resource type, and the end.
var sdkSummaries = map[string]bool{"Synced resources": true, "Synced entitlements": true, "Sync complete.": true}

// restatements are the SDK's lines that repeat a one-shot run's error on its way up: caller file → the
// start of the message.
var restatements = map[string]string{
	"ugrpc/logging.go":          "finished ",
	"ratelimit/grpc.go":         "ratelimit: error running client request",
	"connectorrunner/runner.go": "runner: error processing",
	"cli/commands.go":           "error running connector",
}

// transportFailures are the SDK HTTP transport's lines for a request that got no answer, logged at error level
// even when the connector's client retries it and succeeds. The client logs each failed attempt itself
// ("celigo: transient failure, retrying") and the error it ends with.
var transportFailures = map[string]string{"uhttp/transport.go": "HTTP request failed"}

func (p outputPolicy) keep(r logRecord) bool {
	if p.verbose {
		return true
	}
	if r.grpc {
		return r.level >= zapcore.WarnLevel
	}
	file, _, _ := strings.Cut(r.caller, ":")
	if prefix, ok := transportFailures[file]; ok && strings.HasPrefix(r.msg, prefix) {
		return false
	}
	if p.oneShot {
		if prefix, ok := restatements[file]; ok && strings.HasPrefix(r.msg, prefix) {
			return false
		}
	}
	if r.level >= zapcore.WarnLevel {
		return true
	}
	dir, _, _ := strings.Cut(file, "/")
	if ourDirs[dir] && file != "connector/connector.go" {
		return true
	}
	return sdkSummaries[r.msg]
}

// quietSinkScheme names our sink in --log-path; a user who sets --log-path gets exactly what they asked for.
const quietSinkScheme = "baton-celigo-stderr"

var (
	registerSinkOnce sync.Once
	sinkPolicy       outputPolicy
	sinkPolicyMu     sync.Mutex
)

// quietRunnerOutput makes the SDK's logger in this process write to standard error through the policy,
// unless the user chose where logs go.
func quietRunnerOutput(v *viper.Viper, oneShot bool) {
	if len(v.GetStringSlice("log-path")) > 0 {
		return
	}
	registerSinkOnce.Do(func() {
		_ = zap.RegisterSink(quietSinkScheme, func(*url.URL) (zap.Sink, error) { return quietSink{}, nil })
	})
	sinkPolicyMu.Lock()
	sinkPolicy = outputPolicy{verbose: isDebug(v.GetString("log-level")), oneShot: oneShot}
	sinkPolicyMu.Unlock()
	v.Set("log-path", []string{quietSinkScheme + ":"})
}

func isDebug(level string) bool {
	var l zapcore.Level
	return l.UnmarshalText([]byte(level)) == nil && l <= zapcore.DebugLevel
}

// quietSink writes each encoded log entry (zap hands a sink one entry per Write, under its lock) to standard
// error if the policy keeps it.
type quietSink struct{}

func (quietSink) Write(p []byte) (int, error) {
	sinkPolicyMu.Lock()
	policy := sinkPolicy
	sinkPolicyMu.Unlock()
	if r, ok := parseEntry(p); ok && !policy.keep(r) {
		return len(p), nil
	}
	return os.Stderr.Write(p)
}

func (quietSink) Sync() error  { return os.Stderr.Sync() }
func (quietSink) Close() error { return nil }

// parseEntry reads one entry as the SDK's encoders write it: JSON (zap's production keys) or console (time,
// level, caller, message and the fields as JSON, separated by tabs). It reports false for anything else,
// which is then written as it is.
func parseEntry(p []byte) (logRecord, bool) {
	var r logRecord
	if bytes.HasPrefix(p, []byte("{")) {
		var e struct {
			Level  string `json:"level"`
			Caller string `json:"caller"`
			Msg    string `json:"msg"`
			GRPC   bool   `json:"grpc_log"`
		}
		if json.Unmarshal(p, &e) != nil || e.Level == "" || r.level.UnmarshalText([]byte(e.Level)) != nil {
			return r, false
		}
		r.caller, r.msg, r.grpc = e.Caller, e.Msg, e.GRPC
		return r, true
	}
	parts := strings.SplitN(strings.TrimRight(string(p), "\n"), "\t", 4)
	if len(parts) < 4 || parts[1] == "" || r.level.UnmarshalText([]byte(parts[1])) != nil {
		return r, false
	}
	r.caller, r.msg = parts[2], parts[3]
	if i := strings.LastIndex(r.msg, "\t{"); i >= 0 && strings.HasSuffix(r.msg, "}") {
		var fields struct {
			GRPC bool `json:"grpc_log"`
		}
		if json.Unmarshal([]byte(r.msg[i+1:]), &fields) == nil {
			r.msg, r.grpc = r.msg[:i], fields.GRPC
		}
	}
	return r, true
}

// quietServiceLogger puts the policy in front of the logger the SDK has just made for this connector-service
// process. The SDK keeps that logger both as zap.L() and in its context (logging.Init), as one pointer, and
// derives every logger it later writes with from it; changing what the pointer holds is the only way in.
func quietServiceLogger(oneShot bool) {
	l := zap.L()
	policy := outputPolicy{verbose: l.Core().Enabled(zapcore.DebugLevel), oneShot: oneShot}
	*l = *l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return policyCore{Core: c, policy: policy} }))
}

// policyCore passes on the entries the policy keeps. The caller is known only when an entry is written, so
// the choice is made in Write.
type policyCore struct {
	zapcore.Core
	policy outputPolicy
	grpc   bool
}

func (c policyCore) With(fields []zapcore.Field) zapcore.Core {
	grpc := c.grpc
	for _, f := range fields {
		grpc = grpc || f.Key == "grpc_log" && f.Type == zapcore.BoolType && f.Integer == 1
	}
	return policyCore{Core: c.Core.With(fields), policy: c.policy, grpc: grpc}
}

func (c policyCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c policyCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if !c.policy.keep(logRecord{level: e.Level, caller: e.Caller.TrimmedPath(), msg: e.Message, grpc: c.grpc}) {
		return nil
	}
	return c.Core.Write(e, fields)
}
