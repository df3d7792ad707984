// Package walk keeps what grants need from each list a sync reads, so that every list is read from Celigo once
// per sync, whichever process serves each call: each page List reads goes to this process's memory and to the
// sync's session store, which every process serving the sync shares. Grants take a list only complete (every
// page of one sweep, first to last, each next link leading to the next page), else read it again.
package walk

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// MaxPages and MaxRecords bound one list (tests lower them): ten million records at 1000 a page is more than
// any account has, and half a million held (about 1 KB each) ends a list that never ends before memory does.
var MaxPages, MaxRecords = 10_000, 500_000

// Page is one page of a list as read: the token it was read with, its next link and its records.
type Page[T any] struct {
	Token, Next string
	Items       []T
}

// List is a complete list: its records in list order, each once, and each under its key.
type List[T any] struct {
	Items []T
	ByKey map[string]T
}

// NewSweepID names a sweep (or one write of a page) uniquely across the processes serving a sync.
func NewSweepID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error since Go 1.24)
	return hex.EncodeToString(b)
}

// ValidSweepID says whether id is one NewSweepID makes.
func ValidSweepID(id string) bool { b, err := hex.DecodeString(id); return err == nil && len(b) == 8 }

// Trail follows one reading of a list. It is the one place that ends a list whose next links lead back to a
// page already read (a loop) or past MaxPages. Reading the same page twice (a retry) is not a loop.
type Trail struct {
	list string
	at   map[string]int // token → the page number it was read at
}

func NewTrail(list string) *Trail { return &Trail{list: list, at: map[string]int{}} }

// Step notes that page n (counted from 0) was read with token and links to next.
func (t *Trail) Step(n int, token, next string) error {
	t.at[token] = n
	if next == "" {
		return nil
	}
	if back, ok := t.at[next]; ok && back <= n {
		return status.Errorf(codes.Internal, "baton-celigo: list %s: Celigo's next-page links lead back to a page already read; stopping instead of looping", t.list)
	}
	if n+1 >= MaxPages {
		return status.Errorf(codes.Internal,
			"baton-celigo: list %s: Celigo is still linking to more pages after %d, more than any real account has; stopping instead of reading for ever",
			t.list, MaxPages)
	}
	return nil
}

// Walk is one list of the sync this process serves: the pages of the sweep under way, then the complete list.
type Walk[T any] struct {
	name string
	key  func(T) string // tells records apart: one listed on two pages (a list that shifted) is kept once
	fill sync.Mutex     // serialises loads and re-reads, so two grant calls never read the list at once

	mu            sync.Mutex
	syncID, sweep string
	pages         map[int]Page[T]
	trail         *Trail
	records       int // records in pages
	done          *List[T]
	doneSweep     string // the sweep done came from
	noted         bool   // a session-store problem was logged for syncID
	storeOff      bool   // syncID has no session store: it is asked nothing more (the SDK's disabled one warns every call)
}

// New is the walk of list name (named in errors, logs and session-store keys), whose records key tells apart.
func New[T any](name string, key func(T) string) *Walk[T] { return &Walk[T]{name: name, key: key} }

func (w *Walk[T]) Name() string { return w.name }

// forSync switches the walk to syncID, dropping any other sync's data. Caller holds mu.
func (w *Walk[T]) forSync(syncID string) {
	if w.syncID != syncID || w.pages == nil {
		w.syncID, w.noted, w.storeOff, w.done, w.doneSweep = syncID, false, false, nil, ""
		w.startSweep("")
	}
}

// startSweep drops the pages held and holds sweep's instead. Caller holds mu.
func (w *Walk[T]) startSweep(sweep string) {
	w.sweep, w.pages, w.trail, w.records = sweep, map[int]Page[T]{}, NewTrail(w.name), 0
}

// Add records page n of sweep in this process and in the sync's session store. The last page of a sweep
// whose every page this process holds makes the list complete.
func (w *Walk[T]) Add(ctx context.Context, s Sync, sweep string, n int, page Page[T]) error {
	w.mu.Lock()
	w.forSync(s.ID)
	if w.done != nil && w.doneSweep == sweep {
		w.mu.Unlock()
		return nil // a page read again after its sweep completed adds nothing new
	}
	if w.sweep != sweep {
		if n == 0 {
			w.done, w.doneSweep = nil, "" // the list is being listed anew
		}
		w.startSweep(sweep)
	}
	w.records += len(page.Items) - len(w.pages[n].Items)
	err := cmp.Or(w.trail.Step(n, page.Token, page.Next), w.tooMany(w.records))
	if err == nil {
		w.pages[n] = page
		if l := w.assemble(w.pages, n); page.Next == "" && l != nil {
			w.done, w.doneSweep = l, sweep
			w.startSweep("")
		}
	}
	w.mu.Unlock()
	if err == nil {
		w.persist(ctx, s, sweep, n, page)
	}
	return err
}

// assemble joins pages 0 to last into the list: nil when one is missing or they do not chain first to last.
func (w *Walk[T]) assemble(pages map[int]Page[T], last int) *List[T] {
	if pages[last].Next != "" {
		return nil // not the last page: checked first, as Add asks after every page
	}
	l, at := &List[T]{ByKey: map[string]T{}}, map[string]int{}
	for i := 0; i <= last; i++ {
		p, ok := pages[i]
		if !ok || (i == 0 && p.Token != "") || (i > 0 && p.Token != pages[i-1].Next) {
			return nil
		}
		for _, it := range p.Items {
			k := w.key(it)
			if _, seen := at[k]; !seen {
				at[k] = len(l.Items)
				l.Items = append(l.Items, it)
			}
			l.Items[at[k]], l.ByKey[k] = it, it
		}
	}
	return l
}

func (w *Walk[T]) tooMany(records int) error {
	if records <= MaxRecords {
		return nil
	}
	return status.Errorf(codes.Internal,
		"baton-celigo: list %s: Celigo has sent more than %d records, more than any real account has; stopping before they exhaust memory",
		w.name, MaxRecords)
}

// held returns the complete list held for syncID, if any.
func (w *Walk[T]) held(syncID string) *List[T] {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.syncID != syncID {
		return nil
	}
	return w.done
}

// Complete returns the sync's complete list: from memory, else the session store, else read again (and stored).
func (w *Walk[T]) Complete(ctx context.Context, s Sync, read func(ctx context.Context, token string) ([]T, string, error)) (*List[T], error) {
	if l := w.held(s.ID); l != nil {
		return l, nil
	}
	w.fill.Lock()
	defer w.fill.Unlock()
	if l := w.held(s.ID); l != nil {
		return l, nil
	}
	sweep, l := w.load(ctx, s)
	if l == nil {
		// Read again as a sweep of its own, apart from the one List may be reading in this process meanwhile
		// (the SDK's parallel workers list and grant other types while a list is still being listed).
		trail, pages, records := NewTrail(w.name), map[int]Page[T]{}, 0
		sweep = NewSweepID()
		for n, token := 0, ""; n == 0 || token != ""; n++ {
			items, next, err := read(ctx, token)
			if records += len(items); err == nil {
				err = cmp.Or(trail.Step(n, token, next), w.tooMany(records))
			}
			if err != nil {
				return nil, err
			}
			pages[n] = Page[T]{Token: token, Next: next, Items: items}
			w.persist(ctx, s, sweep, n, pages[n])
			token = next
		}
		l = w.assemble(pages, len(pages)-1) // never nil: the pages chain as they were read
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.forSync(s.ID); w.done == nil { // a sweep List completed meanwhile is as good
		w.done, w.doneSweep = l, sweep
	}
	return l, nil
}

var logger = ctxzap.Extract
