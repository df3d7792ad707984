package connector

import (
	"context"
	"net/http"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// userBuilder syncs people: one per access record, plus the account owner when the token can see it.
type userBuilder struct {
	conn *Connector
}

func (b *userBuilder) ResourceType(_ context.Context) *v2.ResourceType { return userResourceType }

// List serves one part of a page of access records (a page too large for one answer takes several calls,
// read from Celigo once). The end of the list also yields the account owner, which Celigo does not list: it
// is known only once every record has been seen.
func (b *userBuilder) List(ctx context.Context, _ *v2.ResourceId, opts rs.SyncOpAttrs) ([]*v2.Resource, *rs.SyncOpResults, error) {
	ctx, waits := watchRateLimitWaits(ctx)
	part, err := serveList(ctx, b.conn, opts, b.conn.users(opts).listed(userKey, describeUserOrFail))
	if err != nil {
		return nil, nil, err
	}
	if part.end {
		users, err := b.conn.walkedUsers(ctx, opts)
		if err != nil {
			return nil, nil, err
		}
		owner, err := b.conn.ownerResource(ctx, users)
		if err != nil {
			return nil, nil, err
		}
		if owner != nil {
			part.resources = append(part.resources, owner)
		}
	}
	return part.resources, waits.results(part.next), nil
}

func userKey(u *celigo.UserSummary) string { return u.ID }

func describeUserOrFail(u *celigo.UserSummary) (*v2.Resource, error) {
	r, err := describeUser(u)
	return r, wrapErr(err, "describe user "+u.ID)
}

func (b *userBuilder) Entitlements(_ context.Context, _ *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Entitlement, *rs.SyncOpResults, error) {
	return nil, &rs.SyncOpResults{}, nil
}

func (b *userBuilder) Grants(_ context.Context, _ *v2.Resource, _ rs.SyncOpAttrs) ([]*v2.Grant, *rs.SyncOpResults, error) {
	return nil, &rs.SyncOpResults{}, nil
}

// Get reads one user for a targeted sync: an access record by id, or the owner by its user id.
func (b *userBuilder) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	u, err := b.conn.client.GetUser(ctx, id.GetResource())
	if err == nil {
		r, err := userResource(u)
		return r, nil, wrapErr(err, "describe user "+u.ID)
	}
	if !celigo.IsStatus(err, http.StatusNotFound) {
		return nil, nil, wrapErr(err, "get user "+id.GetResource())
	}
	ti, tiErr := b.conn.token(ctx)
	if tiErr != nil || ti.UserID != id.GetResource() {
		return nil, nil, wrapErr(err, "get user "+id.GetResource())
	}
	users, err := b.conn.readAllUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	owner, err := b.conn.ownerResource(ctx, users)
	if err != nil {
		return nil, nil, err
	}
	if owner == nil {
		return nil, nil, status.Errorf(codes.NotFound, "baton-celigo: user %s not found", id.GetResource())
	}
	return owner, nil, nil
}

// userResource describes one access record read whole.
func userResource(u *celigo.User) (*v2.Resource, error) { return describeUser(u.Summary()) }

// describeUser describes one access record.
func describeUser(u *celigo.UserSummary) (*v2.Resource, error) {
	email := u.SharedWithUser.Email
	name := u.SharedWithUser.Name
	if name == "" {
		name = email
	}
	if name == "" {
		name = u.ID
	}
	st, details := userStatus(u)

	traits := []rs.UserTraitOption{
		// The trait's own status is deprecated in favour of the resource's, but C1 and older readers still
		// look at it; without this it would say ENABLED for everyone.
		rs.WithDetailedStatus(v2.UserTrait_Status_Status(st), details), //nolint:staticcheck // see above
		rs.WithAccountType(v2.UserTrait_ACCOUNT_TYPE_HUMAN),
		rs.WithMFAStatus(v2.UserTrait_MFAStatus_builder{MfaEnabled: u.AccountMFARequired}.Build()),
		rs.WithSSOStatus(v2.UserTrait_SSOStatus_builder{SsoEnabled: u.SharedWithUser.AccountSSOLinked == "this_account"}.Build()),
	}
	if email != "" {
		traits = append(traits, rs.WithEmail(email, true), rs.WithUserLogin(email))
	}
	if !u.LastSignIn.IsZero() { // this account's, not sharedWithUser's (any account)
		traits = append(traits, rs.WithLastLogin(u.LastSignIn.Time))
	}
	opts := []rs.ResourceOption{
		rs.WithExternalID(v2.ExternalId_builder{Id: u.ID}.Build()),
		rs.WithResourceStatus(st, details),
		rs.WithResourceProfile(userProfile(u, st, details)),
	}
	if !u.CreatedAt.IsZero() {
		opts = append(opts, rs.WithResourceCreatedAt(u.CreatedAt.Time))
	}
	return rs.NewUserResource(name, userResourceType, u.ID, traits, opts...)
}

// userStatus: a disabled user cannot sign in; a declined invitation gives no access either; a pending one
// takes a seat and can be accepted at any moment, which is what the SDK's PENDING means ("an invitation
// that has not been accepted"). The user-trait status has the same numbers (checked in a test).
func userStatus(u *celigo.UserSummary) (v2.Status_ResourceStatus, string) {
	switch {
	case u.Disabled:
		return v2.Status_RESOURCE_STATUS_DISABLED, "disabled in Celigo"
	case u.Dismissed:
		return v2.Status_RESOURCE_STATUS_DISABLED, "invitation declined"
	case u.IsPending():
		return v2.Status_RESOURCE_STATUS_PENDING, "invitation pending"
	}
	return v2.Status_RESOURCE_STATUS_ENABLED, ""
}

// Invitation states, as the user profile's "invitation" key spells them.
const (
	invitationPending  = "pending"
	invitationDeclined = "declined"
	invitationAccepted = "accepted"
)

func invitationState(u *celigo.UserSummary) string {
	switch {
	case u.Dismissed:
		return invitationDeclined
	case u.IsPending():
		return invitationPending
	}
	return invitationAccepted
}

// userProfileKeys are the keys of every user's profile, the account owner's included: C1 policies rely on them.
var userProfileKeys = []string{"email", "name", "user_id", "access_record_id", "access_level", "integration_count",
	"invitation", "disabled", "status", "mfa_required", "sso_required", "sso_linked", "is_owner",
	"created_via", "last_sign_in", "last_sign_in_anywhere"}

// userProfile has the same keys for every user (userProfileKeys) so C1 policies can rely on them.
func userProfile(u *celigo.UserSummary, st v2.Status_ResourceStatus, details string) map[string]any {
	accessLevel := u.AccessLevel
	if accessLevel == "" {
		accessLevel = "none"
	}
	return map[string]any{
		"email":             u.SharedWithUser.Email,
		"name":              u.SharedWithUser.Name,
		"user_id":           u.SharedWithUser.ID,
		"access_record_id":  u.ID,
		"access_level":      accessLevel,
		"integration_count": float64(len(u.IntegrationAccessLevel)),
		"invitation":        invitationState(u),
		"disabled":          u.Disabled,
		"status":            statusName(st, details),
		"mfa_required":      u.AccountMFARequired,
		"sso_required":      u.AccountSSORequired,
		"sso_linked":        u.SharedWithUser.AccountSSOLinked,
		"is_owner":          false,
		// How they joined, as Celigo spells it (an undocumented value is kept as is), and their last sign-in
		// to this account apart from their last sign-in to any Celigo account; "" when unknown.
		"created_via":           string(u.CreatedVia),
		"last_sign_in":          profileTime(u.LastSignIn),
		"last_sign_in_anywhere": profileTime(u.SharedWithUser.LastSignIn),
	}
}

// profileTime is a time as profile text, written as Celigo writes times (RFC 3339, UTC, milliseconds), ""
// when unknown.
func profileTime(t celigo.Timestamp) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func statusName(st v2.Status_ResourceStatus, details string) string {
	if details != "" {
		return details
	}
	if st == v2.Status_RESOURCE_STATUS_DISABLED {
		return "disabled"
	}
	return "active"
}

// ownerUserID returns the account owner's user id when the token is the owner's, else "". Celigo does not
// list the owner among access records, so the token's user is the owner exactly when no record is theirs.
func (c *Connector) ownerUserID(ctx context.Context, users []userAccess) (string, error) {
	ti, err := c.token(ctx)
	if err != nil {
		return "", wrapErr(err, "read token info")
	}
	for _, u := range users {
		if u.personID == ti.UserID {
			c.ownerHiddenOnce.Do(func() {
				logger(ctx).Warn("baton-celigo: the access token belongs to a user who is not the account owner; "+
					"Celigo's API does not list the owner, so the owner will be missing from this sync. Use a token created by the owner to include it.",
					zap.String("token_user_access_record_id", u.recordID))
			})
			return "", nil
		}
	}
	return ti.UserID, nil
}

// ownerResource describes the account owner, or returns nil when the token cannot see it.
func (c *Connector) ownerResource(ctx context.Context, users []userAccess) (*v2.Resource, error) {
	ownerID, err := c.ownerUserID(ctx, users)
	if err != nil || ownerID == "" {
		return nil, err
	}
	name, email, profileName := "Account owner", "", ""
	p, err := c.client.Profile(ctx)
	switch {
	case err == nil:
		email, profileName = p.Email, p.Name
		if p.Name != "" {
			name = p.Name
		} else if p.Email != "" {
			name = p.Email
		}
	case celigo.IsStatus(err, http.StatusForbidden) || celigo.IsStatus(err, http.StatusNotFound) || celigo.IsStatus(err, http.StatusUnauthorized):
		logger(ctx).Warn("baton-celigo: Celigo refused the token's profile; the account owner is named \"Account owner\"", zap.Error(err))
	default:
		return nil, wrapErr(err, "read the owner's profile")
	}
	traits := []rs.UserTraitOption{rs.WithAccountType(v2.UserTrait_ACCOUNT_TYPE_HUMAN)}
	if email != "" {
		traits = append(traits, rs.WithEmail(email, true), rs.WithUserLogin(email))
	}
	return rs.NewUserResource(name, userResourceType, ownerID, traits,
		rs.WithExternalID(v2.ExternalId_builder{Id: ownerID}.Build()),
		rs.WithResourceStatus(v2.Status_RESOURCE_STATUS_ENABLED, "account owner"),
		rs.WithResourceProfile(map[string]any{
			"email": email, "name": profileName, "user_id": ownerID, "access_record_id": "",
			"access_level": celigo.LevelOwner, "integration_count": float64(0), "invitation": invitationAccepted,
			"disabled": false, "status": "active", "mfa_required": false, "sso_required": false,
			"sso_linked": "", "is_owner": true, "created_via": "", "last_sign_in": "", "last_sign_in_anywhere": "",
		}),
	)
}

// eachUserPage walks every page of users outside the sync's walk (targeted reads, invitations), stopping
// early when fn says so.
func (c *Connector) eachUserPage(ctx context.Context, fn func([]*celigo.UserSummary) (stop bool)) error {
	return eachPage(ctx, "users", c.client.ListUsers, fn)
}

// readAllUsers is what grants need of every user, read now.
func (c *Connector) readAllUsers(ctx context.Context) ([]userAccess, error) {
	var out []userAccess
	err := c.eachUserPage(ctx, func(page []*celigo.UserSummary) bool {
		out = append(out, accessOfAll(page)...)
		return false
	})
	return out, err
}
