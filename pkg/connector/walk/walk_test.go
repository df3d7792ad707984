package walk

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/session"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestWalkStoredInPartsUnderTheStoreLimits: a page whose records take many megabytes is stored in parts, and
// every call stays under the store's limits (limitStore fails the test otherwise); another process loads the
// same list back, and another sync does not see it.
func TestWalkStoredInPartsUnderTheStoreLimits(t *testing.T) {
	store := newLimitStore(t)
	big := someRecs(0, 40_000, 6) // about 14 MB stored
	pages := []Page[rec]{pageN(0, 2, big), pageN(1, 2, someRecs(40_000, 3, 1)), pageN(2, 2, nil)}
	writer := recs()
	add(t, writer, store.sync("sync-1"), NewSweepID(), pages...)
	if writer.held("sync-1") == nil {
		t.Fatal("the process that read every page does not hold the list")
	}
	parts := 0
	for k, v := range store.data {
		if strings.Contains(k, "/0/") {
			parts++
			if len(v) > partBytes {
				t.Errorf("part %s is %d bytes", k, len(v))
			}
		}
	}
	if parts < 10 {
		t.Errorf("the big page is stored in %d parts", parts)
	}

	r := &reader{fail: status.Error(codes.Unavailable, "Celigo must not be read")}
	l, err := recs().Complete(context.Background(), store.sync("sync-1"), r.read)
	if err != nil || r.reads != 0 {
		t.Fatalf("another process cannot load the list: %v, %d reads", err, r.reads)
	}
	want := append(append([]rec{}, big...), pages[1].Items...)
	if !reflect.DeepEqual(l.Items, want) {
		t.Errorf("loaded %d records, want %d equal to those written", len(l.Items), len(want))
	}
	if _, l := recs().load(context.Background(), store.sync("sync-2")); l != nil {
		t.Error("another sync sees this sync's list")
	}
}

// TestStoredWalkThatDoesNotHoldTogetherIsNotUsed: a stored list with anything missing or inconsistent is
// not loaded; it is read again, the read is stored, and a failing read fails.
func TestStoredWalkThatDoesNotHoldTogetherIsNotUsed(t *testing.T) {
	breakages := map[string]func(data map[string][]byte){
		"a page missing": func(d map[string][]byte) { deleteKey(d, "/1") },
		"a part missing": func(d map[string][]byte) { deleteKey(d, "/0/") },
		"a part cut short": func(d map[string][]byte) {
			k := findKey(d, "/0/")
			d[k] = d[k][:len(d[k])/2]
		},
		"a marker naming a page more": func(d map[string][]byte) { replaceIn(d, "/complete", "/3", "/4") },
		"a marker naming a page less": func(d map[string][]byte) { replaceIn(d, "/complete", "/3", "/2") },
		"a garbled marker":            func(d map[string][]byte) { d[findKey(d, "/complete")] = []byte("{") },
		"pages that do not chain":     func(d map[string][]byte) { replaceIn(d, "/1", "after=1", "after=9") },
		"a record count that does not match": func(d map[string][]byte) {
			replaceIn(d, "/2", `"count":2`, `"count":1`)
		},
	}
	pages := []Page[rec]{pageN(0, 2, someRecs(0, 3, 2)), pageN(1, 2, someRecs(3, 3, 0)), pageN(2, 2, someRecs(6, 2, 1))}
	for name, breakIt := range breakages {
		t.Run(name, func(t *testing.T) {
			store := newLimitStore(t)
			add(t, recs(), store.sync("s"), NewSweepID(), pages...)
			if _, l := recs().load(context.Background(), store.sync("s")); l == nil {
				t.Fatal("the intact list does not load")
			}
			breakIt(store.data)
			if _, l := recs().load(context.Background(), store.sync("s")); l != nil {
				t.Fatal("a broken list was loaded")
			}
		})
	}

	t.Run("read again, stored, and failing when the read fails", func(t *testing.T) {
		store := newLimitStore(t)
		add(t, recs(), store.sync("s"), NewSweepID(), pages...)
		deleteKey(store.data, "/1")
		r := &reader{pages: pages}
		l, err := recs().Complete(context.Background(), store.sync("s"), r.read)
		if err != nil || len(l.Items) != 8 || r.reads != 3 {
			t.Fatalf("read again: %v %v, %d reads", l, err, r.reads)
		}
		r.reads, r.fail = 0, status.Error(codes.PermissionDenied, "refused")
		again, err := recs().Complete(context.Background(), store.sync("s"), r.read)
		if err != nil || !reflect.DeepEqual(again.Items, l.Items) || r.reads != 0 {
			t.Fatalf("another process after the re-read: %v %v, %d reads", again, err, r.reads)
		}
		for _, s := range []Sync{store.sync("s2"), {ID: "s3"}} {
			if l, err := recs().Complete(context.Background(), s, r.read); err == nil || l != nil {
				t.Errorf("sync %s: %v %v", s.ID, l, err)
			}
		}
	})
}

// findKey finds a stored key: "/<n>" is page n, "/<n>/" a part of page n, "/complete" the marker.
func findKey(d map[string][]byte, which string) string {
	for k := range d {
		if strings.HasSuffix(which, "/") && strings.Contains(k, which) || strings.HasSuffix(k, which) {
			return k
		}
	}
	panic("no key " + which)
}

func deleteKey(d map[string][]byte, which string) { delete(d, findKey(d, which)) }

func replaceIn(d map[string][]byte, which, old, repl string) {
	k := findKey(d, which)
	d[k] = []byte(strings.Replace(string(d[k]), old, repl, 1))
}

// TestTrail: a next link that leads back to a page already read ends the list, a page read twice (a retry)
// does not, and neither does a link to a page not read yet; a list past MaxPages ends too.
func TestTrail(t *testing.T) {
	a, b := "https://h/v1/ashares?after=a", "https://h/v1/ashares?after=b"
	steps := []struct {
		n           int
		token, next string
		loops       bool
	}{
		{0, "", a, false},
		{1, a, b, false},
		{1, a, b, false}, // a retry
		{2, b, a, true},
	}
	trail := NewTrail("users")
	for i, st := range steps {
		err := trail.Step(st.n, st.token, st.next)
		if (err != nil) != st.loops {
			t.Fatalf("step %d: %v", i, err)
		}
		if st.loops && (status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "already read")) {
			t.Errorf("step %d: %v", i, err)
		}
	}
	defer func(old int) { MaxPages = old }(MaxPages)
	MaxPages = 3
	capped := NewTrail("users")
	if err := capped.Step(1, a, b); err != nil {
		t.Fatal(err)
	}
	if err := capped.Step(2, b, "https://h/v1/ashares?after=c"); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "after 3") {
		t.Errorf("past the cap: %v", err)
	}
	if err := capped.Step(2, b, ""); err != nil {
		t.Errorf("the last page at the cap: %v", err)
	}
}

// TestRecordCap: a sweep holding more than MaxRecords fails, saying so.
func TestRecordCap(t *testing.T) {
	defer func(old int) { MaxRecords = old }(MaxRecords)
	MaxRecords = 5
	w, sweep := recs(), NewSweepID()
	add(t, w, Sync{ID: "s"}, sweep, pageN(0, 3, someRecs(0, 3, 0)))
	err := w.Add(context.Background(), Sync{ID: "s"}, sweep, 1, pageN(1, 3, someRecs(3, 3, 0)))
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "more than 5 records") {
		t.Errorf("%v", err)
	}
}

// TestWalkWithAFailingStore: a store that fails every call costs reads, never correctness; it is logged once
// per list and sync.
func TestWalkWithAFailingStore(t *testing.T) {
	store := newLimitStore(t)
	store.fail = status.Error(codes.Unavailable, "store down")
	core, logs := observer.New(zap.WarnLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	r := &reader{pages: []Page[rec]{pageN(0, 1, someRecs(0, 5, 1)), pageN(1, 1, someRecs(5, 4, 0))}}
	w := recs()
	for i := 0; i < 3; i++ {
		l, err := w.Complete(ctx, store.sync("s"), r.read)
		if err != nil || len(l.Items) != 9 || r.reads != 2 {
			t.Fatalf("records: %v %v, %d reads", l, err, r.reads)
		}
	}
	if n := logs.FilterMessageSnippet("session store failed").Len(); n != 1 {
		t.Errorf("%d warnings, want 1: %v", n, logs.All())
	}
}

// TestReadAgainBesideAnotherSweep: a re-read is a sweep of its own. Pages List adds meanwhile, of this sync
// or of another, neither cut it short nor end in its answer: it answers its own sync's whole list.
func TestReadAgainBesideAnotherSweep(t *testing.T) {
	for name, other := range map[string]string{"this sync": "mine", "another sync": "other"} {
		t.Run(name, func(t *testing.T) {
			w := recs()
			listed := NewSweepID()
			add(t, w, Sync{ID: "mine"}, listed, pageN(0, 2, someRecs(0, 2, 0))) // List is reading the list
			read := func(ctx context.Context, token string) ([]rec, string, error) {
				if token == "" {
					return someRecs(0, 2, 0), "https://h/v1/ashares?after=x", nil
				}
				// List goes on meanwhile, in this sync or in another one.
				if err := w.Add(ctx, Sync{ID: other}, listed, 1, pageN(1, 2, someRecs(9, 1, 0))); err != nil {
					return nil, "", err
				}
				return someRecs(2, 2, 0), "", nil
			}
			l, err := w.Complete(context.Background(), Sync{ID: "mine"}, read)
			if err != nil || l == nil || !reflect.DeepEqual(l.Items, someRecs(0, 4, 0)) {
				t.Fatalf("%v %v", l, err)
			}
			if held := w.held("mine"); held == nil || !reflect.DeepEqual(held.Items, l.Items) {
				t.Errorf("the re-read list is not kept for the calls that follow: %v", held)
			}
		})
	}
}

// TestListedAnewReplacesTheList: a sync that lists again from the first page (a new sweep) holds the new
// list once its last page is read, in this process and for the others; a page of a completed sweep read
// again changes nothing.
func TestListedAnewReplacesTheList(t *testing.T) {
	store := newLimitStore(t)
	w := recs()
	first := []Page[rec]{pageN(0, 1, someRecs(0, 2, 0)), pageN(1, 1, someRecs(2, 2, 0))}
	firstSweep := NewSweepID()
	add(t, w, store.sync("s"), firstSweep, first...)
	second := []Page[rec]{pageN(0, 1, someRecs(0, 1, 0)), pageN(1, 1, someRecs(5, 1, 0))}
	sweep := NewSweepID()
	add(t, w, store.sync("s"), sweep, second[0])
	if w.held("s") != nil {
		t.Fatal("the old list is still served while the list is read anew")
	}
	add(t, w, store.sync("s"), sweep, second...)
	want := []rec{second[0].Items[0], second[1].Items[0]}
	if got := w.held("s"); got == nil || !reflect.DeepEqual(got.Items, want) {
		t.Fatalf("in memory: %v", got)
	}
	if err := w.Add(context.Background(), store.sync("s"), sweep, 1, second[1]); err != nil {
		t.Fatal(err)
	}
	r := &reader{fail: status.Error(codes.Unavailable, "Celigo must not be read")}
	if l, err := recs().Complete(context.Background(), store.sync("s"), r.read); err != nil || !reflect.DeepEqual(l.Items, want) {
		t.Fatalf("stored: %v %v", l, err)
	}
}

// TestNoStore: without a session store, or with the SDK's disabled one, or one that panics, the walk lives in
// this process: the list is complete after its pages are read, and nothing fails.
func TestNoStore(t *testing.T) {
	disabled := newLimitStore(t)
	disabled.fail = session.ErrSessionStoreDisabled
	for name, s := range map[string]Sync{
		"none":      {ID: "s"},
		"disabled":  disabled.sync("s"),
		"panicking": {ID: "s", Store: panicking{}},
	} {
		t.Run(name, func(t *testing.T) {
			w := recs()
			r := &reader{pages: []Page[rec]{pageN(0, 1, someRecs(0, 2, 0)), pageN(1, 1, someRecs(2, 1, 0))}}
			add(t, w, s, NewSweepID(), r.pages...)
			l, err := w.Complete(context.Background(), s, r.read)
			if err != nil || len(l.Items) != 3 || r.reads != 0 {
				t.Fatalf("%v %v, %d reads", l, err, r.reads)
			}
			if other := s.ClaimAccount(context.Background(), "acct"); other != "" {
				t.Errorf("account check without a store: %q", other)
			}
		})
	}
}

// panicking is what a connector server built without a store hands over: a wrapper around nothing.
type panicking struct{ *limitStore }

// TestClaimAccount: the first account a sync names is stored; another one is reported, in any process.
func TestClaimAccount(t *testing.T) {
	store := newLimitStore(t)
	ctx := context.Background()
	if other := store.sync("s").ClaimAccount(ctx, "a"); other != "" {
		t.Fatalf("first: %q", other)
	}
	if other := store.sync("s").ClaimAccount(ctx, "b"); other != "a" {
		t.Errorf("another account: %q", other)
	}
	if other := store.sync("s").ClaimAccount(ctx, "a"); other != "" {
		t.Errorf("the same account: %q", other)
	}
	if other := store.sync("s2").ClaimAccount(ctx, "b"); other != "" {
		t.Errorf("another sync: %q", other)
	}
	store.fail = status.Error(codes.Unavailable, "store down")
	if other := store.sync("s").ClaimAccount(ctx, "b"); other != "" {
		t.Errorf("a failing store: %q", other)
	}
}

// TestNoStoreIsAskedOncePerSync: once the walk knows a sync has no session store (the SDK's disabled one,
// which logs a warning on every call, or one that panics), it asks that store nothing more for the sync: a
// list of many pages costs one call in each process, not one a page. Another sync is asked again.
func TestNoStoreIsAskedOncePerSync(t *testing.T) {
	pages := []Page[rec]{pageN(0, 2, someRecs(0, 2, 0)), pageN(1, 2, someRecs(2, 2, 0)), pageN(2, 2, someRecs(4, 1, 0))}
	run := func(t *testing.T, ctx context.Context, store func(syncID string) Sync, calls func() int) {
		t.Helper()
		w, sweep := recs(), NewSweepID()
		for n, p := range pages {
			if err := w.Add(ctx, store("s"), sweep, n, p); err != nil {
				t.Fatal(err)
			}
		}
		if n := calls(); n != 1 {
			t.Errorf("%d store calls while %d pages were listed, want 1", n, len(pages))
		}
		r := &reader{pages: pages}
		l, err := recs().Complete(ctx, store("s"), r.read) // another process
		if err != nil || len(l.Items) != 5 || r.reads != 3 {
			t.Fatalf("another process: %v %v, %d reads", l, err, r.reads)
		}
		if n := calls(); n != 2 {
			t.Errorf("%d store calls after another process read the list again, want 2", n)
		}
		if err := w.Add(ctx, store("s2"), NewSweepID(), 0, pages[0]); err != nil {
			t.Fatal(err)
		}
		if n := calls(); n != 3 {
			t.Errorf("%d store calls after another sync's first page, want 3", n)
		}
	}
	t.Run("the SDK's disabled store", func(t *testing.T) {
		core, logs := observer.New(zap.WarnLevel)
		ctx := ctxzap.ToContext(context.Background(), zap.New(core))
		run(t, ctx, func(id string) Sync { return Sync{ID: id, Store: &session.NoOpSessionStore{}} }, func() int {
			return logs.FilterMessage("NoOpSessionStore operation ignored").Len()
		})
	})
	t.Run("a store that panics", func(t *testing.T) {
		var n atomic.Int64
		run(t, context.Background(), func(id string) Sync { return Sync{ID: id, Store: panicsCounted{n: &n}} },
			func() int { return int(n.Load()) })
	})
}

// panicsCounted panics on every call, as panicking does, and counts the calls.
type panicsCounted struct {
	panicking
	n *atomic.Int64
}

func (p panicsCounted) Get(ctx context.Context, key string, opt ...sessions.SessionStoreOption) ([]byte, bool, error) {
	p.n.Add(1)
	return p.panicking.Get(ctx, key, opt...)
}

func (p panicsCounted) GetMany(ctx context.Context, keys []string, opt ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	p.n.Add(1)
	return p.panicking.GetMany(ctx, keys, opt...)
}

func (p panicsCounted) SetMany(ctx context.Context, values map[string][]byte, opt ...sessions.SessionStoreOption) error {
	p.n.Add(1)
	return p.panicking.SetMany(ctx, values, opt...)
}

// TestClaimAccountNeedsOnlyGet: the account is claimed and checked with one Get, as it always was, so a store
// whose GetMany fails, or leaves every key unprocessed (which the SDK's unrolling takes for an error), still
// refuses a sync resumed with another account instead of letting it through unchecked.
func TestClaimAccountNeedsOnlyGet(t *testing.T) {
	for name, brk := range map[string]func(keys []string) (map[string][]byte, []string, error){
		"GetMany fails": func([]string) (map[string][]byte, []string, error) {
			return nil, nil, status.Error(codes.Unavailable, "GetMany down")
		},
		"GetMany leaves every key unprocessed": func(keys []string) (map[string][]byte, []string, error) {
			return nil, keys, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			store := newLimitStore(t)
			ctx := context.Background()
			s := Sync{ID: "s", Store: getManyBroken{store.sync("s").Store.(scoped), brk}}
			if other := s.ClaimAccount(ctx, "a"); other != "" {
				t.Fatalf("first: %q", other)
			}
			if other := s.ClaimAccount(ctx, "b"); other != "a" {
				t.Errorf("another account: %q, want a", other)
			}
		})
	}
}

// getManyBroken is a store whose GetMany answers as brk says; its other calls work.
type getManyBroken struct {
	scoped
	brk func(keys []string) (map[string][]byte, []string, error)
}

func (s getManyBroken) GetMany(_ context.Context, keys []string, _ ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	return s.brk(keys)
}
