package connector

import (
	"context"
	"fmt"
	"net/http"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// integrationAccess is one integration entitlement: manage or monitor on one integration.
type integrationAccess struct{ integration, level string }

// integrationFamily: "integration:<id>:<manage|monitor>", held through an integrationAccessLevel entry
// (or the account-wide role, which a grant leaves alone and a revoke refuses to take away).
func (c *Connector) integrationFamily() family[integrationAccess] {
	return family[integrationAccess]{
		parse: integrationEntitlement,
		grant: func(ctx context.Context, recordID string, a integrationAccess) (*v2.Grant, bool, error) {
			// Celigo's handling of an entry for an unknown integration is undocumented: check it exists first.
			if _, err := c.client.GetIntegration(ctx, a.integration); err != nil {
				if celigo.IsStatus(err, http.StatusNotFound) {
					return nil, false, celigo.WithCode(codes.NotFound, fmt.Errorf("baton-celigo: integration %s does not exist in Celigo: %w", a.integration, err))
				}
				return nil, false, wrapErr(err, "read integration "+a.integration)
			}
			changed, err := c.changeUser(ctx, recordID, func(u *celigo.User) (bool, error) {
				return celigo.GrantIntegration(u, a.integration, a.level)
			})
			return directGrant(a.integration, a.level, recordID), changed, err
		},
		revoke: func(ctx context.Context, recordID string, a integrationAccess) (bool, error) {
			return c.changeUser(ctx, recordID, func(u *celigo.User) (bool, error) {
				return celigo.RevokeIntegration(u, a.integration, a.level)
			})
		},
		heldByRole: func(role string, a integrationAccess) error {
			return status.Errorf(codes.FailedPrecondition,
				"baton-celigo: the %q role's access to integration %s is how Celigo defines that role; revoke the role from users instead",
				role, a.integration)
		},
	}
}

// integrationEntitlement reads "integration:<id>:<manage|monitor>" of an integration resource.
func integrationEntitlement(ent *v2.Entitlement) (integrationAccess, error) {
	integration, level, err := parseEntitlement(ent, integrationTypeID,
		func(_, level string) bool { return celigo.IsIntegrationLevel(level) }, "an integration", "integration:<id>:manage or :monitor")
	return integrationAccess{integration, level}, err
}

// Grant gives the user manage or monitor on one integration through an integrationAccessLevel entry,
// unless the user already has that access (from the role or an entry).
func (b *integrationBuilder) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) ([]*v2.Grant, annotations.Annotations, error) {
	return grantIn(ctx, b.conn.integrationFamily(), principal, ent)
}

// Revoke removes the user's entry for the integration at that level. Access that comes only from the
// account-wide role is refused with FailedPrecondition naming the role: revoke the role instead.
func (b *integrationBuilder) Revoke(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	return revokeIn(ctx, b.conn.integrationFamily(), g)
}
