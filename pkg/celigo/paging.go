package celigo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
)

// NextLink returns the target of the rel="next" link in an RFC 8288 Link header, or "".
// Celigo sends rel quoted or not, and may add other rels (prev, last) after a comma.
func NextLink(header string) string {
	for _, link := range splitLinks(header) {
		target, params, ok := parseLink(link)
		if !ok {
			continue
		}
		for _, p := range params {
			name, value, _ := strings.Cut(p, "=")
			if !strings.EqualFold(strings.TrimSpace(name), "rel") {
				continue
			}
			value = strings.Trim(strings.TrimSpace(value), `"`)
			for _, rel := range strings.Fields(value) {
				if strings.EqualFold(rel, "next") {
					return target
				}
			}
		}
	}
	return ""
}

// splitLinks splits on commas that are outside <...> and quotes: a URL may itself hold commas.
func splitLinks(header string) []string { return splitOutside(header, ',') }

// splitOutside splits s on sep where sep is outside <...> and quoted strings.
func splitOutside(s string, sep byte) []string {
	var out []string
	inURL, inQuote, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
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

func parseLink(link string) (string, []string, bool) {
	link = strings.TrimSpace(link)
	if !strings.HasPrefix(link, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(link, '>')
	if end < 0 {
		return "", nil, false
	}
	target := strings.TrimSpace(link[1:end])
	if strings.ContainsAny(target, "<>\"\t\r\n ") {
		return "", nil, false // not a URI reference (RFC 3986 excludes these characters)
	}
	var params []string
	// A quoted parameter value may hold ';' (title="a; rel=next"): split outside quotes only.
	for _, p := range splitOutside(link[end+1:], ';') {
		if p = strings.TrimSpace(p); p != "" {
			params = append(params, p)
		}
	}
	return target, params, target != ""
}

// nextPage resolves the next link of an answer and checks it before anyone follows it: same scheme and
// host as the configured base (a bearer token must never go to another host or over a downgraded scheme),
// same endpoint, and not the page just read (a repeated link would loop forever).
func (c *Client) nextPage(req request, header http.Header) (string, error) {
	raw := NextLink(strings.Join(header.Values("Link"), ", "))
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
func (c *Client) pageRequest(path, pageToken string) (request, error) {
	req := request{method: http.MethodGet, url: c.endpoint(path), path: path, idempotent: true}
	if pageToken == "" {
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

// listPage fetches one page of a list endpoint into out and returns the checked next page token.
func (c *Client) listPage(ctx context.Context, path, pageToken string, out any) (string, error) {
	req, err := c.pageRequest(path, pageToken)
	if err != nil {
		return "", err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return "", listError(err)
	}
	if err := decode(req, resp, out); err != nil {
		return "", err
	}
	return c.nextPage(req, resp.header)
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
