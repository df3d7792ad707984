package celigo

import "fmt"

// Account permissions a record grants beyond its role, named by their record fields. Celigo documents
// each as a per-user setting; it does not document that administrators or the owner hold them implicitly.
const (
	PermissionEditRetryData    = "allowToEditRetryData"              // a monitor user may edit retry data (production records)
	PermissionAPIManagement    = "allowAccessToAPIM"                 // the API Management console
	PermissionCreateWorkspaces = "allowIntegrationWorkspaceCreation" // may create integration workspaces
)

// Permissions lists the permission fields, in a stable order.
var Permissions = []string{PermissionEditRetryData, PermissionAPIManagement, PermissionCreateWorkspaces}

// HasPermission reports whether the record's flag for permission is set.
func HasPermission(x *RecordExtras, permission string) bool {
	flag := x.permission(permission)
	return flag != nil && *flag
}

// SetPermission sets or clears one permission flag. It reports false when the record already says so.
func SetPermission(u *User, permission string, allowed bool) (bool, error) {
	flag := u.permission(permission)
	if flag == nil {
		return false, fmt.Errorf("%q is not a Celigo account permission (use %s, %s or %s)",
			permission, PermissionEditRetryData, PermissionAPIManagement, PermissionCreateWorkspaces)
	}
	if *flag == allowed {
		return false, nil
	}
	*flag = allowed
	return true, nil
}

func (x *RecordExtras) permission(name string) *bool {
	switch name {
	case PermissionEditRetryData:
		return &x.AllowToEditRetryData
	case PermissionAPIManagement:
		return &x.AllowAccessToAPIM
	case PermissionCreateWorkspaces:
		return &x.AllowIntegrationWorkspaceCreation
	}
	return nil
}
