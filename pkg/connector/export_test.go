package connector

import (
	"time"

	"github.com/conductorone/baton-celigo/pkg/connector/walk"
)

// SetMaxListPages lowers the page cap of every list for a test; the returned func restores it.
func SetMaxListPages(n int) (restore func()) {
	old := walk.MaxPages
	walk.MaxPages = n
	return func() { walk.MaxPages = old }
}

// ResourceBytesPerPage is the size one List answer stays under.
const ResourceBytesPerPage = resourceBytesPerPage

// UserProfileKeys are the keys every user's profile has.
var UserProfileKeys = userProfileKeys

// SetMaxListRecords lowers the record cap of every list for a test; the returned func restores it.
func SetMaxListRecords(n int) (restore func()) {
	old := walk.MaxRecords
	walk.MaxRecords = n
	return func() { walk.MaxRecords = old }
}

// SetEventClock gives the event feeds of c a clock the test controls.
func SetEventClock(c *Connector, now func() time.Time) {
	c.events.mu.Lock()
	defer c.events.mu.Unlock()
	c.events.now = now
}

// AuditLag is how long before now the feeds read the audit log.
const AuditLag = auditLag

// SetMaxWindowRecords lowers the record cap of an audit window for a test; the returned func restores it.
func SetMaxWindowRecords(n int) (restore func()) {
	old := maxWindowRecords
	maxWindowRecords = n
	return func() { maxWindowRecords = old }
}
