package connector

import (
	"context"
	"fmt"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Every provisioning request ends with exactly one info line saying what happened in Celigo: what was
// changed, that nothing needed to change and why, or what was refused. The SDK logs nothing for a request
// that succeeded, so without this line a person running a one-shot grant cannot tell a change from a no-op.
// Each request method calls one of the log* functions below from a defer, so every return path is covered.

// Outcome values of the "outcome" field, for filtering JSON logs.
const (
	outcomeChanged = "changed"
	outcomeAlready = "already so"
	outcomeRefused = "refused"
	outcomeFailed  = "failed"
)

// provisioningOutcome is what one request did, in words.
type provisioningOutcome struct {
	request string // "grant", "revoke", "create account", "delete account", "disable user", "enable user"
	subject string // what the request was about, e.g. `role:monitor:assigned for user "Ann" (65…)`
	done    string // the change made in Celigo, when there was one
	already string // why nothing had to change, when nothing did
	changed bool
	fields  []zap.Field
}

// log writes the line. An error wins over changed: a request that failed reports that, whatever else it did.
func (o provisioningOutcome) log(ctx context.Context, err error) {
	fields := append([]zap.Field{zap.String("request", o.request)}, o.fields...)
	var msg, outcome string
	switch {
	case err != nil && refusal(err):
		outcome, msg = outcomeRefused, fmt.Sprintf("%s refused: %s: %s", o.request, o.subject, message(err))
	case err != nil:
		outcome, msg = outcomeFailed, fmt.Sprintf("%s failed: %s: %s", o.request, o.subject, message(err))
	case o.changed:
		outcome, msg = outcomeChanged, fmt.Sprintf("%s done: %s", o.request, o.done)
	default:
		outcome, msg = outcomeAlready, fmt.Sprintf("%s: nothing to change in Celigo: %s", o.request, o.already)
	}
	logger(ctx).Info("baton-celigo: "+msg, append(fields, zap.String("outcome", outcome))...)
}

// refusal reports whether err is the connector or Celigo declining the request (a rule, a bad id, a
// missing permission), as opposed to a failure to carry it out.
func refusal(err error) bool {
	switch status.Code(err) {
	case codes.FailedPrecondition, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists,
		codes.PermissionDenied, codes.Unauthenticated:
		return true
	default: // every other code is a failure to carry the request out
		return false
	}
}

// message is an error's text without the gRPC envelope ("rpc error: code = ... desc = ") and without our
// own prefix, which the line already carries.
func message(err error) string {
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
	}
	return strings.TrimPrefix(msg, "baton-celigo: ")
}

// principalLabel names a principal for a person: its display name when the sync file gave one, and its id.
func principalLabel(r *v2.Resource) string {
	id := r.GetId().GetResource()
	if name := r.GetDisplayName(); name != "" && name != id {
		return fmt.Sprintf("user %q (%s)", name, id)
	}
	return "user " + id
}

// recordLabel names the user of an access record by the person it names, when the record was read:
// `user "Jane Doe" <jane@example.com> (<record id>)`.
func recordLabel(recordID string, person celigo.SharedUser) string {
	switch {
	case person.Name != "" && person.Email != "":
		return fmt.Sprintf("user %q <%s> (%s)", person.Name, person.Email, recordID)
	case person.Email != "":
		return fmt.Sprintf("user <%s> (%s)", person.Email, recordID)
	}
	return "user " + recordID
}

// describeEntitlement names an entitlement by its id, with the resource's display name when known.
func describeEntitlement(e *v2.Entitlement) string {
	if name := e.GetResource().GetDisplayName(); name != "" {
		return fmt.Sprintf("%s (%s)", e.GetId(), name)
	}
	return e.GetId()
}

// logGrant reports a grant. The reason a grant changed nothing follows Celigo's rules for that entitlement.
func logGrant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement, annos annotations.Annotations, err error) {
	who, what := principalLabel(principal), describeEntitlement(ent)
	provisioningOutcome{
		request: "grant",
		subject: what + " for " + who,
		done:    who + " now holds " + what + " in Celigo",
		already: who + " already holds " + what + ": " + alreadyGrantedReason(ent),
		changed: !annos.Contains(&v2.GrantAlreadyExists{}),
		fields:  []zap.Field{zap.String("entitlement", ent.GetId()), zap.String("principal", principal.GetId().GetResource())},
	}.log(ctx, err)
}

// logRevoke reports a revoke.
func logRevoke(ctx context.Context, g *v2.Grant, annos annotations.Annotations, err error) {
	who, what := principalLabel(g.GetPrincipal()), describeEntitlement(g.GetEntitlement())
	provisioningOutcome{
		request: "revoke",
		subject: what + " from " + who,
		done:    who + " no longer holds " + what + " in Celigo",
		already: who + " does not hold " + what + ": " + alreadyRevokedReason(g.GetEntitlement()),
		changed: !annos.Contains(&v2.GrantAlreadyRevoked{}),
		fields:  []zap.Field{zap.String("entitlement", g.GetEntitlement().GetId()), zap.String("principal", g.GetPrincipal().GetId().GetResource())},
	}.log(ctx, err)
}

func alreadyGrantedReason(ent *v2.Entitlement) string {
	switch ent.GetResource().GetId().GetResourceType() {
	case roleTypeID:
		return "it is their account role"
	case integrationTypeID:
		if a, err := integrationEntitlement(ent); err == nil && a.level == celigo.LevelManage {
			return "their account role or a manage entry gives it"
		}
		return "their account role or an entry for this integration gives it"
	case mcpServerTypeID:
		return "their account role, access to all MCP servers or their entry for this server gives it"
	case permissionTypeID:
		return "the permission is already on"
	}
	return "Celigo already records it"
}

func alreadyRevokedReason(ent *v2.Entitlement) string {
	switch ent.GetResource().GetId().GetResourceType() {
	case roleTypeID:
		return "their account role is another or none"
	case integrationTypeID:
		return "they have no entry for this integration at that level"
	case mcpServerTypeID:
		// Revoking read removes the whole entry, so a second revoke finds no entry at all.
		if strings.HasSuffix(ent.GetId(), ":read") {
			return "they have no entry for this server: already gone"
		}
		return "their entry for this server does not carry write, or is gone"
	case permissionTypeID:
		return "the permission is already off"
	}
	return "Celigo does not record it"
}

// logCreateAccount reports an invitation.
func logCreateAccount(ctx context.Context, info *v2.AccountInfo, resp connectorbuilder.CreateAccountResponse, err error) {
	email, level, _ := invitationFrom(info)
	if email == "" {
		email = info.GetLogin()
	}
	role := "no account role"
	if level != "" {
		role = "the " + level + " role"
	}
	var created, existing *v2.Resource
	switch r := resp.(type) {
	case *v2.CreateAccountResponse_SuccessResult:
		created = r.GetResource()
	case *v2.CreateAccountResponse_AlreadyExistsResult:
		existing = r.GetResource()
	}
	provisioningOutcome{
		request: "create account",
		subject: email,
		done: fmt.Sprintf("invited %s with %s: Celigo emails the invitation; %s is pending until it is accepted",
			email, role, principalLabel(created)),
		already: fmt.Sprintf("%s already has access to this Celigo account as %s", email, principalLabel(existing)),
		changed: existing == nil,
		fields:  []zap.Field{zap.String("email", email)},
	}.log(ctx, err)
}

// logDelete reports the removal of a user's access.
func logDelete(ctx context.Context, id *v2.ResourceId, person celigo.SharedUser, alreadyGone bool, err error) {
	who := recordLabel(id.GetResource(), person)
	provisioningOutcome{
		request: "delete account",
		subject: who,
		done:    who + " no longer has access to this Celigo account",
		already: "no such user in Celigo (already removed, or never existed): " + who,
		changed: !alreadyGone,
		fields:  []zap.Field{zap.String("access_record_id", id.GetResource())},
	}.log(ctx, err)
}

// logSetDisabled reports the disable_user and enable_user actions.
func logSetDisabled(ctx context.Context, recordID string, person celigo.SharedUser, disabled, changed bool, err error) {
	request, state := "enable user", "enabled: they can sign in"
	if disabled {
		request, state = "disable user", "disabled: they cannot sign in; roles and integration access are kept"
	}
	who := recordLabel(recordID, person)
	if recordID == "" {
		who = "no user given"
	}
	logNowIn(ctx, request, who, state, changed, zap.String("access_record_id", recordID), err)
}

// logNowIn reports a request that puts who into state (a user disabled, a token revoked).
func logNowIn(ctx context.Context, request, who, state string, changed bool, id zap.Field, err error) {
	provisioningOutcome{
		request: request,
		subject: who,
		done:    who + " is now " + state,
		already: who + " is already " + state,
		changed: changed,
		fields:  []zap.Field{id},
	}.log(ctx, err)
}

// tokenLabel names an API token by its name, when it was read: `API token "CI deploys" (<id>)`.
func tokenLabel(id, name string) string {
	switch {
	case id == "":
		return "no API token given"
	case name != "":
		return fmt.Sprintf("API token %q (%s)", name, id)
	}
	return "API token " + id
}

// logTokenRevoked reports the revoke_api_token and reactivate_api_token actions.
func logTokenRevoked(ctx context.Context, revoked bool, id, name string, changed bool, err error) {
	request, state := "re-activate API token", "active: calls made with it are accepted"
	if revoked {
		request, state = "revoke API token", "revoked: every call made with it is refused"
	}
	logNowIn(ctx, request, tokenLabel(id, name), state, changed, zap.String("api_token_id", id), err)
}

// logTokenDelete reports the deletion of an API token.
func logTokenDelete(ctx context.Context, id string, out tokenDeletion, err error) {
	who := tokenLabel(id, out.name)
	done := who + " was deleted from Celigo"
	if out.revokedFirst {
		done = who + " was revoked, then deleted from Celigo"
	}
	provisioningOutcome{
		request: "delete API token",
		subject: who,
		done:    done,
		already: "no such API token in Celigo (already deleted, or never existed): " + who,
		changed: !out.alreadyGone,
		fields:  []zap.Field{zap.String("api_token_id", id)},
	}.log(ctx, err)
}
