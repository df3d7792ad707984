package celigotest

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Test-controlled hostility: faults served instead of (or after) the normal answer, latency, and a hook
// that runs before a write changes state.

// Fault replaces the normal answer to one request.
type Fault struct {
	Status      int
	RetryAfter  string // sent as Retry-After when not empty
	Body        string // "" = a plausible default for Status
	ContentType string // "" = application/json
	// Location is sent as the Location header when not empty: with a 3xx Status the answer is a redirect
	// (a relative value stays on the server's own origin).
	Location string
	// Applied carries the request out as usual first, then answers with this fault instead: a write
	// Celigo stored although its answer says it failed ("stored but answered 503").
	Applied bool
	// Truncate serves the normal answer, headers and status included, with its body cut in half, as a
	// dropped connection or a proxy's buffer would. The other fields are ignored.
	Truncate bool
}

// EveryNth faults every n-th request (n, 2n, 3n, ...) with status.
func EveryNth(n, status int, retryAfter string) func(*http.Request, int) *Fault {
	return func(_ *http.Request, count int) *Fault {
		if n > 0 && count%n == 0 {
			return &Fault{Status: status, RetryAfter: retryAfter}
		}
		return nil
	}
}

// SetLatency delays every request by d.
func (s *Server) SetLatency(d time.Duration) { setLocked(s, &s.latency, d) }

// SetFault installs f, asked before each request is handled; n is the 1-based count
// of requests since the server started or ResetRequests was last called.
// A nil result serves the request normally. f runs without the server's lock held.
func (s *Server) SetFault(f func(r *http.Request, n int) *Fault) { setLocked(s, &s.fault, f) }

// OnBeforeWrite installs f, called (without the server's lock) before a PUT, DELETE
// or POST mutates state, so a test can change the record between a client's read and write.
func (s *Server) OnBeforeWrite(f func(method, path string)) { setLocked(s, &s.beforeWrite, f) }

func serveFault(w http.ResponseWriter, f *Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Location != "" {
		w.Header().Set("Location", f.Location)
	}
	if f.Body != "" {
		ct := f.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	switch status {
	case http.StatusUnauthorized:
		writeJSON(w, status, map[string]string{"message": "Bearer Authentication Failed"})
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		// What a load balancer in front of Celigo answers: HTML, not JSON.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		_, _ = fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n</body>\r\n</html>\r\n", text, text)
	default:
		writeError(w, status, faultCode(status), http.StatusText(status), "")
	}
}

func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusBadRequest:
		return "invalid_query_params"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "access_restricted"
	case http.StatusConflict:
		return "already_exists"
	case http.StatusUnprocessableEntity:
		return "invalid_field"
	default:
		return "internal_error"
	}
}

func (s *Server) hook(r *http.Request) {
	s.mu.Lock()
	f := s.beforeWrite
	s.mu.Unlock()
	if f != nil {
		f(r.Method, r.URL.Path)
	}
}
