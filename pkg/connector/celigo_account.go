package connector

import (
	"context"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The Celigo account (the environment the token belongs to) as one app resource: the target of the
// sign-ins feed's usage events. It has no entitlements: access to it is what the other types describe.

// accountResourceID is the account resource's id. One connector reads one account, so the id is fixed:
// it never changes with the token, its user or the host.
const accountResourceID = "celigo"

func accountResourceIDOf() *v2.ResourceId {
	return resourceID(accountTypeID, accountResourceID)
}

// accountAppRef names the account's app resource in events.
func accountAppRef() *v2.Resource {
	return v2.Resource_builder{Id: accountResourceIDOf(), DisplayName: "Celigo account"}.Build()
}

// accountBuilder syncs the one account resource.
type accountBuilder struct {
	conn *Connector
}

func (b *accountBuilder) ResourceType(_ context.Context) *v2.ResourceType { return accountResourceType }

// accountResource describes the account: its region, and its owner's user id when the token can tell it (the
// token is the owner's).
func (b *accountBuilder) accountResource(ctx context.Context, users []userAccess) (*v2.Resource, error) {
	ownerID, err := b.conn.ownerUserID(ctx, users)
	if err != nil {
		return nil, err
	}
	region := b.conn.client.Region()
	return rs.NewAppResource("Celigo account ("+strings.ToUpper(region)+")", accountResourceType, accountResourceID, nil,
		rs.WithDescription("The Celigo integrator.io account this connector reads."),
		rs.WithResourceProfile(map[string]any{
			"region": region, "owner_user_id": ownerID,
		}))
}

func (b *accountBuilder) List(ctx context.Context, parent *v2.ResourceId, opts rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	if parent != nil {
		return nil, &rs.SyncOpResults{}, nil
	}
	users, err := b.conn.walkedUsers(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	res, err := b.accountResource(ctx, users)
	if err != nil {
		return nil, nil, err
	}
	return []*v2.Resource{res}, &rs.SyncOpResults{}, nil
}

// Get serves the one account resource (targeted syncs).
func (b *accountBuilder) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	if id.GetResource() != accountResourceID {
		return nil, nil, status.Errorf(codes.NotFound, "baton-celigo: account %q does not exist (the account resource is %q)", id.GetResource(), accountResourceID)
	}
	users, err := b.conn.readAllUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	res, err := b.accountResource(ctx, users)
	return res, nil, err
}

func (b *accountBuilder) Entitlements(_ context.Context, _ *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	return nil, &rs.SyncOpResults{}, nil
}

func (b *accountBuilder) Grants(_ context.Context, _ *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return nil, &rs.SyncOpResults{}, nil
}
