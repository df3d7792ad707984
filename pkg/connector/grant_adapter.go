package connector

import (
	"context"
	"fmt"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// family is one family of entitlements users are granted (roles, integrations, MCP servers, permissions):
// how its entitlement ids read, strictly, and what a grant or revoke of one does to a user's record. Every
// Grant and Revoke of a builder is grantIn or revokeIn over its family, so parsing, the principal check,
// the outcome line and the "already so" annotations are written once.
type family[E any] struct {
	// parse reads an entitlement of this family, refusing any other (wrong resource type, unknown slug).
	parse func(ent *v2.Entitlement) (E, error)
	// grant changes the user's record; it returns the grant to report and whether anything changed.
	grant func(ctx context.Context, recordID string, e E) (*v2.Grant, bool, error)
	// revoke changes the user's record; false means there was nothing to take away.
	revoke func(ctx context.Context, recordID string, e E) (bool, error)
	// heldByRole explains why a role's own grant (a grant whose principal is a role) cannot be revoked;
	// nil when roles are never principals of this family.
	heldByRole func(role string, e E) error
}

// grantIn is every Grant: parse the entitlement, check the principal is a user, change the record, and
// mark a grant that changed nothing as already there.
func grantIn[E any](ctx context.Context, f family[E], principal *v2.Resource, ent *v2.Entitlement) (_ []*v2.Grant, annos annotations.Annotations, err error) {
	defer func() { logGrant(ctx, principal, ent, annos, err) }()
	e, err := f.parse(ent)
	if err != nil {
		return nil, nil, err
	}
	recordID, err := principalUser(principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	g, changed, err := f.grant(ctx, recordID, e)
	if err != nil {
		return nil, nil, err
	}
	if !changed {
		return []*v2.Grant{g}, annotations.New(&v2.GrantAlreadyExists{}), nil
	}
	return []*v2.Grant{g}, nil, nil
}

// revokeIn is every Revoke, in the same steps as grantIn; a role's own grant is refused with the family's
// reason.
func revokeIn[E any](ctx context.Context, f family[E], g *v2.Grant) (annos annotations.Annotations, err error) {
	defer func() { logRevoke(ctx, g, annos, err) }()
	e, err := f.parse(g.GetEntitlement())
	if err != nil {
		return nil, err
	}
	if p := g.GetPrincipal().GetId(); p.GetResourceType() == roleTypeID && f.heldByRole != nil {
		return nil, f.heldByRole(p.GetResource(), e)
	}
	recordID, err := principalUser(g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	changed, err := f.revoke(ctx, recordID, e)
	if err != nil {
		return nil, err
	}
	if !changed {
		return annotations.New(&v2.GrantAlreadyRevoked{}), nil
	}
	return nil, nil
}

// principalUser checks the principal is a user and returns its id (an access record id).
func principalUser(id *v2.ResourceId) (string, error) {
	if id.GetResourceType() != userTypeID || id.GetResource() == "" {
		return "", status.Errorf(codes.InvalidArgument,
			"baton-celigo: only users can be granted Celigo access, not %s %q", id.GetResourceType(), id.GetResource())
	}
	return id.GetResource(), checkCeligoID(id.GetResource())
}

// entitlementOf reads "<type>:<resource id>:<slug>" of an entitlement on a resource of typeID: the one
// parser of entitlement ids. ok is false for an entitlement of another type, or an id that does not start
// with its resource.
func entitlementOf(ent *v2.Entitlement, typeID string) (resourceID, slug string, ok bool) {
	rid := ent.GetResource().GetId()
	prefix := typeID + ":" + rid.GetResource() + ":"
	if rid.GetResourceType() != typeID || rid.GetResource() == "" || len(ent.GetId()) <= len(prefix) || ent.GetId()[:len(prefix)] != prefix {
		return "", "", false
	}
	return rid.GetResource(), ent.GetId()[len(prefix):], true
}

// parseEntitlement reads "<typeID>:<resource id>:<slug>" through entitlementOf, with valid checking the
// two; anything else is refused as not kind's entitlement ("an integration"), with want, the form expected.
func parseEntitlement(ent *v2.Entitlement, typeID string, valid func(id, slug string) bool, kind, want string) (id, slug string, err error) {
	id, slug, ok := entitlementOf(ent, typeID)
	if !ok || !valid(id, slug) {
		return "", "", status.Errorf(codes.InvalidArgument, "baton-celigo: %q is not %s entitlement (want %s)", ent.GetId(), kind, want)
	}
	return id, slug, nil
}

// isOwner reports whether id is the account owner, who has no access record: the token's user when no
// record is theirs. It is the one owner check; refuseOwner and the MCP grants use it.
func (c *Connector) isOwner(ctx context.Context, id string) (bool, error) {
	ti, err := c.token(ctx)
	if err != nil {
		return false, wrapErr(err, "read token info")
	}
	return id == ti.UserID, nil
}

// refuseOwner stops any change to the account owner: ownership moves only in Celigo.
func (c *Connector) refuseOwner(ctx context.Context, id string) error {
	owner, err := c.isOwner(ctx, id)
	if err != nil || !owner {
		return err
	}
	return ownerRefused("user %s is the account owner", id)
}

// ownerRefused is every refusal that touches the account owner or the owner role, in one wording, with
// celigo.ErrOwnership as its cause.
func ownerRefused(format string, args ...any) error {
	return celigo.WithCode(codes.FailedPrecondition, fmt.Errorf("baton-celigo: "+format+": %w", append(args, celigo.ErrOwnership)...))
}
