package celigo

import (
	"errors"
	"fmt"
	"slices"
)

// Celigo's access rules as pure functions over a record: what a user can do on an integration, and how a
// record must change to grant or revoke something. No HTTP here, so every rule is table-tested.

// Account-wide access levels as the API sends them. The owner is not an ashare; "owner" here is ours.
const (
	LevelOwner         = "owner"
	LevelAdministrator = "administrator"
	LevelManage        = "manage"
	LevelMonitor       = "monitor"
)

// AccountRoles are the account-wide levels a user record can hold (the owner is not a record).
var AccountRoles = []string{LevelAdministrator, LevelManage, LevelMonitor}

// IsAccountRole reports whether level can be set on a record's accessLevel.
func IsAccountRole(level string) bool { return slices.Contains(AccountRoles, level) }

// IsIntegrationLevel reports whether level is valid in integrationAccessLevel.
func IsIntegrationLevel(level string) bool { return level == LevelManage || level == LevelMonitor }

// RoleIntegrationLevel is what an account-wide role gives on every integration ("" for none).
func RoleIntegrationLevel(role string) string {
	switch role {
	case LevelOwner, LevelAdministrator, LevelManage:
		return LevelManage
	case LevelMonitor:
		return LevelMonitor
	}
	return ""
}

// EntriesHonoured reports whether Celigo looks at integrationAccessLevel for this role: it ignores the
// entries of administrators and managers (they already manage everything).
//
// A value the API is not documented to send (the web UI shows "tile" for integration-only users) is treated
// like no role: the entries are then the user's only access, and hiding them would hide access.
func EntriesHonoured(role string) bool {
	return role != LevelAdministrator && role != LevelManage && role != LevelOwner
}

// DirectAccess is the integration access a record grants through its own entries, as Celigo honours them:
// integration id → highest level listed. Empty for administrators and managers.
func DirectAccess(u *User) map[string]string {
	return DirectEntries(u.AccessLevel, u.IntegrationAccessLevel)
}

// DirectEntries is DirectAccess for a record's role and entries, however the record was read.
func DirectEntries(role string, entries []IntegrationAccess) map[string]string {
	if !EntriesHonoured(role) || len(entries) == 0 {
		return nil
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		if e.IntegrationID == "" || !IsIntegrationLevel(e.AccessLevel) {
			continue
		}
		out[e.IntegrationID] = higher(out[e.IntegrationID], e.AccessLevel)
	}
	return out
}

// EffectiveLevel is Celigo's rule for one user on one integration: "manage", "monitor" or "".
func EffectiveLevel(u *User, integrationID string) string {
	return higher(RoleIntegrationLevel(u.AccessLevel), DirectAccess(u)[integrationID])
}

func higher(a, b string) string {
	if a == LevelManage || b == LevelManage {
		return LevelManage
	}
	if a == LevelMonitor || b == LevelMonitor {
		return LevelMonitor
	}
	return ""
}

// ErrOwnership is returned for any change to the account owner or the owner role.
var ErrOwnership = errors.New("account ownership can only be transferred in Celigo itself (Account settings), not through the API")

// RoleOnlyError says access cannot be revoked here because it comes from the account-wide role.
type RoleOnlyError struct {
	Role, IntegrationID, Level string
}

func (e *RoleOnlyError) Error() string {
	return fmt.Sprintf("%s access to integration %s comes from the user's account-wide role %q, not from an integration entry: revoke the %q role instead",
		e.Level, e.IntegrationID, e.Role, e.Role)
}

// NoAccessLeftError refuses a change that would leave a record with no account role and no integration entry.
// Celigo rejects such a record (422), and taking away all of a user's access is removing the user, a
// different request with a different meaning: a revoke never removes an account.
type NoAccessLeftError struct {
	What string // the change refused, e.g. `the "monitor" role`
}

func (e *NoAccessLeftError) Error() string {
	return fmt.Sprintf("revoking %s would leave the user with no access in Celigo (no account role and no integration access), which Celigo does not allow: to take away all of a user's access, remove the user (delete the account) instead",
		e.What)
}

// HasAccess reports whether a record keeps some access Celigo accepts on a PUT: an account role or at least
// one integration entry.
func HasAccess(u *User) bool { return u.AccessLevel != "" || len(u.IntegrationAccessLevel) > 0 }

// GrantRole sets the account-wide role, replacing another. It reports false when the record already has it.
func GrantRole(u *User, role string) (bool, error) {
	if role == LevelOwner {
		return false, ErrOwnership
	}
	if !IsAccountRole(role) {
		return false, fmt.Errorf("%q is not a Celigo account role (use administrator, manage or monitor)", role)
	}
	if u.AccessLevel == role {
		return false, nil
	}
	u.AccessLevel = role
	return true, nil
}

// RevokeRole removes the account-wide role if it is role; integration entries stay. A user with no entry
// would be left with no access: that is a NoAccessLeftError.
func RevokeRole(u *User, role string) (bool, error) {
	if role == LevelOwner {
		return false, ErrOwnership
	}
	if !IsAccountRole(role) {
		return false, fmt.Errorf("%q is not a Celigo account role (use administrator, manage or monitor)", role)
	}
	if u.AccessLevel != role {
		return false, nil
	}
	if len(u.IntegrationAccessLevel) == 0 {
		return false, &NoAccessLeftError{What: fmt.Sprintf("the %q role", role)}
	}
	u.AccessLevel = ""
	return true, nil
}

// GrantIntegration gives level on one integration through an entry, unless the user already has it.
func GrantIntegration(u *User, integrationID, level string) (bool, error) {
	if !IsIntegrationLevel(level) {
		return false, fmt.Errorf("%q is not an integration access level (use manage or monitor)", level)
	}
	if integrationID == "" {
		return false, errors.New("integration id is empty")
	}
	have := EffectiveLevel(u, integrationID)
	if have == LevelManage || have == level {
		return false, nil
	}
	// Upsert: drop any entry for this integration, then add the wanted one.
	u.IntegrationAccessLevel = slices.DeleteFunc(slices.Clone(u.IntegrationAccessLevel), func(e IntegrationAccess) bool {
		return e.IntegrationID == integrationID
	})
	u.IntegrationAccessLevel = append(u.IntegrationAccessLevel, IntegrationAccess{IntegrationID: integrationID, AccessLevel: level})
	return true, nil
}

// RevokeIntegration removes the user's entry for integrationID at level. Access that only comes from the
// account-wide role cannot be taken away here: that is a RoleOnlyError. Removing the last entry of a user
// with no role would leave no access: that is a NoAccessLeftError.
func RevokeIntegration(u *User, integrationID, level string) (bool, error) {
	if !IsIntegrationLevel(level) {
		return false, fmt.Errorf("%q is not an integration access level (use manage or monitor)", level)
	}
	if EntriesHonoured(u.AccessLevel) {
		n := len(u.IntegrationAccessLevel)
		kept := slices.DeleteFunc(slices.Clone(u.IntegrationAccessLevel), func(e IntegrationAccess) bool {
			return e.IntegrationID == integrationID && e.AccessLevel == level
		})
		if len(kept) != n {
			if u.AccessLevel == "" && len(kept) == 0 {
				return false, &NoAccessLeftError{What: fmt.Sprintf("%s access to integration %s", level, integrationID)}
			}
			u.IntegrationAccessLevel = kept
			return true, nil
		}
	}
	if RoleIntegrationLevel(u.AccessLevel) == level {
		return false, &RoleOnlyError{Role: u.AccessLevel, IntegrationID: integrationID, Level: level}
	}
	return false, nil
}
