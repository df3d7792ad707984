package celigo

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
)

// What every Celigo resource goes through: an id from outside checked once before it goes into a path,
// and every record read (one, or each item of a list page: see listPage) checked to carry its _id.

// identified is a pointer to a Celigo record, which names its _id.
type identified[T any] interface {
	*T
	recordID() string
}

// kinded is a record that can tell an item of another resource kind (a proxy or a rewrite answering one
// endpoint with another's list or record): wrongKind says why the item is not one of its own, "" when it is.
type kinded interface{ wrongKind() string }

// checkKind refuses rec when it says it is of another kind; what names the kind expected, for the message.
func checkKind(req request, what string, index int, rec any) error {
	k, ok := rec.(kinded)
	if !ok {
		return nil
	}
	if why := k.wrongKind(); why != "" {
		return withCode(codes.Internal, "celigo: %s %s: item %d is not %s (%s): the answer is another resource's; refusing it", req.method, req.path, index, what, why)
	}
	return nil
}

// recordPath escapes id into collection/{id}, then suffix. Ids come from C1 requests, so they are not trusted:
// an id that would name another path (empty, a dot segment, a slash, a query or fragment) or carries spaces
// around it is refused before any request. what names the kind of id in the message.
func recordPath(collection, what, id, suffix string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/?#") || strings.TrimSpace(id) != id {
		return "", withCode(codes.InvalidArgument, "celigo: %q is not a Celigo %s id", id, what)
	}
	return collection + "/" + url.PathEscape(id) + suffix, nil
}

// getRecord reads the record id and refuses an answer without an _id or with another record's: a write
// built on another record's copy would change that record and report this one as done.
func getRecord[T any, PT identified[T]](ctx context.Context, c *Client, path, id string) (*T, error) {
	out := new(T)
	if err := c.getJSON(ctx, path, out); err != nil {
		return nil, err
	}
	if err := checkKind(request{method: http.MethodGet, path: path}, "the record asked for", 0, out); err != nil {
		return nil, err
	}
	switch got := PT(out).recordID(); got {
	case "":
		return nil, withCode(codes.Internal, "celigo: GET %s: answer has no _id", path)
	case id:
		return out, nil
	default:
		return nil, withCode(codes.Internal, "celigo: GET %s: Celigo answered with another record (_id %s); refusing to use it", path, cleanText(got, 40))
	}
}

// getJSON reads one object. Decoding happens inside the retry loop, so a garbled answer is asked again.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	req := request{method: http.MethodGet, url: c.endpoint(path), path: path, idempotent: true}
	req.accept = func(resp *response) error { return decode(req, resp, out) }
	_, err := c.do(ctx, req)
	return err
}
