package connector

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"

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
		return []*v2.Grant{g}, annotationsOf(&v2.GrantAlreadyExists{}), nil
	}
	return []*v2.Grant{g}, nil, nil
}

// revokeResult marks a revoke that found nothing to take away.
func revokeResult(changed bool) (annotations.Annotations, error) {
	if !changed {
		return annotationsOf(&v2.GrantAlreadyRevoked{}), nil
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
// the intended record landed. If it did not — someone else wrote in between — the whole round is redone on
// the fresh record, so their change is kept and ours is applied on top. Returns false when nothing needed
// to change; no write is made then.
func (c *Connector) changeUser(ctx context.Context, recordID string, change changeFunc) (bool, error) {
	if err := c.refuseOwner(ctx, recordID); err != nil {
		return false, err
	}
	for attempt := 1; ; attempt++ {
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
			return false, nil
		}
		if err := c.client.UpdateUser(ctx, want); err != nil {
			return false, wrapErr(err, "update user "+recordID)
		}
		after, err := c.client.GetUser(ctx, recordID)
		if err != nil {
			return false, wrapErr(err, "re-read user "+recordID+" after the update")
		}
		if sameWritable(after, want, current) {
			return true, nil
		}
		if attempt == maxWriteAttempts {
			return false, status.Errorf(codes.Aborted,
				"baton-celigo: update user %s: the record did not hold the change after %d attempts (another writer keeps changing it, or Celigo altered the update); nothing was reported as done",
				recordID, attempt)
		}
		logger(ctx).Warn("baton-celigo: user record changed under the update; redoing it on the fresh record",
			zap.String("access_record_id", recordID), zap.Int("attempt", attempt))
	}
}

// sameWritable reports whether the record read back holds exactly what was written: every writable field the
// record had before or the write carried must read back equal, as JSON values. A field Celigo adds by itself
// on write (present in neither) is not ours to judge, and an absent field reads the same as an empty one
// (false, "", [], {}), since Celigo may store either; the access fields must match exactly.
func sameWritable(after, want, before *celigo.User) bool {
	got, exp, old := normalize(after.WritableBody()), normalize(want.WritableBody()), normalize(before.WritableBody())
	for k := range old {
		if _, ok := exp[k]; !ok {
			exp[k] = nil // erased by the write: must read back absent
		}
	}
	for k, v := range exp {
		if reflect.DeepEqual(got[k], v) {
			continue
		}
		if k == "accessLevel" || k == "integrationAccessLevel" || !empty(got[k]) || !empty(v) {
			return false
		}
	}
	return true
}

// empty is JSON's zero: absent, null, false, "", 0, [] or {}.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// normalize decodes fields into plain values; integration entries become order-free.
func normalize(fields map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(fields))
	for k, raw := range fields {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			v = string(raw)
		}
		if list, ok := v.([]any); ok && k == "integrationAccessLevel" {
			slices.SortFunc(list, func(a, b any) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
		out[k] = v
	}
	return out
}

// refuseOwner stops any change to the account owner, who has no access record: ownership moves only in Celigo.
func (c *Connector) refuseOwner(ctx context.Context, id string) error {
	ti, err := c.token(ctx)
	if err != nil {
		return wrapErr(err, "read token info")
	}
	if id == ti.UserID {
		return status.Errorf(codes.FailedPrecondition, "baton-celigo: user %s is the account owner: %v", id, celigo.ErrOwnership)
	}
	return nil
}

// userReadError names a missing user plainly: C1 may hold an id that was deleted in Celigo since.
func (c *Connector) userReadError(err error, id string) error {
	if celigo.IsStatus(err, http.StatusNotFound) {
		return status.Errorf(codes.NotFound,
			"baton-celigo: user %s has no access record in Celigo: it was removed since the sync, or it is not a user id from the sync (use the access record id that `baton resources -t user` lists, not the person's Celigo user id): %v",
			id, err)
	}
	return wrapErr(err, "read user "+id)
}

// ruleError gives Celigo rule violations the code C1 expects: ownership and role-only access are
// preconditions, anything else is a bad request. Errors that already carry a code keep it.
func ruleError(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	var roleOnly *celigo.RoleOnlyError
	switch {
	case errors.Is(err, celigo.ErrOwnership), errors.As(err, &roleOnly):
		return status.Error(codes.FailedPrecondition, "baton-celigo: "+err.Error())
	}
	return status.Error(codes.InvalidArgument, "baton-celigo: "+err.Error())
}
