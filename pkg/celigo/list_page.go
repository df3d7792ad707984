package celigo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
)

// Our own parser rather than the SDK's Link helper: a header we cannot read with certainty must fail the
// list (see below), where a lenient parser would return "no next page" and end the list early.
//
// NextLink returns the target of the rel="next" link in RFC 8288 Link header values (joined with commas),
// or "" when there is none. Celigo sends rel quoted or not, and may add other rels (prev, last).
//
// A header that names a next page in a way this parser cannot read with certainty (no angle brackets, a space
// or quote in the target, rel='next', an unterminated quote, two different next targets) is an error, never
// "no next page": taking it for the last page would end a list early and report the rest as gone.
func NextLink(header string) (string, error) {
	next := ""
	for _, raw := range splitLinks(header) {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		link, ok := parseLink(raw)
		if !ok {
			if mentionsNext(raw) {
				return "", fmt.Errorf("cannot read the link %q", strings.TrimSpace(raw))
			}
			continue // an unreadable link that is not a next link cannot end the list early
		}
		if link.ambiguous {
			return "", fmt.Errorf("the link %q names its relation twice", strings.TrimSpace(raw))
		}
		for _, rel := range link.rels {
			switch {
			case strings.EqualFold(rel, "next"):
				if next != "" && next != link.target {
					return "", fmt.Errorf("two different next links: %q and %q", next, link.target)
				}
				next = link.target
			case mentionsNext(rel) && !validRelType(rel):
				return "", fmt.Errorf("the relation %s in %q is not a valid rel value", rel, strings.TrimSpace(raw))
			}
		}
	}
	return next, nil
}

func mentionsNext(s string) bool { return strings.Contains(strings.ToLower(s), "next") }

// validRelType accepts an RFC 8288 relation type: a registered name (a letter, then letters, digits, '.'
// and '-'; "nextpage" is one, and is not "next") or an extension URI. 'next' and next, are neither.
func validRelType(rel string) bool {
	if strings.Contains(rel, ":") {
		return validURIReference(rel)
	}
	for i := 0; i < len(rel); i++ {
		if !isLetter(rel[i]) && (i == 0 || !isDigit(rel[i]) && rel[i] != '.' && rel[i] != '-') {
			return false
		}
	}
	return rel != ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// splitLinks splits on commas that are outside <...> and quoted strings: a URL may itself hold commas.
func splitLinks(header string) []string { return splitOutside(header, ',') }

// splitOutside splits s on sep where sep is outside <...> and quoted strings (with their backslash escapes).
func splitOutside(s string, sep byte) []string {
	var out []string
	inURL, inQuote, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++ // an escaped character, a quote included
		case c == '<' && !inQuote:
			inURL = true
		case c == '>' && !inQuote:
			inURL = false
		case c == '"' && !inURL:
			inQuote = !inQuote
		case c == sep && !inURL && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// linkValue is one parsed link-value: its target and the relation types of its (first) rel parameter.
type linkValue struct {
	target    string
	rels      []string
	ambiguous bool // a second rel parameter that mentions next (RFC 8288 says to ignore it; we do not guess)
}

// parseLink reads one RFC 8288 link-value: "<" URI-Reference ">" *( OWS ";" OWS link-param ).
func parseLink(raw string) (linkValue, bool) {
	link := strings.TrimSpace(raw)
	if !strings.HasPrefix(link, "<") {
		return linkValue{}, false
	}
	end := strings.IndexByte(link, '>')
	if end < 0 {
		return linkValue{}, false
	}
	target := link[1:end]
	if !validURIReference(target) {
		return linkValue{}, false
	}
	rest := strings.TrimSpace(link[end+1:])
	if rest != "" && rest[0] != ';' {
		return linkValue{}, false
	}
	out := linkValue{target: target}
	seenRel := false
	for i, p := range splitOutside(rest, ';') {
		if i == 0 {
			continue // what precedes the first ';' is empty (checked above)
		}
		name, value, ok := parseParam(p)
		if !ok {
			return linkValue{}, false
		}
		if name == "" || !strings.EqualFold(name, "rel") {
			continue
		}
		if seenRel {
			out.ambiguous = out.ambiguous || mentionsNext(value)
			continue
		}
		seenRel = true
		out.rels = strings.Fields(value)
	}
	return out, true
}

// parseParam reads `token [ "=" ( token / quoted-string ) ]`, with optional whitespace; an empty parameter
// (a stray ';') is allowed and returns an empty name.
func parseParam(p string) (string, string, bool) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", "", true
	}
	name, value, hasValue := strings.Cut(p, "=")
	name = strings.TrimSpace(name)
	if !isToken(name) {
		return "", "", false
	}
	if !hasValue {
		return name, "", true
	}
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, `"`) {
		unquoted, ok := unquote(value)
		return name, unquoted, ok
	}
	return name, value, isToken(value)
}

// unquote reads a whole quoted-string, resolving backslash escapes.
func unquote(s string) (string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), i == len(s)-1
		default:
			b.WriteByte(c)
		}
	}
	return "", false // no closing quote
}

// isToken reports an RFC 9110 token: one or more of ALPHA DIGIT and !#$%&'*+-.^_`|~.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && strings.IndexByte("!#$%&'*+-.^_`|~", c) < 0 {
			return false
		}
	}
	return true
}

// validURIReference accepts a non-empty RFC 3986 URI reference: printable ASCII without space and the
// characters RFC 3986 excludes (" < > \ ^ ` { | }). Anything else cannot be followed with certainty.
func validURIReference(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
			return false
		}
	}
	return true
}

// nextPage resolves the next link of an answer and checks it before anyone follows it: same scheme and
// host as the configured base (a bearer token must never go to another host or over a downgraded scheme),
// same endpoint, and not the page just read (a repeated link would loop forever).
func (c *Client) nextPage(req request, header http.Header) (string, error) {
	links := strings.Join(header.Values("Link"), ", ")
	raw, err := NextLink(links)
	if err != nil {
		return "", withCode(codes.Internal, "celigo: %s %s: the Link header %q cannot be followed safely (%v); stopping rather than taking this page for the last",
			req.method, req.path, links, err)
	}
	if raw == "" {
		return "", nil
	}
	current, err := url.Parse(req.url)
	if err != nil {
		return "", withCode(codes.Internal, "celigo: %s %s: bad request URL: %v", req.method, req.path, err)
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return "", withCode(codes.Internal, "celigo: %s %s: unparsable next link: %v", req.method, req.path, err)
	}
	next := current.ResolveReference(ref)
	if !strings.EqualFold(next.Scheme, c.base.Scheme) || !sameHost(next, c.base) {
		return "", withCode(codes.PermissionDenied,
			"celigo: %s %s: refusing next page link to %s://%s: it is not the configured host %s://%s",
			req.method, req.path, next.Scheme, next.Host, c.base.Scheme, c.base.Host)
	}
	if next.User != nil {
		return "", withCode(codes.PermissionDenied, "celigo: %s %s: refusing next page link carrying credentials", req.method, req.path)
	}
	if strings.TrimSuffix(next.Path, "/") != strings.TrimSuffix(current.Path, "/") {
		return "", withCode(codes.Internal, "celigo: %s %s: next page link points at another endpoint (%s)", req.method, req.path, next.Path)
	}
	if next.String() == current.String() {
		return "", withCode(codes.Internal, "celigo: %s %s: next page link repeats the page just read; stopping to avoid a loop", req.method, req.path)
	}
	return next.String(), nil
}

func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// pageRequest validates a page token (a next URL we handed out earlier, or "" for the first page).
// A token is checked again because it round-trips through the SDK's state, which is stored on disk.
// query (filters) goes on the first page only: a next link carries whatever the server needs.
func (c *Client) pageRequest(path string, query url.Values, pageToken string) (request, error) {
	req := request{method: http.MethodGet, url: c.endpoint(path), path: path, idempotent: true}
	if pageToken == "" {
		if len(query) > 0 {
			req.url += "?" + query.Encode()
		}
		return req, nil
	}
	u, err := url.Parse(pageToken)
	if err != nil || !u.IsAbs() || u.User != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !sameHost(u, c.base) ||
		strings.TrimSuffix(u.Path, "/") != strings.TrimSuffix(c.base.Path+path, "/") {
		return request{}, withCode(codes.InvalidArgument, "celigo: GET %s: page token is not a next link of this endpoint on %s", path, c.base.Host)
	}
	req.url = u.String()
	return req, nil
}

// listPage fetches one page of a list endpoint and returns its items and the checked next page token. Every
// list goes through it: an answer that is not a list (null included) is refused, and so is an item without
// an _id. Celigo answers an empty list with 204 and no body.
func listPage[T any, PT identified[T]](ctx context.Context, c *Client, path, pageToken string) ([]*T, string, error) {
	return listPageQuery[T, PT](ctx, c, path, nil, pageToken)
}

// listPageQuery is listPage with filters on the first page (see pageRequest).
func listPageQuery[T any, PT identified[T]](ctx context.Context, c *Client, path string, query url.Values, pageToken string) ([]*T, string, error) {
	req, err := c.pageRequest(path, query, pageToken)
	if err != nil {
		return nil, "", err
	}
	var items []*T
	req.accept = func(resp *response) error {
		var err error
		items, err = decodeList[T, PT](req, resp)
		return err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, "", listError(err)
	}
	next, err := c.nextPage(req, resp.header)
	if err != nil {
		return nil, "", err
	}
	if len(items) == 0 && next != "" {
		// A list that keeps sending empty pages with new links would keep a sync busy for ever.
		return nil, "", withCode(codes.Internal, "celigo: %s %s: an empty page that still links to a next page is a broken answer; stopping", req.method, req.path)
	}
	return items, next, nil
}

// decodeList reads a JSON array one item at a time, so a page never costs more than its items, and no more
// than MaxPageRecords of them.
func decodeList[T any, PT identified[T]](req request, resp *response) ([]*T, error) {
	if resp.status == http.StatusNoContent {
		return []*T{}, nil
	}
	if err := checkJSON(req, resp); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	tok, err := dec.Token()
	if err != nil {
		return nil, decodeError(req, err)
	}
	if tok == nil {
		return nil, garbled(req, "answer is null, not a list")
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		// Asked again like a garbled answer: a list endpoint answering with an object or a scalar is a proxy
		// or a fault in between far more often than Celigo changing its API, and a GET is safe to repeat.
		return nil, garbled(req, "answer is not a list: "+bodySnippet(req.path, resp.body))
	}
	items := []*T{}
	for dec.More() {
		if len(items) == MaxPageRecords {
			return nil, withCode(codes.Internal, "celigo: %s %s: more than %d records on one page; refusing to hold them", req.method, req.path, MaxPageRecords)
		}
		item := new(T)
		if err := dec.Decode(item); err != nil {
			return nil, decodeError(req, err)
		}
		if PT(item).recordID() == "" {
			return nil, withCode(codes.Internal, "celigo: %s %s: item %d has no _id", req.method, req.path, len(items))
		}
		if err := checkKind(req, "an item of this list", len(items), item); err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, decodeError(req, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, garbled(req, "unexpected data after the list")
	}
	return items, nil
}

// listError re-codes a 404 on a list endpoint: the SDK treats NotFound as a skippable warning, which would
// let a sync finish with a whole list missing.
func listError(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.grpcCode == codes.NotFound {
		cp := *apiErr
		cp.grpcCode = codes.FailedPrecondition
		return &cp
	}
	return err
}
