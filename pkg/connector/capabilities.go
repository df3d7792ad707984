package connector

import (
	"context"
	"slices"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/types"
)

// CapabilitiesServer is the connector the capabilities command describes: the SDK's server over
// ForCapabilities, which also declares CAPABILITY_SYNC_SECRETS. The SDK derives every other capability from
// the builders' interfaces, but not that one, which says the connector can sync secrets (--sync-secrets).
func CapabilitiesServer(ctx context.Context) (types.ConnectorServer, error) {
	srv, err := connectorbuilder.NewConnector(ctx, ForCapabilities())
	if err != nil {
		return nil, err
	}
	return secretsDeclared{srv}, nil
}

// secretsDeclared adds CAPABILITY_SYNC_SECRETS to the capabilities in the server's metadata.
type secretsDeclared struct{ types.ConnectorServer }

func (s secretsDeclared) GetMetadata(ctx context.Context, req *v2.ConnectorServiceGetMetadataRequest) (*v2.ConnectorServiceGetMetadataResponse, error) {
	resp, err := s.ConnectorServer.GetMetadata(ctx, req)
	if err != nil {
		return nil, err
	}
	caps := resp.GetMetadata().GetCapabilities()
	if caps != nil && !slices.Contains(caps.GetConnectorCapabilities(), v2.Capability_CAPABILITY_SYNC_SECRETS) {
		all := append(slices.Clone(caps.GetConnectorCapabilities()), v2.Capability_CAPABILITY_SYNC_SECRETS)
		slices.Sort(all)
		caps.SetConnectorCapabilities(all)
	}
	return resp, nil
}
