package celigotest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// The lists (/v1/ashares, /v1/integrations, /v1/mcpservers, /v1/accesstokens): Link-header paging with opaque, signed cursors,
// 204 for an empty page, and the broken ways a test can make a list behave.

// DefaultPageSize is the page size Celigo documents.
const DefaultPageSize = 1000

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

// SetPageSize sets the list page size (default 1000); n < 1 means 1.
func (s *Server) SetPageSize(n int) { setLocked(s, &s.pageSize, max(n, 1)) }

// SetUnquotedRel makes Link headers say rel=next instead of rel="next"; both are valid RFC 8288.
func (s *Server) SetUnquotedRel(b bool) { setLocked(s, &s.unquotedRel, b) }

// SetLinkFormat makes list pages send f(next URL) as their Link header instead of `<next>; rel="next"`:
// tests use it for unusual but valid spellings and for broken ones. nil restores the default.
func (s *Server) SetLinkFormat(f func(next string) string) { setLocked(s, &s.linkFormat, f) }

// SetEmptyListAs200 makes an empty list page answer 200 [] instead of Celigo's 204 with no body.
func (s *Server) SetEmptyListAs200(b bool) { setLocked(s, &s.emptyAs200, b) }

// SetEndless makes both lists never end, in the way e says.
func (s *Server) SetEndless(e Endless) { setLocked(s, &s.endless, e) }

// ShareCursorsWith makes s and other accept each other's cursors, as two accounts on one Celigo host may
// (a cursor names a position in a list, not an account). Call it before either serves a request.
func (s *Server) ShareCursorsWith(other *Server) { s.cursorKey = other.cursorKey }

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

// listKind is one list the fake serves. Serving another list is one more value here and its route.
type listKind struct {
	tag  byte // written in its cursors, so one list's cursor is refused by another
	size func(s *Server) int
	item func(s *Server, i int) any // the i-th item's JSON; the caller holds s.mu
	// noneIs204: an account with none of these answers 204 even when SetEmptyListAs200 is on.
	noneIs204 bool
	// filters are the query parameters the list takes besides its cursor; next links carry them on.
	filters []string
	// view, when set, replaces size and item: the whole list as this request's filters select it, or
	// why the filters are refused. The caller holds s.mu.
	view func(s *Server, q url.Values) ([]any, string)
}

var (
	sharesList = listKind{tag: 'a',
		size: func(s *Server) int { return len(s.shares.order) },
		item: func(s *Server, i int) any { return s.shares.at(i) }}
	integrationsList = listKind{tag: 'i',
		size: func(s *Server) int { return len(s.integrations) },
		item: func(s *Server, i int) any { return integrationJSON(s.integrations[i]) }}
	mcpServersList = listKind{tag: 'm', noneIs204: true, // Celigo's answer when an account has no MCP server
		size: func(s *Server) int { return len(s.mcpServers) },
		item: func(s *Server, i int) any { return mcpServerJSON(s.mcpServers[i]) }}
	tokensList = listKind{tag: 't', noneIs204: true,
		size: func(s *Server) int { return len(s.tokens.order) },
		item: func(s *Server, i int) any { return s.tokens.at(i) }}
)

func (s *Server) list(w http.ResponseWriter, r *http.Request, q url.Values, list listKind) {
	offset, lap := 0, 0
	filters := url.Values{}
	for k, v := range q {
		if slices.Contains(list.filters, k) && len(v) == 1 {
			filters[k] = v
			continue
		}
		if k != "after" || len(v) != 1 {
			msg := fmt.Sprintf("unsupported query parameter %q", k)
			if k == "include" {
				msg = "include switches to a summary projection; not supported by this fake"
			}
			writeError(w, http.StatusBadRequest, "invalid_query_params", msg, "")
			return
		}
		var ok bool
		if offset, lap, ok = s.parseCursor(list.tag, v[0]); !ok {
			writeError(w, http.StatusBadRequest, "invalid_query_params", "invalid value for after", "")
			return
		}
	}

	s.mu.Lock()
	var page []any
	size, item := list.size, list.item
	if list.view != nil {
		all, refused := list.view(s, filters)
		if refused != "" {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "invalid_query_params", refused, "")
			return
		}
		size = func(*Server) int { return len(all) }
		item = func(_ *Server, i int) any { return all[i] }
	}
	total := size(s)
	if list.noneIs204 && total == 0 {
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	end := min(offset+s.pageSize, total)
	for i := offset; i < end; i++ {
		page = append(page, item(s, i))
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
		next := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: filters.Encode()}
		if next.RawQuery != "" {
			next.RawQuery += "&"
		}
		next.RawQuery += "after=" + s.cursor(list.tag, nextOffset, nextLap)
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
	case NotEndless:
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
