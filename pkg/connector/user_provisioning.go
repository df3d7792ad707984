package connector

import (
	"context"
	"net/http"
	"net/mail"
	"strings"

	configv1 "github.com/conductorone/baton-sdk/pb/c1/config/v1"
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/actions"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

const (
	profileEmail       = "email"
	profileAccessLevel = "access_level"

	actionDisableUser = "disable_user"
	actionEnableUser  = "enable_user"
	argUserID         = "user_id"
)

// accountCreationSchema is the form C1 shows for a new Celigo user: Celigo invites by email.
func accountCreationSchema() *v2.ConnectorAccountCreationSchema {
	return v2.ConnectorAccountCreationSchema_builder{
		FieldMap: map[string]*v2.ConnectorAccountCreationSchema_Field{
			profileEmail: v2.ConnectorAccountCreationSchema_Field_builder{
				DisplayName: "Email",
				Required:    true,
				Description: "Celigo emails an invitation to this address; the user appears as pending until it is accepted.",
				Placeholder: "jane@example.com",
				Order:       1,
				StringField: &v2.ConnectorAccountCreationSchema_StringField{},
			}.Build(),
			profileAccessLevel: v2.ConnectorAccountCreationSchema_Field_builder{
				DisplayName: "Account role",
				Required:    false,
				Description: "Optional account-wide role: administrator, manage or monitor. Leave empty to grant integrations one by one.",
				Placeholder: "monitor",
				Order:       2,
				StringField: &v2.ConnectorAccountCreationSchema_StringField{},
			}.Build(),
		},
	}.Build()
}

// CreateAccountCapabilityDetails: Celigo sets no password; the invitee chooses one (or signs in with SSO).
func (b *userBuilder) CreateAccountCapabilityDetails(_ context.Context) (*v2.CredentialDetailsAccountProvisioning, annotations.Annotations, error) {
	return v2.CredentialDetailsAccountProvisioning_builder{
		SupportedCredentialOptions: []v2.CapabilityDetailCredentialOption{v2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD},
		PreferredCredentialOption:  v2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD,
	}.Build(), nil, nil
}

// CreateAccount invites a user. Credential options are ignored: Celigo never takes a password from us.
// An address that already has access yields AlreadyExists with the existing user.
func (b *userBuilder) CreateAccount(ctx context.Context, info *v2.AccountInfo, _ *v2.LocalCredentialOptions) (resp connectorbuilder.CreateAccountResponse, _ []*v2.PlaintextData, _ annotations.Annotations, err error) {
	defer func() { logCreateAccount(ctx, info, resp, err) }()
	email, level, err := invitationFrom(info)
	if err != nil {
		return nil, nil, nil, err
	}
	created, err := b.conn.client.Invite(ctx, celigo.Invitation{Email: email, AccessLevel: level})
	switch {
	case err == nil:
	case celigo.IsStatus(err, http.StatusConflict) || celigo.IsStatus(err, http.StatusBadRequest):
		existing, findErr := b.conn.findUserByEmail(ctx, email)
		if findErr != nil {
			return nil, nil, nil, findErr
		}
		if existing == nil {
			return nil, nil, nil, wrapErr(err, "invite "+email) // a 400 that is not a duplicate
		}
		return v2.CreateAccountResponse_AlreadyExistsResult_builder{Resource: existing, IsCreateAccountResult: true}.Build(), nil, nil, nil
	default:
		return nil, nil, nil, wrapErr(err, "invite "+email)
	}
	if created == nil {
		// Celigo answered without the record: find it, so C1 learns the new user's id now.
		r, err := b.conn.findUserByEmail(ctx, email)
		if err != nil {
			return nil, nil, nil, err
		}
		if r == nil {
			return nil, nil, nil, status.Errorf(codes.Unknown, "baton-celigo: invited %s but the new user does not appear in Celigo's user list", email)
		}
		return v2.CreateAccountResponse_SuccessResult_builder{Resource: r, IsCreateAccountResult: true}.Build(), nil, nil, nil
	}
	r, err := userResource(created)
	if err != nil {
		return nil, nil, nil, err
	}
	return v2.CreateAccountResponse_SuccessResult_builder{Resource: r, IsCreateAccountResult: true}.Build(), nil, nil, nil
}

// invitationFrom reads and checks the email and optional role of a create-account request.
func invitationFrom(info *v2.AccountInfo) (string, string, error) {
	profile := info.GetProfile().AsMap()
	email, _ := profile[profileEmail].(string)
	if email == "" {
		for _, e := range info.GetEmails() {
			if email == "" || e.GetIsPrimary() {
				email = e.GetAddress()
			}
		}
	}
	if email == "" && strings.Contains(info.GetLogin(), "@") {
		email = info.GetLogin()
	}
	email = strings.TrimSpace(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return "", "", status.Errorf(codes.InvalidArgument, "baton-celigo: create account needs a valid email address (profile field %q), got %q", profileEmail, email)
	}
	level, _ := profile[profileAccessLevel].(string)
	level = strings.ToLower(strings.TrimSpace(level))
	if level == "none" {
		level = ""
	}
	if level == celigo.LevelOwner {
		return "", "", status.Errorf(codes.FailedPrecondition, "baton-celigo: cannot invite an owner: %v", celigo.ErrOwnership)
	}
	if level != "" && !celigo.IsAccountRole(level) {
		return "", "", status.Errorf(codes.InvalidArgument, "baton-celigo: %s %q is not a Celigo account role: use administrator, manage, monitor or leave it empty", profileAccessLevel, level)
	}
	return email, level, nil
}

// findUserByEmail walks the users for one address (case-insensitive); nil when nobody has it.
func (c *Connector) findUserByEmail(ctx context.Context, email string) (*v2.Resource, error) {
	var found *celigo.User
	err := c.eachUserPage(ctx, func(page []*celigo.User) bool {
		for _, u := range page {
			if strings.EqualFold(u.SharedWithUser.Email, email) {
				found = u
				return true
			}
		}
		return false
	})
	if err != nil || found == nil {
		return nil, err
	}
	return userResource(found)
}

// Delete removes a user's access record. Already gone is success; the owner and the token's own user are
// refused (the first cannot be removed, the second would cut the connector off).
func (b *userBuilder) Delete(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (_ annotations.Annotations, err error) {
	alreadyGone := false
	defer func() { logDelete(ctx, id, alreadyGone, err) }()
	recordID, err := principalUser(id)
	if err != nil {
		return nil, err
	}
	if err := b.conn.refuseOwner(ctx, recordID); err != nil {
		return nil, err
	}
	u, err := b.conn.client.GetUser(ctx, recordID)
	switch {
	case celigo.IsStatus(err, http.StatusNotFound):
		alreadyGone = true
		return nil, nil
	case err != nil:
		return nil, wrapErr(err, "read user "+recordID)
	}
	if ti, err := b.conn.token(ctx); err == nil && u.SharedWithUser.ID == ti.UserID {
		return nil, status.Errorf(codes.FailedPrecondition,
			"baton-celigo: refusing to delete user %s: it is the user the access token belongs to, and the connector would lose access", recordID)
	}
	if err := b.conn.client.DeleteUser(ctx, recordID); err != nil && !celigo.IsStatus(err, http.StatusNotFound) {
		return nil, wrapErr(err, "delete user "+recordID)
	}
	return nil, nil
}

// userIDArgument is the action's user. It keeps the name user_id, which callers already send, but takes the
// user's resource id — the Celigo access record id — not the person's Celigo user id.
func userIDArgument(description string) *configv1.Field {
	return configv1.Field_builder{
		Name:        argUserID,
		DisplayName: "User (access record id)",
		Description: description + " Its resource id in the sync, which is the Celigo access record id (`baton resources -t user` lists it), not the person's Celigo user id.",
		IsRequired:  true,
		ResourceIdField: configv1.ResourceIdField_builder{
			Rules: configv1.ResourceIDRules_builder{AllowedResourceTypeIds: []string{userTypeID}}.Build(),
		}.Build(),
	}.Build()
}

var successReturn = []*configv1.Field{
	configv1.Field_builder{Name: "success", DisplayName: "Success", BoolField: &configv1.BoolField{}}.Build(),
}

// ResourceActions registers disable and enable, the SDK's account actions.
func (b *userBuilder) ResourceActions(ctx context.Context, registry actions.ActionRegistry) error {
	disable := v2.BatonActionSchema_builder{
		Name:        actionDisableUser,
		DisplayName: "Disable user",
		Description: "Blocks the user from signing in to Celigo; their roles and integration access are kept.",
		Arguments:   []*configv1.Field{userIDArgument("The Celigo user to disable.")},
		ReturnTypes: successReturn,
		ActionType:  []v2.ActionType{v2.ActionType_ACTION_TYPE_ACCOUNT_DISABLE},
	}.Build()
	enable := v2.BatonActionSchema_builder{
		Name:        actionEnableUser,
		DisplayName: "Enable user",
		Description: "Lets a disabled user sign in to Celigo again.",
		Arguments:   []*configv1.Field{userIDArgument("The Celigo user to enable.")},
		ReturnTypes: successReturn,
		ActionType:  []v2.ActionType{v2.ActionType_ACTION_TYPE_ACCOUNT_ENABLE},
	}.Build()
	if err := registry.Register(ctx, disable, b.setDisabledAction(true)); err != nil {
		return err
	}
	return registry.Register(ctx, enable, b.setDisabledAction(false))
}

func (b *userBuilder) setDisabledAction(disabled bool) actions.ActionHandler {
	return func(ctx context.Context, args *structpb.Struct) (_ *structpb.Struct, _ annotations.Annotations, err error) {
		id, changed := "", false
		defer func() { logSetDisabled(ctx, id, disabled, changed, err) }()
		if id, err = userIDFromArgs(args); err != nil {
			return nil, nil, err
		}
		if changed, err = b.conn.setDisabled(ctx, id, disabled); err != nil {
			return nil, nil, err
		}
		return &structpb.Struct{Fields: map[string]*structpb.Value{"success": structpb.NewBoolValue(true)}}, nil, nil
	}
}

// userIDFromArgs accepts the user as a resource id (what C1 sends) or a plain string (handy on the CLI).
func userIDFromArgs(args *structpb.Struct) (string, error) {
	if rid, ok := actions.GetResourceIDArg(args, argUserID); ok && rid.GetResource() != "" {
		return principalUser(rid)
	}
	if s, ok := actions.GetStringArg(args, argUserID); ok && s != "" {
		return s, nil
	}
	return "", status.Errorf(codes.InvalidArgument,
		"baton-celigo: argument %q is required: the user's resource id from the sync, i.e. the Celigo access record id (`baton resources -t user` lists it)", argUserID)
}

// setDisabled reads the flag and calls Celigo's toggle only when it differs: the endpoint flips whatever
// the state is, so calling it blindly could enable a user we were asked to disable. The toggle is never
// retried on an ambiguous failure; the state is read again instead. Returns false when it already was so.
func (c *Connector) setDisabled(ctx context.Context, recordID string, disabled bool) (bool, error) {
	if err := c.refuseOwner(ctx, recordID); err != nil {
		return false, err
	}
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	for attempt := 1; attempt <= maxWriteAttempts; attempt++ {
		u, err := c.client.GetUser(ctx, recordID)
		if err != nil {
			return false, c.userReadError(err, recordID)
		}
		if u.Disabled == disabled {
			return attempt > 1, nil // in a later round, our earlier toggle is what set it
		}
		toggleErr := c.client.ToggleDisabled(ctx, recordID)
		after, err := c.client.GetUser(ctx, recordID)
		if err != nil {
			return false, wrapErr(err, "re-read user "+recordID+" after "+verb)
		}
		if after.Disabled == disabled {
			return true, nil
		}
		if toggleErr != nil {
			return false, wrapErr(toggleErr, verb+" user "+recordID)
		}
	}
	return false, status.Errorf(codes.Aborted, "baton-celigo: %s user %s: the state kept changing under the update", verb, recordID)
}
