package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/conductorone/baton-sdk/pkg/pagination"
	rs "github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/conductorone/baton-sdk/pkg/types/sessions"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// limitStore is a session store that holds the SDK's limits as errors: at most 100 keys a call and about
// 4 MB a message, both ways. fail, when set, fails every call.
type limitStore struct {
	t    *testing.T
	mu   sync.Mutex
	data map[string][]byte
	fail error
}

func newLimitStore(t *testing.T) *limitStore { return &limitStore{t: t, data: map[string][]byte{}} }

func (s *limitStore) bag(ctx context.Context, opt []sessions.SessionStoreOption) string {
	b := &sessions.SessionStoreBag{}
	for _, o := range opt {
		if err := o(ctx, b); err != nil {
			s.t.Fatal(err)
		}
	}
	if b.SyncID == "" {
		s.t.Error("a session-store call without a sync id")
	}
	return b.SyncID + "\x00" + b.Prefix
}

func (s *limitStore) Get(ctx context.Context, key string, opt ...sessions.SessionStoreOption) ([]byte, bool, error) {
	if s.fail != nil {
		return nil, false, s.fail
	}
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[ns+key]
	return v, ok, nil
}

func (s *limitStore) GetMany(ctx context.Context, keys []string, opt ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	if s.fail != nil {
		return nil, nil, s.fail
	}
	if len(keys) > sessions.MaxKeysPerRequest {
		s.t.Errorf("GetMany of %d keys", len(keys))
	}
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	out, size := map[string][]byte{}, 0
	for _, k := range keys {
		if v, ok := s.data[ns+k]; ok {
			out[k] = v
			size += len(k) + len(v)
		}
	}
	if size > sessions.MaxSessionStoreSizeLimit {
		s.t.Errorf("GetMany answer of %d bytes", size)
	}
	return out, nil, nil
}

func (s *limitStore) Set(ctx context.Context, key string, value []byte, opt ...sessions.SessionStoreOption) error {
	return s.SetMany(ctx, map[string][]byte{key: value}, opt...)
}

func (s *limitStore) SetMany(ctx context.Context, values map[string][]byte, opt ...sessions.SessionStoreOption) error {
	if s.fail != nil {
		return s.fail
	}
	if len(values) > sessions.MaxKeysPerRequest {
		s.t.Errorf("SetMany of %d keys", len(values))
	}
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	size := 0
	for k, v := range values {
		s.data[ns+k] = v
		size += len(k) + len(v)
	}
	if size > sessions.MaxSessionStoreSizeLimit {
		s.t.Errorf("SetMany of %d bytes", size)
	}
	return nil
}

func (s *limitStore) Delete(ctx context.Context, key string, opt ...sessions.SessionStoreOption) error {
	ns := s.bag(ctx, opt)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, ns+key)
	return nil
}

func (s *limitStore) Clear(context.Context, ...sessions.SessionStoreOption) error { return nil }

func (s *limitStore) GetAll(context.Context, string, ...sessions.SessionStoreOption) (map[string][]byte, string, error) {
	return nil, "", errors.New("not used")
}

// syncStore is what the SDK hands a call: the store, scoped to the sync.
type syncStore struct {
	*limitStore
	id string
}

func (s syncStore) scope() syncScope { return syncScope{id: s.id, store: scoped(s)} }

type scoped struct {
	*limitStore
	id string
}

func (s scoped) opts(opt []sessions.SessionStoreOption) []sessions.SessionStoreOption {
	return append([]sessions.SessionStoreOption{sessions.WithSyncID(s.id)}, opt...)
}

func (s scoped) Get(ctx context.Context, key string, opt ...sessions.SessionStoreOption) ([]byte, bool, error) {
	return s.limitStore.Get(ctx, key, s.opts(opt)...)
}

func (s scoped) GetMany(ctx context.Context, keys []string, opt ...sessions.SessionStoreOption) (map[string][]byte, []string, error) {
	return s.limitStore.GetMany(ctx, keys, s.opts(opt)...)
}

func (s scoped) SetMany(ctx context.Context, values map[string][]byte, opt ...sessions.SessionStoreOption) error {
	return s.limitStore.SetMany(ctx, values, s.opts(opt)...)
}

func (s scoped) Set(ctx context.Context, key string, value []byte, opt ...sessions.SessionStoreOption) error {
	return s.limitStore.Set(ctx, key, value, s.opts(opt)...)
}

// page builds users page n of a list of pages linked a → b → ...
func usersPageN(n, last int, users []userAccess) walkPage[userAccess] {
	link := func(i int) string { return fmt.Sprintf("https://api.integrator.io/v1/ashares?after=%d", i) }
	p := walkPage[userAccess]{items: users}
	if n > 0 {
		p.token = link(n)
	}
	if n < last {
		p.next = link(n + 1)
	}
	return p
}

func someUsers(from, n, entries int) []userAccess {
	out := make([]userAccess, n)
	for i := range out {
		u := userAccess{recordID: fmt.Sprintf("%024x", from+i), personID: fmt.Sprintf("p%023x", from+i), role: []string{"", "monitor", "manage", "administrator"}[i%4]}
		if entries > 0 {
			u.direct = map[string]string{}
			for e := 0; e < entries; e++ {
				u.direct[fmt.Sprintf("i%023x", e)] = []string{"manage", "monitor"}[(i+e)%2]
			}
		}
		out[i] = u
	}
	return out
}

func record(t *testing.T, m *listMemory[userAccess], s syncScope, sweep string, pages ...walkPage[userAccess]) {
	t.Helper()
	for n, p := range pages {
		if err := m.add(context.Background(), s, sweep, n, p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWalkStoredInPartsUnderTheStoreLimits: a page whose records take many megabytes is stored in parts, and
// every call stays under the store's limits (limitStore fails the test otherwise); another process loads the
// same list back.
func TestWalkStoredInPartsUnderTheStoreLimits(t *testing.T) {
	store := syncStore{newLimitStore(t), "sync-1"}
	big := someUsers(0, 40_000, 6) // about 14 MB stored
	pages := []walkPage[userAccess]{usersPageN(0, 2, big), usersPageN(1, 2, someUsers(40_000, 3, 1)), usersPageN(2, 2, nil)}
	writer := &listMemory[userAccess]{spec: usersList}
	sweep := newSweepID()
	record(t, writer, store.scope(), sweep, pages...)
	if writer.cached("sync-1") == nil {
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

	reader := &listMemory[userAccess]{spec: usersList}
	gotSweep, l := reader.load(context.Background(), store.scope())
	if l == nil || gotSweep != sweep {
		t.Fatalf("another process cannot load the list: %v", gotSweep)
	}
	want := append(append([]userAccess{}, big...), pages[1].items...)
	if !reflect.DeepEqual(l.items, want) {
		t.Errorf("loaded %d users, want %d equal to those written", len(l.items), len(want))
	}
	if other := (syncStore{store.limitStore, "sync-2"}); loadNothing(reader, other.scope()) == false {
		t.Error("another sync sees this sync's list")
	}
}

func loadNothing(m *listMemory[userAccess], s syncScope) bool {
	_, l := m.load(context.Background(), s)
	return l == nil
}

// TestStoredWalkThatDoesNotHoldTogetherIsNotUsed: a stored list with anything missing or inconsistent is
// not loaded; grants then read the list again from Celigo, and a failing Celigo fails them.
func TestStoredWalkThatDoesNotHoldTogetherIsNotUsed(t *testing.T) {
	breakages := map[string]func(data map[string][]byte){
		"a page missing": func(d map[string][]byte) { deleteKey(d, "/1") },
		"a part missing": func(d map[string][]byte) { deleteKey(d, "/0/") },
		"a part cut short": func(d map[string][]byte) {
			k := findKey(d, "/0/")
			d[k] = d[k][:len(d[k])/2]
		},
		"a marker naming a page more": func(d map[string][]byte) {
			k := findKey(d, "/complete")
			d[k] = []byte(strings.Replace(string(d[k]), `"pages":3`, `"pages":4`, 1))
		},
		"a marker naming a page less": func(d map[string][]byte) {
			k := findKey(d, "/complete")
			d[k] = []byte(strings.Replace(string(d[k]), `"pages":3`, `"pages":2`, 1))
		},
		"a garbled marker": func(d map[string][]byte) { d[findKey(d, "/complete")] = []byte("{") },
		"pages that do not chain": func(d map[string][]byte) {
			k := findKey(d, "/1")
			d[k] = []byte(strings.Replace(string(d[k]), "after=1", "after=9", 1))
		},
		"a record count that does not match": func(d map[string][]byte) {
			k := findKey(d, "/2")
			d[k] = []byte(strings.Replace(string(d[k]), `"count":2`, `"count":1`, 1))
		},
	}
	for name, breakIt := range breakages {
		t.Run(name, func(t *testing.T) {
			store := syncStore{newLimitStore(t), "s"}
			pages := []walkPage[userAccess]{usersPageN(0, 2, someUsers(0, 3, 2)), usersPageN(1, 2, someUsers(3, 3, 0)), usersPageN(2, 2, someUsers(6, 2, 1))}
			record(t, &listMemory[userAccess]{spec: usersList}, store.scope(), newSweepID(), pages...)
			if loadNothing(&listMemory[userAccess]{spec: usersList}, store.scope()) {
				t.Fatal("the intact list does not load")
			}
			breakIt(store.data)
			if !loadNothing(&listMemory[userAccess]{spec: usersList}, store.scope()) {
				t.Fatal("a broken list was loaded")
			}
		})
	}

	t.Run("grants read again, store what they read, and fail when Celigo does", func(t *testing.T) {
		store := syncStore{newLimitStore(t), "s"}
		record(t, &listMemory[userAccess]{spec: usersList}, store.scope(), newSweepID(), usersPageN(0, 1, someUsers(0, 3, 0)), usersPageN(1, 1, someUsers(3, 3, 0)))
		deleteKey(store.data, "/1")
		fake := celigotest.NewServer("tok", celigotest.Generate(3, 7, 2))
		defer fake.Close()
		fake.SetPageSize(2)
		users, err := walked(context.Background(), testConnector(t, fake), usersList, store.scope())
		if err != nil || len(users.items) != 7 {
			t.Fatalf("read again: %v %v", users, err)
		}
		fake.SetFault(func(*http.Request, int) *celigotest.Fault { return &celigotest.Fault{Status: http.StatusForbidden} })
		fake.ResetRequests()
		again, err := walked(context.Background(), testConnector(t, fake), usersList, store.scope())
		if err != nil || !reflect.DeepEqual(again.items, users.items) || len(fake.Requests()) != 0 {
			t.Fatalf("another process after the re-read: %v %v, %d requests", again, err, len(fake.Requests()))
		}
		for _, s := range []syncScope{(syncStore{store.limitStore, "s2"}).scope(), {id: "s3"}} {
			users, err := walked(context.Background(), testConnector(t, fake), usersList, s)
			if err == nil || users != nil {
				t.Errorf("sync %s: %v %v", s.id, users, err)
			}
		}
	})
}

// findKey finds a stored key: "/<n>" is page n, "/<n>/" a part of page n, "/complete" the marker.
func findKey(d map[string][]byte, which string) string {
	for k := range d {
		if strings.Contains(k, "/t/") {
			continue
		}
		if strings.HasSuffix(which, "/") && strings.Contains(k, which) || strings.HasSuffix(k, which) {
			return k
		}
	}
	panic("no key " + which)
}

func deleteKey(d map[string][]byte, which string) { delete(d, findKey(d, which)) }

func testConnector(t *testing.T, fake *celigotest.Server) *Connector {
	t.Helper()
	client, err := celigo.New(context.Background(), celigo.Config{BaseURL: fake.URL, Token: "tok", RetryBudget: -1})
	if err != nil {
		t.Fatal(err)
	}
	return NewWithClient(client)
}

// TestLoopAcrossProcessesIsRefused: next links that lead back to a page another process read end the list
// with an error; the same page read twice (a retry, elsewhere) does not.
func TestLoopAcrossProcessesIsRefused(t *testing.T) {
	store := syncStore{newLimitStore(t), "s"}
	ctx := context.Background()
	sweep := newSweepID()
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
	for i, st := range steps {
		m := &listMemory[userAccess]{spec: usersList} // each call in a process of its own
		err := m.add(ctx, store.scope(), sweep, st.n, walkPage[userAccess]{token: st.token, next: st.next})
		if (err != nil) != st.loops {
			t.Fatalf("step %d: %v", i, err)
		}
		if st.loops && (status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "already read")) {
			t.Errorf("step %d: %v", i, err)
		}
	}
}

// TestWalkWithAFailingStore: a store that fails every call costs reads, never correctness; it is logged once
// per list and sync.
func TestWalkWithAFailingStore(t *testing.T) {
	store := syncStore{newLimitStore(t), "s"}
	store.fail = status.Error(codes.Unavailable, "store down")
	fake := celigotest.NewServer("tok", celigotest.Generate(4, 9, 3))
	defer fake.Close()
	fake.SetPageSize(2)
	core, logs := observer.New(zap.WarnLevel)
	ctx := ctxzap.ToContext(context.Background(), zap.New(core))
	c := testConnector(t, fake)
	for i := 0; i < 3; i++ {
		users, err := walked(ctx, c, usersList, store.scope())
		if err != nil || len(users.items) != 9 {
			t.Fatalf("users: %v %v", users, err)
		}
	}
	if n := logs.FilterMessageSnippet("session store failed").Len(); n != 1 {
		t.Errorf("%d warnings, want 1: %v", n, logs.All())
	}
}

// TestReadAgainReplacedByAnotherSync: a re-read during which another sync takes the memory over fails; it
// never answers with an empty list.
func TestReadAgainReplacedByAnotherSync(t *testing.T) {
	c := NewWithClient(nil)
	spec := listSpec[userAccess]{name: "users", key: userAccess.key}
	spec.read = func(ctx context.Context, c *Connector, _ syncScope, token string) ([]userAccess, string, error) {
		if token == "" {
			return someUsers(0, 2, 0), "https://h/v1/ashares?after=x", nil
		}
		// Another sync lists its first page in between.
		if err := memoryOf(c.walk, spec).add(ctx, syncScope{id: "other"}, newSweepID(), 0, walkPage[userAccess]{items: someUsers(9, 1, 0)}); err != nil {
			return nil, "", err
		}
		return someUsers(2, 2, 0), "", nil
	}
	users, err := walked(context.Background(), c, spec, syncScope{id: "mine"})
	if users != nil || status.Code(err) != codes.Aborted {
		t.Fatalf("%v %v", users, err)
	}
}

// TestListedAnewReplacesTheList: a sync that lists again from the first page (a new sweep) holds the new
// list once its last page is read, in this process and for the others.
func TestListedAnewReplacesTheList(t *testing.T) {
	store := syncStore{newLimitStore(t), "s"}
	m := &listMemory[userAccess]{spec: usersList}
	record(t, m, store.scope(), newSweepID(), usersPageN(0, 1, someUsers(0, 2, 0)), usersPageN(1, 1, someUsers(2, 2, 0)))
	second := []walkPage[userAccess]{usersPageN(0, 1, someUsers(0, 1, 0)), usersPageN(1, 1, someUsers(5, 1, 0))}
	sweep := newSweepID()
	record(t, m, store.scope(), sweep, second[0])
	if m.cached("s") != nil {
		t.Fatal("the old list is still served while the list is read anew")
	}
	record(t, m, store.scope(), sweep, second...)
	want := []userAccess{second[0].items[0], second[1].items[0]}
	if got := m.cached("s"); got == nil || !reflect.DeepEqual(got.items, want) {
		t.Fatalf("in memory: %v", got)
	}
	if _, l := (&listMemory[userAccess]{spec: usersList}).load(context.Background(), store.scope()); l == nil || !reflect.DeepEqual(l.items, want) {
		t.Fatalf("stored: %v", l)
	}
}

// TestUserAccessStoredForm: the stored form keeps everything grants need, every field of userAccess.
func TestUserAccessStoredForm(t *testing.T) {
	// A field added to userAccess or userExtras must be added to storedUser and to the full value below:
	// otherwise a list loaded from the store would silently lose it.
	if n, m := reflect.TypeOf(userAccess{}).NumField(), reflect.TypeOf(userExtras{}).NumField(); n != 5 || m != 3 {
		t.Fatalf("userAccess has %d fields and userExtras %d: store the new ones (storedUser) and test them here", n, m)
	}
	full := userAccess{recordID: "r2", personID: "p2", role: "monitor", direct: map[string]string{"a": "manage", "b": "monitor"},
		extra: userExtras{mcp: map[string][]string{"s1": {"mcp:read", "mcp:write"}}, allMCP: true, permissions: []string{"edit_retry_data"}}}
	for _, u := range []userAccess{{recordID: "r1"}, full} {
		b, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back userAccess
		if err := back.UnmarshalJSON(b); err != nil || !reflect.DeepEqual(back, u) {
			t.Errorf("%s → %+v %v", b, back, err)
		}
	}
	for _, bad := range []string{`["r"]`, `{}`, `{"p":"x"}`} {
		var u userAccess
		if err := u.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestPageTokenWithoutPassIsServed: a sync checkpointed by an earlier version of the connector resumes with
// page tokens that name no sweep. Its pages are served, but their records are not stored as part of a sweep:
// the walk is incomplete, so the owner (at the end of the list) comes from a fresh read of the whole list,
// which grants then use.
func TestPageTokenWithoutPassIsServed(t *testing.T) {
	fake := celigotest.NewServer("tok", celigotest.Generate(5, 7, 2))
	defer fake.Close()
	fake.SetPageSize(3)
	c := testConnector(t, fake)
	store := syncStore{newLimitStore(t), "s"}
	opts := rs.SyncOpAttrs{SyncID: "s", Session: store.scope().store}
	users := c.ResourceSyncers(context.Background())[0]
	_, res, err := users.List(context.Background(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := parseListPosition(res.NextPageToken)
	if err != nil || pos.Sweep == "" {
		t.Fatalf("first token %q: %v", res.NextPageToken, err)
	}
	pos.Sweep = ""
	served := 3
	for tok := pos.token(); tok != ""; {
		opts.PageToken = pagination.Token{Token: tok}
		out, res, err := users.List(context.Background(), nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		served += len(out)
		tok = res.NextPageToken
	}
	if served != 7+1 {
		t.Fatalf("%d users served, want 7 and the owner", served)
	}
	if n := getsOf(fake, "/v1/ashares"); n != 3+3 {
		t.Errorf("%d reads of users, want 3 pages listed and 3 read again for the owner", n)
	}
	fake.ResetRequests()
	l, err := walked(context.Background(), c, usersList, store.scope())
	if err != nil || len(l.items) != 7 || len(fake.Requests()) != 0 {
		t.Fatalf("grants: %v %v, %d requests", l, err, len(fake.Requests()))
	}
}

func getsOf(fake *celigotest.Server, path string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}
