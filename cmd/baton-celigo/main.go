// Command baton-celigo syncs and provisions access in Celigo integrator.io for ConductorOne.
package main

import (
	"context"

	"github.com/conductorone/baton-sdk/pkg/connectorrunner"

	"github.com/conductorone/baton-celigo/internal/launch"
	"github.com/conductorone/baton-celigo/pkg/config"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

func main() {
	launch.Run(context.Background(), "baton-celigo", connector.Version, config.Config, connector.New,
		connectorrunner.WithDefaultCapabilitiesConnectorBuilderV2(connector.ForCapabilities()))
}
