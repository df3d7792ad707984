package connector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
)

// A sync reads one Celigo account. A stopped sync is resumed from its file, and the token given to the
// resumed run may be another account's: production and sandbox tokens share a host, and -f has a default.
// Its records would then join those the first run stored, in one file. So every page token names the
// account (a hash of the API's base URL and the token's user), and so does the sync's session store; a call
// of a sync started with another account fails, saying so, before anything is read.

// account names the account the connector reads: its base URL and the token's user.
func (c *Connector) account(ctx context.Context) (string, error) {
	ti, err := c.token(ctx)
	if status.Code(err) == codes.NotFound {
		// The SDK would skip a NotFound as a missing resource and carry on without the list.
		return "", celigo.WithCode(codes.FailedPrecondition, fmt.Errorf("baton-celigo: read token info: %w", err))
	}
	if err != nil {
		return "", wrapErr(err, "read token info")
	}
	sum := sha256.Sum256([]byte(c.client.BaseURL() + "\x00" + ti.UserID))
	return hex.EncodeToString(sum[:8]), nil
}

// syncAccount returns the account this sync reads, after checking it is the one a page token (tokenAccount,
// "" when the token names none) and the sync's session store name.
func (c *Connector) syncAccount(ctx context.Context, opts rs.SyncOpAttrs, tokenAccount string) (string, error) {
	acct, err := c.account(ctx)
	if err != nil {
		return "", err
	}
	if tokenAccount != "" && tokenAccount != acct {
		return "", otherAccount(tokenAccount, acct)
	}
	if stored := c.claimAccount(ctx, opts, acct); stored != "" {
		return "", otherAccount(stored, acct)
	}
	return acct, nil
}

// claimAccount ties the sync to account in its session store (walk.Sync.ClaimAccount) and returns the
// account the store names when that is another one. Every List and Grants call asks; once the store agrees,
// this process does not ask it again for that sync.
func (c *Connector) claimAccount(ctx context.Context, opts rs.SyncOpAttrs, account string) (other string) {
	agreed := [2]string{opts.SyncID, account}
	if p := c.claimed.Load(); p != nil && *p == agreed {
		return ""
	}
	if other = syncOf(opts).ClaimAccount(ctx, account); other == "" {
		c.claimed.Store(&agreed)
	}
	return other
}

func otherAccount(started, now string) error {
	return status.Errorf(codes.FailedPrecondition,
		"baton-celigo: this sync was started with another Celigo account or host (account %s; this token and host are account %s): "+
			"going on would mix two accounts in one file. Resume it with the token and region (or --base-url) it was started with, "+
			"or sync into another file (-f), or delete the unfinished file to start again", started, now)
}
