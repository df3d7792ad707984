package celigo

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const (
	intX = "65a0c0ffee0000000000b001"
	intY = "65a0c0ffee0000000000b002"
)

func ia(id, level string) IntegrationAccess {
	return IntegrationAccess{IntegrationID: id, AccessLevel: level}
}

func rec(role string, entries ...IntegrationAccess) *User {
	return &User{UserSummary: UserSummary{ID: "r1", AccessLevel: role, IntegrationAccessLevel: entries}}
}

func TestEffectiveLevel(t *testing.T) {
	cases := []struct {
		name string
		u    *User
		want string
	}{
		// administrator / manage: entries are ignored, manage everywhere.
		{"administrator, no entry", rec(LevelAdministrator), LevelManage},
		{"administrator, monitor entry ignored", rec(LevelAdministrator, ia(intX, LevelMonitor)), LevelManage},
		{"administrator, manage entry", rec(LevelAdministrator, ia(intX, LevelManage)), LevelManage},
		{"manage, no entry", rec(LevelManage), LevelManage},
		{"manage, monitor entry ignored", rec(LevelManage, ia(intX, LevelMonitor)), LevelManage},
		// monitor: raised by a manage entry only.
		{"monitor, no entry", rec(LevelMonitor), LevelMonitor},
		{"monitor, manage entry", rec(LevelMonitor, ia(intX, LevelManage)), LevelManage},
		{"monitor, monitor entry", rec(LevelMonitor, ia(intX, LevelMonitor)), LevelMonitor},
		{"monitor, manage entry on another integration", rec(LevelMonitor, ia(intY, LevelManage)), LevelMonitor},
		// absent: the entry, else nothing.
		{"absent, manage entry", rec("", ia(intX, LevelManage)), LevelManage},
		{"absent, monitor entry", rec("", ia(intX, LevelMonitor)), LevelMonitor},
		{"absent, no entry", rec(""), ""},
		{"absent, entry on another integration", rec("", ia(intY, LevelManage)), ""},
		{"absent, both levels listed: the higher", rec("", ia(intX, LevelMonitor), ia(intX, LevelManage)), LevelManage},
		{"absent, invalid level ignored", rec("", ia(intX, "owner")), ""},
		{"absent, tile level ignored", rec("", ia(intX, "tile")), ""},
		// Values Celigo never sends on a record.
		{"owner role (ours)", rec(LevelOwner), LevelManage},
		{"undocumented role value, entry counts", rec("tile", ia(intX, LevelManage)), LevelManage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := EffectiveLevel(tc.u, intX); got != tc.want {
				t.Errorf("EffectiveLevel(tc.u, intX) = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRoleHelpers(t *testing.T) {
	if got := RoleIntegrationLevel(LevelOwner); got != LevelManage {
		t.Errorf("RoleIntegrationLevel(LevelOwner) = %q, want %q", got, LevelManage)
	}
	if got := RoleIntegrationLevel(LevelAdministrator); got != LevelManage {
		t.Errorf("RoleIntegrationLevel(LevelAdministrator) = %q, want %q", got, LevelManage)
	}
	if got := RoleIntegrationLevel(LevelManage); got != LevelManage {
		t.Errorf("RoleIntegrationLevel(LevelManage) = %q, want %q", got, LevelManage)
	}
	if got := RoleIntegrationLevel(LevelMonitor); got != LevelMonitor {
		t.Errorf("RoleIntegrationLevel(LevelMonitor) = %q, want %q", got, LevelMonitor)
	}
	if got := RoleIntegrationLevel(""); got != "" {
		t.Errorf(`RoleIntegrationLevel("") = %q, want %q`, got, "")
	}
	if got := RoleIntegrationLevel("tile"); got != "" {
		t.Errorf(`RoleIntegrationLevel("tile") = %q, want %q`, got, "")
	}
	for _, r := range []string{LevelAdministrator, LevelManage, LevelMonitor} {
		if !IsAccountRole(r) {
			t.Errorf("%s: IsAccountRole(r) is false", r)
		}
	}
	for _, r := range []string{"", LevelOwner, "tile", "Manage"} {
		if IsAccountRole(r) {
			t.Errorf("%s: IsAccountRole(r) is true", r)
		}
	}
	if !IsIntegrationLevel(LevelManage) {
		t.Error("IsIntegrationLevel(LevelManage) is false")
	}
	if !IsIntegrationLevel(LevelMonitor) {
		t.Error("IsIntegrationLevel(LevelMonitor) is false")
	}
	if IsIntegrationLevel(LevelAdministrator) {
		t.Error("IsIntegrationLevel(LevelAdministrator) is true")
	}
	if IsIntegrationLevel("") {
		t.Error(`IsIntegrationLevel("") is true`)
	}
	if !EntriesHonoured("") {
		t.Error(`EntriesHonoured("") is false`)
	}
	if !EntriesHonoured(LevelMonitor) {
		t.Error("EntriesHonoured(LevelMonitor) is false")
	}
	if EntriesHonoured(LevelManage) {
		t.Error("EntriesHonoured(LevelManage) is true")
	}
	if EntriesHonoured(LevelAdministrator) {
		t.Error("EntriesHonoured(LevelAdministrator) is true")
	}
}

func TestDirectAccess(t *testing.T) {
	cases := []struct {
		name string
		u    *User
		want map[string]string
	}{
		{"administrator: entries ignored", rec(LevelAdministrator, ia(intX, LevelManage), ia(intY, LevelMonitor)), nil},
		{"manage: entries ignored", rec(LevelManage, ia(intX, LevelMonitor)), nil},
		{"monitor: entries honoured", rec(LevelMonitor, ia(intX, LevelManage), ia(intY, LevelMonitor)),
			map[string]string{intX: LevelManage, intY: LevelMonitor}},
		{"absent: entries honoured", rec("", ia(intX, LevelMonitor)), map[string]string{intX: LevelMonitor}},
		{"no entries", rec(""), nil},
		{"duplicates: higher wins, monitor first", rec("", ia(intX, LevelMonitor), ia(intX, LevelManage)), map[string]string{intX: LevelManage}},
		{"duplicates: higher wins, manage first", rec("", ia(intX, LevelManage), ia(intX, LevelMonitor)), map[string]string{intX: LevelManage}},
		{"duplicates of the same level", rec(LevelMonitor, ia(intX, LevelMonitor), ia(intX, LevelMonitor)), map[string]string{intX: LevelMonitor}},
		{"invalid levels and empty ids ignored", rec("", ia(intX, "administrator"), ia(intY, ""), ia("", LevelManage), ia(intY, LevelMonitor)),
			map[string]string{intY: LevelMonitor}},
		{"only invalid entries", rec("", ia(intX, "owner")), map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := DirectAccess(tc.u)
			if len(tc.want) == 0 {
				if len(got) != 0 {
					t.Errorf("got = %v, want empty", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGrantRole(t *testing.T) {
	cases := []struct {
		name, from, role string
		changed          bool
		err              bool
		errIs            error
	}{
		{"owner refused", LevelMonitor, LevelOwner, false, true, ErrOwnership},
		{"owner refused even from nothing", "", LevelOwner, false, true, ErrOwnership},
		{"invalid role", LevelMonitor, "tile", false, true, nil},
		{"empty role", LevelMonitor, "", false, true, nil},
		{"case matters", "", "Administrator", false, true, nil},
		{"same role", LevelManage, LevelManage, false, false, nil},
		{"same role administrator", LevelAdministrator, LevelAdministrator, false, false, nil},
		{"from nothing", "", LevelMonitor, true, false, nil},
		{"replace monitor with administrator", LevelMonitor, LevelAdministrator, true, false, nil},
		{"replace administrator with monitor", LevelAdministrator, LevelMonitor, true, false, nil},
		{"replace manage with monitor", LevelManage, LevelMonitor, true, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entries := []IntegrationAccess{ia(intX, LevelManage), ia(intY, LevelMonitor)}
			u := rec(tc.from, entries...)
			changed, err := GrantRole(u, tc.role)
			if changed != tc.changed {
				t.Errorf("changed = %t, want %t", changed, tc.changed)
			}
			if tc.err {
				if err == nil {
					t.Fatal("GrantRole: err = nil, want an error")
				}
				if tc.errIs != nil {
					if !errors.Is(err, tc.errIs) {
						t.Errorf("%v: errors.Is(err, tc.errIs) is false", err)
					}
				}
				if u.AccessLevel != tc.from {
					t.Errorf("a refused grant changes nothing: u.AccessLevel = %q, want %q", u.AccessLevel, tc.from)
				}
			} else {
				if err != nil {
					t.Fatalf("GrantRole: %v", err)
				}
				if u.AccessLevel != tc.role {
					t.Errorf("u.AccessLevel = %q, want %q", u.AccessLevel, tc.role)
				}
			}
			if !reflect.DeepEqual(u.IntegrationAccessLevel, entries) {
				t.Errorf("entries are untouched: u.IntegrationAccessLevel = %v, want %v", u.IntegrationAccessLevel, entries)
			}
		})
	}
	err := func() error { _, err := GrantRole(rec(""), "tile"); return err }()
	if !strings.Contains(err.Error(), "administrator") {
		t.Errorf("err = %q, want it to contain %q", err, "administrator")
	}
}

func TestRevokeRole(t *testing.T) {
	cases := []struct {
		name, from, role, after string
		changed, err            bool
	}{
		{"owner refused", LevelAdministrator, LevelOwner, LevelAdministrator, false, true},
		{"invalid role", LevelMonitor, "tile", LevelMonitor, false, true},
		{"held", LevelManage, LevelManage, "", true, false},
		{"held administrator", LevelAdministrator, LevelAdministrator, "", true, false},
		{"held monitor", LevelMonitor, LevelMonitor, "", true, false},
		{"another role held", LevelMonitor, LevelManage, LevelMonitor, false, false},
		{"no role held", "", LevelAdministrator, "", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entries := []IntegrationAccess{ia(intX, LevelManage)}
			u := rec(tc.from, entries...)
			changed, err := RevokeRole(u, tc.role)
			if changed != tc.changed {
				t.Errorf("changed = %t, want %t", changed, tc.changed)
			}
			if tc.err {
				if err == nil {
					t.Fatal("RevokeRole: err = nil, want an error")
				}
			} else {
				if err != nil {
					t.Fatalf("RevokeRole: %v", err)
				}
			}
			if u.AccessLevel != tc.after {
				t.Errorf("u.AccessLevel = %q, want %q", u.AccessLevel, tc.after)
			}
			if !reflect.DeepEqual(u.IntegrationAccessLevel, entries) {
				t.Errorf("entries are kept: u.IntegrationAccessLevel = %v, want %v", u.IntegrationAccessLevel, entries)
			}
		})
	}
	_, err := RevokeRole(rec(LevelAdministrator), LevelOwner)
	if !errors.Is(err, ErrOwnership) {
		t.Errorf("err = %v, want an error matching %v", err, ErrOwnership)
	}
	if !strings.Contains(err.Error(), "Celigo") {
		t.Errorf("err = %q, want it to contain %q", err, "Celigo")
	}
}

func TestGrantIntegration(t *testing.T) {
	other := ia(intY, LevelMonitor)
	cases := []struct {
		name    string
		u       *User
		level   string
		changed bool
		want    []IntegrationAccess // entries after
	}{
		// manage
		{"manage, role administrator", rec(LevelAdministrator, other), LevelManage, false, []IntegrationAccess{other}},
		{"manage, role manage", rec(LevelManage, other), LevelManage, false, []IntegrationAccess{other}},
		{"manage, role manage with an ignored monitor entry", rec(LevelManage, ia(intX, LevelMonitor)), LevelManage, false,
			[]IntegrationAccess{ia(intX, LevelMonitor)}},
		{"manage, entry manage", rec("", ia(intX, LevelManage), other), LevelManage, false,
			[]IntegrationAccess{ia(intX, LevelManage), other}},
		{"manage, monitor role with manage entry", rec(LevelMonitor, ia(intX, LevelManage)), LevelManage, false,
			[]IntegrationAccess{ia(intX, LevelManage)}},
		{"manage, monitor entry upserted", rec("", ia(intX, LevelMonitor), other), LevelManage, true,
			[]IntegrationAccess{other, ia(intX, LevelManage)}},
		{"manage, monitor role and monitor entry upserted", rec(LevelMonitor, other, ia(intX, LevelMonitor)), LevelManage, true,
			[]IntegrationAccess{other, ia(intX, LevelManage)}},
		{"manage, monitor role, no entry", rec(LevelMonitor, other), LevelManage, true,
			[]IntegrationAccess{other, ia(intX, LevelManage)}},
		{"manage, nothing", rec(""), LevelManage, true, []IntegrationAccess{ia(intX, LevelManage)}},
		{"manage, duplicate monitor entries collapse into one", rec("", ia(intX, LevelMonitor), other, ia(intX, LevelMonitor)), LevelManage, true,
			[]IntegrationAccess{other, ia(intX, LevelManage)}},
		// monitor
		{"monitor, role administrator", rec(LevelAdministrator), LevelMonitor, false, nil},
		{"monitor, role manage", rec(LevelManage), LevelMonitor, false, nil},
		{"monitor, role monitor", rec(LevelMonitor, other), LevelMonitor, false, []IntegrationAccess{other}},
		{"monitor, entry monitor", rec("", ia(intX, LevelMonitor)), LevelMonitor, false, []IntegrationAccess{ia(intX, LevelMonitor)}},
		{"monitor, entry manage", rec("", ia(intX, LevelManage)), LevelMonitor, false, []IntegrationAccess{ia(intX, LevelManage)}},
		{"monitor, nothing: appended", rec("", other), LevelMonitor, true, []IntegrationAccess{other, ia(intX, LevelMonitor)}},
		{"monitor, entries elsewhere only", rec("", ia(intY, LevelManage)), LevelMonitor, true,
			[]IntegrationAccess{ia(intY, LevelManage), ia(intX, LevelMonitor)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]IntegrationAccess(nil), tc.u.IntegrationAccessLevel...)
			role := tc.u.AccessLevel
			changed, err := GrantIntegration(tc.u, intX, tc.level)
			if err != nil {
				t.Fatalf("GrantIntegration: %v", err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %t, want %t", changed, tc.changed)
			}
			if tc.changed {
				if !reflect.DeepEqual(tc.u.IntegrationAccessLevel, tc.want) {
					t.Errorf("tc.u.IntegrationAccessLevel = %v, want %v", tc.u.IntegrationAccessLevel, tc.want)
				}
				n := 0
				for _, e := range tc.u.IntegrationAccessLevel {
					if e.IntegrationID == intX {
						n++
					}
				}
				if n != 1 {
					t.Errorf("exactly one entry for the integration: n = %d, want %d", n, 1)
				}
				if got := EffectiveLevel(tc.u, intX); got != tc.level {
					t.Errorf("the grant gives the level: EffectiveLevel(tc.u, intX) = %q, want %q", got, tc.level)
				}
			} else {
				if !reflect.DeepEqual(tc.u.IntegrationAccessLevel, before) {
					t.Errorf("nothing changes when access is already there: tc.u.IntegrationAccessLevel = %v, want %v", tc.u.IntegrationAccessLevel, before)
				}
			}
			if tc.u.AccessLevel != role {
				t.Errorf("the role never changes: tc.u.AccessLevel = %q, want %q", tc.u.AccessLevel, role)
			}
		})
	}

	// The caller's slice is not modified in place (the record may be a shared, cached one).
	shared := []IntegrationAccess{ia(intX, LevelMonitor), ia(intY, LevelMonitor)}
	u := rec("", shared...)
	u.IntegrationAccessLevel = shared
	_, err := GrantIntegration(u, intX, LevelManage)
	if err != nil {
		t.Fatalf("GrantIntegration: %v", err)
	}
	if want := []IntegrationAccess{ia(intX, LevelMonitor), ia(intY, LevelMonitor)}; !reflect.DeepEqual(shared, want) {
		t.Errorf("shared = %v, want %v", shared, want)
	}

	_, err = GrantIntegration(rec(""), intX, LevelAdministrator)
	if err == nil {
		t.Error("GrantIntegration: err = nil, want an error")
	}
	_, err = GrantIntegration(rec(""), intX, "")
	if err == nil {
		t.Error("GrantIntegration: err = nil, want an error")
	}
	_, err = GrantIntegration(rec(""), "", LevelMonitor)
	if err == nil {
		t.Error("GrantIntegration: err = nil, want an error")
	}
}

func TestRevokeIntegration(t *testing.T) {
	other := ia(intY, LevelManage)
	cases := []struct {
		name     string
		u        *User
		level    string
		changed  bool
		roleOnly string // the role a RoleOnlyError names; "" for no error
		want     []IntegrationAccess
	}{
		{"entry at level removed", rec("", ia(intX, LevelManage), other), LevelManage, true, "", []IntegrationAccess{other}},
		{"monitor entry removed", rec("", other, ia(intX, LevelMonitor)), LevelMonitor, true, "", []IntegrationAccess{other}},
		{"entry at the other level kept", rec("", ia(intX, LevelManage), other), LevelMonitor, false, "",
			[]IntegrationAccess{ia(intX, LevelManage), other}},
		{"monitor entry, revoke manage", rec("", ia(intX, LevelMonitor)), LevelManage, false, "", []IntegrationAccess{ia(intX, LevelMonitor)}},
		{"no entry, no role", rec("", other), LevelManage, false, "", []IntegrationAccess{other}},
		{"duplicate entries all removed", rec("", ia(intX, LevelMonitor), other, ia(intX, LevelMonitor)), LevelMonitor, true, "",
			[]IntegrationAccess{other}},
		{"monitor role + monitor entry, revoke monitor", rec(LevelMonitor, ia(intX, LevelMonitor), other), LevelMonitor, true, "",
			[]IntegrationAccess{other}},
		{"monitor role + manage entry, revoke manage", rec(LevelMonitor, ia(intX, LevelManage)), LevelManage, true, "", []IntegrationAccess{}},
		{"monitor role only, revoke monitor", rec(LevelMonitor, other), LevelMonitor, false, LevelMonitor, []IntegrationAccess{other}},
		{"monitor role only, revoke manage", rec(LevelMonitor), LevelManage, false, "", nil},
		{"manage role only, revoke manage", rec(LevelManage), LevelManage, false, LevelManage, nil},
		{"administrator role only, revoke manage", rec(LevelAdministrator), LevelManage, false, LevelAdministrator, nil},
		{"administrator with ignored manage entry, revoke manage", rec(LevelAdministrator, ia(intX, LevelManage)), LevelManage, false,
			LevelAdministrator, []IntegrationAccess{ia(intX, LevelManage)}},
		{"manage with ignored monitor entry, revoke monitor", rec(LevelManage, ia(intX, LevelMonitor)), LevelMonitor, false, "",
			[]IntegrationAccess{ia(intX, LevelMonitor)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			role := tc.u.AccessLevel
			changed, err := RevokeIntegration(tc.u, intX, tc.level)
			if changed != tc.changed {
				t.Errorf("changed = %t, want %t", changed, tc.changed)
			}
			if tc.roleOnly != "" {
				var roe *RoleOnlyError
				if !errors.As(err, &roe) {
					t.Fatalf("want a RoleOnlyError, got %v", err)
				}
				if roe.Role != tc.roleOnly {
					t.Errorf("roe.Role = %q, want %q", roe.Role, tc.roleOnly)
				}
				if roe.IntegrationID != intX {
					t.Errorf("roe.IntegrationID = %q, want %q", roe.IntegrationID, intX)
				}
				if roe.Level != tc.level {
					t.Errorf("roe.Level = %q, want %q", roe.Level, tc.level)
				}
				if !strings.Contains(err.Error(), `"`+tc.roleOnly+`"`) {
					t.Errorf("the message names the role: err = %q, want it to contain %q", err, `"`+tc.roleOnly+`"`)
				}
				if !strings.Contains(err.Error(), intX) {
					t.Errorf("err = %q, want it to contain %q", err, intX)
				}
			} else {
				if err != nil {
					t.Fatalf("RevokeIntegration: %v", err)
				}
			}
			if len(tc.want) == 0 {
				if len(tc.u.IntegrationAccessLevel) != 0 {
					t.Errorf("tc.u.IntegrationAccessLevel = %v, want empty", tc.u.IntegrationAccessLevel)
				}
			} else {
				if !reflect.DeepEqual(tc.u.IntegrationAccessLevel, tc.want) {
					t.Errorf("tc.u.IntegrationAccessLevel = %v, want %v", tc.u.IntegrationAccessLevel, tc.want)
				}
			}
			if tc.u.AccessLevel != role {
				t.Errorf("the role never changes: tc.u.AccessLevel = %q, want %q", tc.u.AccessLevel, role)
			}
		})
	}
	_, err := RevokeIntegration(rec(""), intX, "owner")
	if err == nil {
		t.Error("RevokeIntegration: err = nil, want an error")
	}
}

func TestUnknownRoleValueKeepsEntries(t *testing.T) {
	u := &User{UserSummary: UserSummary{AccessLevel: "tile", IntegrationAccessLevel: []IntegrationAccess{{IntegrationID: "x", AccessLevel: LevelManage}}}}
	if got := EffectiveLevel(u, "x"); got != LevelManage {
		t.Fatalf("entries of an undocumented role value must count: got %q", got)
	}
	if got := EffectiveLevel(u, "y"); got != "" {
		t.Fatalf("an undocumented role value grants nothing by itself: got %q", got)
	}
}

// Revoking a user's last access is refused before any write: Celigo rejects a record with no role and no
// entry, and taking all access away is removing the user, which a revoke never does.
func TestRevokeLastAccessRefused(t *testing.T) {
	cases := []struct {
		name string
		u    *User
		// What is revoked: the role named, or else level on integration.
		role, integration, level string
		refused                  bool
		what                     string // named in the refusal
	}{
		{"the only role, no entries", rec(LevelMonitor), LevelMonitor, "", "", true, `the "monitor" role`},
		{"the only role, administrator", rec(LevelAdministrator), LevelAdministrator, "", "", true, `the "administrator" role`},
		{"the only role, empty entry list", &User{UserSummary: UserSummary{ID: "r1", AccessLevel: LevelManage, IntegrationAccessLevel: []IntegrationAccess{}}},
			LevelManage, "", "", true, `the "manage" role`},
		{"the role, entries stay", rec(LevelManage, ia(intX, LevelMonitor)), LevelManage, "", "", false, ""},
		{"the last entry, no role", rec("", ia(intX, LevelMonitor)), "", intX, LevelMonitor, true, "monitor access to integration " + intX},
		{"the last entries, duplicated, no role", rec("", ia(intX, LevelManage), ia(intX, LevelManage)),
			"", intX, LevelManage, true, "manage access to integration " + intX},
		{"one of two entries, no role", rec("", ia(intX, LevelMonitor), ia(intY, LevelManage)), "", intX, LevelMonitor, false, ""},
		{"the last entry, monitor role stays", rec(LevelMonitor, ia(intX, LevelManage)), "", intX, LevelManage, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := *tc.u
			before.IntegrationAccessLevel = append([]IntegrationAccess(nil), tc.u.IntegrationAccessLevel...)
			var changed bool
			var err error
			if tc.role != "" {
				changed, err = RevokeRole(tc.u, tc.role)
			} else {
				changed, err = RevokeIntegration(tc.u, tc.integration, tc.level)
			}
			if !tc.refused {
				if err != nil {
					t.Fatalf("revoke: %v", err)
				}
				if !changed {
					t.Error("changed is false")
				}
				if !HasAccess(tc.u) {
					t.Error("HasAccess(tc.u) is false")
				}
				return
			}
			var noAccess *NoAccessLeftError
			if !errors.As(err, &noAccess) {
				t.Fatalf("want a NoAccessLeftError, got %v", err)
			}
			if changed {
				t.Error("changed is true")
			}
			if !strings.Contains(err.Error(), tc.what) {
				t.Errorf("err = %q, want it to contain %q", err, tc.what)
			}
			if !strings.Contains(err.Error(), "no access") {
				t.Errorf("err = %q, want it to contain %q", err, "no access")
			}
			if !strings.Contains(err.Error(), "remove the user") {
				t.Errorf("err = %q, want it to contain %q", err, "remove the user")
			}
			if tc.u.AccessLevel != before.AccessLevel {
				t.Errorf("a refused revoke changes nothing: tc.u.AccessLevel = %q, want %q", tc.u.AccessLevel, before.AccessLevel)
			}
			if len(tc.u.IntegrationAccessLevel) != len(before.IntegrationAccessLevel) {
				t.Errorf("a refused revoke changes nothing: len(tc.u.IntegrationAccessLevel) = %d, want %d", len(tc.u.IntegrationAccessLevel), len(before.IntegrationAccessLevel))
			}
		})
	}
}

func TestHasAccess(t *testing.T) {
	if !HasAccess(rec(LevelMonitor)) {
		t.Error("HasAccess(rec(LevelMonitor)) is false")
	}
	if !HasAccess(rec("", ia(intX, LevelMonitor))) {
		t.Error(`HasAccess(rec("", ia(intX, LevelMonitor))) is false`)
	}
	if !HasAccess(rec("tile")) {
		t.Error("an undocumented role value is still a role Celigo stored")
	}
	if HasAccess(rec("")) {
		t.Error(`HasAccess(rec("")) is true`)
	}
	if HasAccess(&User{UserSummary: UserSummary{IntegrationAccessLevel: []IntegrationAccess{}}}) {
		t.Error("HasAccess(...) is true")
	}
}
