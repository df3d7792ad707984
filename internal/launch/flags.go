package launch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	reader_v2 "github.com/conductorone/baton-sdk/pb/c1/reader/v2"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// provisioningFlags are the SDK's one-shot provisioning flags. baton-sdk v0.26.0 hides them from --help;
// they are how a person provisions from the command line, so --help shows them.
var provisioningFlags = []string{
	"grant-entitlement", "grant-principal", "grant-principal-type", "revoke-grant",
	"create-account-login", "create-account-email", "create-account-profile", "create-account-resource-type",
	"delete-resource", "delete-resource-type",
	"invoke-action", "invoke-action-args", "invoke-action-resource-type",
}

// flagGroups are flags that only work together: the SDK silently ignores an incomplete group and then
// reports "unknown provisioning action", so each missing member is named before anything runs.
var flagGroups = [][]string{
	{"grant-entitlement", "grant-principal", "grant-principal-type"},
	{"delete-resource", "delete-resource-type"},
}

// prepareProvisioning shows the provisioning flags in --help and makes the main command check a
// provisioning request before the SDK runs it: a missing flag is named, and an id the sync file does not
// hold is named with what to check, rather than the SDK's bare "pebble: not found". Errors the run returns
// come out on one line without gRPC's nested envelopes.
func prepareProvisioning(cmd *cobra.Command, v *viper.Viper) {
	for _, name := range provisioningFlags {
		if f := cmd.PersistentFlags().Lookup(name); f != nil {
			f.Hidden = false
		}
	}
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := v.BindPFlags(c.Flags()); err != nil {
			return err
		}
		if err := checkProvisioningFlags(v.GetString); err != nil {
			return err
		}
		if err := checkIDsInSyncFile(c.Context(), v.GetString); err != nil {
			return err
		}
		return CleanError(run(c, args))
	}
}

// apiTokenType is the connector's resource type for API tokens, served only with --sync-secrets.
const apiTokenType = "api_token"

// checkProvisioningFlags names the first missing flag of a provisioning request given in part, and refuses
// flag values the SDK would quietly ignore.
func checkProvisioningFlags(get func(string) string) error {
	for _, group := range flagGroups {
		var given, missing []string
		for _, name := range group {
			if get(name) == "" {
				missing = append(missing, "--"+name)
			} else {
				given = append(given, "--"+name)
			}
		}
		if len(given) > 0 && len(missing) > 0 {
			return refuse(codes.InvalidArgument,
				"baton-celigo: %s need %s as well: add it and run again (baton-celigo --help lists them)",
				strings.Join(given, " and "), strings.Join(missing, " and "))
		}
	}
	if on, _ := strconv.ParseBool(get("sync-secrets")); !on &&
		(get("delete-resource-type") == apiTokenType || get("invoke-action-resource-type") == apiTokenType) {
		// Without it the type is not served, and the SDK would only say that it has no such action or deleter.
		return refuse(codes.InvalidArgument,
			"baton-celigo: API tokens are read and changed only with --sync-secrets (BATON_SYNC_SECRETS=true): add it and run again")
	}
	if at := get("event-feed-start-at"); at != "" {
		if _, err := cast.ToTimeE(at); err != nil {
			// The SDK reads it with viper's GetTime, which turns a value it cannot read into none: the feed
			// would start a day ago, silently.
			return refuse(codes.InvalidArgument,
				"baton-celigo: --event-feed-start-at %q is not a time: give one like 2026-03-01T00:00:00Z (RFC 3339) and run again", at)
		}
	}
	if get("grant-principal-type") != "" && get("grant-principal-type") != "user" {
		return refuse(codes.InvalidArgument,
			"baton-celigo: --grant-principal-type %q: only user principals can be granted Celigo access: use --grant-principal-type user",
			get("grant-principal-type"))
	}
	return nil
}

// checkIDsInSyncFile looks a grant's entitlement and principal, or a revoke's grant, up in the sync file
// given with -f, as the SDK is about to, and names an id it does not hold. The SDK would only say
// "pebble: not found".
func checkIDsInSyncFile(ctx context.Context, get func(string) string) error {
	ent, principal, grant := get("grant-entitlement"), get("grant-principal"), get("revoke-grant")
	if grant == "" && ent == "" {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	file := get("file")
	if _, err := os.Stat(file); err != nil {
		return refuse(codes.FailedPrecondition,
			"baton-celigo: the sync file %s does not exist: provisioning looks ids up in it, so sync first (baton-celigo -f %s)", file, file)
	}
	store, err := dotc1z.NewStore(ctx, file, dotc1z.WithReadOnly(true))
	if err != nil {
		return refuse(codes.FailedPrecondition,
			"baton-celigo: cannot read the sync file %s (%v): sync into it first (baton-celigo -f %s), then provision", file, err, file)
	}
	defer func() { _ = store.Close(ctx) }()

	notFound := func(what, id, list string) error {
		hint := ""
		if what == "entitlement" {
			hint = "; an MCP server whose access an external identity provider manages has none: grant it in that provider"
		}
		return refuse(codes.NotFound,
			"baton-celigo: %s %q is not in the sync file %s: check the id (list them with `baton %s -f %s`) "+
				"and sync again into the same file if it is new%s", what, id, file, list, file, hint)
	}
	if grant != "" {
		if _, err := store.GetGrant(ctx, reader_v2.GrantsReaderServiceGetGrantRequest_builder{GrantId: grant}.Build()); err != nil {
			if !isNotFound(err) {
				return fmt.Errorf("baton-celigo: reading grant %q from %s: %w", grant, file, err)
			}
			return notFound("grant", grant, "grants")
		}
		return nil
	}
	if _, err := store.GetEntitlement(ctx, reader_v2.EntitlementsReaderServiceGetEntitlementRequest_builder{EntitlementId: ent}.Build()); err != nil {
		if !isNotFound(err) {
			return fmt.Errorf("baton-celigo: reading entitlement %q from %s: %w", ent, file, err)
		}
		return notFound("entitlement", ent, "entitlements")
	}
	id := v2.ResourceId_builder{ResourceType: get("grant-principal-type"), Resource: principal}.Build()
	if _, err := store.GetResource(ctx, reader_v2.ResourcesReaderServiceGetResourceRequest_builder{ResourceId: id}.Build()); err != nil {
		if !isNotFound(err) {
			return fmt.Errorf("baton-celigo: reading user %q from %s: %w", principal, file, err)
		}
		return notFound("user", principal, "resources -t user")
	}
	return nil
}

// isNotFound reports whether a store read failed because the record is absent (the engines say so in
// different ways).
func isNotFound(err error) bool {
	return status.Code(err) == codes.NotFound || strings.Contains(err.Error(), "not found")
}

// rpcPrefix matches gRPC's error envelope, which nests once per process boundary an error crosses; its
// submatch is the code's name.
var rpcPrefix = regexp.MustCompile(`rpc error: code = ([A-Za-z]+) desc = `)

// actionError is how the SDK passes an action's error on: as the text of a protobuf struct,
// fields:{key:"error" value:{string_value:"…"}}.
var actionError = regexp.MustCompile(`string_value:("(?:[^"\\]|\\.)*")`)

// CleanError gives a run's error one readable line with the right exit status: the SDK's prefixes
// ("runner: error processing task:"), gRPC's nested envelopes and the action wrapper go, the connector's
// own message stays, and an error the SDK passed on without its code (an action's) gets the code back.
func CleanError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	code := codes.Unknown
	if s, ok := status.FromError(err); ok {
		code = s.Code()
	}
	if m := rpcPrefix.FindAllStringSubmatch(msg, -1); code == codes.Unknown && len(m) > 0 {
		code = codeNamed(m[len(m)-1][1])
	}
	if m := actionError.FindStringSubmatch(msg); m != nil {
		if inner, uerr := strconv.Unquote(m[1]); uerr == nil {
			msg = inner
		}
	}
	if i := strings.LastIndex(msg, "baton-celigo: "); i >= 0 {
		msg = msg[i:]
	}
	msg = strings.ReplaceAll(rpcPrefix.ReplaceAllString(msg, ""), "\n", " ")
	return exitError{code: code, msg: msg}
}

// codeNamed is the gRPC code whose name (as codes.Code.String spells it) is name; Unknown otherwise.
func codeNamed(name string) codes.Code {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if c.String() == name {
			return c
		}
	}
	return codes.Unknown
}

// exitError prints as its message alone (the SDK prints the error as the run's last line) and carries the
// gRPC code the SDK turns into the exit status.
type exitError struct {
	code codes.Code
	msg  string
}

func (e exitError) Error() string              { return e.msg }
func (e exitError) GRPCStatus() *status.Status { return status.New(e.code, e.msg) }

// refuse is a check's own error: one line, exit status code.
func refuse(code codes.Code, format string, args ...any) error {
	return exitError{code: code, msg: fmt.Sprintf(format, args...)}
}
