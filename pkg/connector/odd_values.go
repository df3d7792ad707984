package connector

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// oddValues logs, once per sync and value, values Celigo is not documented to send, with what the connector
// made of them: an access value changes what the sync reports (a warning), an informative one (createdVia)
// is kept as is (an info line); neither is passed over in silence.
// Values are compared as Celigo sends them: "Manage" is not "manage".
type oddValues struct {
	mu     sync.Mutex
	syncID string
	seen   map[string]bool
}

// first reports whether key is new in syncID, and remembers it.
func (o *oddValues) first(syncID, key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.syncID != syncID || o.seen == nil {
		o.syncID, o.seen = syncID, map[string]bool{}
	}
	if o.seen[key] {
		return false
	}
	o.seen[key] = true
	return true
}

func (o *oddValues) noteUsers(ctx context.Context, syncID string, users []*celigo.UserSummary) {
	for _, u := range users {
		if u.CreatedVia != "" && !u.CreatedVia.Documented() && o.first(syncID, "via\x00"+string(u.CreatedVia)) {
			logger(ctx).Info("baton-celigo: a user's createdVia is not one Celigo documents (existing_account_invite, existing_account_share_request, invited_during_signup, new_account_auto_join)",
				zap.String("created_via", string(u.CreatedVia)), zap.String("treated_as", "kept as is in the profile's created_via; it grants nothing"),
				zap.String("example_access_record_id", u.ID))
		}
		if u.AccessLevel != "" && !celigo.IsAccountRole(u.AccessLevel) && o.first(syncID, "role\x00"+u.AccessLevel) {
			logger(ctx).Warn("baton-celigo: a user's accessLevel is not one Celigo documents (administrator, manage, monitor; lower case)",
				zap.String("access_level", u.AccessLevel), zap.String("treated_as", roleTreatment(u.AccessLevel)),
				zap.String("example_access_record_id", u.ID))
		}
		for _, scope := range celigo.UnknownMCPScopes(&u.RecordExtras) {
			if o.first(syncID, "mcpscope\x00"+scope) {
				logger(ctx).Warn("baton-celigo: an MCP server entry lists a scope Celigo does not document (mcp:read, mcp:write)",
					zap.String("scope", scope), zap.String("treated_as", "no access from this scope; the entry's other scopes count"),
					zap.String("example_access_record_id", u.ID))
			}
		}
		if !celigo.EntriesHonoured(u.AccessLevel) {
			continue // Celigo ignores these entries whatever they hold
		}
		for _, e := range u.IntegrationAccessLevel {
			switch {
			case e.IntegrationID == "" && o.first(syncID, "noid"):
				logger(ctx).Warn("baton-celigo: an integration entry has no _integrationId",
					zap.String("treated_as", "no access: it names no integration"), zap.String("example_access_record_id", u.ID))
			case e.IntegrationID != "" && !celigo.IsIntegrationLevel(e.AccessLevel) && o.first(syncID, "entry\x00"+e.AccessLevel):
				logger(ctx).Warn("baton-celigo: an integration entry's accessLevel is not one Celigo documents (manage, monitor; lower case)",
					zap.String("access_level", e.AccessLevel), zap.String("treated_as", "no access to that integration from this entry"),
					zap.String("example_access_record_id", u.ID), zap.String("integration_id", e.IntegrationID))
			}
		}
	}
}

// roleTreatment says what the access rules make of an account-wide level they do not know.
func roleTreatment(level string) string {
	if celigo.EntriesHonoured(level) {
		return "no role; the user's integration entries count, as for a user without a role"
	}
	return "no role; the user's integration entries are ignored"
}
