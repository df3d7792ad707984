package config

import (
	"strings"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/field"
	"github.com/conductorone/baton-sdk/pkg/test"
	"github.com/spf13/viper"
)

// validate is what the runner does before building the connector: the schema's rules, then ours. What the
// values mean to Celigo is checked when the client is built (pkg/connector's TestConfigurationIsCheckedOnce).
func validate(v *viper.Viper) error {
	return Validate(v.GetInt(RetryBudgetField.FieldName))
}

func TestConfigSchema(t *testing.T) {
	test.ExerciseTestCases(t, Config, validate, []test.TestCase{
		{Configs: map[string]string{}, IsValid: false, Message: "missing token"},
		{Configs: map[string]string{"celigo-access-token": "t"}, IsValid: true, Message: "token only: region us"},
		{Configs: map[string]string{"celigo-access-token": "t", "region": "us"}, IsValid: true, Message: "region us"},
		{Configs: map[string]string{"celigo-access-token": "t", "region": "eu"}, IsValid: true, Message: "region eu"},
		{Configs: map[string]string{"celigo-access-token": "t", "region": "ap"}, IsValid: false, Message: "unknown region"},
		{Configs: map[string]string{"celigo-access-token": "t", "region": "EU "}, IsValid: false, Message: "region spelled oddly"},
		{Configs: map[string]string{"celigo-access-token": "t", "retry-budget-seconds": "-1"}, IsValid: false, Message: "negative retry budget"},
		{Configs: map[string]string{"celigo-access-token": "t", "retry-budget-seconds": "0"}, IsValid: true, Message: "zero means the default"},
		{Configs: map[string]string{"celigo-access-token": "t", "retry-budget-seconds": "86400"}, IsValid: true, Message: "a day"},
		{Configs: map[string]string{"celigo-access-token": "t", "retry-budget-seconds": "9223372037"}, IsValid: false, Message: "overflows a duration"},
		{Configs: map[string]string{"celigo-access-token": "t", "sync-secrets": "true"}, IsValid: true, Message: "API tokens synced"},
	})
}

func TestRegionMessageNamesBothRegions(t *testing.T) {
	v := test.MakeViper(map[string]string{"celigo-access-token": "t", "region": "mars"})
	err := field.Validate(Config, v)
	if err == nil {
		err = validate(v)
	}
	if err == nil || !strings.Contains(err.Error(), "us") || !strings.Contains(err.Error(), "eu") {
		t.Fatalf("want a message naming us and eu, got %v", err)
	}
}

func TestFieldsMatchThePublicConnector(t *testing.T) {
	byName := map[string]field.SchemaField{}
	for _, f := range ConfigurationFields {
		byName[f.FieldName] = f
	}
	tok, ok := byName["celigo-access-token"]
	if !ok || !tok.Required || !tok.Secret || tok.ConnectorConfig.DisplayName != "Access token" {
		t.Errorf("celigo-access-token: %+v", tok)
	}
	region, ok := byName["region"]
	if !ok || region.DefaultValue != "us" || region.Required {
		t.Errorf("region: %+v", region)
	}
	base, ok := byName["base-url"]
	if !ok || base.ExportTarget != field.ExportTargetCLIOnly || !base.IsHidden() {
		t.Errorf("base-url must be hidden and CLI-only: %+v", base)
	}
	if rb, ok := byName["retry-budget-seconds"]; !ok || rb.ExportTarget != field.ExportTargetCLIOnly || !rb.IsHidden() {
		t.Errorf("retry-budget-seconds must be hidden and CLI-only: %+v", rb)
	}
	if ss, ok := byName["sync-secrets"]; !ok || ss.DefaultValue != false || ss.Required || ss.IsHidden() {
		t.Errorf("sync-secrets must be a visible flag, off by default: %+v", ss)
	}
	if len(byName) != 5 {
		t.Errorf("fields: %v", byName)
	}
}
