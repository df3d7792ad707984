package connector

import (
	"encoding/json"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// feedPosition is an event feed's cursor: every audit record ordered (time, _id) at or before (At, ID) has
// been reported, none after. Records are put in that order by the feed itself, never by Celigo's answer.
// ID "" means no record at exactly At has been reported yet. The position is a few dozen bytes, far under
// the SDK's 4,096, however many records share one time; it names its feed, so one feed's cursor is refused
// by the other.
type feedPosition struct {
	Feed string `json:"f"`
	At   int64  `json:"t"` // Unix milliseconds (Celigo's resolution)
	ID   string `json:"i,omitempty"`
}

// maxCursorBytes is the SDK's limit on an event cursor.
const maxCursorBytes = 4096

func (p feedPosition) time() time.Time { return time.UnixMilli(p.At).UTC() }

// after reports whether the record (t, id) comes after the position, i.e. is not reported yet.
func (p feedPosition) after(t time.Time, id string) bool {
	ms := t.UnixMilli()
	return ms > p.At || ms == p.At && id > p.ID
}

func (p feedPosition) cursor() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // strings and ints only
	}
	return string(b)
}

// parseFeedPosition reads a cursor this connector issued for feed.
func parseFeedPosition(feed, cursor string) (feedPosition, error) {
	var p feedPosition
	dec := json.NewDecoder(strings.NewReader(cursor))
	dec.DisallowUnknownFields()
	if len(cursor) > maxCursorBytes || dec.Decode(&p) != nil || dec.More() || p.Feed != feed || p.At < 0 || len(p.ID) > 64 {
		return feedPosition{}, status.Errorf(codes.InvalidArgument, "baton-celigo: event feed %s: the cursor is not one this feed issued", feed)
	}
	return p, nil
}
