package celigo

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			assert.Equal(t, tc.want, EffectiveLevel(tc.u, intX))
		})
	}
}

func TestRoleHelpers(t *testing.T) {
	assert.Equal(t, LevelManage, RoleIntegrationLevel(LevelOwner))
	assert.Equal(t, LevelManage, RoleIntegrationLevel(LevelAdministrator))
	assert.Equal(t, LevelManage, RoleIntegrationLevel(LevelManage))
	assert.Equal(t, LevelMonitor, RoleIntegrationLevel(LevelMonitor))
	assert.Equal(t, "", RoleIntegrationLevel(""))
	assert.Equal(t, "", RoleIntegrationLevel("tile"))
	for _, r := range []string{LevelAdministrator, LevelManage, LevelMonitor} {
		assert.True(t, IsAccountRole(r), r)
	}
	for _, r := range []string{"", LevelOwner, "tile", "Manage"} {
		assert.False(t, IsAccountRole(r), r)
	}
	assert.True(t, IsIntegrationLevel(LevelManage))
	assert.True(t, IsIntegrationLevel(LevelMonitor))
	assert.False(t, IsIntegrationLevel(LevelAdministrator))
	assert.False(t, IsIntegrationLevel(""))
	assert.True(t, EntriesHonoured(""))
	assert.True(t, EntriesHonoured(LevelMonitor))
	assert.False(t, EntriesHonoured(LevelManage))
	assert.False(t, EntriesHonoured(LevelAdministrator))
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
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, got)
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
			assert.Equal(t, tc.changed, changed)
			if tc.err {
				require.Error(t, err)
				if tc.errIs != nil {
					assert.True(t, errors.Is(err, tc.errIs), "%v", err)
				}
				assert.Equal(t, tc.from, u.AccessLevel, "a refused grant changes nothing")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.role, u.AccessLevel)
			}
			assert.Equal(t, entries, u.IntegrationAccessLevel, "entries are untouched")
		})
	}
	err := func() error { _, err := GrantRole(rec(""), "tile"); return err }()
	assert.Contains(t, err.Error(), "administrator")
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
			assert.Equal(t, tc.changed, changed)
			if tc.err {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.after, u.AccessLevel)
			assert.Equal(t, entries, u.IntegrationAccessLevel, "entries are kept")
		})
	}
	_, err := RevokeRole(rec(LevelAdministrator), LevelOwner)
	assert.ErrorIs(t, err, ErrOwnership)
	assert.Contains(t, err.Error(), "Celigo")
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
			require.NoError(t, err)
			assert.Equal(t, tc.changed, changed)
			if tc.changed {
				assert.Equal(t, tc.want, tc.u.IntegrationAccessLevel)
				n := 0
				for _, e := range tc.u.IntegrationAccessLevel {
					if e.IntegrationID == intX {
						n++
					}
				}
				assert.Equal(t, 1, n, "exactly one entry for the integration")
				assert.Equal(t, tc.level, EffectiveLevel(tc.u, intX), "the grant gives the level")
			} else {
				assert.Equal(t, before, tc.u.IntegrationAccessLevel, "nothing changes when access is already there")
			}
			assert.Equal(t, role, tc.u.AccessLevel, "the role never changes")
		})
	}

	// The caller's slice is not modified in place (the record may be a shared, cached one).
	shared := []IntegrationAccess{ia(intX, LevelMonitor), ia(intY, LevelMonitor)}
	u := rec("", shared...)
	u.IntegrationAccessLevel = shared
	_, err := GrantIntegration(u, intX, LevelManage)
	require.NoError(t, err)
	assert.Equal(t, []IntegrationAccess{ia(intX, LevelMonitor), ia(intY, LevelMonitor)}, shared)

	_, err = GrantIntegration(rec(""), intX, LevelAdministrator)
	assert.Error(t, err)
	_, err = GrantIntegration(rec(""), intX, "")
	assert.Error(t, err)
	_, err = GrantIntegration(rec(""), "", LevelMonitor)
	assert.Error(t, err)
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
			assert.Equal(t, tc.changed, changed)
			if tc.roleOnly != "" {
				var roe *RoleOnlyError
				require.True(t, errors.As(err, &roe), "want a RoleOnlyError, got %v", err)
				assert.Equal(t, tc.roleOnly, roe.Role)
				assert.Equal(t, intX, roe.IntegrationID)
				assert.Equal(t, tc.level, roe.Level)
				assert.Contains(t, err.Error(), `"`+tc.roleOnly+`"`, "the message names the role")
				assert.Contains(t, err.Error(), intX)
			} else {
				require.NoError(t, err)
			}
			if len(tc.want) == 0 {
				assert.Empty(t, tc.u.IntegrationAccessLevel)
			} else {
				assert.Equal(t, tc.want, tc.u.IntegrationAccessLevel)
			}
			assert.Equal(t, role, tc.u.AccessLevel, "the role never changes")
		})
	}
	_, err := RevokeIntegration(rec(""), intX, "owner")
	assert.Error(t, err)
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
				require.NoError(t, err)
				assert.True(t, changed)
				assert.True(t, HasAccess(tc.u))
				return
			}
			var noAccess *NoAccessLeftError
			require.True(t, errors.As(err, &noAccess), "want a NoAccessLeftError, got %v", err)
			assert.False(t, changed)
			assert.Contains(t, err.Error(), tc.what)
			assert.Contains(t, err.Error(), "no access")
			assert.Contains(t, err.Error(), "remove the user")
			assert.Equal(t, before.AccessLevel, tc.u.AccessLevel, "a refused revoke changes nothing")
			assert.Equal(t, len(before.IntegrationAccessLevel), len(tc.u.IntegrationAccessLevel), "a refused revoke changes nothing")
		})
	}
}

func TestHasAccess(t *testing.T) {
	assert.True(t, HasAccess(rec(LevelMonitor)))
	assert.True(t, HasAccess(rec("", ia(intX, LevelMonitor))))
	assert.True(t, HasAccess(rec("tile")), "an undocumented role value is still a role Celigo stored")
	assert.False(t, HasAccess(rec("")))
	assert.False(t, HasAccess(&User{UserSummary: UserSummary{IntegrationAccessLevel: []IntegrationAccess{}}}))
}
