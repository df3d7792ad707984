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
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// services are the connector's gRPC services, as baton serves them.
var services = []*grpc.ServiceDesc{
	&v2.ResourceTypesService_ServiceDesc,
	&v2.ResourcesService_ServiceDesc,
	&v2.ResourceGetterService_ServiceDesc,
	&v2.EntitlementsService_ServiceDesc,
	&v2.GrantsService_ServiceDesc,
	&v2.ConnectorService_ServiceDesc,
	&v2.AssetService_ServiceDesc,
	&v2.GrantManagerService_ServiceDesc,
	&v2.ResourceManagerService_ServiceDesc,
	&v2.ResourceDeleterService_ServiceDesc,
	&v2.AccountManagerService_ServiceDesc,
	&v2.CredentialManagerService_ServiceDesc,
	&v2.EventService_ServiceDesc,
	&v2.TicketsService_ServiceDesc,
	&v2.ActionService_ServiceDesc,
}

// Serve wraps a connector builder in the SDK's server and exposes it over an in-memory gRPC connection.
// Both ends keep gRPC's default message limits (4 MB received), as baton's own connection to a connector
// does, so an answer too large for a real run fails here too. The connector gets the sync's session store,
// as a connector run with connectorrunner.WithSessionStoreEnabled does: Sync hands it the c1z's.
func Serve(ctx context.Context, builder connectorbuilder.ConnectorBuilderV2, opts ...connectorbuilder.Opt) (types.ConnectorClient, func(), error) {
	store := &Sessions{}
	server, err := connectorbuilder.NewConnector(ctx, builder, append(opts, connectorbuilder.WithSessionStore(store))...)
	if err != nil {
		return nil, nil, err
	}
	gs := grpc.NewServer()
	for _, desc := range services {
		gs.RegisterService(desc, server)
	}
	return connect(ctx, gs, store)
}

// ServeFresh is Serve for a connector hosted the way ConductorOne may host it: every RPC is served by a
// connector newly built by build, which shares nothing with the others but the sync's session store.
func ServeFresh(ctx context.Context, build func() (connectorbuilder.ConnectorBuilderV2, error), opts ...connectorbuilder.Opt) (types.ConnectorClient, func(), error) {
	store := &Sessions{}
	opts = append(opts, connectorbuilder.WithSessionStore(store))
	fresh := func() (types.ConnectorServer, error) {
		builder, err := build()
		if err != nil {
			return nil, err
		}
		return connectorbuilder.NewConnector(ctx, builder, opts...)
	}
	prototype, err := fresh() // registration checks the server's type; every call gets its own
	if err != nil {
		return nil, nil, err
	}
	gs := grpc.NewServer()
	for _, desc := range services {
		gs.RegisterService(servedFresh(desc, fresh), prototype)
	}
	return connect(ctx, gs, store)
}

// servedFresh is desc with every method handed a server from fresh instead of the registered one.
func servedFresh(desc *grpc.ServiceDesc, fresh func() (types.ConnectorServer, error)) *grpc.ServiceDesc {
	out := *desc
	out.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, m := range desc.Methods {
		handler := m.Handler
		out.Methods[i] = grpc.MethodDesc{MethodName: m.MethodName, Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			srv, err := fresh()
			if err != nil {
				return nil, err
			}
			return handler(srv, ctx, dec, ic)
		}}
	}
	out.Streams = make([]grpc.StreamDesc, len(desc.Streams))
	for i, st := range desc.Streams {
		handler := st.Handler
		out.Streams[i] = st
		out.Streams[i].Handler = func(_ any, stream grpc.ServerStream) error {
			srv, err := fresh()
			if err != nil {
				return err
			}
			return handler(srv, stream)
		}
	}
	return &out
}

// connect serves gs over an in-memory listener and returns a client of it that hands the sync's session
// store to store.
func connect(ctx context.Context, gs *grpc.Server, store *Sessions) (types.ConnectorClient, func(), error) {
	lis := bufconn.Listen(1 << 20)
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
	client := connectorclient.NewConnectorClient(ctx, conn)
	// The SDK's client passes the store the syncer opens to the session server it is given, as baton's
	// runner does with the server a connector process dials.
	setter, ok := client.(interface {
		SetSessionStoreSetter(sessions.SetSessionStore)
	})
	if !ok {
		stop()
		return nil, nil, errors.New("synctest: the SDK's connector client cannot take a session store")
	}
	setter.SetSessionStoreSetter(store)
	return client, stop, nil
}

// Sync runs one full sync of client into a new c1z at path.
func Sync(ctx context.Context, client types.ConnectorClient, path string, opts ...sdksync.SyncOpt) (err error) {
	tmp := filepath.Join(filepath.Dir(path), "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	opts = append([]sdksync.SyncOpt{sdksync.WithC1ZPath(path), sdksync.WithTmpDir(tmp)}, opts...)
	if setter, ok := client.(sessions.SetSessionStore); ok {
		opts = append(opts, sdksync.WithSessionStore(setter))
	}
	s, err := sdksync.NewSyncer(ctx, client, opts...)
	if err != nil {
		return err
	}
	// A sync stopped by its context still saves the c1z, with its checkpoint, for a resumed sync.
	defer func() { err = errors.Join(err, s.Close(context.WithoutCancel(ctx))) }()
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
