package celigo

import (
	"encoding/json"
	"time"
)

// Timestamp accepts Celigo's ISO times and tolerates absent, null or odd values: they are informative only,
// and one odd date must not fail a whole page of users. A number is read as epoch milliseconds.
type Timestamp struct{ time.Time }

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t.Time = parsed
		}
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err == nil && ms > 0 && ms < 1e15 {
		t.Time = time.UnixMilli(int64(ms)).UTC()
	}
	return nil
}
