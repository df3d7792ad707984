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
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
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
	unlock, err := b.conn.locks.lock(ctx, "invite:"+strings.ToLower(email))
	if err != nil {
		return nil, nil, nil, wrapErr(err, "wait for another invitation of "+email)
	}
	defer unlock()
	resp, err = b.conn.invite(ctx, celigo.Invitation{Email: email, AccessLevel: level})
	if err != nil {
		return nil, nil, nil, err
	}
	return resp, nil, nil, nil
}

// invite posts the invitation, once per round. A round after a failed or throttled POST starts by looking
// the address up afresh, so an invitation that landed despite the error is found rather than sent again.
func (c *Connector) invite(ctx context.Context, inv celigo.Invitation) (connectorbuilder.CreateAccountResponse, error) {
	retry := c.client.NewWriteRetry()
	mayHaveInvited := false // a POST of ours may have landed although its answer was lost or a fault
	for round := 1; ; round++ {
		if round > 1 {
			found, err := c.findUserByEmail(ctx, inv.Email)
			if err != nil {
				return nil, err
			}
			if found != nil && mayHaveInvited {
				return v2.CreateAccountResponse_SuccessResult_builder{Resource: found, IsCreateAccountResult: true}.Build(), nil
			}
			if found != nil {
				return v2.CreateAccountResponse_AlreadyExistsResult_builder{Resource: found, IsCreateAccountResult: true}.Build(), nil
			}
		}
		created, err := c.client.Invite(ctx, inv)
		switch {
		case err == nil:
			return c.invited(ctx, inv.Email, created)
		case celigo.IsStatus(err, http.StatusConflict) || celigo.IsStatus(err, http.StatusBadRequest):
			existing, findErr := c.findUserByEmail(ctx, inv.Email)
			if findErr == nil && existing == nil {
				// Celigo lists no record for the owner: an address that is the owner's is found this way.
				existing, findErr = c.ownerWithEmail(ctx, inv.Email)
			}
			if findErr != nil {
				return nil, findErr
			}
			if existing == nil {
				return nil, wrapErr(err, "invite "+inv.Email) // a 400 that is not a duplicate
			}
			return v2.CreateAccountResponse_AlreadyExistsResult_builder{Resource: existing, IsCreateAccountResult: true}.Build(), nil
		}
		mayHaveInvited = mayHaveInvited || celigo.MayHaveLanded(err)
		if err := retry.Wait(ctx, err); err != nil {
			return nil, writeError(err, "invite "+inv.Email)
		}
	}
}

// invited reports a successful invitation with the new user's record.
func (c *Connector) invited(ctx context.Context, email string, created *celigo.User) (connectorbuilder.CreateAccountResponse, error) {
	if created == nil {
		// Celigo answered without the record: find it, so C1 learns the new user's id now.
		r, err := c.findUserByEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, status.Errorf(codes.Unknown, "baton-celigo: invited %s but the new user does not appear in Celigo's user list", email)
		}
		return v2.CreateAccountResponse_SuccessResult_builder{Resource: r, IsCreateAccountResult: true}.Build(), nil
	}
	r, err := userResource(created)
	if err != nil {
		return nil, err
	}
	return v2.CreateAccountResponse_SuccessResult_builder{Resource: r, IsCreateAccountResult: true}.Build(), nil
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
		return "", "", ownerRefused("cannot invite an owner")
	}
	if level != "" && !celigo.IsAccountRole(level) {
		return "", "", status.Errorf(codes.InvalidArgument, "baton-celigo: %s %q is not a Celigo account role: use administrator, manage, monitor or leave it empty", profileAccessLevel, level)
	}
	return email, level, nil
}

// findUserByEmail walks the users for one address (case-insensitive); nil when nobody has it.
func (c *Connector) findUserByEmail(ctx context.Context, email string) (*v2.Resource, error) {
	var found *celigo.UserSummary
	err := c.eachUserPage(ctx, func(page []*celigo.UserSummary) bool {
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
	return describeUser(found)
}

// ownerWithEmail is the account owner's resource when email is the owner's address, else nil (also when the
// token cannot see the owner).
func (c *Connector) ownerWithEmail(ctx context.Context, email string) (*v2.Resource, error) {
	users, err := c.readAllUsers(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := c.ownerResource(ctx, users)
	if err != nil || owner == nil {
		return nil, err
	}
	trait, err := rs.GetUserTrait(owner)
	if err != nil {
		return nil, wrapErr(err, "describe the account owner")
	}
	for _, e := range trait.GetEmails() {
		if strings.EqualFold(e.GetAddress(), email) {
			return owner, nil
		}
	}
	return nil, nil
}

// Delete removes a user's access record. Already gone is success; the owner and the token's own user are
// refused (the first cannot be removed, the second would cut the connector off).
func (b *userBuilder) Delete(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (_ annotations.Annotations, err error) {
	alreadyGone, who := false, celigo.SharedUser{}
	defer func() { logDelete(ctx, id, who, alreadyGone, err) }()
	recordID, err := principalUser(id)
	if err != nil {
		return nil, err
	}
	alreadyGone, who, err = b.conn.deleteUser(ctx, recordID)
	return nil, err
}

// refusePersonID refuses an id that names a person (sharedWithUser._id) rather than an access record: Celigo
// answers 404 for it, which would pass for "already removed" while the person keeps their access.
func (c *Connector) refusePersonID(ctx context.Context, id string) error {
	var found *celigo.UserSummary
	err := c.eachUserPage(ctx, func(page []*celigo.UserSummary) bool {
		for _, u := range page {
			if u.SharedWithUser.ID == id {
				found = u
				return true
			}
		}
		return false
	})
	switch {
	case err != nil:
		return wrapErr(err, "check whether "+id+" is a person's user id")
	case found != nil:
		return status.Errorf(codes.InvalidArgument,
			"baton-celigo: %s is the Celigo user id of %s, not an access record id: delete user %s, the id of their access record (`baton resources -t user` lists it)",
			id, found.SharedWithUser.Email, found.ID)
	}
	return nil
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

// ResourceActions registers disable and enable, the SDK's account actions, and re-invite.
func (b *userBuilder) ResourceActions(ctx context.Context, registry actions.ActionRegistry) error {
	for _, a := range []struct {
		name, display, description, user string
		kind                             v2.ActionType
		disabled                         bool
	}{
		{actionDisableUser, "Disable user", "Blocks the user from signing in to Celigo; their roles and integration access are kept.",
			"The Celigo user to disable.", v2.ActionType_ACTION_TYPE_ACCOUNT_DISABLE, true},
		{actionEnableUser, "Enable user", "Lets a disabled user sign in to Celigo again.",
			"The Celigo user to enable.", v2.ActionType_ACTION_TYPE_ACCOUNT_ENABLE, false},
	} {
		schema := v2.BatonActionSchema_builder{
			Name:        a.name,
			DisplayName: a.display,
			Description: a.description,
			Arguments:   []*configv1.Field{userIDArgument(a.user)},
			ReturnTypes: successReturn,
			ActionType:  []v2.ActionType{a.kind},
		}.Build()
		if err := registry.Register(ctx, schema, b.setDisabledAction(a.disabled)); err != nil {
			return err
		}
	}
	return b.registerReinvite(ctx, registry) // reinvite.go
}

func (b *userBuilder) setDisabledAction(disabled bool) actions.ActionHandler {
	type outcome struct {
		changed bool
		who     celigo.SharedUser
	}
	return recordAction(userIDFromArgs,
		func(ctx context.Context, id string) (o outcome, err error) {
			o.changed, o.who, err = b.conn.setDisabled(ctx, id, disabled)
			return o, err
		},
		func(ctx context.Context, id string, o outcome, err error) {
			logSetDisabled(ctx, id, o.who, disabled, o.changed, err)
		})
}

// recordAction is an action on one record, run as every action runs: the record's id read from the
// arguments (idOf), the request (do), its outcome line whatever happens (logged), and the success result.
func recordAction[O any](idOf func(*structpb.Struct) (string, error), do func(ctx context.Context, id string) (O, error),
	logged func(ctx context.Context, id string, outcome O, err error)) actions.ActionHandler {
	return func(ctx context.Context, args *structpb.Struct) (_ *structpb.Struct, _ annotations.Annotations, err error) {
		var id string
		var outcome O
		defer func() { logged(ctx, id, outcome, err) }()
		if id, err = idOf(args); err != nil {
			return nil, nil, err
		}
		if outcome, err = do(ctx, id); err != nil {
			return nil, nil, err
		}
		return &structpb.Struct{Fields: map[string]*structpb.Value{"success": structpb.NewBoolValue(true)}}, nil, nil
	}
}

// userIDFromArgs accepts the user as a resource id (what C1 sends) or a plain string (handy on the CLI).
func userIDFromArgs(args *structpb.Struct) (string, error) {
	return idFromArgs(args, argUserID, principalUser, checkCeligoID,
		"the user's resource id from the sync, i.e. the Celigo access record id (`baton resources -t user` lists it)")
}

// idFromArgs reads argument name as a resource id (what C1 sends), checked by ofResource, or as a plain
// string (handy on the CLI), checked by check; required says what to pass when neither is there.
func idFromArgs(args *structpb.Struct, name string, ofResource func(*v2.ResourceId) (string, error), check func(string) error, required string) (string, error) {
	if rid, ok := actions.GetResourceIDArg(args, name); ok && rid.GetResource() != "" {
		return ofResource(rid)
	}
	if s, ok := actions.GetStringArg(args, name); ok && s != "" {
		return s, check(s)
	}
	return "", status.Errorf(codes.InvalidArgument, "baton-celigo: argument %q is required: %s", name, required)
}
