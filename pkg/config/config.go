// Package config declares baton-celigo's configuration. Field names and env vars are those of the public
// connector this one replaces, so existing deployments keep working unchanged.
package config

import (
	"fmt"

	"github.com/conductorone/baton-sdk/pkg/field"
)

// Regions a user can choose, and the retry budget's default. pkg/celigo holds what they mean (hosts, the
// retry loop); a connector test keeps these values equal to its own.
var Regions = []string{"us", "eu"}

const DefaultRetryBudgetSeconds = 120

// MaxRetryBudgetSeconds bounds the retry budget: a day is more than any outage worth waiting out, and a
// larger count of seconds overflows a time.Duration (about 292 years), which turned the budget negative
// and so switched retries off.
const MaxRetryBudgetSeconds = 86400

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
		Regions,
		field.WithDisplayName("Region"),
		field.WithDescription("The Celigo region the account and token live in: us (integrator.io) or eu (eu.integrator.io)."),
		field.WithDefaultValue(Regions[0]),
	)
	BaseURLField = hiddenCLIOnly(field.StringField(
		"base-url",
		field.WithDisplayName("API base URL"),
		field.WithDescription("Overrides the region's API host (tests, proxies). http:// is accepted only for loopback hosts."),
	))

	RetryBudgetField = hiddenCLIOnly(field.IntField(
		"retry-budget-seconds",
		field.WithDisplayName("Retry budget (seconds)"),
		field.WithDescription("How long one Celigo call keeps retrying throttling and transient faults before the run fails (0 = the default)."),
		field.WithDefaultValue(DefaultRetryBudgetSeconds),
	))

	// SyncSecretsField is off by default, as in ConductorOne's other connectors: API tokens are keys to the
	// account, and some reviews want them out of the sync.
	SyncSecretsField = field.BoolField(
		"sync-secrets",
		field.WithDisplayName("Sync API tokens"),
		field.WithDescription("Also sync the account's Celigo API tokens (name, scope, dates, status, creator; never their values), and allow revoking, re-activating and deleting them."),
		field.WithDefaultValue(false),
	)

	ConfigurationFields = []field.SchemaField{AccessTokenField, RegionField, BaseURLField, RetryBudgetField, SyncSecretsField}
)

// hiddenCLIOnly makes f a field for the command line only, left out of help and of ConductorOne's form:
// for tests, proxies and tuning.
func hiddenCLIOnly(f field.SchemaField) field.SchemaField {
	return field.WithExportTarget(field.ExportTargetCLIOnly)(field.WithHidden(true)(f))
}

//go:generate go run ./gen
//go:generate gofmt -w conf.gen.go
var Config = field.NewConfiguration(
	ConfigurationFields,
	field.WithConnectorDisplayName("Celigo"),
	field.WithHelpUrl("/docs/baton/celigo"),
	field.WithIconUrl("/static/app-icons/celigo.svg"),
)

// Validate checks the fields the schema cannot. What a value means to Celigo (is the token well formed, is the
// region one Celigo runs, is the base URL safe to send a token to) is the client's to check, once, when the
// connector is built.
func Validate(retryBudgetSeconds int) error {
	if retryBudgetSeconds < 0 || retryBudgetSeconds > MaxRetryBudgetSeconds {
		return fmt.Errorf("retry-budget-seconds must be 0 or more and at most %d (one day), got %d", MaxRetryBudgetSeconds, retryBudgetSeconds)
	}
	return nil
}
