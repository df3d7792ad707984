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
		// The capabilities command describes every type, API tokens included, and declares secret syncing.
		connectorrunner.WithDefaultCapabilitiesConnectorFactory(connector.CapabilitiesServer),
		// The sync's session store (the c1z's locally, ConductorOne's when hosted) keeps what grants need
		// from each list, so a resumed or hosted sync reads each list once.
		connectorrunner.WithSessionStoreEnabled())
}
