package web

import "net/http"

// api hands a route of the JSON API to internal/api.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	if s.cfg.API == nil {
		http.NotFound(w, r)
		return
	}
	s.cfg.API.ServeHTTP(w, r)
}

// mountAPI serves the API's routes (auth.APIKey in the table) from apiMux,
// and everything else from site. The API authenticates each call by its
// key, never by a cookie, so neither the session nor the cross-site
// protection of the site's forms applies to it: a browser's cookies open
// nothing there, and a script sends no Origin to check.
func mountAPI(apiMux *http.ServeMux, site http.Handler) http.Handler {
	apiMux.Handle("/", site)
	return apiMux
}
