package celigo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/ratelimit"
	"github.com/conductorone/baton-sdk/pkg/uhttp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// APIError is a non-2xx answer from Celigo. It carries the gRPC code uhttp would give the status
// (so 429/5xx stay Unavailable and the SDK's retry logic and C1 see the usual codes) and, for
// throttling, the rate-limit description built from Retry-After.
type APIError struct {
	Method     string
	Path       string // path only: never the query, which may hold a cursor
	StatusCode int
	Code       string // Celigo's error code, e.g. access_restricted; "" for bare 401 bodies
	Message    string
	Field      string
	RateLimit  *v2.RateLimitDescription
	RetryAfter time.Duration // Celigo's Retry-After, 0 when absent
	grpcCode   codes.Code
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "celigo: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " (field %s)", e.Field)
	}
	return b.String()
}

// GRPCStatus lets status.Code and status.FromError see through the error.
func (e *APIError) GRPCStatus() *status.Status {
	st := status.New(e.grpcCode, e.Error())
	if e.RateLimit != nil {
		if withDetails, err := st.WithDetails(e.RateLimit); err == nil {
			return withDetails
		}
	}
	return st
}

// GRPCCode is the code callers should surface.
func (e *APIError) GRPCCode() codes.Code { return e.grpcCode }

// IsStatus reports whether err is an APIError with the given HTTP status.
func IsStatus(err error, statusCode int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == statusCode
}

// envelope is Celigo's error body; 401s use the bare {"message": ...} shape instead.
type envelope struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"errors"`
	Message string `json:"message"`
}

const (
	maxErrorBodyInMessage = 200
	// maxErrorText caps Celigo's own words (message, code, field) in an error: they reach log lines,
	// C1 and the exit message, and a megabyte of them would bury what matters (the status).
	maxErrorText = 300
	// maxErrorBody is what is read of a non-2xx answer: enough for any real error envelope. The rest is
	// left unread, so a 20 MB error page costs nothing and its status survives.
	maxErrorBody = 64 << 10
)

// cleanText makes text from Celigo fit for a log line or a terminal: escape sequences (ESC [ ... letter,
// ESC ] ... BEL/ST) and other control characters are dropped, runs of spaces and line breaks become one
// space, invalid UTF-8 is replaced, and the result is cut to at most limit runes and "...".
func cleanText(s string, limit int) string {
	var b strings.Builder
	runes, space := 0, false
	for i := 0; i < len(s) && runes < limit+1; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == 0x1b || r == 0x9b || r == 0x9d: // ESC, CSI, OSC: skip the whole sequence
			i = skipEscape(s, i, r)
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == utf8.RuneError && size == 1:
			r = '\ufffd'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r): // C0, C1, DEL, bidi overrides
			continue
		}
		if space {
			b.WriteByte(' ')
			runes++
			space = false
		}
		b.WriteRune(r)
		runes++
	}
	out := b.String()
	if runes > limit {
		out = string([]rune(out)[:limit]) + "..."
	}
	return out
}

// skipEscape returns the index after the escape sequence that the rune intro (just read, ending before i)
// starts: CSI runs to a final byte in @..~, OSC and other string sequences to BEL or ESC \, any other ESC
// sequence is one more character.
func skipEscape(s string, i int, intro rune) int {
	kind := intro
	if intro == 0x1b && i < len(s) {
		switch s[i] {
		case '[':
			kind, i = 0x9b, i+1
		case ']', 'P', '_', '^', 'X':
			kind, i = 0x9d, i+1
		default:
			return i + 1
		}
	}
	for ; i < len(s); i++ {
		c := s[i]
		if kind == 0x9b && c >= 0x40 && c <= 0x7e {
			return i + 1
		}
		if kind == 0x9d && (c == 0x07 || c == 0x1b && i+1 < len(s) && s[i+1] == '\\') {
			if c == 0x1b {
				return i + 2
			}
			return i + 1
		}
	}
	return i
}

func newAPIError(method, path string, resp *http.Response, body []byte) *APIError {
	e := &APIError{
		Method:     method,
		Path:       path,
		StatusCode: resp.StatusCode,
		grpcCode:   uhttp.GrpcCodeFromHTTPStatus(resp.StatusCode),
	}
	var env envelope
	if uhttp.IsJSONContentType(resp.Header.Get("Content-Type")) && json.Unmarshal(body, &env) == nil && (len(env.Errors) > 0 || env.Message != "") {
		msgs := make([]string, 0, len(env.Errors))
		for i, item := range env.Errors {
			if i == 0 {
				e.Code, e.Field = item.Code, item.Field
			}
			if item.Message != "" {
				msgs = append(msgs, item.Message)
			}
		}
		if env.Message != "" {
			msgs = append(msgs, env.Message)
		}
		e.Message = strings.Join(msgs, "; ")
		e.Code, e.Field, e.Message = cleanText(e.Code, 60), cleanText(e.Field, 100), cleanText(e.Message, maxErrorText)
		if holdsSecrets(path) {
			redactEnvelope(e)
		}
	} else {
		// An HTML page from a load balancer or a proxy: name it, quote a little of it.
		e.Message = fmt.Sprintf("unexpected %s body: %s", contentTypeName(resp), bodySnippet(path, body))
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		e.Message = redirectMessage(method, resp)
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	// Retry-After becomes a rate-limit detail: the SDK's retryer waits exactly that long.
	if resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode >= 500 && resp.Header.Get("Retry-After") != "") {
		if rl, err := ratelimit.ExtractRateLimitData(resp.StatusCode, &resp.Header); err == nil {
			e.RateLimit = rl
		}
	}
	return e
}

// redirectMessage names a redirect, which is never followed. The target is shown without credentials or query.
func redirectMessage(method string, resp *http.Response) string {
	target := "nowhere (no Location header)"
	if loc, err := resp.Location(); err == nil {
		loc.User, loc.RawQuery, loc.Fragment = nil, "", ""
		target = loc.String()
	}
	if method != http.MethodGet {
		return fmt.Sprintf("Celigo answered with a redirect to %s, not followed: a write is never redirected, so it is not known to be done", target)
	}
	return fmt.Sprintf("redirect to %s not followed: Celigo does not redirect API calls, so the answer cannot be trusted for this request", target)
}

// IsSandboxRefusal reports a 403 whose answer mentions a sandbox. Celigo refuses changes made with a token
// of a sandbox environment, but the exact answer is not documented: reading it from the word "sandbox" in
// the error code or message is an inference.
func IsSandboxRefusal(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden &&
		strings.Contains(strings.ToLower(apiErr.Code+" "+apiErr.Message), "sandbox")
}

// parseRetryAfter reads RFC 9110 Retry-After: delay seconds or an HTTP date. 0 when absent or unreadable.
// Ours rather than the SDK's: ratelimit.ExtractRateLimitData reads Retry-After only into the description's
// reset time (whole seconds, RFC 850 or RFC 3339 dates), which misses fractional seconds and the IMF-fixdate
// form RFC 9110 prefers; the wait before our own retry needs every form.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0
		}
		return time.Duration(min(secs, 3600) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func contentTypeName(resp *http.Response) string {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return "untyped"
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return ct
}

func snippet(body []byte) string {
	s := cleanText(string(body[:min(len(body), 4*maxErrorBodyInMessage)]), maxErrorBodyInMessage)
	if s == "" {
		return "(empty)"
	}
	return fmt.Sprintf("%q", s)
}

// errorf wraps err with a gRPC code of its own (decode failures, refused links), keeping the chain.
type codedError struct {
	code codes.Code
	err  error
}

func (e *codedError) Error() string              { return e.err.Error() }
func (e *codedError) Unwrap() error              { return e.err }
func (e *codedError) GRPCStatus() *status.Status { return status.New(e.code, e.err.Error()) }

// WithCode gives err a gRPC code while keeping it in the chain, so errors.Is and errors.As still see it.
func WithCode(code codes.Code, err error) error { return &codedError{code: code, err: err} }

func withCode(code codes.Code, format string, args ...any) error {
	return &codedError{code: code, err: fmt.Errorf(format, args...)}
}
