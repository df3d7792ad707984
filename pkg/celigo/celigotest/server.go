package celigotest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// The core of the fake: its state, the request log, authentication and routing. The handlers of each
// resource are in their own file (users.go, integrations.go, account.go, invite.go, mcp.go, apitokens.go), paging in
// lists.go, and what a test can break on purpose in faults.go.

// maxBody bounds request bodies; Celigo's own limit is unknown but far above any ashare.
const maxBody = 1 << 20

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

	mu            sync.Mutex
	owner         Person
	tokenUserID   string
	profileDeny   bool
	sandboxToken  bool
	shares        *records // the access records (ashares)
	integrations  []Integration
	integByID     map[string]bool
	mcpServers    []MCPServer
	tokens        *records // the API token records
	callerToken   string   // the calling token's id, which tokenInfo names when set
	tokensRefused int
	revealing     int // calls to the endpoints that reveal a token's value
	pageSize      int
	unquotedRel   bool
	linkFormat    func(next string) string
	emptyAs200    bool
	endless       Endless
	latency       time.Duration
	fault         func(*http.Request, int) *Fault
	beforeWrite   func(method, path string)
	count         int
	log           []*Request

	// The audit log (audit.go).
	audit            []AuditEntry
	auditSeq         uint64
	clock            func() time.Time
	auditNamesPerson bool
	auditToExclusive bool
}

// setLocked stores v in *field under the server's lock: every test setting of the fake is one call of it.
func setLocked[T any](s *Server, field *T, v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*field = v
}

// locked is f's result, read under the server's lock.
func locked[T any](s *Server, f func() T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
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
		shares:       newRecords(acct.Shares, "ashare"),
		integrations: append([]Integration(nil), acct.Integrations...),
		integByID:    make(map[string]bool, len(acct.Integrations)),
		mcpServers:   append([]MCPServer(nil), acct.MCPServers...),
		tokens:       newRecords(acct.APITokens, "API token"),
		callerToken:  acct.CallerTokenID,
		audit:        copyAudit(acct.Audit),
		pageSize:     DefaultPageSize,
	}
	for _, in := range acct.Integrations {
		s.integByID[in.ID] = true
	}
	for i := range s.audit {
		if s.audit[i].ID == "" {
			s.audit[i].ID = s.auditID()
		}
	}
	return s
}

// records are raw records by _id, in list order: the fake's access records and API tokens.
type records struct {
	order []string
	byID  map[string]map[string]any
}

// newRecords copies recs; it panics on a duplicated _id (kind names the records in the message).
func newRecords(recs []map[string]any, kind string) *records {
	r := &records{byID: make(map[string]map[string]any, len(recs))}
	for _, rec := range recs {
		id := recordID(rec)
		if _, dup := r.byID[id]; dup {
			panic("celigotest: duplicate " + kind + " _id " + id)
		}
		r.put(id, copyRecord(rec))
	}
	return r
}

// put stores rec as record id, replacing one with that id; a new record goes to the end of the list.
func (r *records) put(id string, rec map[string]any) {
	if _, ok := r.byID[id]; !ok {
		r.order = append(r.order, id)
	}
	r.byID[id] = rec
}

// remove deletes record id, if there is one.
func (r *records) remove(id string) {
	delete(r.byID, id)
	if i := slices.Index(r.order, id); i >= 0 {
		r.order = slices.Delete(r.order, i, i+1)
	}
}

// at is the i-th record in list order.
func (r *records) at(i int) map[string]any { return r.byID[r.order[i]] }

// copyOf is a deep copy of record id.
func (r *records) copyOf(id string) (map[string]any, bool) {
	rec, ok := r.byID[id]
	if !ok {
		return nil, false
	}
	return copyRecord(rec), true
}

// copies are deep copies of every record, in list order.
func (r *records) copies() []map[string]any {
	out := make([]map[string]any, len(r.order))
	for i := range r.order {
		out[i] = copyRecord(r.at(i))
	}
	return out
}

// setRecord stores a copy of rec in recs under the lock, as another writer would: unvalidated, replacing
// the record with its _id, or else at the end of the list.
func (s *Server) setRecord(recs *records, rec map[string]any) {
	id := recordID(rec)
	c := copyRecord(rec)
	s.mu.Lock()
	defer s.mu.Unlock()
	recs.put(id, c)
}

// withRecord runs f on record id of recs under the lock; an unknown id is Celigo's 404.
func (s *Server) withRecord(w http.ResponseWriter, recs *records, id string, f func(rec map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := recs.byID[id]
	if !ok {
		unknownID(w)
		return
	}
	f(rec)
}

// unknownID is Celigo's answer for an id it does not know: 404 access_restricted.
func unknownID(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "access_restricted", "The resource does not exist or you do not have access to it", "")
}

// refusedReadOnly answers Celigo's 400 for a PUT body that sets a field readOnly names, and says whether it did.
func refusedReadOnly(w http.ResponseWriter, in map[string]any, readOnly func(string) bool) bool {
	for k := range in {
		if readOnly(k) {
			writeError(w, http.StatusBadRequest, "invalid_field", k+" is read-only and cannot be set", k)
			return true
		}
	}
	return false
}

// replaced is the record a PUT stores, as Celigo replaces one: fields that are not writable survive from
// old, writable ones come only from in (so an omitted writable field is erased), and lastModified is now.
func replaced(old, in map[string]any, writable func(string) bool) map[string]any {
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
	return rec
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

// Account returns a deep copy of the current state.
func (s *Server) Account() Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Account{
		Owner:          s.owner,
		TokenUserID:    s.tokenUserID,
		ProfileRefused: s.profileDeny,
		SandboxToken:   s.sandboxToken,
		Shares:         s.shares.copies(),
		Integrations:   append([]Integration(nil), s.integrations...),
		MCPServers:     append([]MCPServer(nil), s.mcpServers...),
		APITokens:      s.tokens.copies(),
		CallerTokenID:  s.callerToken,
		Audit:          copyAudit(s.audit),
	}
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

// isJSON is stricter than uhttp.IsJSONContentType on purpose (that one takes any application/...json...): a
// client must send exactly application/json, and the fake lets nothing looser pass.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Celigo sends names like "A → B" and "<x>" as is
	if err := enc.Encode(v); err != nil {
		panic(fmt.Errorf("celigotest: encoding response: %w", err))
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
		s.list(w, r, q, sharesList)
		return
	case is(http.MethodGet, "integrations"):
		s.list(w, r, q, integrationsList)
		return
	case is(http.MethodGet, "mcpservers"):
		s.list(w, r, q, mcpServersList)
		return
	case is(http.MethodGet, "accesstokens"):
		s.listAPITokens(w, r)
		return
	case is(http.MethodGet, "accesstokens", "{id}", "display"), is(http.MethodPost, "accesstokens", "{id}", "generate"):
		s.refuseRevealing(w)
		return
	case is(http.MethodGet, "accesstokens", "{id}"):
		h = func() { s.getAPIToken(w, p[1]) }
	case is(http.MethodPut, "accesstokens", "{id}"):
		h = func() { s.putAPIToken(w, r, p[1], body) }
	case is(http.MethodDelete, "accesstokens", "{id}"):
		h = func() { s.deleteAPIToken(w, r, p[1]) }
	case is(http.MethodGet, "audit"):
		s.listAudit(w, r, q)
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
	case is(http.MethodPut, "ashares", "{id}", "reinvite"):
		h = func() { s.reinvite(w, r, p[1]) }
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

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func now() string { return formatTime(time.Now()) }
