package connector_test

import (
	"context"
	"slices"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

	"github.com/conductorone/baton-celigo/pkg/connector"
)

// TestCapabilitiesDeclareSecrets: the capabilities command describes the api_token type (deletable) and
// declares CAPABILITY_SYNC_SECRETS, which baton-sdk does not derive by itself.
func TestCapabilitiesDeclareSecrets(t *testing.T) {
	ctx := context.Background()
	srv, err := connector.CapabilitiesServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	md, err := srv.GetMetadata(ctx, &v2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	caps := md.GetMetadata().GetCapabilities()
	all := caps.GetConnectorCapabilities()
	if !slices.Contains(all, v2.Capability_CAPABILITY_SYNC_SECRETS) || !slices.IsSorted(all) {
		t.Errorf("connector capabilities %v", all)
	}
	if n := len(slices.Compact(slices.Clone(all))); n != len(all) {
		t.Errorf("a capability twice: %v", all)
	}
	found := false
	for _, rc := range caps.GetResourceTypeCapabilities() {
		if rc.GetResourceType().GetId() != "api_token" {
			continue
		}
		found = true
		if !slices.Contains(rc.GetResourceType().GetTraits(), v2.ResourceType_TRAIT_SECRET) ||
			!slices.Contains(rc.GetCapabilities(), v2.Capability_CAPABILITY_RESOURCE_DELETE) {
			t.Errorf("api_token: %v", rc)
		}
	}
	if !found {
		t.Error("no api_token type in the capabilities")
	}
}
