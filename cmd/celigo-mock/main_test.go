package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read stdout while run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, args ...string) (base string, stop func() error) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append(args, "-ready-file", ready), out) }()
	deadline := time.Now().Add(time.Minute) // a guard against a hang, not a timing assertion
	for {
		b, err := os.ReadFile(ready)
		if err == nil {
			base = strings.TrimSpace(string(b))
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("no ready file")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q", base)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		err := <-done
		if got := strings.TrimSpace(out.String()); got != base {
			t.Errorf("stdout %q, want the base URL %q", got, base)
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

func get(t *testing.T, url, token string) (*http.Response, any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v any
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return res, v
}

func TestServes(t *testing.T) {
	base, stop := start(t, "-users", "12", "-integrations", "3", "-page-size", "5", "-token", "tk")
	res, v := get(t, base+"/v1/ashares", "tk")
	if res.StatusCode != http.StatusOK || len(v.([]any)) != 5 {
		t.Fatalf("status %d, %v", res.StatusCode, v)
	}
	if l := res.Header.Get("Link"); !strings.HasPrefix(l, "<"+base+"/v1/ashares?after=") {
		t.Errorf("Link %q", l)
	}
	if res, _ := get(t, base+"/v1/ashares", "wrong"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := http.Get(base + "/v1/tokenInfo"); err == nil {
		t.Error("still serving after stop")
	}
}

func TestOwnerNotVisible(t *testing.T) {
	base, _ := start(t, "-owner-visible=false")
	_, info := get(t, base+"/v1/tokenInfo", "mock-token")
	_, shares := get(t, base+"/v1/ashares", "mock-token")
	uid := info.(map[string]any)["_userId"]
	found := false
	for _, s := range shares.([]any) {
		rec := s.(map[string]any)
		if rec["sharedWithUser"].(map[string]any)["_id"] == uid {
			found = rec["accessLevel"] == "administrator"
		}
	}
	if !found {
		t.Errorf("token user %v is not an administrator share", uid)
	}
}

func TestRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:0"},
		{"-addr", ":0"},
		{"-addr", "192.0.2.1:80"},
		{"-addr", "example.com:80"},
		{"-addr", "nope"},
		{"-page-size", "0"},
		{"-owner-visible=false", "-users", "0"},
		{"extra"},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0", "127.0.0.2:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("checkLoopback(%q) = %v", addr, err)
		}
	}
}
