package celigotest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultPageSize is the page size Celigo documents.
const DefaultPageSize = 1000

// maxBody bounds request bodies; Celigo's own limit is unknown but far above any ashare.
const maxBody = 1 << 20

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

// Endless makes a list never end, as a broken server might.
type Endless int

const (
	// NotEndless: the last page has no next link (the default).
	NotEndless Endless = iota
	// EndlessEmpty: past the last page, empty pages each link to another empty page.
	EndlessEmpty
	// EndlessRepeat: the last page links back to the first under a new cursor, so pages never run out.
	EndlessRepeat
)

// EveryNth faults every n-th request (n, 2n, 3n, ...) with status.
func EveryNth(n, status int, retryAfter string) func(*http.Request, int) *Fault {
	return func(_ *http.Request, count int) *Fault {
		if n > 0 && count%n == 0 {
			return &Fault{Status: status, RetryAfter: retryAfter}
		}
		return nil
	}
}

// Request is one entry of the request log.
type Request struct {
	Method, Path, RawQuery string
	Authorized             bool // the Authorization header carried the right bearer token
	Status                 int  // the status served, faults included
	Body                   []byte
}

// Server is the fake Celigo API. It is safe for concurrent use.
type Server struct {
	// URL is the base URL (no trailing slash, no /v1); empty for NewHandler.
	URL string

	token     string
	ts        *httptest.Server
	cursorKey []byte

	mu           sync.Mutex
	owner        Person
	tokenUserID  string
	profileDeny  bool
	sandboxToken bool
	order        []string // ashare ids in list order
	shares       map[string]map[string]any
	integrations []Integration
	integByID    map[string]bool
	mcpServers   []MCPServer
	pageSize     int
	unquotedRel  bool
	linkFormat   func(next string) string
	emptyAs200   bool
	endless      Endless
	latency      time.Duration
	fault        func(*http.Request, int) *Fault
	beforeWrite  func(method, path string)
	count        int
	log          []*Request
}

// NewServer starts the fake on a loopback port; Close stops it.
func NewServer(token string, acct Account) *Server {
	s := NewHandler(token, acct)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// NewHandler builds the fake without a listener, for use with any http.Server.
// It panics on an account a test could not have meant (a record without a string
// _id, or a duplicated _id).
func NewHandler(token string, acct Account) *Server {
	key := make([]byte, 16)
	_, _ = rand.Read(key) // never fails on supported platforms
	s := &Server{
		token:        token,
		cursorKey:    key,
		owner:        acct.Owner,
		tokenUserID:  acct.TokenUserID,
		profileDeny:  acct.ProfileRefused,
		sandboxToken: acct.SandboxToken,
		shares:       make(map[string]map[string]any, len(acct.Shares)),
		integrations: append([]Integration(nil), acct.Integrations...),
		integByID:    make(map[string]bool, len(acct.Integrations)),
		mcpServers:   append([]MCPServer(nil), acct.MCPServers...),
		pageSize:     DefaultPageSize,
	}
	for _, in := range acct.Integrations {
		s.integByID[in.ID] = true
	}
	for _, rec := range acct.Shares {
		id := recordID(rec)
		if _, dup := s.shares[id]; dup {
			panic("celigotest: duplicate ashare _id " + id)
		}
		s.order = append(s.order, id)
		s.shares[id] = copyRecord(rec)
	}
	return s
}

func recordID(rec map[string]any) string {
	id, ok := rec["_id"].(string)
	if !ok || id == "" {
		panic("celigotest: ashare record without a string _id")
	}
	return id
}

// Close stops the listener started by NewServer.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// SetPageSize sets the list page size (default 1000); n < 1 means 1.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = max(n, 1)
}

// SetUnquotedRel makes Link headers say rel=next instead of rel="next"; both are valid RFC 8288.
func (s *Server) SetUnquotedRel(b bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unquotedRel = b
}

// SetLinkFormat makes list pages send f(next URL) as their Link header instead of `<next>; rel="next"`:
// tests use it for unusual but valid spellings and for broken ones. nil restores the default.
func (s *Server) SetLinkFormat(f func(next string) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.linkFormat = f
}

// SetEmptyListAs200 makes an empty list page answer 200 [] instead of Celigo's 204 with no body.
func (s *Server) SetEmptyListAs200(b bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emptyAs200 = b
}

// SetEndless makes both lists never end, in the way e says.
func (s *Server) SetEndless(e Endless) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endless = e
}

// SetLatency delays every request by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetFault installs f, asked before each request is handled; n is the 1-based count
// of requests since the server started or ResetRequests was last called.
// A nil result serves the request normally. f runs without the server's lock held.
func (s *Server) SetFault(f func(r *http.Request, n int) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// OnBeforeWrite installs f, called (without the server's lock) before a PUT, DELETE
// or POST mutates state, so a test can change the record between a client's read and write.
func (s *Server) OnBeforeWrite(f func(method, path string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeWrite = f
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = *r
		out[i].Body = bytes.Clone(r.Body)
	}
	return out
}

// ResetRequests empties the request log and restarts the count passed to fault functions.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.count = 0
}

// Share returns a deep copy of one ashare record.
func (s *Server) Share(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.shares[id]
	if !ok {
		return nil, false
	}
	return copyRecord(rec), true
}

// Shares returns deep copies of every ashare record, in list order.
func (s *Server) Shares() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sharesLocked()
}

func (s *Server) sharesLocked() []map[string]any {
	out := make([]map[string]any, len(s.order))
	for i, id := range s.order {
		out[i] = copyRecord(s.shares[id])
	}
	return out
}

// Integrations returns a copy of the integrations, in list order.
func (s *Server) Integrations() []Integration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Integration(nil), s.integrations...)
}

// Account returns a deep copy of the current state.
func (s *Server) Account() Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Account{
		Owner:          s.owner,
		TokenUserID:    s.tokenUserID,
		ProfileRefused: s.profileDeny,
		SandboxToken:   s.sandboxToken,
		Shares:         s.sharesLocked(),
		Integrations:   append([]Integration(nil), s.integrations...),
		MCPServers:     append([]MCPServer(nil), s.mcpServers...),
	}
}

// SetShare inserts or replaces a record as another writer (Celigo's UI) would; a new
// record goes to the end of the list. The record is stored as given, unvalidated.
func (s *Server) SetShare(rec map[string]any) {
	id := recordID(rec)
	c := copyRecord(rec)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.shares[id]; !ok {
		s.order = append(s.order, id)
	}
	s.shares[id] = c
}

// statusRecorder remembers the status served, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, tooLarge := readBody(r)
	authorized := r.Header.Get("Authorization") == "Bearer "+s.token

	s.mu.Lock()
	s.count++
	n := s.count
	entry := &Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Authorized: authorized, Body: body}
	s.log = append(s.log, entry)
	latency, fault := s.latency, s.fault
	s.mu.Unlock()

	w := &statusRecorder{ResponseWriter: rw}
	defer func() {
		s.mu.Lock()
		entry.Status = w.status
		s.mu.Unlock()
	}()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			w.WriteHeader(499) // client gone; logged like nginx does
			return
		}
	}
	var applied *Fault
	truncate := false
	if fault != nil {
		if f := fault(r, n); f != nil {
			switch {
			case f.Truncate:
				truncate = true
			case f.Applied:
				applied = f
			default:
				serveFault(w, f)
				return
			}
		}
	}
	switch h := r.Header.Get("Authorization"); {
	case h == "":
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
		return
	case !authorized:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bearer Authentication Failed"})
		return
	}
	if tooLarge {
		writeError(w, http.StatusRequestEntityTooLarge, "entity_too_large", "request body too large", "")
		return
	}
	if len(body) > 0 && (r.Method == http.MethodPut || r.Method == http.MethodPost) && !isJSON(r.Header.Get("Content-Type")) {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json", "")
		return
	}
	// Handlers write into a buffer while holding the lock; the network write happens
	// after, so a slow client never blocks other requests.
	buf := httptest.NewRecorder()
	s.route(buf, r, body)
	if applied != nil {
		serveFault(w, applied)
		return
	}
	for k, v := range buf.Header() {
		w.Header()[k] = v
	}
	out := buf.Body.Bytes()
	if truncate {
		out = out[:len(out)/2]
	}
	w.WriteHeader(buf.Code)
	_, _ = w.Write(out)
}

func readBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, false
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if len(b) == 0 {
		return nil, false
	}
	if len(b) > maxBody {
		return b[:maxBody], true
	}
	return b, false
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

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

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Celigo sends names like "A → B" and "<x>" as is
	if err := enc.Encode(v); err != nil {
		panic("celigotest: encoding response: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	e := map[string]string{"code": code, "message": msg}
	if field != "" {
		e["field"] = field
	}
	writeJSON(w, status, map[string]any{"errors": []any{e}})
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "not_found", "Resource not found", "")
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" {
		notFound(w)
		return
	}
	q := r.URL.Query()
	m, p := r.Method, parts[1:]
	is := func(method string, path ...string) bool {
		if m != method || len(p) != len(path) {
			return false
		}
		for i, seg := range path {
			if (seg == "{id}" && p[i] == "") || (seg != "{id}" && seg != p[i]) {
				return false
			}
		}
		return true
	}
	var h func()
	switch {
	case is(http.MethodGet, "ashares"):
		s.list(w, r, q, 'a')
		return
	case is(http.MethodGet, "integrations"):
		s.list(w, r, q, 'i')
		return
	case is(http.MethodGet, "mcpservers"):
		s.list(w, r, q, 'm')
		return
	case is(http.MethodGet, "tokenInfo"):
		h = func() { s.tokenInfo(w) }
	case is(http.MethodGet, "profile"):
		h = func() { s.profile(w) }
	case is(http.MethodPost, "invite"):
		h = func() { s.invite(w, r, body) }
	case is(http.MethodGet, "ashares", "{id}"):
		h = func() { s.getShare(w, p[1]) }
	case is(http.MethodPut, "ashares", "{id}"):
		h = func() { s.putShare(w, r, p[1], body) }
	case is(http.MethodDelete, "ashares", "{id}"):
		h = func() { s.deleteShare(w, r, p[1]) }
	case is(http.MethodPut, "ashares", "{id}", "disable"):
		h = func() { s.toggleDisable(w, r, p[1]) }
	case is(http.MethodGet, "integrations", "{id}"):
		h = func() { s.getIntegration(w, p[1]) }
	default:
		notFound(w)
		return
	}
	if len(q) > 0 {
		// Only the lists take a query parameter (the paging cursor).
		writeError(w, http.StatusBadRequest, "invalid_query_params", "unexpected query parameters", "")
		return
	}
	if m != http.MethodGet && s.refusesWrites() {
		// Celigo refuses user changes made with a sandbox environment's token; the envelope is a guess.
		writeError(w, http.StatusForbidden, "forbidden", "User management is not available with a sandbox environment token", "")
		return
	}
	h()
}

func (s *Server) refusesWrites() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sandboxToken
}

func (s *Server) tokenInfo(w http.ResponseWriter) {
	s.mu.Lock()
	id := s.tokenUser()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"_userId": id, "scope": "*"})
}

func (s *Server) tokenUser() string {
	if s.tokenUserID != "" {
		return s.tokenUserID
	}
	return s.owner.ID
}

func (s *Server) profile(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profileDeny {
		writeError(w, http.StatusForbidden, "forbidden", "This API token is not allowed to read the profile", "")
		return
	}
	id := s.tokenUser()
	if id == s.owner.ID {
		writeJSON(w, http.StatusOK, profileJSON(s.owner))
		return
	}
	for _, sid := range s.order {
		u, _ := s.shares[sid]["sharedWithUser"].(map[string]any)
		if uid, _ := u["_id"].(string); uid == id {
			email, _ := u["email"].(string)
			name, _ := u["name"].(string)
			writeJSON(w, http.StatusOK, profileJSON(Person{ID: id, Email: email, Name: name}))
			return
		}
	}
	// The token's user is gone from the account.
	writeError(w, http.StatusNotFound, "access_restricted", "User not found", "")
}

func profileJSON(p Person) map[string]any {
	m := map[string]any{"_id": p.ID, "email": p.Email}
	if p.Name != "" {
		m["name"] = p.Name
	}
	return m
}

// Cursors are opaque to clients: kind, offset, lap (how many times an endless list came round) and a MAC so
// that a made-up or tampered value is rejected the way Celigo rejects bad query parameters.
func (s *Server) cursor(kind byte, offset, lap int) string {
	b := make([]byte, 9, 9+8)
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], uint32(offset))
	binary.BigEndian.PutUint32(b[5:], uint32(lap))
	return base64.RawURLEncoding.EncodeToString(append(b, s.cursorMAC(b)...))
}

func (s *Server) cursorMAC(b []byte) []byte {
	h := hmac.New(sha256.New, s.cursorKey)
	h.Write(b)
	return h.Sum(nil)[:8]
}

func (s *Server) parseCursor(kind byte, c string) (offset, lap int, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 17 || b[0] != kind || !hmac.Equal(b[9:], s.cursorMAC(b[:9])) {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint32(b[1:5])), int(binary.BigEndian.Uint32(b[5:9])), true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, q url.Values, kind byte) {
	offset, lap := 0, 0
	for k, v := range q {
		if k != "after" || len(v) != 1 {
			msg := fmt.Sprintf("unsupported query parameter %q", k)
			if k == "include" {
				msg = "include switches to a summary projection; not supported by this fake"
			}
			writeError(w, http.StatusBadRequest, "invalid_query_params", msg, "")
			return
		}
		var ok bool
		if offset, lap, ok = s.parseCursor(kind, v[0]); !ok {
			writeError(w, http.StatusBadRequest, "invalid_query_params", "invalid value for after", "")
			return
		}
	}

	s.mu.Lock()
	var page []any
	total := len(s.order)
	switch kind {
	case 'i':
		total = len(s.integrations)
	case 'm':
		total = len(s.mcpServers)
	}
	if kind == 'm' && total == 0 {
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent) // Celigo's answer when an account has no MCP server
		return
	}
	end := min(offset+s.pageSize, total)
	for i := offset; i < end; i++ {
		switch kind {
		case 'a':
			page = append(page, s.shares[s.order[i]])
		case 'i':
			page = append(page, integrationJSON(s.integrations[i]))
		case 'm':
			page = append(page, mcpServerJSON(s.mcpServers[i]))
		}
	}
	if page == nil {
		page = []any{}
	}
	defer s.mu.Unlock() // page holds live records: encode them under the lock

	if nextOffset, nextLap, ok := s.nextPage(offset, end, total, lap); ok {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		next := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: "after=" + s.cursor(kind, nextOffset, nextLap)}
		w.Header().Set("Link", s.linkHeader(next.String()))
	}
	if len(page) == 0 && !s.emptyAs200 {
		w.WriteHeader(http.StatusNoContent) // Celigo's empty list: no body
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// nextPage says where the page after [offset, end) starts, if anywhere. The caller holds s.mu.
func (s *Server) nextPage(offset, end, total, lap int) (int, int, bool) {
	if end < total {
		return end, lap, true
	}
	switch s.endless {
	case EndlessEmpty:
		return max(offset, total) + s.pageSize, lap, true
	case EndlessRepeat:
		return 0, lap + 1, true
	}
	return 0, 0, false
}

// linkHeader is the Link header naming next. The caller holds s.mu.
func (s *Server) linkHeader(next string) string {
	if s.linkFormat != nil {
		return s.linkFormat(next)
	}
	if s.unquotedRel {
		return fmt.Sprintf("<%s>; rel=next", next)
	}
	return fmt.Sprintf(`<%s>; rel="next"`, next)
}

func integrationJSON(in Integration) map[string]any {
	m := map[string]any{
		"_id":                      in.ID,
		"name":                     in.Name,
		"sandbox":                  in.Sandbox,
		"createdAt":                formatTime(in.CreatedAt),
		"lastModified":             formatTime(in.LastModified),
		"_registeredConnectionIds": []any{},
		"installSteps":             []any{},
		"mode":                     "settings",
	}
	if in.Description != "" {
		m["description"] = in.Description
	}
	return m
}

func (s *Server) getIntegration(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.integrations {
		if in.ID == id {
			writeJSON(w, http.StatusOK, integrationJSON(in))
			return
		}
	}
	shareNotFound(w)
}

func shareNotFound(w http.ResponseWriter) {
	// Celigo answers 404 access_restricted for ids it does not know.
	writeError(w, http.StatusNotFound, "access_restricted", "The resource does not exist or you do not have access to it", "")
}

func (s *Server) getShare(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.shares[id]
	if !ok {
		shareNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) hook(r *http.Request) {
	s.mu.Lock()
	f := s.beforeWrite
	s.mu.Unlock()
	if f != nil {
		f(r.Method, r.URL.Path)
	}
}

// writable reports whether a PUT carries field k; everything else is read-only.
func writable(k string) bool {
	switch k {
	case "accessLevel", "integrationAccessLevel", "accountSSORequired", "accountMFARequired",
		"allowToEditRetryData", "allowAccessToAPIM", "disabled", "mcpServerAccessLevel",
		"allMcpServerAccess", "allowIntegrationWorkspaceCreation":
		return true
	}
	// Stands for a field Celigo adds later: clients must round-trip what they do not know.
	return strings.HasPrefix(k, "future")
}

// readOnly reports a field Celigo sets itself; a PUT that carries one is rejected (400), as Celigo does for userType.
func readOnly(k string) bool {
	switch k {
	case "_id", "accepted", "dismissed", "lastSignIn", "isProductionAdmin", "createdVia", "sharedWithUser",
		"createdAt", "lastModified", "userType":
		return true
	}
	return false
}

var boolFields = []string{"accountSSORequired", "accountMFARequired", "allowToEditRetryData",
	"allowAccessToAPIM", "disabled", "allMcpServerAccess", "allowIntegrationWorkspaceCreation"}

// decodeObject parses a JSON object body; ok=false means the 400 was already written.
func decodeObject(w http.ResponseWriter, body []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "Request body must be a JSON object", "")
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "invalid_json", "Unexpected data after the JSON object", "")
		return nil, false
	}
	return m, true
}

// validate checks the writable fields present in m like Celigo's schema would;
// it returns the offending field and a message, or "" when m is valid.
// The caller holds s.mu (integration ids are checked).
func (s *Server) validate(m map[string]any) (field, msg string) {
	if v, ok := m["accessLevel"]; ok {
		if l, _ := v.(string); l != LevelAdministrator && l != LevelManage && l != LevelMonitor {
			return "accessLevel", fmt.Sprintf("accessLevel must be administrator, manage or monitor, got %s", jsonText(v))
		}
	}
	if v, ok := m["integrationAccessLevel"]; ok {
		list, ok := v.([]any)
		if !ok {
			return "integrationAccessLevel", "integrationAccessLevel must be an array"
		}
		seen := map[string]bool{}
		for i, item := range list {
			f := fmt.Sprintf("integrationAccessLevel[%d]", i)
			e, ok := item.(map[string]any)
			if !ok {
				return f, "entry must be an object"
			}
			for k := range e {
				// future* stands for a sub-field Celigo adds later: clients must send it back as they got it.
				if k != "_integrationId" && k != "accessLevel" && !strings.HasPrefix(k, "future") {
					return f + "." + k, "unknown field " + k
				}
			}
			id, _ := e["_integrationId"].(string)
			if !s.integByID[id] {
				return f + "._integrationId", fmt.Sprintf("unknown integration %s", jsonText(e["_integrationId"]))
			}
			if seen[id] {
				return f + "._integrationId", "duplicate integration " + id
			}
			seen[id] = true
			if l, _ := e["accessLevel"].(string); l != LevelManage && l != LevelMonitor {
				return f + ".accessLevel", fmt.Sprintf("accessLevel must be manage or monitor, got %s", jsonText(e["accessLevel"]))
			}
		}
	}
	for _, k := range boolFields {
		if v, ok := m[k]; ok {
			if _, isBool := v.(bool); !isBool {
				return k, k + " must be a boolean"
			}
		}
	}
	if v, ok := m["mcpServerAccessLevel"]; ok {
		if field, msg := validateMCPAccess(v); field != "" {
			return field, msg
		}
	}
	return "", ""
}

// validateMCPAccess checks mcpServerAccessLevel: [{"_mcpServerId": "...", "scopes": ["mcp:read", "mcp:write"]}].
func validateMCPAccess(v any) (field, msg string) {
	list, ok := v.([]any)
	if !ok {
		return "mcpServerAccessLevel", "mcpServerAccessLevel must be an array"
	}
	for i, item := range list {
		f := fmt.Sprintf("mcpServerAccessLevel[%d]", i)
		e, ok := item.(map[string]any)
		if !ok {
			return f, "entry must be an object"
		}
		if id, _ := e["_mcpServerId"].(string); id == "" {
			return f + "._mcpServerId", "an MCP server id is required"
		}
		scopes, ok := e["scopes"].([]any)
		if !ok || len(scopes) == 0 {
			return f + ".scopes", "scopes must be a non-empty array"
		}
		for _, sc := range scopes {
			if sc != "mcp:read" && sc != "mcp:write" {
				return f + ".scopes", fmt.Sprintf("scope must be mcp:read or mcp:write, got %s", jsonText(sc))
			}
		}
	}
	return "", ""
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func now() string { return formatTime(time.Now()) }

func (s *Server) putShare(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	s.hook(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.shares[id]
	if !ok {
		shareNotFound(w)
		return
	}
	in, ok := decodeObject(w, body)
	if !ok {
		return
	}
	for k := range in {
		if readOnly(k) {
			writeError(w, http.StatusBadRequest, "invalid_field", k+" is read-only and cannot be set", k)
			return
		}
	}
	if field, msg := s.validate(in); field != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid_field", msg, field)
		return
	}
	if entries, _ := in["integrationAccessLevel"].([]any); in["accessLevel"] == nil && len(entries) == 0 {
		// A user must keep some access; taking all of it away is removing the user.
		writeError(w, http.StatusUnprocessableEntity, "invalid_field",
			"a user needs an accessLevel or at least one integrationAccessLevel entry", "accessLevel")
		return
	}
	// Replace semantics: read-only fields survive from the stored record, writable
	// ones come only from the body, so an omitted writable field is erased.
	rec := make(map[string]any, len(old)+len(in))
	for k, v := range old {
		if !writable(k) {
			rec[k] = v
		}
	}
	for k, v := range in {
		if writable(k) {
			rec[k] = v
		}
	}
	rec["lastModified"] = now()
	s.shares[id] = rec
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteShare(w http.ResponseWriter, r *http.Request, id string) {
	s.hook(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.shares[id]; !ok {
		shareNotFound(w)
		return
	}
	delete(s.shares, id)
	for i, x := range s.order {
		if x == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) toggleDisable(w http.ResponseWriter, r *http.Request, id string) {
	s.hook(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.shares[id]
	if !ok {
		shareNotFound(w)
		return
	}
	// A toggle, not a set: callers must read first.
	disabled, _ := rec["disabled"].(bool)
	rec["disabled"] = !disabled
	rec["lastModified"] = now()
	w.WriteHeader(http.StatusNoContent)
}

// inviteFields are what POST /v1/invite takes besides email.
var inviteFields = map[string]bool{"email": true, "accessLevel": true, "integrationAccessLevel": true,
	"accountSSORequired": true, "accountMFARequired": true}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, body []byte) {
	s.hook(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := decodeObject(w, body)
	if !ok {
		return
	}
	for k := range in {
		if !inviteFields[k] {
			writeError(w, http.StatusUnprocessableEntity, "invalid_field", "unknown field "+k, k)
			return
		}
	}
	email, _ := in["email"].(string)
	if !validEmail(email) {
		writeError(w, http.StatusUnprocessableEntity, "invalid_field", "a valid email is required", "email")
		return
	}
	if field, msg := s.validate(in); field != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid_field", msg, field)
		return
	}
	if strings.EqualFold(email, s.owner.Email) || s.emailTaken(email) {
		writeError(w, http.StatusConflict, "already_exists", "A user with this email already has access to this account", "email")
		return
	}
	ts := now()
	rec := map[string]any{
		"_id":                    s.newID(),
		"accepted":               false,
		"dismissed":              false,
		"disabled":               false,
		"integrationAccessLevel": []any{},
		"accountSSORequired":     false,
		"accountMFARequired":     false,
		"allowToEditRetryData":   false,
		"allowAccessToAPIM":      false,
		"createdVia":             "invite",
		"createdAt":              ts,
		"lastModified":           ts,
		"sharedWithUser": map[string]any{
			"_id":              s.newID(),
			"email":            email,
			"accountSSOLinked": "not_linked",
		},
	}
	for k, v := range in {
		if k != "email" {
			rec[k] = v
		}
	}
	id := rec["_id"].(string)
	s.order = append(s.order, id)
	s.shares[id] = rec
	writeJSON(w, http.StatusCreated, rec)
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && strings.Contains(e[at+1:], ".") && !strings.HasSuffix(e, ".")
}

func (s *Server) emailTaken(email string) bool {
	for _, rec := range s.shares {
		u, _ := rec["sharedWithUser"].(map[string]any)
		if e, _ := u["email"].(string); strings.EqualFold(e, email) {
			return true
		}
	}
	return false
}

// newID returns an unused ObjectId-like id: current time then random bytes.
// The caller holds s.mu.
func (s *Server) newID() string {
	for {
		var b [12]byte
		binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
		_, _ = rand.Read(b[4:])
		id := hex.EncodeToString(b[:])
		if _, taken := s.shares[id]; !taken && !s.userIDTaken(id) {
			return id
		}
	}
}

func (s *Server) userIDTaken(id string) bool {
	if id == s.owner.ID {
		return true
	}
	for _, rec := range s.shares {
		if u, _ := rec["sharedWithUser"].(map[string]any); u["_id"] == id {
			return true
		}
	}
	return false
}
