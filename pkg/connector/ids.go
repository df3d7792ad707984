package connector

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// checkCeligoID refuses an id that cannot name a Celigo record before any request is made: Celigo's ids
// are MongoDB object ids, 24 hexadecimal digits. Without this a typo in a delete reads as "already
// removed" and exits 0.
func checkCeligoID(id string) error {
	ok := len(id) == 24
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	if !ok {
		return status.Errorf(codes.InvalidArgument,
			"baton-celigo: %q is not a Celigo id (24 hexadecimal digits): copy the user's id from the sync file (`baton resources -t user`)", id)
	}
	return nil
}
