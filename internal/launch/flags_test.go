package launch

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestAProvisioningRequestMissingAFlagNamesIt(t *testing.T) {
	cases := []struct {
		given   map[string]string
		missing string // "" = nothing to complain about
	}{
		{map[string]string{"grant-entitlement": "role:monitor:assigned", "grant-principal": "x"}, "--grant-principal-type"},
		{map[string]string{"grant-entitlement": "role:monitor:assigned", "grant-principal-type": "user"}, "--grant-principal"},
		{map[string]string{"grant-principal": "x", "grant-principal-type": "user"}, "--grant-entitlement"},
		{map[string]string{"delete-resource": "x"}, "--delete-resource-type"},
		{map[string]string{"grant-entitlement": "e", "grant-principal": "x", "grant-principal-type": "user"}, ""},
		{map[string]string{}, ""},
	}
	for _, tc := range cases {
		err := checkProvisioningFlags(func(k string) string { return tc.given[k] })
		switch {
		case tc.missing == "" && err != nil:
			t.Errorf("%v: %v", tc.given, err)
		case tc.missing != "" && (err == nil || !strings.Contains(err.Error(), "need "+tc.missing)):
			t.Errorf("%v: want an error naming %s, got %v", tc.given, tc.missing, err)
		case tc.missing != "" && status.Code(err) != codes.InvalidArgument:
			t.Errorf("%v: code %v, want InvalidArgument", tc.given, status.Code(err))
		}
	}
}

// TestAPITokenRequestsNeedSyncSecrets: without --sync-secrets the api_token type is not served; a request for
// it is refused up front with the flag to add, not with the SDK's "no actions found" or "no Delete()".
func TestAPITokenRequestsNeedSyncSecrets(t *testing.T) {
	for _, tc := range []struct {
		given map[string]string
		ok    bool
	}{
		{map[string]string{"delete-resource": "x", "delete-resource-type": "api_token"}, false},
		{map[string]string{"invoke-action": "revoke_api_token", "invoke-action-resource-type": "api_token"}, false},
		{map[string]string{"delete-resource": "x", "delete-resource-type": "api_token", "sync-secrets": "false"}, false},
		{map[string]string{"delete-resource": "x", "delete-resource-type": "api_token", "sync-secrets": "true"}, true},
		{map[string]string{"invoke-action": "revoke_api_token", "invoke-action-resource-type": "api_token", "sync-secrets": "1"}, true},
		{map[string]string{"delete-resource": "x", "delete-resource-type": "user"}, true},
	} {
		err := checkProvisioningFlags(func(k string) string { return tc.given[k] })
		if tc.ok != (err == nil) || err != nil && (status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "--sync-secrets")) {
			t.Errorf("%v: %v", tc.given, err)
		}
	}
}

// TestEventFeedStartAtMustBeATime: a start time the SDK cannot read is refused up front, saying what to give;
// without the check the feed would quietly start a day ago.
func TestEventFeedStartAtMustBeATime(t *testing.T) {
	for at, ok := range map[string]bool{
		"": true, "2026-03-01T00:00:00Z": true, "2026-03-01T00:00:00+02:00": true, "2026-03-01": true,
		"yesterday": false, "2026-13-01T00:00:00Z": false, "-24h": false,
	} {
		err := checkProvisioningFlags(func(k string) string { return map[string]string{"event-feed-start-at": at}[k] })
		if ok != (err == nil) || err != nil && (status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "RFC 3339")) {
			t.Errorf("%q: %v", at, err)
		}
	}
}

// TestCleanErrorKeepsTheCodeAndOneLine: the shapes the SDK hands back at the end of a one-shot run become the
// connector's own message, with the code that sets the exit status.
func TestCleanErrorKeepsTheCodeAndOneLine(t *testing.T) {
	inner := status.Error(codes.InvalidArgument, `baton-celigo: "zz" is not a Celigo id`)
	cases := []struct {
		name string
		err  error
		code codes.Code
		want string
	}{
		{"nested envelopes", fmt.Errorf("runner: error processing task: %w",
			status.Errorf(codes.FailedPrecondition, "grant failed: %v", status.Error(codes.FailedPrecondition, "baton-celigo: account ownership\nis not transferable"))),
			codes.FailedPrecondition, "baton-celigo: account ownership is not transferable"},
		{"an action's error as struct text", fmt.Errorf("runner: error processing task: action invoke failed: fields:{key:\"error\"  value:{string_value:%q}}", inner.Error()),
			codes.InvalidArgument, `baton-celigo: "zz" is not a Celigo id`},
		{"a plain error", errors.New("something else"), codes.Unknown, "something else"},
	}
	for _, tc := range cases {
		got := CleanError(tc.err)
		if got.Error() != tc.want || status.Code(got) != tc.code {
			t.Errorf("%s: got %q (%v), want %q (%v)", tc.name, got.Error(), status.Code(got), tc.want, tc.code)
		}
	}
	if CleanError(nil) != nil {
		t.Error("nil must stay nil")
	}
}
