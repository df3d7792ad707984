package connector

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// apiTokenBuilder syncs the account's API tokens as secrets (only with --sync-secrets): what each may reach,
// since and until when, whether it is revoked. A token's value never reaches the connector (see
// pkg/celigo/apitokens.go). Tokens carry no entitlements and no grants, so their list is read page by page
// and never kept for grants.
type apiTokenBuilder struct {
	conn *Connector

	mu          sync.Mutex
	refusedSync string // the sync whose refused list was already said
	creators    tokenCreators
}

func (b *apiTokenBuilder) ResourceType(_ context.Context) *v2.ResourceType {
	return apiTokenResourceType
}

// tokenListRefused: Celigo does not document the token list; an account or token that may not read it (401,
// 403) or a deployment without it (404) is not a failed sync, only a sync without tokens.
func tokenListRefused(err error) bool {
	return celigo.IsStatus(err, http.StatusUnauthorized) || celigo.IsStatus(err, http.StatusForbidden) ||
		celigo.IsStatus(err, http.StatusNotFound)
}

// List serves one part of a page of tokens. A refusal of the first page ends the list empty, with one warning;
// any other failure, or a refusal after the first page (the list would be partial), fails the sync.
func (b *apiTokenBuilder) List(ctx context.Context, _ *v2.ResourceId, opts rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	var creators map[string]celigo.AuditUser // read once there is a token to describe
	var records map[string]string            // each creator's access record
	read := false
	part, err := serveList(ctx, b.conn, opts, celigoList[celigo.APIToken]{name: "API tokens",
		read: b.conn.client.ListAPITokens, id: apiTokenKey,
		describe: func(t *celigo.APIToken) (*v2.Resource, error) {
			if !read {
				var err error
				if creators, err = b.creators.of(ctx, b.conn.client, opts.SyncID); err != nil {
					return nil, err
				}
				if records, err = b.conn.creatorRecords(ctx, opts, creators); err != nil {
					return nil, err
				}
				read = true
			}
			creator := creators[t.ID]
			r, err := apiTokenResource(t, creator, records[creator.ID])
			return r, wrapErr(err, "describe API token "+t.ID)
		}})
	if err != nil && opts.PageToken.Token == "" && tokenListRefused(err) {
		b.sayRefused(ctx, opts.SyncID, err)
		return nil, waits.results(""), nil
	}
	if err != nil {
		return nil, nil, err
	}
	return part.resources, waits.results(part.next), nil
}

func apiTokenKey(t *celigo.APIToken) string { return t.ID }

// sayRefused logs the refusal of the list once per sync.
func (b *apiTokenBuilder) sayRefused(ctx context.Context, syncID string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refusedSync == syncID && syncID != "" {
		return
	}
	b.refusedSync = syncID
	logger(ctx).Warn("baton-celigo: Celigo refused the list of API tokens; the sync goes on without them (the token may lack Full access, or the account may not offer the list)",
		zap.Error(err))
}

// Get reads one token for a targeted sync (after a change event), described as a full sync describes it,
// its creator included.
func (b *apiTokenBuilder) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	t, err := b.conn.client.GetAPIToken(ctx, id.GetResource())
	if err != nil {
		return nil, nil, wrapErr(err, "get API token "+id.GetResource())
	}
	creator, record, err := b.conn.creatorOf(ctx, t.ID)
	if err != nil {
		return nil, nil, wrapErr(err, "read who created API token "+t.ID)
	}
	r, err := apiTokenResource(&t.APIToken, creator, record)
	return r, nil, wrapErr(err, "describe API token "+t.ID)
}

func (b *apiTokenBuilder) Entitlements(_ context.Context, _ *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	return nil, &rs.SyncOpResults{}, nil
}

func (b *apiTokenBuilder) Grants(_ context.Context, _ *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return nil, &rs.SyncOpResults{}, nil
}

// apiTokenResource describes a token: never its value (the type has no field for it). creator is who
// created it, zero when unknown; creatorRecord is their access record, "" when they have none.
func apiTokenResource(t *celigo.APIToken, creator celigo.AuditUser, creatorRecord string) (*v2.Resource, error) {
	name := t.Name
	if name == "" {
		name = t.ID
	}
	traits := []rs.SecretTraitOption{
		rs.WithSecretType(v2.SecretTrait_CREDENTIAL_TYPE_STATIC_SECRET),
		rs.WithSecretDetail("celigo_api_token"),
	}
	if t.AutoPurgeAt.Expires() {
		traits = append(traits, rs.WithSecretExpiresAt(t.AutoPurgeAt.At))
	}
	if creatorRecord != "" {
		traits = append(traits, rs.WithSecretCreatedByID(userID(creatorRecord)))
	}
	opts := []rs.ResourceOption{
		rs.WithExternalID(v2.ExternalId_builder{Id: t.ID}.Build()),
		rs.WithDescription(tokenDetail(t)),
		rs.WithResourceProfile(tokenProfile(t, creator)),
		tokenStatus(t),
	}
	if !t.CreatedAt.IsZero() {
		opts = append(opts, rs.WithResourceCreatedAt(t.CreatedAt.Time))
	}
	if t.IntegrationID != "" && checkCeligoID(t.IntegrationID) == nil {
		// A token of an integration app belongs to its integration (a reference that cannot be an id names
		// none; the profile keeps it as sent).
		opts = append(opts, rs.WithParentResourceID(integrationID(t.IntegrationID)))
	}
	return rs.NewSecretResource(name, apiTokenResourceType, t.ID, traits, opts...)
}

func tokenStatus(t *celigo.APIToken) rs.ResourceOption {
	if t.Revoked {
		return rs.WithResourceStatus(v2.Status_RESOURCE_STATUS_DISABLED, "revoked")
	}
	return rs.WithResourceStatus(v2.Status_RESOURCE_STATUS_ENABLED, "")
}

// tokenDetail is the scope in words: "Full access", or "Custom: 1 connection, 2 exports, ...", then
// whose token it is and Celigo's description.
func tokenDetail(t *celigo.APIToken) string {
	detail := "Full access"
	if !t.FullAccess {
		detail = "Custom: " + strings.Join([]string{
			count(len(t.ConnectionIDs), "connection"), count(len(t.ExportIDs), "export"),
			count(len(t.ImportIDs), "import"), count(len(t.APIIDs), "API"), count(len(t.MCPServerIDs), "MCP server"),
		}, ", ")
	}
	if t.IntegrationID != "" {
		detail += "; token of the integration app " + t.IntegrationID
	}
	if t.Revoked {
		detail += "; revoked"
	}
	if t.Description != "" {
		detail += " — " + t.Description
	}
	return detail
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// tokenProfile holds what a review asks of a key, with stable keys. Lists of ids are what the token may reach.
// The creator is the person's Celigo user id, email and name, as the audit log names them: the owner, or a
// person whose access record is gone, has no user resource for the secret trait's created_by_id to name.
func tokenProfile(t *celigo.APIToken, creator celigo.AuditUser) map[string]any {
	scope := "custom"
	if t.FullAccess {
		scope = "full_access"
	}
	expires := t.AutoPurgeAt.Text
	if t.AutoPurgeAt.Expires() {
		expires = t.AutoPurgeAt.At.UTC().Format(time.RFC3339)
	}
	p := map[string]any{
		"token_id":           t.ID,
		"name":               t.Name,
		"description":        t.Description,
		"scope":              scope,
		"full_access":        t.FullAccess,
		"revoked":            t.Revoked,
		"auto_purge_at":      expires,
		"connection_ids":     anyIDs(t.ConnectionIDs),
		"export_ids":         anyIDs(t.ExportIDs),
		"import_ids":         anyIDs(t.ImportIDs),
		"api_ids":            anyIDs(t.APIIDs),
		"mcp_server_ids":     anyIDs(t.MCPServerIDs),
		"integration_id":     t.IntegrationID,
		"connector_id":       t.ConnectorID,
		"created_by_user_id": creator.ID,
		"created_by_email":   creator.Email,
		"created_by_name":    creator.Name,
	}
	if !t.CreatedAt.IsZero() {
		p["created_at"] = t.CreatedAt.UTC().Format(time.RFC3339)
	}
	if !t.LastModified.IsZero() {
		p["last_modified"] = t.LastModified.UTC().Format(time.RFC3339)
	}
	return p
}

func anyIDs(ids []string) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, id)
	}
	return out
}
