// Command baton-celigo syncs and provisions access in Celigo integrator.io for ConductorOne.
package main

import (
	"context"

	sdkconfig "github.com/conductorone/baton-sdk/pkg/config"
	"github.com/conductorone/baton-sdk/pkg/connectorrunner"

	"github.com/conductorone/baton-celigo/pkg/config"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	connector.Version = version
	sdkconfig.RunConnector(context.Background(), "baton-celigo", version, config.Config, connector.New,
		connectorrunner.WithDefaultCapabilitiesConnectorBuilderV2(connector.ForCapabilities()))
}
