// Package connector maps Celigo integrator.io onto Baton's model: users, account roles, integrations, MCP
// servers and account permissions, with the grants Celigo's access rules imply, and the provisioning that
// changes them.
package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/cli"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/config"
)

// Connector is the Baton connector for one Celigo environment.
type Connector struct {
	client  *celigo.Client
	lists   walks                     // what grants need from each list of the sync (package walk)
	claimed atomic.Pointer[[2]string] // the sync and account the session store agreed on (sync_account.go)
	served  servedPages               // the Celigo page of each list that List is serving in parts
	locks   recordLocks               // one writer per access record at a time

	odd      oddValues
	sawUsers atomic.Bool // the last validation saw at least one access record

	tokenMu   sync.Mutex
	tokenInfo *celigo.TokenInfo // the token's user never changes, so it is read once

	ownerHiddenOnce sync.Once

	syncSecrets bool       // --sync-secrets: API tokens are synced and can be revoked and deleted
	events      eventState // the event feeds' clock and what they logged (event_feeds.go)
}

// Option changes how a connector is built.
type Option func(*Connector)

// WithSecrets syncs API tokens (--sync-secrets), and lets them be revoked, re-activated and deleted.
func WithSecrets(on bool) Option { return func(c *Connector) { c.syncSecrets = on } }

// Version is reported in the user agent and by --version; builds set it with
// -ldflags "-X github.com/conductorone/baton-celigo/pkg/connector.Version=...".
var Version = "dev"

// New builds the connector from its configuration. It makes no network call: Validate does.
func New(ctx context.Context, cfg *config.Celigo, _ *cli.ConnectorOpts) (connectorbuilder.ConnectorBuilderV2, []connectorbuilder.Opt, error) {
	if err := config.Validate(cfg.RetryBudgetSeconds); err != nil {
		return nil, nil, celigo.WithCode(codes.InvalidArgument, fmt.Errorf("baton-celigo: %w", err))
	}
	// 0 (also what a hosted config without this CLI-only field decodes to) means the client's default.
	budget := time.Duration(cfg.RetryBudgetSeconds) * time.Second
	client, err := celigo.New(ctx, celigo.Config{
		Region:      cfg.Region,
		BaseURL:     cfg.BaseUrl,
		Token:       cfg.CeligoAccessToken,
		UserAgent:   "baton-celigo/" + Version,
		RetryBudget: budget,
	})
	if err != nil {
		return nil, nil, celigo.WithCode(codes.InvalidArgument, fmt.Errorf("baton-celigo: %w", err))
	}
	return NewWithClient(client, WithSecrets(cfg.SyncSecrets)), nil, nil
}

// NewWithClient wires a connector around an existing client (tests and benchmarks use it).
func NewWithClient(client *celigo.Client, opts ...Option) *Connector {
	c := &Connector{client: client, lists: newWalks()}
	for _, o := range opts {
		o(c)
	}
	return c
}

// ForCapabilities is a connector with no client: enough to describe types and capabilities offline. It
// describes everything the connector can do, API tokens included.
func ForCapabilities() *Connector { return &Connector{lists: newWalks(), syncSecrets: true} }

func (c *Connector) ResourceSyncers(_ context.Context) []connectorbuilder.ResourceSyncerV2 {
	syncers := []connectorbuilder.ResourceSyncerV2{
		&userBuilder{conn: c},
		&roleBuilder{conn: c},
		&integrationBuilder{conn: c},
		&mcpServerBuilder{conn: c},
		&permissionBuilder{conn: c},
		&accountBuilder{conn: c},
	}
	if c.syncSecrets {
		syncers = append(syncers, &apiTokenBuilder{conn: c})
	}
	return syncers
}

func (c *Connector) Metadata(_ context.Context) (*v2.ConnectorMetadata, error) {
	return v2.ConnectorMetadata_builder{
		DisplayName:           "Celigo",
		Description:           "Users, account roles, integration and MCP server access, and account permissions in Celigo integrator.io.",
		AccountCreationSchema: accountCreationSchema(),
	}.Build(), nil
}

// Validate proves the token works and can read users, before a sync (the SDK validates at the start of each)
// or a provisioning call. A host that refuses connections fails it after a few quick tries.
func (c *Connector) Validate(ctx context.Context) (annotations.Annotations, error) {
	probe := c.client.ForValidation()
	if _, err := c.tokenVia(ctx, probe); err != nil {
		return nil, c.credentialError(err)
	}
	users, _, err := probe.ListUsers(ctx, "")
	if err != nil {
		return nil, c.credentialError(err)
	}
	c.sawUsers.Store(len(users) > 0)
	return nil, nil
}

// credentialError turns 401/403 into messages that say what to fix. They are status errors on purpose, the
// cause quoted (%v) rather than wrapped: an action's failure reaches the command line as text only, and the
// "rpc error: code = ..." in that text is what sets the exit status (TestREADMEExitStatusTable).
func (c *Connector) credentialError(err error) error {
	switch {
	case celigo.IsStatus(err, http.StatusUnauthorized):
		return status.Errorf(codes.Unauthenticated,
			"baton-celigo: Celigo rejected the access token at %s; check the token and that the region (us/eu) is the one the token was created in (%v)",
			c.client.Host(), err)
	case celigo.IsStatus(err, http.StatusForbidden):
		return status.Errorf(codes.PermissionDenied,
			"baton-celigo: the access token may not read users at %s: use a Full access API token created by the account owner or an administrator (%v)",
			c.client.Host(), err)
	}
	return wrapErr(err, "validate credentials at "+c.client.Host())
}

// token returns the token's own user, read once.
// A rejected token reads as it does in a sync, whichever request met it first.
func (c *Connector) token(ctx context.Context) (*celigo.TokenInfo, error) {
	ti, err := c.tokenVia(ctx, c.client)
	if celigo.IsStatus(err, http.StatusUnauthorized) {
		return nil, c.credentialError(err)
	}
	return ti, err
}

func (c *Connector) tokenVia(ctx context.Context, client *celigo.Client) (*celigo.TokenInfo, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.tokenInfo != nil {
		return c.tokenInfo, nil
	}
	ti, err := client.TokenInfo(ctx)
	if err != nil {
		return nil, err
	}
	c.tokenInfo = ti
	return ti, nil
}

// wrapErr prefixes an error with what was being done, keeping its gRPC code for the SDK and C1.
func wrapErr(err error, doing string) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("baton-celigo: %s: %w", doing, err)
	}
	return celigo.WithCode(codes.Unknown, fmt.Errorf("baton-celigo: %s: %w", doing, err))
}

func logger(ctx context.Context) *zap.Logger { return ctxzap.Extract(ctx) }

// The SDK finds capabilities by interface; these make a missing method a compile error instead.
var (
	_ connectorbuilder.ResourceSyncerV2              = (*userBuilder)(nil)
	_ connectorbuilder.AccountManagerLimited         = (*userBuilder)(nil)
	_ connectorbuilder.ResourceDeleterV2Limited      = (*userBuilder)(nil)
	_ connectorbuilder.ResourceActionProvider        = (*userBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*userBuilder)(nil)
	_ connectorbuilder.ResourceSyncerV2              = (*roleBuilder)(nil)
	_ connectorbuilder.ResourceProvisionerV2Limited  = (*roleBuilder)(nil)
	_ connectorbuilder.TypeScopedGrantsSyncer        = (*roleBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*roleBuilder)(nil)
	_ connectorbuilder.ResourceSyncerV2              = (*integrationBuilder)(nil)
	_ connectorbuilder.ResourceProvisionerV2Limited  = (*integrationBuilder)(nil)
	_ connectorbuilder.TypeScopedGrantsSyncer        = (*integrationBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*integrationBuilder)(nil)
	_ connectorbuilder.ResourceSyncerV2              = (*mcpServerBuilder)(nil)
	_ connectorbuilder.ResourceProvisionerV2Limited  = (*mcpServerBuilder)(nil)
	_ connectorbuilder.TypeScopedGrantsSyncer        = (*mcpServerBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*mcpServerBuilder)(nil)
	_ connectorbuilder.ResourceSyncerV2              = (*permissionBuilder)(nil)
	_ connectorbuilder.ResourceProvisionerV2Limited  = (*permissionBuilder)(nil)
	_ connectorbuilder.TypeScopedGrantsSyncer        = (*permissionBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*permissionBuilder)(nil)
	_ connectorbuilder.ResourceSyncerV2              = (*accountBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*accountBuilder)(nil)
	_ connectorbuilder.ResourceSyncerV2              = (*apiTokenBuilder)(nil)
	_ connectorbuilder.ResourceDeleterV2Limited      = (*apiTokenBuilder)(nil)
	_ connectorbuilder.ResourceActionProvider        = (*apiTokenBuilder)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*apiTokenBuilder)(nil)
	_ connectorbuilder.EventFeedsLimited             = (*Connector)(nil)
)
