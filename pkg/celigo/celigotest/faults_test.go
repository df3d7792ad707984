package celigotest

import (
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	s := newTestServer(t, small())
	s.SetFault(EveryNth(2, http.StatusTooManyRequests, "3"))
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares", nil), http.StatusOK)
	r := call(t, s, http.MethodGet, "/v1/ashares", nil)
	wantError(t, r, http.StatusTooManyRequests, "rate_limited")
	if ra := r.header.Get("Retry-After"); ra != "3" {
		t.Errorf("Retry-After = %q", ra)
	}
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares", nil), http.StatusOK)

	// How a fault is served. 502/503 come from the load balancer (HTML); 500 from Celigo (envelope).
	cases := []struct {
		name        string
		fault       Fault
		noToken     bool   // faults come before the token is checked
		contentType string // the answer's, up to parameters
		body        string // exactly, spaces around it aside
		contains    string // or a part of the body
	}{
		{"502 from the load balancer", Fault{Status: http.StatusBadGateway}, false, "text/html", "", "<html>"},
		{"503 from the load balancer", Fault{Status: http.StatusServiceUnavailable}, false, "text/html", "", "<html>"},
		{"500 from Celigo", Fault{Status: 500}, false, "application/json", "", `"code":"internal_error"`},
		{"401 bare", Fault{Status: 401}, false, "application/json", `{"message":"Bearer Authentication Failed"}`, ""},
		{"custom body, before auth", Fault{Status: 400, Body: "plain", ContentType: "text/plain"}, true, "text/plain", "plain", ""},
	}
	for _, tc := range cases {
		s.SetFault(func(*http.Request, int) *Fault { f := tc.fault; return &f })
		var hdr map[string]string
		if !tc.noToken {
			hdr = map[string]string{"Authorization": "Bearer " + testToken}
		}
		r := callWith(t, s, http.MethodGet, "/v1/ashares", nil, hdr)
		ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
		body := strings.TrimSpace(string(r.body))
		if r.status != tc.fault.Status || ct != tc.contentType ||
			(tc.body != "" && body != tc.body) || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: served %d %q %s", tc.name, r.status, r.header.Get("Content-Type"), r.body)
		}
	}

	// A fault on a write leaves the state alone.
	s.SetFault(func(r *http.Request, _ int) *Fault {
		if r.Method == http.MethodDelete {
			return &Fault{Status: 503, RetryAfter: "1"}
		}
		return nil
	})
	r = call(t, s, http.MethodDelete, "/v1/ashares/aaaaaaaaaaaaaaaaaaaaaaa1", nil)
	if r.status != 503 || r.header.Get("Retry-After") != "1" {
		t.Errorf("delete fault = %d", r.status)
	}
	if _, ok := s.Share("aaaaaaaaaaaaaaaaaaaaaaa1"); !ok {
		t.Error("faulted delete removed the record")
	}
	s.SetFault(nil)
	wantStatus(t, call(t, s, http.MethodGet, "/v1/ashares", nil), http.StatusOK)
}

func TestFaultCountRestartsOnReset(t *testing.T) {
	s := newTestServer(t, small())
	var got []int
	var mu sync.Mutex
	s.SetFault(func(_ *http.Request, n int) *Fault {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, n)
		return nil
	})
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	s.ResetRequests()
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	if !reflect.DeepEqual(got, []int{1, 2, 1}) {
		t.Errorf("counts = %v", got)
	}
}

func TestOnBeforeWrite(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	s := newTestServer(t, small())
	var calls []string
	s.OnBeforeWrite(func(method, path string) {
		calls = append(calls, method+" "+path)
		// Another writer changes the record between the client's read and write.
		rec, _ := s.Share(id)
		rec["lastSignIn"] = "2030-01-01T00:00:00.000Z"
		rec["futureFlag"] = true
		s.SetShare(rec)
	})
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, map[string]any{"accessLevel": "manage"}), http.StatusNoContent)
	rec, _ := s.Share(id)
	if rec["lastSignIn"] != "2030-01-01T00:00:00.000Z" {
		t.Errorf("read-only change by the other writer lost: %v", rec["lastSignIn"])
	}
	if _, ok := rec["futureFlag"]; ok {
		t.Error("PUT without futureFlag kept it")
	}
	call(t, s, http.MethodGet, "/v1/ashares/"+id, nil)
	if !reflect.DeepEqual(calls, []string{"PUT /v1/ashares/" + id}) {
		t.Errorf("hook calls = %v", calls)
	}
}

func TestLatency(t *testing.T) {
	s := newTestServer(t, small())
	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	call(t, s, http.MethodGet, "/v1/tokenInfo", nil)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("request took %v, want >= 30ms", d)
	}
}

func TestRedirectFault(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa2"
	s := newTestServer(t, small())
	s.SetFault(func(r *http.Request, _ int) *Fault {
		if r.Method == http.MethodDelete {
			return &Fault{Status: http.StatusFound, Location: "/v1/ashares/" + id}
		}
		return nil
	})
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/v1/ashares/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/v1/ashares/"+id {
		t.Fatalf("status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, ok := s.Share(id); !ok {
		t.Error("a redirected delete removed the record")
	}
}

func TestAppliedFault(t *testing.T) {
	const id = "aaaaaaaaaaaaaaaaaaaaaaa1"
	s := newTestServer(t, small())
	s.SetFault(func(r *http.Request, _ int) *Fault {
		if r.Method == http.MethodPut {
			return &Fault{Status: http.StatusServiceUnavailable, Applied: true}
		}
		return nil
	})
	wantStatus(t, call(t, s, http.MethodPut, "/v1/ashares/"+id, map[string]any{"accessLevel": "manage"}), http.StatusServiceUnavailable)
	if rec, _ := s.Share(id); rec["accessLevel"] != "manage" {
		t.Errorf("an applied fault must carry the write out: %v", rec)
	}
	if got := s.Requests(); got[len(got)-1].Status != http.StatusServiceUnavailable {
		t.Errorf("logged status %d", got[len(got)-1].Status)
	}
}

func TestTruncateFault(t *testing.T) {
	s := newTestServer(t, small())
	whole := call(t, s, http.MethodGet, "/v1/ashares", nil)
	s.SetFault(func(*http.Request, int) *Fault { return &Fault{Truncate: true} })
	cut := call(t, s, http.MethodGet, "/v1/ashares", nil)
	wantStatus(t, cut, http.StatusOK)
	if len(cut.body) != len(whole.body)/2 || !strings.HasPrefix(string(whole.body), string(cut.body)) {
		t.Fatalf("cut body %q of %q", cut.body, whole.body)
	}
	if cut.header.Get("Content-Type") != whole.header.Get("Content-Type") {
		t.Errorf("headers differ: %v", cut.header)
	}
}
