package celigo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// testToken is distinctive so a leak into any error text is easy to spot.
const testToken = "tok-S3CRET-7f3a9c-do-not-leak"

const testUserAgent = "celigo-unit-test/1.0"

// hit is one request a fake server received.
type hit struct {
	Method   string
	Path     string // r.URL.Path
	RawPath  string // r.URL.EscapedPath()
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fakeAPI is an httptest server that records every request and delegates the answer to handle.
type fakeAPI struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	handle func(w http.ResponseWriter, r *http.Request, n int, body []byte)
}

func newFakeAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int, body []byte)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{handle: handle}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func newTLSFakeAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int, body []byte)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{handle: handle}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.hits = append(f.hits, hit{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body,
	})
	n := len(f.hits)
	f.mu.Unlock()
	if f.handle != nil {
		f.handle(w, r, n, body)
	}
}

func (f *fakeAPI) Hits() []hit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hit(nil), f.hits...)
}

func (f *fakeAPI) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.hits)
}

// newTestClient builds a client on baseURL with a small retry budget and a recording sleep.
func newTestClient(t *testing.T, baseURL string, mods ...func(*Config)) (*Client, *celigotest.SleepRecorder) {
	t.Helper()
	cfg := Config{
		BaseURL:     baseURL,
		Token:       testToken,
		UserAgent:   testUserAgent,
		Timeout:     time.Minute, // never reached by a healthy exchange, however busy the machine; hang tests set their own
		RetryBudget: 3 * time.Second,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rec := &celigotest.SleepRecorder{}
	c.sleep, c.simulatedTime = rec.Sleep, true
	return c, rec
}

// serveAnswer writes status with body, typed contentType when it is not "".
func serveAnswer(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func writeJSONBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// requireNoToken asserts the token appears nowhere in err's texts (Error() and its gRPC status).
func requireNoToken(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), testToken) {
		t.Fatalf("error text leaks the token: err = %q, want it not to contain %q", err, testToken)
	}
	if got := status.Convert(err).Message(); strings.Contains(got, testToken) {
		t.Fatalf("gRPC status leaks the token: status.Convert(err).Message() = %q, want it not to contain %q", got, testToken)
	}
	if got := strings.ToLower(err.Error()); strings.Contains(got, "bearer "+strings.ToLower(testToken)) {
		t.Fatalf("strings.ToLower(err.Error()) = %q, want it not to contain %q", got, "bearer "+strings.ToLower(testToken))
	}
}

// jsonEqual reports whether got holds the same JSON value as want, whatever the spacing and key order.
func jsonEqual(t *testing.T, want, got string) bool {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v: %s", err, want)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return false
	}
	return reflect.DeepEqual(w, g)
}
