package auth

import "github.com/bdf29/sesame"

// Permission is who may use a route. Every route declares one.
type Permission int

const (
	// Public routes serve anyone, logged in or not.
	Public Permission = iota + 1
	// LibraryStaff routes serve library staff, on their own library only,
	// and the network admin.
	LibraryStaff
	// NetworkAdmin routes serve the network admin only.
	NetworkAdmin
	// Patron routes serve a logged-in patron, on their own account only.
	Patron
	// APIKey routes are the JSON API's (internal/api): a library's key in
	// the Authorization header opens them, never a session, so Allows
	// grants them to no session; the API checks the key itself.
	APIKey
)

// Allows reports whether a staff member (nil when none is logged in) or a
// patron (nil likewise) may use a route of permission p.
func (p Permission) Allows(staff *sesame.Staff, patron *sesame.Patron) bool {
	switch p {
	case Public:
		return true
	case Patron:
		return patron != nil
	case LibraryStaff:
		return staff != nil && (staff.Role == sesame.RoleLibrary && staff.LibraryID != 0 || staff.Role == sesame.RoleAdmin)
	case NetworkAdmin:
		return staff != nil && staff.Role == sesame.RoleAdmin
	}
	return false
}
