package web

import "github.com/bdf29/sesame/internal/auth"

// RouteInfo describes one route of the table, for the tests of package
// web_test that go through every route.
type RouteInfo struct {
	Pattern    string
	Permission auth.Permission
}

// Routes lists the site's routes with their permissions.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes() {
		out = append(out, RouteInfo{Pattern: rt.pattern, Permission: rt.perm})
	}
	return out
}
