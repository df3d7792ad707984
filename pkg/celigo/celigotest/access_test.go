package celigotest

import (
	"reflect"
	"testing"
)

func TestEffectiveAccess(t *testing.T) {
	const x, y, z = "65a0c0ffee0000000000b001", "65a0c0ffee0000000000b002", "65a0c0ffee0000000000b003"
	p := func(n string) Person { return Person{ID: "u" + n, Email: n + "@example.com"} }
	acct := Account{
		Owner:        Person{ID: "owner", Email: "o@example.com"},
		Integrations: []Integration{{ID: x}, {ID: y}, {ID: z}},
		Shares: []map[string]any{
			NewShare("admin", p("1"), LevelAdministrator),
			NewShare("adminEntries", p("2"), LevelAdministrator, IntegrationAccess{x, LevelMonitor}),
			NewShare("manage", p("3"), LevelManage),
			NewShare("manageEntries", p("4"), LevelManage, IntegrationAccess{y, LevelMonitor}),
			NewShare("monitor", p("5"), LevelMonitor),
			NewShare("monitorEntries", p("6"), LevelMonitor, IntegrationAccess{x, LevelManage}, IntegrationAccess{y, LevelMonitor}),
			NewShare("absentEntries", p("7"), "", IntegrationAccess{x, LevelManage}, IntegrationAccess{z, LevelMonitor}),
			NewShare("absentNone", p("8"), ""),
			// An entry for an integration that does not exist gives nothing.
			NewShare("absentGone", p("9"), "", IntegrationAccess{"ffffffffffffffffffffffff", LevelManage}),
		},
	}
	// Status does not change the rule.
	acct.Shares[4]["disabled"] = true
	all := func(l string) map[string]string { return map[string]string{x: l, y: l, z: l} }
	want := map[string]map[string]string{
		"owner":          all(LevelManage),
		"admin":          all(LevelManage),
		"adminEntries":   all(LevelManage),
		"manage":         all(LevelManage),
		"manageEntries":  all(LevelManage),
		"monitor":        all(LevelMonitor),
		"monitorEntries": {x: LevelManage, y: LevelMonitor, z: LevelMonitor},
		"absentEntries":  {x: LevelManage, z: LevelMonitor},
	}
	if got := EffectiveAccess(acct); !reflect.DeepEqual(got, want) {
		t.Errorf("EffectiveAccess =\n%v\nwant\n%v", got, want)
	}

	// Hand-built records may use Go types rather than decoded JSON.
	typed := Account{Integrations: []Integration{{ID: x}}, Shares: []map[string]any{{
		"_id":                    "typed",
		"integrationAccessLevel": []map[string]any{{"_integrationId": x, "accessLevel": "monitor"}},
	}}}
	if got := EffectiveAccess(typed); !reflect.DeepEqual(got, map[string]map[string]string{"typed": {x: LevelMonitor}}) {
		t.Errorf("typed = %v", got)
	}
}

func TestEffectiveAccessOfGenerated(t *testing.T) {
	acct := Generate(1, 30, 8)
	got := EffectiveAccess(acct)
	if len(got[acct.Owner.ID]) != 8 {
		t.Errorf("owner access = %v", got[acct.Owner.ID])
	}
	for _, rec := range acct.Shares {
		id := rec["_id"].(string)
		level, _ := rec["accessLevel"].(string)
		if n := len(got[id]); level != "" && n != 8 {
			t.Errorf("%s (%s) has access to %d integrations", id, level, n)
		}
	}
}
