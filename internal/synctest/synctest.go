// Package synctest runs a connector the way baton does — served over gRPC, synced by the SDK's syncer into
// a .c1z — entirely in process, and reads the file back. Tests and benchmarks share it.
package synctest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	reader_v2 "github.com/conductorone/baton-sdk/pb/c1/reader/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/connectorclient"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/conductorone/baton-sdk/pkg/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// Serve wraps a connector builder in the SDK's server and exposes it over an in-memory gRPC connection.
// Both ends keep gRPC's default message limits (4 MB received), as baton's own connection to a connector
// does, so an answer too large for a real run fails here too.
func Serve(ctx context.Context, builder connectorbuilder.ConnectorBuilderV2, opts ...connectorbuilder.Opt) (types.ConnectorClient, func(), error) {
	server, err := connectorbuilder.NewConnector(ctx, builder, opts...)
	if err != nil {
		return nil, nil, err
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	v2.RegisterResourceTypesServiceServer(gs, server)
	v2.RegisterResourcesServiceServer(gs, server)
	v2.RegisterResourceGetterServiceServer(gs, server)
	v2.RegisterEntitlementsServiceServer(gs, server)
	v2.RegisterGrantsServiceServer(gs, server)
	v2.RegisterConnectorServiceServer(gs, server)
	v2.RegisterAssetServiceServer(gs, server)
	v2.RegisterGrantManagerServiceServer(gs, server)
	v2.RegisterResourceManagerServiceServer(gs, server)
	v2.RegisterResourceDeleterServiceServer(gs, server)
	v2.RegisterAccountManagerServiceServer(gs, server)
	v2.RegisterCredentialManagerServiceServer(gs, server)
	v2.RegisterEventServiceServer(gs, server)
	v2.RegisterTicketsServiceServer(gs, server)
	v2.RegisterActionServiceServer(gs, server)
	go func() { _ = gs.Serve(lis) }()

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		gs.Stop()
		return nil, nil, err
	}
	stop := func() {
		_ = conn.Close()
		gs.Stop()
	}
	return connectorclient.NewConnectorClient(ctx, conn), stop, nil
}

// Sync runs one full sync of client into a new c1z at path.
func Sync(ctx context.Context, client types.ConnectorClient, path string, opts ...sdksync.SyncOpt) (err error) {
	tmp := filepath.Join(filepath.Dir(path), "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	opts = append([]sdksync.SyncOpt{sdksync.WithC1ZPath(path), sdksync.WithTmpDir(tmp)}, opts...)
	s, err := sdksync.NewSyncer(ctx, client, opts...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close(ctx)) }()
	return s.Sync(ctx)
}

// Dump is everything a c1z's latest sync holds.
type Dump struct {
	Resources    map[string]*v2.Resource    // "type/id"
	Entitlements map[string]*v2.Entitlement // entitlement id
	Grants       []*v2.Grant
}

// Key names a resource as Dump does.
func Key(typ, id string) string { return typ + "/" + id }

// Read loads every resource, entitlement and grant of the latest sync in the c1z at path.
func Read(ctx context.Context, path string) (*Dump, error) {
	tmp, err := os.MkdirTemp("", "c1z-read")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewStore(ctx, path, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(tmp))
	if err != nil {
		return nil, err
	}
	defer store.Close(ctx)

	d := &Dump{Resources: map[string]*v2.Resource{}, Entitlements: map[string]*v2.Entitlement{}}
	var typeIDs []string
	for tok := ""; ; {
		resp, err := store.ListResourceTypes(ctx, v2.ResourceTypesServiceListResourceTypesRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("list resource types: %w", err)
		}
		for _, rt := range resp.GetList() {
			typeIDs = append(typeIDs, rt.GetId())
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	for _, typ := range typeIDs {
		for tok := ""; ; {
			resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{ResourceTypeId: typ, PageToken: tok}.Build())
			if err != nil {
				return nil, fmt.Errorf("list resources %s: %w", typ, err)
			}
			for _, r := range resp.GetList() {
				d.Resources[Key(r.GetId().GetResourceType(), r.GetId().GetResource())] = r
			}
			if tok = resp.GetNextPageToken(); tok == "" {
				break
			}
		}
		for tok := ""; ; {
			resp, err := store.ListGrantsForResourceType(ctx, reader_v2.GrantsReaderServiceListGrantsForResourceTypeRequest_builder{ResourceTypeId: typ, PageToken: tok}.Build())
			if err != nil {
				return nil, fmt.Errorf("list grants %s: %w", typ, err)
			}
			d.Grants = append(d.Grants, resp.GetList()...)
			if tok = resp.GetNextPageToken(); tok == "" {
				break
			}
		}
	}
	for _, r := range d.Resources {
		for tok := ""; ; {
			resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{Resource: r, PageToken: tok}.Build())
			if err != nil {
				return nil, fmt.Errorf("list entitlements: %w", err)
			}
			for _, e := range resp.GetList() {
				d.Entitlements[e.GetId()] = e
			}
			if tok = resp.GetNextPageToken(); tok == "" {
				break
			}
		}
	}
	return d, nil
}

// FinishedSync returns the id of the latest finished full sync in the c1z at path, "" when none finished.
func FinishedSync(ctx context.Context, path string) (string, error) {
	tmp, err := os.MkdirTemp("", "c1z-read")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	store, err := dotc1z.NewStore(ctx, path, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(tmp))
	if err != nil {
		return "", err
	}
	defer store.Close(ctx)
	resp, err := store.GetLatestFinishedSync(ctx, reader_v2.SyncsReaderServiceGetLatestFinishedSyncRequest_builder{SyncType: "full"}.Build())
	if err != nil {
		return "", err
	}
	return resp.GetSync().GetId(), nil
}
