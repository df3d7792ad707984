package connector

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// Celigo does not document how fieldPath names a field inside a list: each plausible spelling, and an old
// value given as absent or as null, puts the same state back.
func TestApplyOldReadsEveryFieldPathSpelling(t *testing.T) {
	now := recordState{
		"accessLevel":            json.RawMessage(`"manage"`),
		"integrationAccessLevel": json.RawMessage(`[{"_integrationId":"i1","accessLevel":"manage"},{"_integrationId":"i2","accessLevel":"monitor"}]`),
	}
	cat := &grantCatalog{integrations: map[string]bool{"i1": true, "i2": true}, mcpGoverned: map[string]bool{}}
	const id = "6500000000000000000000e9"
	cases := []struct {
		name    string
		changes []celigo.FieldChange
		want    []string
	}{
		{"whole field, absent before", []celigo.FieldChange{{FieldPath: "accessLevel"}},
			[]string{"integration:i1:manage:user:" + id, "integration:i2:monitor:user:" + id}},
		{"whole field, null before", []celigo.FieldChange{{FieldPath: "accessLevel", OldValue: json.RawMessage(`null`)}},
			[]string{"integration:i1:manage:user:" + id, "integration:i2:monitor:user:" + id}},
		{"whole field, another value", []celigo.FieldChange{{FieldPath: "accessLevel", OldValue: json.RawMessage(`"monitor"`)}},
			[]string{"integration:i1:manage:user:" + id, "integration:i2:monitor:user:" + id, "role:monitor:assigned:user:" + id}},
		{"dotted index", []celigo.FieldChange{{FieldPath: "accessLevel", OldValue: json.RawMessage(`"monitor"`)},
			{FieldPath: "integrationAccessLevel.0.accessLevel", OldValue: json.RawMessage(`"monitor"`)}},
			[]string{"integration:i1:monitor:user:" + id, "integration:i2:monitor:user:" + id, "role:monitor:assigned:user:" + id}},
		{"bracketed index, entry absent before", []celigo.FieldChange{{FieldPath: "accessLevel"},
			{FieldPath: "integrationAccessLevel[1]"}},
			[]string{"integration:i1:manage:user:" + id}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := applyOld(now, tc.changes)
			got := sortedKeys(cat.grantsOf(id, before))
			if !slices.Equal(got, tc.want) {
				t.Errorf("grants before = %v, want %v", got, tc.want)
			}
			if string(now["accessLevel"]) != `"manage"` {
				t.Error("applyOld changed the state it was given")
			}
		})
	}
}
