// Command gen writes conf.gen.go, the typed configuration struct, from the field definitions.
package main

import (
	"github.com/conductorone/baton-sdk/pkg/config"

	cfg "github.com/conductorone/baton-celigo/pkg/config"
)

func main() {
	config.Generate("celigo", cfg.Config)
}
