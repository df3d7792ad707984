package connector

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Grant gives the user manage or monitor on one integration through an integrationAccessLevel entry,
// unless the user already has that access (from the role or an entry).
func (b *integrationBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) (_ []*v2.Grant, annos annotations.Annotations, err error) {
	defer func() { logGrant(ctx, principal, ent, annos, err) }()
	integration, level, err := integrationEntitlement(ent)
	if err != nil {
		return nil, nil, err
	}
	recordID, err := principalUser(principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	// Celigo's handling of an entry for an unknown integration is undocumented: check it exists first.
	if _, err := b.conn.client.GetIntegration(ctx, integration); err != nil {
		if celigo.IsStatus(err, http.StatusNotFound) {
			return nil, nil, celigo.WithCode(codes.NotFound, fmt.Errorf("baton-celigo: integration %s does not exist in Celigo: %w", integration, err))
		}
		return nil, nil, wrapErr(err, "read integration "+integration)
	}
	changed, err := b.conn.changeUser(ctx, recordID, func(u *celigo.User) (bool, error) {
		return celigo.GrantIntegration(u, integration, level)
	})
	if err != nil {
		return nil, nil, err
	}
	return grantResult(directGrant(integration, level, recordID), changed)
}

// Revoke removes the user's entry for the integration at that level. Access that comes only from the
// account-wide role is refused with FailedPrecondition naming the role: revoke the role instead.
func (b *integrationBuilder) Revoke(ctx context.Context, g *v2.Grant) (annos annotations.Annotations, err error) {
	defer func() { logRevoke(ctx, g, annos, err) }()
	integration, level, err := integrationEntitlement(g.GetEntitlement())
	if err != nil {
		return nil, err
	}
	if g.GetPrincipal().GetId().GetResourceType() == roleTypeID {
		return nil, status.Errorf(codes.FailedPrecondition,
			"baton-celigo: the %q role's access to integration %s is how Celigo defines that role; revoke the role from users instead",
			g.GetPrincipal().GetId().GetResource(), integration)
	}
	recordID, err := principalUser(g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	changed, err := b.conn.changeUser(ctx, recordID, func(u *celigo.User) (bool, error) {
		return celigo.RevokeIntegration(u, integration, level)
	})
	if err != nil {
		return nil, err
	}
	return revokeResult(changed)
}

// integrationEntitlement reads "integration:<id>:<level>" into its parts.
func integrationEntitlement(ent *v2.Entitlement) (string, string, error) {
	integration := ent.GetResource().GetId().GetResource()
	level := strings.TrimPrefix(ent.GetId(), integrationTypeID+":"+integration+":")
	if integration == "" || !celigo.IsIntegrationLevel(level) {
		return "", "", status.Errorf(codes.InvalidArgument,
			"baton-celigo: %q is not an integration entitlement (want integration:<id>:manage or :monitor)", ent.GetId())
	}
	return integration, level, nil
}
