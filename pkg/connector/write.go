package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// grantResult reports a grant: the grant itself, marked as already there when nothing changed.
func grantResult(g *v2.Grant, changed bool) ([]*v2.Grant, annotations.Annotations, error) {
	if !changed {
		return []*v2.Grant{g}, annotations.New(&v2.GrantAlreadyExists{}), nil
	}
	return []*v2.Grant{g}, nil, nil
}

// revokeResult marks a revoke that found nothing to take away.
func revokeResult(changed bool) (annotations.Annotations, error) {
	if !changed {
		return annotations.New(&v2.GrantAlreadyRevoked{}), nil
	}
	return nil, nil
}

// maxWriteAttempts bounds read-modify-write rounds when another writer keeps changing the record.
const maxWriteAttempts = 3

// changeFunc applies one change to a fresh copy of a record; false means the record already says so.
// Its errors are Celigo rule violations (see ruleError).
type changeFunc func(u *celigo.User) (bool, error)

// changeUser is every write to an access record: read it (uncached), apply change, PUT the whole writable
// set (Celigo replaces the record, so nothing may be left out), then read it again and check that exactly
// what this round meant landed. A round that fails, is throttled, or finds someone else's change in the
// read-back starts over from a fresh read, so a PUT body is never sent twice and a change made meanwhile is
// kept, not overwritten or re-granted. Returns false when nothing needed to change; no write is made then.
// Writes to one record are serialised within the process.
func (c *Connector) changeUser(ctx context.Context, recordID string, change changeFunc) (bool, error) {
	unlock, err := c.locks.lock(ctx, recordID)
	if err != nil {
		return false, wrapErr(err, "wait for another change to user "+recordID)
	}
	defer unlock()
	if err := c.refuseOwner(ctx, recordID); err != nil {
		return false, err
	}
	retry := c.client.NewWriteRetry()
	mayHaveWritten := false // a PUT of ours was accepted, or its answer was lost
	for mismatches := 0; ; {
		current, err := c.client.GetUser(ctx, recordID)
		if err != nil {
			return false, c.userReadError(err, recordID)
		}
		want := current.Clone()
		changed, err := change(want)
		if err != nil {
			return false, ruleError(err)
		}
		if !changed {
			// Already so: by an earlier round of ours that was not confirmed, or by someone else.
			return mayHaveWritten, nil
		}
		if err := c.refuseSelf(ctx, current, want.AccessLevel != current.AccessLevel && want.AccessLevel != celigo.LevelAdministrator,
			"take its administrator role away"); err != nil {
			return false, err
		}
		if !celigo.HasAccess(want) {
			return false, ruleError(&celigo.NoAccessLeftError{What: "this access"})
		}
		if err := c.client.UpdateUser(ctx, recordID, want); err != nil {
			mayHaveWritten = mayHaveWritten || celigo.MayHaveLanded(err)
			if err := retry.Wait(ctx, err); err != nil {
				return false, writeError(err, "update user "+recordID)
			}
			continue
		}
		mayHaveWritten = true
		after, err := c.client.GetUser(ctx, recordID)
		if err != nil {
			return false, wrapErr(err, "re-read user "+recordID+" after the update")
		}
		if celigo.SameWritable(after, want, current) {
			return true, nil
		}
		if mismatches++; mismatches == maxWriteAttempts {
			return false, status.Errorf(codes.Aborted,
				"baton-celigo: update user %s: the record did not hold the change after %d attempts (another writer keeps changing it, or Celigo altered the update); nothing was reported as done",
				recordID, mismatches)
		}
		logger(ctx).Warn("baton-celigo: user record changed under the update; redoing it on the fresh record",
			zap.String("access_record_id", recordID), zap.Int("attempt", mismatches))
	}
}

// refuseOwner stops any change to the account owner, who has no access record: ownership moves only in Celigo.
func (c *Connector) refuseOwner(ctx context.Context, id string) error {
	ti, err := c.token(ctx)
	if err != nil {
		return wrapErr(err, "read token info")
	}
	if id == ti.UserID {
		return celigo.WithCode(codes.FailedPrecondition, fmt.Errorf("baton-celigo: user %s is the account owner: %w", id, celigo.ErrOwnership))
	}
	return nil
}

// refuseSelf refuses a change that would lock the connector out: the token acts as its own user, so that
// user may not be disabled, demoted below administrator or deleted through it. would says whether the change
// at hand does that; doing names it for the message.
func (c *Connector) refuseSelf(ctx context.Context, u *celigo.User, would bool, doing string) error {
	if !would {
		return nil
	}
	ti, err := c.token(ctx)
	if err != nil {
		return wrapErr(err, "read token info")
	}
	if u.SharedWithUser.ID == "" || u.SharedWithUser.ID != ti.UserID {
		return nil
	}
	return status.Errorf(codes.FailedPrecondition,
		"baton-celigo: refusing to %s user %s: it is the user the access token belongs to, and the connector would lose the access it needs to manage users; make this change in Celigo, or with a token of another administrator",
		doing, u.ID)
}

// userReadError names a missing user plainly: C1 may hold an id that was deleted in Celigo since.
func (c *Connector) userReadError(err error, id string) error {
	if celigo.IsStatus(err, http.StatusNotFound) {
		return celigo.WithCode(codes.NotFound, fmt.Errorf("baton-celigo: user %s has no access record in Celigo: it was removed since the sync, or it is not a user id from the sync (use the access record id that `baton resources -t user` lists, not the person's Celigo user id): %w",
			id, err))
	}
	return wrapErr(err, "read user "+id)
}

// writeError explains a write Celigo refused. A 403 that mentions a sandbox means the token belongs to a
// sandbox environment, where Celigo refuses user changes; that reading of the answer is an inference.
func writeError(err error, doing string) error {
	switch {
	case celigo.IsSandboxRefusal(err):
		return celigo.WithCode(codes.PermissionDenied, fmt.Errorf("baton-celigo: %s: Celigo refused the change and its answer mentions a sandbox: the access token appears to belong to a sandbox environment, where Celigo does not allow user changes; provisioning needs a token of the production environment (inferred from Celigo's answer): %w",
			doing, err))
	case celigo.IsStatus(err, http.StatusForbidden):
		return celigo.WithCode(codes.PermissionDenied, fmt.Errorf("baton-celigo: %s: Celigo refused the change: the token needs Full access and must belong to the account owner or an administrator, and a token of a sandbox environment cannot change users: %w",
			doing, err))
	}
	return wrapErr(err, doing)
}

// ruleError gives Celigo rule violations the code C1 expects: ownership and role-only access are
// preconditions, anything else is a bad request. Errors that already carry a code keep it.
func ruleError(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	var roleOnly *celigo.RoleOnlyError
	var noAccess *celigo.NoAccessLeftError
	switch {
	case errors.Is(err, celigo.ErrOwnership), errors.As(err, &roleOnly), errors.As(err, &noAccess):
		return celigo.WithCode(codes.FailedPrecondition, fmt.Errorf("baton-celigo: %w", err))
	}
	return celigo.WithCode(codes.InvalidArgument, fmt.Errorf("baton-celigo: %w", err))
}
