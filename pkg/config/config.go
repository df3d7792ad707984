// Package config declares baton-celigo's configuration. Field names and env vars are those of the public
// connector this one replaces, so existing deployments keep working unchanged.
package config

import (
	"errors"
	"strings"

	"github.com/conductorone/baton-sdk/pkg/field"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

var (
	AccessTokenField = field.StringField(
		"celigo-access-token",
		field.WithDisplayName("Access token"),
		field.WithDescription("A Celigo integrator.io API token with Full access, created by the account owner or an administrator (Resources > API tokens)."),
		field.WithRequired(true),
		field.WithIsSecret(true),
	)
	RegionField = field.SelectField(
		"region",
		[]string{celigo.RegionUS, celigo.RegionEU},
		field.WithDisplayName("Region"),
		field.WithDescription("The Celigo region the account and token live in: us (integrator.io) or eu (eu.integrator.io)."),
		field.WithDefaultValue(celigo.RegionUS),
	)
	BaseURLField = field.StringField(
		"base-url",
		field.WithDisplayName("API base URL"),
		field.WithDescription("Overrides the region's API host (tests, proxies). http:// is accepted only for loopback hosts."),
		field.WithHidden(true),
		field.WithExportTarget(field.ExportTargetCLIOnly),
	)

	RetryBudgetField = field.IntField(
		"retry-budget-seconds",
		field.WithDisplayName("Retry budget (seconds)"),
		field.WithDescription("How long one Celigo call keeps retrying throttling and transient faults before the run fails (0 = the default)."),
		field.WithDefaultValue(int(celigo.DefaultRetryBudget.Seconds())),
		field.WithHidden(true),
		field.WithExportTarget(field.ExportTargetCLIOnly),
	)

	ConfigurationFields = []field.SchemaField{AccessTokenField, RegionField, BaseURLField, RetryBudgetField}
)

//go:generate go run ./gen
//go:generate gofmt -w conf.gen.go
var Config = field.NewConfiguration(
	ConfigurationFields,
	field.WithConnectorDisplayName("Celigo"),
	field.WithHelpUrl("/docs/baton/celigo"),
	field.WithIconUrl("/static/app-icons/celigo.svg"),
)

// Validate checks what the schema cannot, before any network call. It takes the values rather than the
// generated struct so that the generator (which imports this package) builds without conf.gen.go.
func Validate(token, region, baseURL string, retryBudgetSeconds int) error {
	if retryBudgetSeconds < 0 {
		return errors.New("retry-budget-seconds must be 0 or more")
	}
	if strings.TrimSpace(token) == "" {
		return errors.New("celigo-access-token is empty: set --celigo-access-token or BATON_CELIGO_ACCESS_TOKEN")
	}
	_, err := celigo.ResolveBaseURL(region, baseURL)
	return err
}
