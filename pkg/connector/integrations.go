package connector

import (
	"context"
	"fmt"
	"net/url"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// integrationBuilder syncs integrations and who can manage or monitor each.
type integrationBuilder struct {
	conn *Connector
}

func (b *integrationBuilder) ResourceType(_ context.Context) *v2.ResourceType {
	return integrationResourceType
}

func integrationID(id string) *v2.ResourceId { return resourceID(integrationTypeID, id) }

func (b *integrationBuilder) integrationResource(it *celigo.Integration) (*v2.Resource, error) {
	link := celigo.UIURL(b.conn.client.Region()) + "/integrations/" + url.PathEscape(it.ID) + "/flows"
	profile := map[string]any{
		"integration_id": it.ID,
		"description":    it.Description,
		"sandbox":        it.Sandbox,
		"url":            link,
	}
	if !it.CreatedAt.IsZero() {
		profile["created_at"] = it.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	if !it.LastModified.IsZero() {
		profile["last_modified"] = it.LastModified.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	name := it.Name
	if name == "" {
		name = it.ID
	}
	opts := []rs.ResourceOption{rs.WithExternalID(v2.ExternalId_builder{Id: it.ID, Link: link}.Build())}
	if it.Description != "" {
		opts = append(opts, rs.WithDescription(it.Description))
	}
	if !it.CreatedAt.IsZero() {
		opts = append(opts, rs.WithResourceCreatedAt(it.CreatedAt.Time))
	}
	opts = append(opts, rs.WithResourceProfile(profile))
	return rs.NewAppResource(name, integrationResourceType, it.ID, []rs.AppTraitOption{rs.WithAppHelpURL(link)}, opts...)
}

// List serves one part of a page of integrations (a page too large for one answer takes several calls, read
// from Celigo once) and keeps their ids for the grants.
func (b *integrationBuilder) List(ctx context.Context, _ *v2.ResourceId, opts rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	part, err := serveList(ctx, b.conn, opts, b.conn.integrations(opts).listed(integrationKey, func(it *celigo.Integration) (*v2.Resource, error) {
		r, err := b.integrationResource(it)
		return r, wrapErr(err, "describe integration "+it.ID)
	}))
	if err != nil {
		return nil, nil, err
	}
	return part.resources, waits.results(part.next), nil
}

func integrationKey(it *celigo.Integration) string { return it.ID }

// Get reads one integration for a targeted sync.
func (b *integrationBuilder) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	it, err := b.conn.client.GetIntegration(ctx, id.GetResource())
	if err != nil {
		return nil, nil, wrapErr(err, "get integration "+id.GetResource())
	}
	r, err := b.integrationResource(it)
	return r, nil, err
}

func (b *integrationBuilder) Entitlements(_ context.Context, res *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	name := res.GetDisplayName()
	return []*v2.Entitlement{
		userEntitlement(res, celigo.LevelManage, fmt.Sprintf("Manage %s", name),
			fmt.Sprintf("Can edit and run the Celigo integration %s.", name)),
		userEntitlement(res, celigo.LevelMonitor, fmt.Sprintf("Monitor %s", name),
			fmt.Sprintf("Can view and run the Celigo integration %s and retry its errors, without editing it.", name)),
	}, &rs.SyncOpResults{}, nil
}

// Grants serves one integration's grants (targeted syncs); a full sync uses GrantsForResourceType.
func (b *integrationBuilder) Grants(ctx context.Context, res *v2.Resource, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	id := res.GetId().GetResource()
	inherited := func(context.Context, []userAccess) ([]*v2.Grant, error) { return inheritedGrants(id), nil }
	return b.conn.serveUserGrants(ctx, opts, inherited, func(u userAccess) []*v2.Grant {
		if level, ok := u.direct[id]; ok {
			return []*v2.Grant{directGrant(id, level, u.recordID)}
		}
		return nil
	})
}

// GrantsForResourceType serves every integration grant: first the users' direct entries, then for each
// integration the grants each role passes on to its holders. Nothing is read from Celigo here.
func (b *integrationBuilder) GrantsForResourceType(ctx context.Context, _ string, opts rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return entryGrants[string]{list: integrationsList, complete: b.conn.integrations(opts).complete,
		named: func(u userAccess) []string { return sortedKeys(u.direct) },
		// An entry can outlive its integration (checkNamed logged it).
		direct:    func(u userAccess, listed *walk.List[string]) []*v2.Grant { return integrationGrantsOf(u, has(listed)) },
		inherited: inheritedGrants,
	}.serve(ctx, b.conn, opts)
}

func directGrant(integration, level, recordID string) *v2.Grant {
	return grantOn(integrationID(integration), level, userID(recordID))
}

// inheritedGrants gives each role the integration entitlement its holders get (passedOn).
func inheritedGrants(integration string) []*v2.Grant {
	res := v2.Resource_builder{Id: integrationID(integration)}.Build()
	out := make([]*v2.Grant, 0, len(roles))
	for _, r := range roles {
		out = append(out, passedOn(res, celigo.RoleIntegrationLevel(r.id), r.id))
	}
	return out
}
