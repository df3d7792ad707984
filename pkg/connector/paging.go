package connector

import (
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Grants derived from the walk are served in slices of the in-memory lists; the page token is the offset.
const grantSourcesPerPage = 2000

func parseOffset(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, status.Errorf(codes.InvalidArgument, "baton-celigo: page token %q is not one this connector issued", token)
	}
	return n, nil
}

// window returns [start, end) of the slice to serve and the next token ("" at the end).
func window(offset, total int) (int, int, string) {
	start := min(offset, total)
	end := min(start+grantSourcesPerPage, total)
	if end >= total {
		return start, end, ""
	}
	return start, end, strconv.Itoa(end)
}
