package web

import "net/http"

// metricsPage serves the Prometheus metrics to a scrape that presents
// SESAME_METRICS_TOKEN as a Bearer token. The route is public to sessions,
// since a scraper has none: the token is its permission, checked by
// metrics.Handler in constant time. Without a token, the site has no
// /metrics at all, secure by default: either none is served, or they are on
// their own listener (SESAME_METRICS_ADDR, served by internal/app).
func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Metrics == nil || s.cfg.MetricsToken == "" {
		s.notFound(w, r)
		return
	}
	s.cfg.Metrics.Handler(s.cfg.MetricsToken).ServeHTTP(w, r)
}
