// Package celigo is a small client for Celigo integrator.io's REST API and the access rules Celigo applies:
// one call per API page, typed errors. It knows nothing of Baton's model (resources, grants), but it does
// use the SDK's HTTP and rate-limit helpers, and it gives its errors gRPC status codes (errors.go) chosen to
// steer the SDK: a failure this client already retried ends with a code the SDK does not retry again.
package celigo

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/conductorone/baton-sdk/pkg/ratelimit"
	"github.com/conductorone/baton-sdk/pkg/uhttp"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// DefaultTimeout bounds one HTTP exchange, so a server that accepts and never answers cannot hang a sync.
	DefaultTimeout = 30 * time.Second
	// DefaultRetryBudget is how long one call keeps retrying throttling and transient faults before it
	// gives up with an error the SDK does not retry again (its syncer would otherwise retry forever).
	DefaultRetryBudget = 2 * time.Minute
	// maxBody caps what is read from one answer; a page of 1000 users is about 1 MB.
	maxBody = 64 << 20
	// MaxPageRecords caps the records of one list page. Celigo documents 1000 a page; 25 times that is room
	// for a deployment that pages differently, and still a bounded amount of memory.
	MaxPageRecords = 25_000
	// validationAttempts is how many times validation tries a host that refuses connections before it says
	// it cannot reach it: at start-up that is a wrong base URL or a host that is down, not a blip.
	validationAttempts = 3
	// maxRetryWait caps a single Retry-After so one odd header cannot stall a run past its budget's sense.
	maxRetryWait = 60 * time.Second
)

// Config holds what a Client needs. Token is never logged nor put in an error.
type Config struct {
	Region      string // "us" (default) or "eu"
	BaseURL     string // optional override of the region's host
	Token       string
	UserAgent   string
	HTTPClient  *http.Client  // optional; built with uhttp when nil
	Timeout     time.Duration // per request; DefaultTimeout when 0
	RetryBudget time.Duration // DefaultRetryBudget when 0; negative disables retries
	// Sleep waits between retries; tests replace it to record waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one Celigo environment with one token.
type Client struct {
	base        *url.URL
	region      string
	token       string
	http        *http.Client
	retryBudget time.Duration
	sleep       func(ctx context.Context, d time.Duration) error
	// simulatedTime: sleep is a test's clock, so the retry budget counts only what it was asked to wait. Wall
	// time would make a test's outcome depend on how busy the machine is.
	simulatedTime bool
	// refusedAttempts, when > 0, ends a call after that many refused connections (see ForValidation).
	refusedAttempts int
}

// New checks the configuration (no network call) and builds a client.
func New(ctx context.Context, cfg Config) (*Client, error) {
	token, err := cleanToken(ctx, cfg.Token)
	if err != nil {
		return nil, err
	}
	base, err := ResolveBaseURL(cfg.Region, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
		// The SDK's --http-timeout-seconds (default 300 s) may only shorten ours: a longer wait per request
		// would let one silent server outlast the retry budget.
		if t, ok := ctx.Value(uhttp.ContextHTTPTimeoutKey).(time.Duration); ok && t > 0 && t < timeout {
			timeout = t
		}
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		ua := cfg.UserAgent
		if ua == "" {
			ua = "baton-celigo"
		}
		httpClient, err = uhttp.NewClient(ctx,
			uhttp.WithLogger(true, ctxzap.Extract(ctx)),
			uhttp.WithUserAgent(ua),
			uhttp.WithTimeout(timeout),
		)
		if err != nil {
			return nil, fmt.Errorf("celigo: creating HTTP client: %w", err)
		}
	}
	// No redirect is followed, GETs included: Celigo does not send them, and a followed one lets an answer
	// stand for another request (a read of record X answered by record Y's URL, a list by another list).
	// Go would also re-send Authorization to the same host name on any port or scheme, and turn a redirected
	// write into a GET. The redirect itself is the answer, a 3xx error naming its target. The caller's client
	// is copied, not changed.
	cp := *httpClient
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	httpClient = &cp
	budget := cfg.RetryBudget
	if budget == 0 {
		budget = DefaultRetryBudget
	}
	c := &Client{
		base:        base,
		region:      NormalizeRegion(cfg.Region),
		token:       token,
		http:        httpClient,
		retryBudget: budget,
		sleep:       sleepCtx,
	}
	if cfg.Sleep != nil {
		c.sleep, c.simulatedTime = cfg.Sleep, true
	}
	return c, nil
}

// cleanToken trims what a copy and paste adds around a token (a trailing newline from a file or an echo):
// Go refuses to send such a header, and every request would fail without saying why. A token with a control
// character inside is refused here, with a message that says so.
func cleanToken(ctx context.Context, raw string) (string, error) {
	token := strings.TrimSpace(raw)
	if token == "" {
		return "", errors.New("the Celigo access token is empty: set --celigo-access-token or BATON_CELIGO_ACCESS_TOKEN")
	}
	if token != raw {
		ctxzap.Extract(ctx).Info("celigo: removed spaces or line breaks around the access token")
	}
	for _, r := range token {
		if r < 0x20 || r == 0x7f {
			return "", errors.New("the Celigo access token contains a line break or another control character, which cannot be sent in an HTTP header: copy the token again")
		}
	}
	return token, nil
}

// ForValidation is this client for checking the configuration at start-up: a host that refuses connections
// fails after a few quick tries with "cannot reach <host>" instead of spending the whole retry budget.
// Throttling and server errors keep the budget.
func (c *Client) ForValidation() *Client {
	cp := *c
	cp.refusedAttempts = validationAttempts
	return &cp
}

// BaseURL is the API host this client talks to (never carries the token).
func (c *Client) BaseURL() string { return c.base.String() }

// Host is the API host name, for messages.
func (c *Client) Host() string { return c.base.Host }

// Region is the configured region.
func (c *Client) Region() string { return c.region }

// endpoint builds an absolute URL under the base for a /v1 path that is already escaped (ids go through
// url.PathEscape): setting it as url.URL.Path would escape it a second time.
func (c *Client) endpoint(path string) string {
	return c.base.String() + path
}

// request describes one call. Through do, idempotent calls are retried on any transient fault and the
// others only when Celigo said 429, which means it did not act on them. Writes go through send instead.
type request struct {
	method     string
	url        string
	path       string // for messages and errors: no host, no query
	body       any
	idempotent bool
	// accept, when set, checks a 2xx answer inside the retry loop. A GET whose answer it finds garbled (see
	// garbledError) is asked again like a 5xx: a GET is safe to repeat, and a proxy's error page or a cut
	// answer usually is not there the next time.
	accept func(*response) error
}

// payload is the request's body as sent: its JSON, or nil when it has none.
func (req request) payload() ([]byte, error) {
	if req.body == nil {
		return nil, nil
	}
	payload, err := json.Marshal(req.body)
	if err != nil {
		return nil, fmt.Errorf("celigo: %s %s: encoding body: %w", req.method, req.path, err)
	}
	return payload, nil
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req, retrying throttling and transient faults within the retry budget.
//
// This loop, not uhttp.BaseHttpClient's, on purpose: Celigo's writes must never be re-sent as they were
// (a stale whole-record PUT would undo another administrator's change), a garbled 200 on a GET is retried
// like a 5xx, Retry-After is floored at the backoff, and every retry shares one budget that ends the run
// with a clear code. uhttp still builds the http.Client (user agent, timeout, logging).
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	payload, err := req.payload()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var slept time.Duration // what c.sleep was asked to wait; wall time also counts unless time is simulated
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, req, payload)
		if err == nil && req.accept != nil {
			err = req.accept(resp)
		}
		if err == nil {
			return resp, nil
		}
		wait, retry := c.retryDecision(req, err, attempt)
		if !retry {
			return nil, c.finalError(req, err, attempt)
		}
		elapsed := slept
		if !c.simulatedTime {
			elapsed = max(time.Since(start), slept)
		}
		if c.retryBudget < 0 || elapsed+wait > c.retryBudget {
			return nil, giveUp(req, err, elapsed, attempt)
		}
		slept += wait
		ctxzap.Extract(ctx).Warn("celigo: transient failure, retrying",
			zap.String("method", req.method), zap.String("path", req.path),
			zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(err))
		if err := c.pause(ctx, wait, err); err != nil {
			return nil, fmt.Errorf("celigo: %s %s: %w", req.method, req.path, err)
		}
	}
}

// pause waits before a retry and reports the wait to baton-sdk's wait observer on ctx (the connector turns
// these into the rate-limit wait report of its answer): a wait after a 429 counts as rate limiting, any
// other as a plain retry backoff. Only the time actually waited is reported.
func (c *Client) pause(ctx context.Context, wait time.Duration, cause error) error {
	start := time.Now()
	err := c.sleep(ctx, wait)
	waited := wait
	if err != nil {
		waited = time.Since(start)
	}
	ratelimit.ObserveWait(ctx, ratelimit.WaitEvent{Duration: waited, Retry: !IsStatus(cause, http.StatusTooManyRequests)})
	return err
}

func (c *Client) once(ctx context.Context, req request, payload []byte) (*response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return nil, fmt.Errorf("celigo: %s %s: %w", req.method, req.path, err)
	}
	hreq.Header.Set("Authorization", "Bearer "+c.token)
	hreq.Header.Set("Accept", "application/json")
	if payload != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, &transportError{method: req.method, path: req.path, err: scrubURL(err)}
	}
	defer hresp.Body.Close()
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		// Only the head of an error answer is read (a real envelope is small); the status is what matters
		// and survives whatever follows, a huge or cut body included.
		data, _ := io.ReadAll(io.LimitReader(hresp.Body, maxErrorBody))
		return nil, newAPIError(req.method, req.path, hresp, data)
	}
	data, err := io.ReadAll(io.LimitReader(hresp.Body, maxBody+1))
	if err != nil {
		return nil, &transportError{method: req.method, path: req.path, err: scrubURL(err)}
	}
	if len(data) > maxBody {
		return nil, withCode(codes.Internal, "celigo: %s %s: answer larger than %d bytes", req.method, req.path, maxBody)
	}
	return &response{status: hresp.StatusCode, header: hresp.Header, body: data}, nil
}

// retryDecision says whether err is worth another attempt and how long to wait first.
func (c *Client) retryDecision(req request, err error, attempt int) (time.Duration, bool) {
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		switch {
		case apiErr.StatusCode == http.StatusTooManyRequests:
		case req.idempotent && (apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusRequestTimeout):
		default:
			return 0, false
		}
		if apiErr.RetryAfter > 0 {
			// Never sooner than the normal backoff: a Retry-After of 0.001 would have us hammer a server
			// that is asking us to slow down.
			return min(max(apiErr.RetryAfter, backoff(attempt)), maxRetryWait), true
		}
		return backoff(attempt), true
	case isGarbled(err):
		return backoff(attempt), req.method == http.MethodGet
	case isTransport(err):
		if !req.idempotent || permanentTransportError(err) {
			return 0, false
		}
		if c.refusedAttempts > 0 && attempt >= c.refusedAttempts && connectionRefused(err) {
			return 0, false
		}
		return backoff(attempt), true
	}
	return 0, false
}

// finalError is what a call that will not be tried again returns: err, or for a failure to get any answer,
// a message that names its cause.
func (c *Client) finalError(req request, err error, attempts int) error {
	if !isTransport(err) {
		return err
	}
	switch {
	case connectionRefused(err):
		return &codedError{code: codes.Aborted, err: fmt.Errorf("celigo: %s %s: cannot reach %s: connection refused (%d attempts): %w",
			req.method, req.path, c.base.Host, attempts, err)}
	case protocolMismatch(err):
		return &codedError{code: codes.FailedPrecondition, err: fmt.Errorf(
			"celigo: %s %s: %s did not answer in TLS: a plain-HTTP server answered the https URL (check base-url, or a proxy in between): %w",
			req.method, req.path, c.base.Host, err)}
	case invalidHeader(err):
		return &codedError{code: codes.InvalidArgument, err: fmt.Errorf(
			"celigo: %s %s: the request cannot be sent: a header holds a character HTTP does not allow (a line break in the access token?): %w",
			req.method, req.path, err)}
	}
	return err
}

// backoff is exponential with jitter: 0.5s, 1s, 2s ... capped at 15s.
func backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt-1, 5)
	d = min(d, 15*time.Second)
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter needs no cryptographic randomness
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// giveUp turns a persisting transient failure into an error the SDK does not retry, so a Celigo outage
// ends a run with a clear message instead of hanging it.
func giveUp(req request, err error, elapsed time.Duration, attempts int) error {
	code := codes.Aborted
	if IsStatus(err, http.StatusTooManyRequests) {
		code = codes.ResourceExhausted
	}
	return &codedError{code: code, err: fmt.Errorf("celigo: %s %s still failing after %d attempts in %s, giving up: %w",
		req.method, req.path, attempts, elapsed.Round(time.Second), err)}
}

// transportError is a failure to get any answer (refused connection, timeout, reset).
type transportError struct {
	method, path string
	err          error
}

// Error is one line: the SDK's transport puts a line break inside its errors ("... connection refused\ndial
// tcp ..."), which would leave the last line of an exit message without its explanation.
func (e *transportError) Error() string {
	return fmt.Sprintf("celigo: %s %s: no answer from Celigo: %s", e.method, e.path,
		cleanText(strings.ReplaceAll(e.err.Error(), "\n", "; "), maxErrorText))
}
func (e *transportError) Unwrap() error { return e.err }

// permanentTransportError is a failure no retry can cure: a certificate that does not verify, a host that
// does not exist, a server that does not speak TLS, a request Go refuses to send.
func permanentTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var dnsErr *net.DNSError
	return errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authErr) ||
		(errors.As(err, &dnsErr) && dnsErr.IsNotFound) || protocolMismatch(err) || invalidHeader(err)
}

// protocolMismatch: the server answered a TLS hello with something else (plain HTTP on an https URL).
func protocolMismatch(err error) bool {
	var recErr tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &recErr)
}

// invalidHeader: Go refused to send a header value (it names the header, never the value). The error has
// no type of its own, so its text is matched.
func invalidHeader(err error) bool {
	return strings.Contains(err.Error(), "invalid header field")
}

func connectionRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func isTransport(err error) bool {
	var t *transportError
	return errors.As(err, &t)
}

// scrubURL drops the query of a *url.Error's URL: a cursor is harmless but noisy, and nothing
// secret may ever ride along in an error.
func scrubURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			u.RawQuery = ""
			u.User = nil
			return &url.Error{Op: uerr.Op, URL: u.String(), Err: uerr.Err}
		}
	}
	return err
}

// decode parses a JSON object answer into out, naming the endpoint when Celigo sent something unexpected.
// What a proxy or a cut connection produces (not JSON, empty, cut short, null, another shape at the top) is a
// garbledError, asked again; a field of the wrong type inside a record is not, since asking again would give
// the same.
func decode(req request, resp *response, out any) error {
	if err := checkJSON(req, resp); err != nil {
		return err
	}
	switch trimmed := bytes.TrimSpace(resp.body); {
	case string(trimmed) == "null":
		return garbled(req, "answer is null")
	case trimmed[0] != '{':
		// A list, a string or a number where one record was asked for: asked again, like a cut answer.
		return garbled(req, "answer is not a JSON object: "+bodySnippet(req.path, resp.body))
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return decodeError(req, err)
	}
	return nil
}

// checkJSON refuses an answer that is not typed JSON or has no body at all.
func checkJSON(req request, resp *response) error {
	if !uhttp.IsJSONContentType(resp.header.Get("Content-Type")) {
		return garbled(req, fmt.Sprintf("expected JSON, got %q (HTTP %d): %s", resp.header.Get("Content-Type"), resp.status, bodySnippet(req.path, resp.body)))
	}
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return garbled(req, fmt.Sprintf("empty answer (HTTP %d)", resp.status))
	}
	return nil
}

// decodeError classifies a JSON decoding failure: a syntax error or a cut answer is garbled; a value of the
// wrong type is Celigo sending something this code does not understand.
func decodeError(req request, err error) error {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &garbledError{err: fmt.Errorf("celigo: %s %s: malformed JSON answer: %w", req.method, req.path, err)}
	}
	return withCode(codes.Internal, "celigo: %s %s: unexpected JSON answer: %w", req.method, req.path, err)
}

// garbledError is an answer that cannot be read at all: not JSON, empty, cut short, null, or not the shape
// asked for at the top (an object for a list, a list for a record). A GET is asked
// again within the retry budget; it fails the call only when it persists.
type garbledError struct{ err error }

func (e *garbledError) Error() string              { return e.err.Error() }
func (e *garbledError) Unwrap() error              { return e.err }
func (e *garbledError) GRPCStatus() *status.Status { return status.New(codes.Internal, e.err.Error()) }

func garbled(req request, what string) error {
	return &garbledError{err: fmt.Errorf("celigo: %s %s: %s", req.method, req.path, what)}
}

func isGarbled(err error) bool {
	var g *garbledError
	return errors.As(err, &g)
}
