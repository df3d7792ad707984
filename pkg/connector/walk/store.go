package walk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/conductorone/baton-sdk/pkg/session"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
	"go.uber.org/zap"
)

// How a walk lies in the sync's session store (keys are scoped to the sync by the SDK):
//
//	walk/account                     the account the sync reads (ClaimAccount)
//	walk/<list>/complete             "<sweep>/<pages>": the sweep whose pages make the whole list
//	walk/<list>/<sweep>/<n>          page n of the sweep: its token, next link, record count and parts
//	walk/<list>/<sweep>/<n>/<w>.<k>  part k of the records of write w of page n (JSON, cut in ≤ 1 MiB parts)
//
// Parts are never overwritten (each write of a page has its own id), so a page always names its own parts.
// The store answers at most 100 keys and about 4 MB a call; reads and writes are batched under both.
const (
	accountKey    = "walk/account"
	partBytes     = 1 << 20
	maxBatchBytes = 3 << 20
)

type storedPage struct {
	Token string `json:"token"`
	Next  string `json:"next"`
	Count int    `json:"count"`
	Write string `json:"write"`
	Parts []int  `json:"parts"` // the size of each part
}

func (w *Walk[T]) markerKey() string { return "walk/" + w.name + "/complete" }

func (w *Walk[T]) pageKey(sweep string, n int) string {
	return fmt.Sprintf("walk/%s/%s/%d", w.name, sweep, n)
}

func (p storedPage) partKey(page string, k int) string {
	return fmt.Sprintf("%s/%s.%d", page, p.Write, k)
}

// Sync is a call's sync: its id, and the session store every process serving it shares (nil when none).
type Sync struct {
	ID    string
	Store sessions.SessionStore
}

// errNoStore: the sync has no session store, and the walk lives in this process only. errIncomplete: the
// store marks a list complete that it does not hold whole (a page or part missing); the list is read again.
var errNoStore, errIncomplete = errors.New("the sync has no session store"), errors.New("the sync's stored list is incomplete")

// do runs fn against the store. The SDK passes a store even when none is configured: one that refuses every
// call (session.ErrSessionStoreDisabled), or, in a connector server built without one, a wrapper around
// nothing that panics. Both mean "no store", never a failed sync.
func (s Sync) do(fn func(sessions.SessionStore) error) (err error) {
	if s.Store == nil || s.ID == "" {
		return errNoStore
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (calling it failed: %v)", errNoStore, r)
		}
	}()
	err = fn(s.Store)
	if errors.Is(err, session.ErrSessionStoreDisabled) {
		return errNoStore
	}
	return err
}

// getMany reads keys (values about sizes long), at most 100 and about maxBatchBytes a call; missing ones are left out.
func (s Sync) getMany(ctx context.Context, keys []string, sizes []int) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	for start, end := 0, 0; start < len(keys); start = end {
		for total := 0; end < len(keys) && end-start < sessions.MaxKeysPerRequest && (end == start || total+sizes[end] <= maxBatchBytes); end++ {
			total += sizes[end]
		}
		batch := slices.Clone(keys[start:end]) // the SDK's gRPC client sorts the keys it is given
		err := s.do(func(ss sessions.SessionStore) error {
			got, err := session.UnrollGetMany[[]byte](ctx, ss, batch)
			maps.Copy(out, got)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setMany writes items in order, in batches under the store's limits.
func (s Sync) setMany(ctx context.Context, items []session.SizedItem[[]byte]) error {
	return s.do(func(ss sessions.SessionStore) error {
		return session.UnrollSetMany[[]byte](ctx, ss, func(yield func(session.SizedItem[[]byte], error) bool) {
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
		})
	})
}

func sized(key string, value []byte) session.SizedItem[[]byte] {
	return session.SizedItem[[]byte]{Key: key, Value: value, Size: len(key) + len(value)}
}

// ClaimAccount ties the sync to account in its session store and returns another account the store names ("" with
// no working store: page tokens carry the account too). It reads with Get, never failing on a batch read's limits.
func (s Sync) ClaimAccount(ctx context.Context, account string) (other string) {
	v, found := []byte(nil), false
	err := s.do(func(ss sessions.SessionStore) (err error) {
		v, found, err = ss.Get(ctx, accountKey)
		return err
	})
	switch {
	case err != nil:
	case found && string(v) != account:
		return string(v)
	case !found:
		_ = s.setMany(ctx, []session.SizedItem[[]byte]{sized(accountKey, []byte(account))})
	}
	return ""
}

// persist writes page n of sweep to the store: its parts, the page naming them, and, for the last page, the
// marker that makes the sweep the list. A failed write is logged: where the store lacks it, the list is read again.
func (w *Walk[T]) persist(ctx context.Context, s Sync, sweep string, n int, page Page[T]) {
	if w.noStore(s) {
		return
	}
	payload, err := json.Marshal(page.Items)
	key := w.pageKey(sweep, n)
	header := storedPage{Token: page.Token, Next: page.Next, Count: len(page.Items), Write: NewSweepID()}
	var items []session.SizedItem[[]byte]
	for part := range slices.Chunk(payload, partBytes) {
		items = append(items, sized(header.partKey(key, len(header.Parts)), part))
		header.Parts = append(header.Parts, len(part))
	}
	headerJSON, _ := json.Marshal(header) // strings and ints only
	items = append(items, sized(key, headerJSON))
	if page.Next == "" {
		items = append(items, sized(w.markerKey(), fmt.Appendf(nil, "%s/%d", sweep, n+1)))
	}
	if err == nil {
		err = s.setMany(ctx, items)
	}
	if err != nil {
		w.note(ctx, s, fmt.Errorf("storing page %d: %w", n, err))
	}
}

// load reads the sync's complete list from the store: nil when the store has none or holds one incomplete.
func (w *Walk[T]) load(ctx context.Context, s Sync) (string, *List[T]) {
	if w.noStore(s) {
		return "", nil
	}
	stored, err := s.getMany(ctx, []string{w.markerKey()}, []int{0})
	marker, found := stored[w.markerKey()]
	sweep, count, _ := strings.Cut(string(marker), "/")
	var l *List[T]
	if found {
		l, err = w.loadPages(ctx, s, sweep, count)
	}
	switch {
	case errors.Is(err, errIncomplete):
		logger(ctx).Info("baton-celigo: the sync's stored list is incomplete; reading it again from Celigo",
			zap.String("list", w.name), zap.NamedError("reason", err))
	case err != nil:
		w.note(ctx, s, err)
	}
	return sweep, l
}

// loadPages reads the count pages of sweep, their parts, and joins them into the list.
func (w *Walk[T]) loadPages(ctx context.Context, s Sync, sweep, count string) (*List[T], error) {
	pageCount, err := strconv.Atoi(count)
	if err != nil || !ValidSweepID(sweep) || pageCount < 1 || pageCount > MaxPages {
		return nil, fmt.Errorf("%w: its marker %q is not one this connector writes", errIncomplete, sweep+"/"+count)
	}
	keys := make([]string, pageCount)
	for n := range keys {
		keys[n] = w.pageKey(sweep, n)
	}
	raw, err := s.getMany(ctx, keys, make([]int, pageCount))
	if err != nil {
		return nil, err
	}
	headers := make([]storedPage, pageCount)
	var partKeys []string
	var partSizes []int
	for n, key := range keys {
		if err := json.Unmarshal(raw[key], &headers[n]); err != nil {
			return nil, fmt.Errorf("%w: page %d is missing or cannot be read: %w", errIncomplete, n, err)
		}
		for k, size := range headers[n].Parts {
			partKeys = append(partKeys, headers[n].partKey(key, k))
			partSizes = append(partSizes, size)
		}
	}
	parts, err := s.getMany(ctx, partKeys, partSizes)
	if err != nil {
		return nil, err
	}
	pages := make(map[int]Page[T], pageCount)
	for n, h := range headers {
		var payload []byte
		for k, size := range h.Parts {
			if v := parts[h.partKey(keys[n], k)]; len(v) == size {
				payload = append(payload, v...)
			} else {
				return nil, fmt.Errorf("%w: page %d: a part is missing or cut short", errIncomplete, n)
			}
		}
		var items []T
		err := json.Unmarshal(payload, &items)
		if err == nil && len(items) != h.Count {
			err = fmt.Errorf("%d records, the page says %d", len(items), h.Count)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: page %d: %w", errIncomplete, n, err)
		}
		pages[n] = Page[T]{Token: h.Token, Next: h.Next, Items: items}
	}
	if l := w.assemble(pages, pageCount-1); l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("%w: its pages' next links do not chain from the first page to the last", errIncomplete)
}

// noStore says whether the sync is known to have no session store, so it is not asked again.
func (w *Walk[T]) noStore(s Sync) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.syncID == s.ID && w.storeOff
}

// note logs a session-store problem once per sync and list; a store that is not there is asked nothing more.
func (w *Walk[T]) note(ctx context.Context, s Sync, err error) {
	w.mu.Lock()
	w.forSync(s.ID)
	first := !w.noted
	w.noted = true
	w.storeOff = w.storeOff || errors.Is(err, errNoStore)
	w.mu.Unlock()
	switch {
	case !first:
	case errors.Is(err, errNoStore):
		logger(ctx).Debug("baton-celigo: the list is kept in this process only; a resumed sync, or another process serving this one, reads it again",
			zap.String("list", w.name), zap.Error(err))
	default:
		logger(ctx).Warn("baton-celigo: the sync's session store failed; where it lacks a list, the list is read again from Celigo",
			zap.String("list", w.name), zap.Error(err))
	}
}
