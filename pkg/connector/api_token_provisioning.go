package connector

import (
	"context"
	"fmt"
	"net/http"

	configv1 "github.com/conductorone/baton-sdk/pb/c1/config/v1"
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/actions"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Revoking, re-activating and deleting API tokens. Each is a read-modify-write of the token record with
// the rules of every write (writeRounds): a fresh read, the whole writable set PUT once, a read-back that
// must hold exactly the change; a failed or throttled write starts again from a fresh read. Celigo deletes
// only a revoked token, so a delete revokes first. The token the connector runs with is refused where
// Celigo says which it is (tokenInfo); Celigo documents no such field, so that is often not knowable.

const (
	actionRevokeToken     = "revoke_api_token"
	actionReactivateToken = "reactivate_api_token" //nolint:gosec // an action name, not a credential
	argTokenID            = "token_id"
)

// ownTokenCaveat is said wherever the connector's own token could be touched.
const ownTokenCaveat = "The connector refuses to revoke or delete the token it runs with only when Celigo's tokenInfo names that token, which Celigo does not document; otherwise it cannot tell, so do not revoke or delete the token configured as --celigo-access-token."

// ResourceActions registers revoke and re-activate.
func (b *apiTokenBuilder) ResourceActions(ctx context.Context, registry actions.ActionRegistry) error {
	for _, a := range []struct {
		name, display, description string
		kind                       v2.ActionType
		revoke                     bool
	}{
		{actionRevokeToken, "Revoke API token", "Revokes a Celigo API token: every call made with it is refused from then on; it can be re-activated. Its value is never read. " + ownTokenCaveat,
			v2.ActionType_ACTION_TYPE_RESOURCE_DISABLE, true},
		{actionReactivateToken, "Re-activate API token", "Re-activates a revoked Celigo API token, so calls made with it are accepted again.",
			v2.ActionType_ACTION_TYPE_RESOURCE_ENABLE, false},
	} {
		schema := v2.BatonActionSchema_builder{
			Name:        a.name,
			DisplayName: a.display,
			Description: a.description,
			Arguments:   []*configv1.Field{tokenIDArgument()},
			ReturnTypes: successReturn,
			ActionType:  []v2.ActionType{a.kind},
		}.Build()
		if err := registry.Register(ctx, schema, b.setRevokedAction(a.revoke)); err != nil {
			return err
		}
	}
	return nil
}

func tokenIDArgument() *configv1.Field {
	return configv1.Field_builder{
		Name:        argTokenID,
		DisplayName: "API token",
		Description: "The API token's resource id in the sync, which is its Celigo id (`baton resources -t api_token` lists it).",
		IsRequired:  true,
		ResourceIdField: configv1.ResourceIdField_builder{
			Rules: configv1.ResourceIDRules_builder{AllowedResourceTypeIds: []string{apiTokenTypeID}}.Build(),
		}.Build(),
	}.Build()
}

func (b *apiTokenBuilder) setRevokedAction(revoke bool) actions.ActionHandler {
	type outcome struct {
		changed bool
		name    string
	}
	return recordAction(tokenIDFromArgs,
		func(ctx context.Context, id string) (o outcome, err error) {
			o.changed, o.name, err = b.conn.setTokenRevoked(ctx, id, revoke)
			return o, err
		},
		func(ctx context.Context, id string, o outcome, err error) {
			logTokenRevoked(ctx, revoke, id, o.name, o.changed, err)
		})
}

func tokenIDFromArgs(args *structpb.Struct) (string, error) {
	return idFromArgs(args, argTokenID, tokenResourceID, checkTokenID,
		"the API token's resource id from the sync (`baton resources -t api_token` lists it)")
}

func tokenResourceID(id *v2.ResourceId) (string, error) {
	if id.GetResourceType() != apiTokenTypeID {
		return "", status.Errorf(codes.InvalidArgument, "baton-celigo: %s %q is not an API token", id.GetResourceType(), id.GetResource())
	}
	return id.GetResource(), checkTokenID(id.GetResource())
}

func checkTokenID(id string) error {
	if checkCeligoID(id) != nil {
		return status.Errorf(codes.InvalidArgument,
			"baton-celigo: %q is not a Celigo API token id (24 hexadecimal digits): copy it from the sync file (`baton resources -t api_token`)", id)
	}
	return nil
}

// Delete deletes a token through the SDK's resource deleter: revoked first if it is not, then deleted, and
// done only once a read answers 404.
func (b *apiTokenBuilder) Delete(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (_ annotations.Annotations, err error) {
	tokenID, out := "", tokenDeletion{}
	defer func() { logTokenDelete(ctx, tokenID, out, err) }()
	if tokenID, err = tokenResourceID(id); err != nil {
		return nil, err
	}
	out, err = b.conn.deleteToken(ctx, tokenID)
	return nil, err
}

// writeToken runs one write to a token record: its lock, then the rounds every write goes through.
func (c *Connector) writeToken(ctx context.Context, w recordWrite) (bool, error) {
	unlock, err := c.locks.lock(ctx, w.recordID)
	if err != nil {
		return false, wrapErr(err, "wait for another change to API token "+w.recordID)
	}
	defer unlock()
	w.what, w.refused = "API token", tokenWriteError
	return c.writeRounds(ctx, w)
}

// setTokenRevoked sets revoked, when it differs. It returns whether a write of ours made the change, and the
// token's name for the outcome line.
func (c *Connector) setTokenRevoked(ctx context.Context, id string, revoked bool) (changed bool, name string, err error) {
	verb := map[bool]string{true: "revoke", false: "re-activate"}[revoked]
	if revoked {
		if err := c.refuseOwnToken(ctx, id, verb); err != nil {
			return false, "", err
		}
	}
	var current, want *celigo.APITokenRecord
	changed, err = c.writeToken(ctx, recordWrite{
		recordID: id,
		doing:    verb + " API token " + id,
		notHeld:  "the token record did not hold the change (another writer keeps changing it)",
		prepare: func(ctx context.Context, _ bool) (bool, error) {
			var err error
			if current, err = c.client.GetAPIToken(ctx, id); err != nil {
				return false, tokenReadError(err, id)
			}
			name = current.Name
			if current.Revoked == revoked {
				return true, nil
			}
			want = current.Clone()
			want.Revoked = revoked
			return false, nil
		},
		send: func(ctx context.Context) error { return c.client.UpdateAPIToken(ctx, id, want) },
		landed: func(ctx context.Context) (bool, error) {
			after, err := c.client.GetAPIToken(ctx, id)
			if err != nil {
				return false, wrapErr(err, "re-read API token "+id+" after "+verb)
			}
			return celigo.SameWritableToken(after, want, current), nil
		},
	})
	return changed, name, err
}

// tokenDeletion is what a delete did, for its outcome line.
type tokenDeletion struct {
	name         string
	alreadyGone  bool // no such token: nothing was written
	revokedFirst bool // it was in force, and was revoked before the delete
}

// deleteToken revokes the token if needed, deletes it, and confirms by reading 404.
func (c *Connector) deleteToken(ctx context.Context, id string) (out tokenDeletion, err error) {
	if err := c.refuseOwnToken(ctx, id, "delete"); err != nil {
		return out, err
	}
	rec, err := c.client.GetAPIToken(ctx, id)
	switch {
	case celigo.IsStatus(err, http.StatusNotFound):
		out.alreadyGone = true
		return out, nil
	case err != nil:
		return out, wrapErr(err, "read API token "+id)
	}
	out.name = rec.Name
	if !rec.Revoked {
		if out.revokedFirst, _, err = c.setTokenRevoked(ctx, id, true); err != nil {
			return out, err
		}
	}
	_, err = c.writeToken(ctx, deleting(id, "API token", "token", c.client.DeleteAPIToken, c.client.GetAPIToken,
		func(ctx context.Context, _ bool) (bool, error) {
			t, err := c.client.GetAPIToken(ctx, id)
			switch {
			case celigo.IsStatus(err, http.StatusNotFound):
				return true, nil // gone: by an earlier round of ours, or another remover
			case err != nil:
				return false, wrapErr(err, "read API token "+id)
			case !t.Revoked:
				return false, status.Errorf(codes.Aborted,
					"baton-celigo: delete API token %s: it was re-activated while being deleted; nothing was deleted", id)
			}
			return false, nil
		}))
	return out, err
}

// refuseOwnToken refuses to revoke or delete the token the connector runs with, when Celigo says which it
// is: the connector would lock itself out.
func (c *Connector) refuseOwnToken(ctx context.Context, id, doing string) error {
	ti, err := c.token(ctx)
	if err != nil {
		return wrapErr(err, "read token info")
	}
	if ti.TokenID == "" || ti.TokenID != id {
		return nil
	}
	return status.Errorf(codes.FailedPrecondition,
		"baton-celigo: refusing to %s API token %s: it is the token this connector runs with, and the connector would lock itself out; do it in Celigo", doing, id)
}

// tokenReadError names a missing token plainly.
func tokenReadError(err error, id string) error {
	if celigo.IsStatus(err, http.StatusNotFound) {
		return celigo.WithCode(codes.NotFound, fmt.Errorf("baton-celigo: API token %s does not exist in Celigo: it was deleted since the sync, or it is not a token id from the sync: %w", id, err))
	}
	return wrapErr(err, "read API token "+id)
}

// tokenWriteError explains a token write Celigo refused for lack of rights.
func tokenWriteError(err error, doing string) error {
	if celigo.IsStatus(err, http.StatusForbidden) || celigo.IsStatus(err, http.StatusUnauthorized) {
		return celigo.WithCode(codes.PermissionDenied, fmt.Errorf("baton-celigo: %s: Celigo refused it: managing API tokens needs a Full access token of the account owner or an administrator: %w", doing, err))
	}
	return wrapErr(err, doing)
}
