package main_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/conductorone/baton-celigo/internal/synctest"
	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// TestStoppedSyncResumesFromTheSessionStore stops a sync (Ctrl-C) once its users are listed, then runs the
// binary again: the sync resumes from the c1z, and the users its grants need come from the session store
// the first run kept in the file, not from Celigo. Each page of each list is read once (the first page of
// users also by each run's validation).
func TestStoppedSyncResumesFromTheSessionStore(t *testing.T) {
	fake := celigotest.NewServer(secret, celigotest.Generate(12, 40, 9))
	fake.SetPageSize(3) // 14 pages of users, 3 of integrations, 1 of MCP servers
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	c1z := filepath.Join(dir, "sync.c1z")
	env := []string{"BATON_CELIGO_ACCESS_TOKEN=" + secret}
	args := append(common(fake), "-f", c1z)

	cmd := exec.CommandContext(context.Background(), binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var once sync.Once
	fake.SetFault(func(r *http.Request, _ int) *celigotest.Fault {
		if r.URL.Path != "/v1/integrations" {
			return nil
		}
		var f *celigotest.Fault
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			f = &celigotest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "5"}
		})
		return f
	})
	if err := cmd.Run(); err != nil {
		t.Logf("stopped run: %v", err)
	}
	if id, err := synctest.FinishedSync(t.Context(), c1z); err != nil || id != "" {
		t.Fatalf("after the stop: finished sync %q, %v\n%s", id, err, out.String())
	}
	fake.SetFault(nil)
	if r := baton(t, dir, env, args...); r.code != 0 {
		t.Fatalf("resumed run failed (%d):\n%s", r.code, r.out)
	} else if !strings.Contains(r.out, "resumed previous sync") {
		t.Fatalf("the second run did not resume:\n%s", r.out)
	}
	pages := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Status == http.StatusOK && (r.Path == "/v1/ashares" || r.Path == "/v1/integrations" || r.Path == "/v1/mcpservers") {
			pages[r.Path+"?"+r.RawQuery]++
		}
	}
	if len(pages) != 14+3+1 {
		t.Errorf("%d distinct pages read, want 18: %v", len(pages), pages)
	}
	for page, n := range pages {
		want := 1
		if page == "/v1/ashares?" {
			want = 3
		}
		if n != want {
			t.Errorf("%s read %d times, want %d", page, n, want)
		}
	}
}
