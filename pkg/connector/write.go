package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// maxWriteAttempts bounds read-modify-write rounds when another writer keeps changing the record.
const maxWriteAttempts = 3

// changeFunc applies one change to a fresh copy of a record; false means the record already says so.
// Its errors are Celigo rule violations (see ruleError).
type changeFunc func(u *celigo.User) (bool, error)

// extrasChange wraps a change to a record's MCP access or permissions. Such access is not what Celigo
// counts as access on a record (a role or an integration entry), and Celigo refuses to store a record with
// neither: that is said plainly here, before writing, instead of as a failed revoke.
func extrasChange(change changeFunc) changeFunc {
	return func(u *celigo.User) (bool, error) {
		changed, err := change(u)
		var implicit *celigo.MCPImplicitError
		switch {
		case errors.As(err, &implicit):
			return false, celigo.WithCode(codes.FailedPrecondition, fmt.Errorf("baton-celigo: %w", err))
		case err != nil:
			return false, err
		case changed && !celigo.HasAccess(u):
			return false, status.Error(codes.FailedPrecondition,
				"baton-celigo: the user has no account role and no integration access, and Celigo does not store a user record without one of them (MCP server access and permissions do not count): grant a role or an integration first")
		}
		return changed, nil
	}
}

// recordWrite is one kind of write to an access record, as writeRecord runs it.
type recordWrite struct {
	recordID string
	what     string // what the record is, for the log ("" is an access record)
	// refused explains a write Celigo refused (nil: writeError, for access records).
	refused func(err error, doing string) error
	doing   string // "update user <id>": names the write in errors
	notHeld string // what a read-back that shows something else means, for the error after the last round
	// prepare reads the record and readies the write; done means it is already so and nothing is sent.
	// wrote says whether a write of ours may have landed in an earlier round.
	prepare func(ctx context.Context, wrote bool) (done bool, err error)
	send    func(ctx context.Context) error
	// landed reads the record again and says whether exactly what this round meant is there.
	landed func(ctx context.Context) (bool, error)
}

// writeRecord is the one write round every change to an access record goes through: lock the record,
// refuse the owner, then read, write once, read again and check. A round whose write fails or is
// throttled, or whose read-back shows something else, starts over from a fresh read, so a request is never
// sent twice blindly and a change made meanwhile is kept, not overwritten. Writes to one record are
// serialised within the process. Returns whether a write of ours may have made the change (false: it was
// already so, and nothing was written).
func (c *Connector) writeRecord(ctx context.Context, w recordWrite) (bool, error) {
	unlock, err := c.locks.lock(ctx, w.recordID)
	if err != nil {
		return false, wrapErr(err, "wait for another change to user "+w.recordID)
	}
	defer unlock()
	if err := c.refuseOwner(ctx, w.recordID); err != nil {
		return false, err
	}
	return c.writeRounds(ctx, w)
}

// writeRounds runs the rounds of one write (read, write once, read again, check) for a record whose lock the
// caller holds: writeRecord for access records, writeToken for API tokens.
func (c *Connector) writeRounds(ctx context.Context, w recordWrite) (bool, error) {
	retry := c.client.NewWriteRetry()
	wrote := false // a write of ours was accepted, or its answer was lost
	for mismatches := 0; ; {
		done, err := w.prepare(ctx, wrote)
		if err != nil || done {
			return wrote && err == nil, err
		}
		if err := w.send(ctx); err != nil {
			wrote = wrote || celigo.MayHaveLanded(err)
			if err := retry.Wait(ctx, err); err != nil {
				if w.refused != nil {
					return false, w.refused(err, w.doing)
				}
				return false, writeError(err, w.doing)
			}
			continue
		}
		wrote = true
		ok, err := w.landed(ctx)
		if err != nil || ok {
			return ok, err
		}
		if mismatches++; mismatches == maxWriteAttempts {
			return false, status.Errorf(codes.Aborted,
				"baton-celigo: %s: %s after %d attempts; nothing was reported as done", w.doing, w.notHeld, mismatches)
		}
		what, idKey := "user record", "access_record_id"
		if w.what != "" {
			what, idKey = w.what, "record_id"
		}
		logger(ctx).Warn("baton-celigo: "+what+" changed under the write; redoing it on the fresh record",
			zap.String(idKey, w.recordID), zap.String("write", w.doing), zap.Int("attempt", mismatches))
	}
}

// changeUser changes an access record: apply change to a fresh read, PUT the whole writable set (Celigo
// replaces the record, so nothing may be left out), and check the read-back holds exactly that change.
func (c *Connector) changeUser(ctx context.Context, recordID string, change changeFunc) (bool, error) {
	var current, want *celigo.User
	return c.writeRecord(ctx, recordWrite{
		recordID: recordID,
		doing:    "update user " + recordID,
		notHeld:  "the record did not hold the change (another writer keeps changing it, or Celigo altered the update)",
		prepare: func(ctx context.Context, _ bool) (bool, error) {
			var err error
			if current, err = c.client.GetUser(ctx, recordID); err != nil {
				return false, c.userReadError(err, recordID)
			}
			want = current.Clone()
			changed, err := change(want)
			switch {
			case err != nil:
				return false, ruleError(err)
			case !changed:
				// Already so: by an earlier round of ours that was not confirmed, or by someone else.
				return true, nil
			}
			demotes := want.AccessLevel != current.AccessLevel && want.AccessLevel != celigo.LevelAdministrator
			if err := c.refuseSelf(ctx, current, demotes, "take its administrator role away"); err != nil {
				return false, err
			}
			if !celigo.HasAccess(want) {
				return false, ruleError(&celigo.NoAccessLeftError{What: "this access"})
			}
			return false, nil
		},
		send: func(ctx context.Context) error { return c.client.UpdateUser(ctx, recordID, want) },
		landed: func(ctx context.Context) (bool, error) {
			after, err := c.client.GetUser(ctx, recordID)
			if err != nil {
				return false, wrapErr(err, "re-read user "+recordID+" after the update")
			}
			return celigo.SameWritable(after, want, current), nil
		},
	})
}

// setDisabled calls Celigo's toggle only when the flag differs: the endpoint flips whatever the state is,
// so calling it blindly could enable a user we were asked to disable. Returns false when it already was so.
// who is the person the record names, for the outcome line (zero when it was never read).
func (c *Connector) setDisabled(ctx context.Context, recordID string, disabled bool) (changed bool, who celigo.SharedUser, err error) {
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	changed, err = c.writeRecord(ctx, recordWrite{
		recordID: recordID,
		doing:    verb + " user " + recordID,
		notHeld:  "the state kept changing under the update",
		prepare: func(ctx context.Context, _ bool) (bool, error) {
			u, err := c.client.GetUser(ctx, recordID)
			if err != nil {
				return false, c.userReadError(err, recordID)
			}
			who = u.SharedWithUser
			if u.Disabled == disabled {
				return true, nil
			}
			return false, c.refuseSelf(ctx, u, disabled, "disable")
		},
		send: func(ctx context.Context) error { return c.client.ToggleDisabled(ctx, recordID) },
		landed: func(ctx context.Context) (bool, error) {
			after, err := c.client.GetUser(ctx, recordID)
			if err != nil {
				return false, wrapErr(err, "re-read user "+recordID+" after "+verb)
			}
			return after.Disabled == disabled, nil
		},
	})
	return changed, who, err
}

// deleteUser reports success only once a read answers 404. alreadyGone is true when the record was never
// found and no DELETE of ours may have removed it.
// who is the person the record named, for the outcome line (zero when it was never found).
func (c *Connector) deleteUser(ctx context.Context, recordID string) (alreadyGone bool, who celigo.SharedUser, err error) {
	seen := false // a read found the record: a later 404 is our DELETE's doing (or another remover's)
	_, err = c.writeRecord(ctx, deleting(recordID, "user", "record", c.client.DeleteUser, c.client.GetUser,
		func(ctx context.Context, wrote bool) (bool, error) {
			u, err := c.client.GetUser(ctx, recordID)
			switch {
			case celigo.IsStatus(err, http.StatusNotFound) && !seen && !wrote:
				// No such record: gone before our DELETE, or the id is not an access record id at all.
				if err := c.refusePersonID(ctx, recordID); err != nil {
					return false, err
				}
				alreadyGone = true
				return true, nil
			case celigo.IsStatus(err, http.StatusNotFound):
				return true, nil
			case err != nil:
				return false, wrapErr(err, "read user "+recordID)
			}
			seen, who = true, u.SharedWithUser
			return false, c.refuseSelf(ctx, u, true, "delete")
		}))
	return alreadyGone, who, err
}

// deleting is the write that deletes record id (what: "user", "API token"; held: what a read still finds,
// "record", "token") through del, after prepare: sent once per round, where a 404 means it is gone already
// (by an earlier round of ours, or another remover), and landed once a fresh read answers 404.
func deleting[R any](id, what, held string, del func(ctx context.Context, id string) error, read func(ctx context.Context, id string) (R, error),
	prepare func(ctx context.Context, wrote bool) (done bool, err error)) recordWrite {
	return recordWrite{
		recordID: id,
		doing:    "delete " + what + " " + id,
		notHeld:  "Celigo accepted the delete but the " + held + " is still there",
		prepare:  prepare,
		send: func(ctx context.Context) error {
			if err := del(ctx, id); err != nil && !celigo.IsStatus(err, http.StatusNotFound) {
				return err
			}
			return nil
		},
		landed: func(ctx context.Context) (bool, error) {
			_, err := read(ctx, id)
			switch {
			case celigo.IsStatus(err, http.StatusNotFound):
				return true, nil
			case err != nil:
				return false, wrapErr(err, "confirm the deletion of "+what+" "+id)
			}
			return false, nil
		},
	}
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
