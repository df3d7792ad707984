package connector

import (
	"context"
	"fmt"

	configv1 "github.com/conductorone/baton-sdk/pb/c1/config/v1"
	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/actions"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// The reinvite_user action: Celigo sends a user's invitation again (PUT /v1/ashares/{id}/reinvite). Celigo
// documents it for a declined invitation, which becomes pending again; its own UI also offers it for a
// pending one, to re-send the email, so that is allowed too (an assumption). An accepted invitation has
// nothing to re-send.

const actionReinviteUser = "reinvite_user"

func reinviteSchema() *v2.BatonActionSchema {
	return v2.BatonActionSchema_builder{
		Name:        actionReinviteUser,
		DisplayName: "Re-invite user",
		Description: "Sends the user's Celigo invitation again: a declined invitation becomes pending, a pending one is emailed again. Refused for a user who accepted theirs, and for the account owner.",
		Arguments:   []*configv1.Field{userIDArgument("The invited Celigo user.")},
		ReturnTypes: successReturn,
		ActionType:  []v2.ActionType{v2.ActionType_ACTION_TYPE_ACCOUNT},
	}.Build()
}

// registerReinvite adds the action to the user type's actions.
func (b *userBuilder) registerReinvite(ctx context.Context, registry actions.ActionRegistry) error {
	return registry.Register(ctx, reinviteSchema(), b.reinviteAction)
}

func (b *userBuilder) reinviteAction(ctx context.Context, args *structpb.Struct) (*structpb.Struct, annotations.Annotations, error) {
	return recordAction(userIDFromArgs, b.conn.reinvite, logReinvite)(ctx, args)
}

// reinvite sends the invitation again and returns the state it was in (pending or declined), through the
// one write round: a failed or throttled request is not sent again as it was, the record is read first. If
// an earlier request of ours may have landed (its answer was lost) and the invitation now reads pending, it
// is not sent again, so the invitee gets no second email.
func (c *Connector) reinvite(ctx context.Context, recordID string) (string, error) {
	was := ""
	_, err := c.writeRecord(ctx, recordWrite{
		recordID: recordID,
		doing:    "re-invite user " + recordID,
		prepare: func(ctx context.Context, wrote bool) (bool, error) {
			u, err := c.client.GetUser(ctx, recordID)
			if err != nil {
				return false, c.userReadError(err, recordID)
			}
			state := invitationState(u.Summary())
			if was == "" {
				was = state
			}
			switch {
			case state == invitationAccepted:
				return false, celigo.WithCode(codes.FailedPrecondition, fmt.Errorf(
					"baton-celigo: user %s accepted their invitation: there is nothing to send again (re-invite is for a pending or declined invitation)", recordID))
			case wrote && state == invitationPending:
				return true, nil // ours landed although its answer was lost
			}
			return false, nil
		},
		send: func(ctx context.Context) error { return c.client.Reinvite(ctx, recordID) },
		landed: func(ctx context.Context) (bool, error) {
			// Celigo answered success, so the invitation must read pending; anything else is not retried.
			after, err := c.client.GetUser(ctx, recordID)
			if err != nil {
				return false, wrapErr(err, "re-read user "+recordID+" after the re-invite")
			}
			if state := invitationState(after.Summary()); state != invitationPending {
				return false, celigo.WithCode(codes.Aborted, fmt.Errorf(
					"baton-celigo: re-invite user %s: Celigo accepted the request but the invitation reads %s, not pending", recordID, state))
			}
			return true, nil
		},
	})
	return was, err
}

// logReinvite reports the reinvite_user action.
func logReinvite(ctx context.Context, recordID, was string, err error) {
	who := "user " + recordID
	if recordID == "" {
		who = "no user given"
	}
	done := who + "'s declined invitation was sent again: it is pending until accepted"
	if was == invitationPending {
		done = who + "'s pending invitation was sent again"
	}
	provisioningOutcome{
		request: "re-invite user",
		subject: who,
		done:    done,
		changed: true,
		fields:  []zap.Field{zap.String("access_record_id", recordID)},
	}.log(ctx, err)
}
