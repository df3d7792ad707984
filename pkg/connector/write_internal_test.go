package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// waitUntil polls cond, sleeping between looks rather than spinning; the deadline only guards against a hang.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 30 s")
		}
	}
}

func TestRecordLocks(t *testing.T) {
	var l recordLocks
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	unlockB, err := l.lock(ctx, "b") // another record is not held up
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	acquired := make(chan func())
	go func() {
		unlock, err := l.lock(ctx, "a")
		if err != nil {
			t.Error(err)
		}
		acquired <- unlock
	}()
	waitUntil(t, func() bool { return l.queued("a") >= 2 })
	select {
	case <-acquired:
		t.Fatal("a second writer got the record while the first held it")
	default:
	}

	// A waiter whose context ends gives up and leaves the queue.
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error)
	go func() {
		_, err := l.lock(cctx, "a")
		gaveUp <- err
	}()
	waitUntil(t, func() bool { return l.queued("a") >= 3 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}

	unlockA()
	(<-acquired)()
	if n := l.queued("a"); n != 0 || len(l.held) != 0 {
		t.Errorf("locks left behind: queued %d, held %v", n, l.held)
	}
}

// Two changes to one record at once in one process (the service runs tasks concurrently): the second
// waits for the first to finish before it reads, so neither is redone and both land.
func TestWritesToOneRecordAreSerialised(t *testing.T) {
	const rec, intA, intB = "6500000000000000000000e1", "6500000000000000000000a1", "6500000000000000000000a2"
	fake := celigotest.NewServer("tok", celigotest.Account{
		Owner:        celigotest.Person{ID: "6500000000000000000000f0", Email: "owner@example.com"},
		Shares:       []map[string]any{celigotest.NewShare(rec, celigotest.Person{ID: "6500000000000000000000p1", Email: "u@example.com"}, "monitor")},
		Integrations: []celigotest.Integration{{ID: intA, Name: "A"}, {ID: intB, Name: "B"}},
	})
	t.Cleanup(fake.Close)
	ctx := context.Background()
	client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	c := NewWithClient(client)
	path := "/v1/ashares/" + rec
	reads := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Method == http.MethodGet && r.Path == path {
				n++
			}
		}
		return n
	}
	grant := func(id string) changeFunc {
		return func(u *celigo.User) (bool, error) { return celigo.GrantIntegration(u, id, celigo.LevelManage) }
	}

	second := make(chan error, 1)
	var once sync.Once
	fake.OnBeforeWrite(func(string, string) {
		once.Do(func() {
			// The first writer's PUT is in flight: start a second writer on the same record.
			go func() {
				_, err := c.changeUser(ctx, rec, grant(intB))
				second <- err
			}()
			waitUntil(t, func() bool { return c.locks.queued(rec) >= 2 || reads() >= 2 })
			if n := reads(); n != 1 {
				t.Errorf("the second writer read the record while the first was writing it (%d reads)", n)
			}
		})
	})
	if _, err := c.changeUser(ctx, rec, grant(intA)); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, r := range fake.Requests() {
		if r.Path == path {
			seq = append(seq, r.Method)
		}
	}
	if want := []string{"GET", "PUT", "GET", "GET", "PUT", "GET"}; !slices.Equal(seq, want) {
		t.Errorf("requests on the record %v, want %v (one round each, not interleaved)", seq, want)
	}
	got, _ := fake.Share(rec)
	if entries := fmt.Sprint(got["integrationAccessLevel"]); !strings.Contains(entries, intA) || !strings.Contains(entries, intB) {
		t.Errorf("a change was lost: %v", entries)
	}
}

// A toggle throttled with 429 did not land: when the next round finds the user disabled by someone else,
// the action reports "already so", as an update does; a toggle stored but answered 503 may have landed and
// counts as ours.
func TestToggleCountsOnlyAWriteThatMayHaveLanded(t *testing.T) {
	const rec = "6500000000000000000000e1"
	for _, tc := range []struct {
		name        string
		fault       celigotest.Fault
		wantChanged bool
	}{
		{"429 while someone else disables", celigotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"}, false},
		{"stored but answered 503", celigotest.Fault{Status: http.StatusServiceUnavailable, Applied: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := celigotest.NewServer("tok", celigotest.Account{
				Owner:  celigotest.Person{ID: "6500000000000000000000f0", Email: "owner@example.com"},
				Shares: []map[string]any{celigotest.NewShare(rec, celigotest.Person{ID: "6500000000000000000000d1", Email: "u@example.com"}, "monitor")},
			})
			t.Cleanup(fake.Close)
			ctx := context.Background()
			client, err := celigo.New(ctx, celigo.Config{BaseURL: fake.URL, Token: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			toggles := 0
			fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
				if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/disable") {
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				if toggles++; toggles > 1 {
					return nil
				}
				if !tc.fault.Applied {
					share, _ := fake.Share(rec)
					share["disabled"] = true
					fake.SetShare(share)
				}
				fault := tc.fault
				return &fault
			})
			changed, _, err := NewWithClient(client).setDisabled(ctx, rec, true)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.wantChanged || toggles != 1 {
				t.Errorf("changed %v after %d toggles, want %v after 1", changed, toggles, tc.wantChanged)
			}
		})
	}
}
