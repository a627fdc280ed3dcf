package web

import (
	"net/http"

	"github.com/bdf29/sesame/internal/auth"
)

// route is one line of the site's table: a pattern, who may use it, and its handler.
type route struct {
	pattern string
	perm    auth.Permission
	handle  http.HandlerFunc
}

// routes is the one table of the site. Every route declares its permission;
// a test walks it.
func (s *Server) routes() []route {
	return []route{
		{"GET /{$}", auth.Public, s.home},
		{"GET /static/{name}", auth.Public, s.static},
		{"GET /healthz", auth.Public, s.healthz},
		{"GET /connexion", auth.Public, s.loginForm},
		{"POST /connexion", auth.Public, s.login},
		{"POST /deconnexion", auth.Public, s.logout},

		{"GET /abonnes", auth.LibraryStaff, s.patronList},
		{"GET /abonnes/a-traiter", auth.LibraryStaff, s.patronTodo},
		{"GET /abonnes/{id}", auth.LibraryStaff, s.patronInfo},
		{"POST /abonnes/{id}", auth.LibraryStaff, s.patronInfoSave},
		{"GET /abonnes/{id}/statut", auth.LibraryStaff, s.patronStatus},
		{"POST /abonnes/{id}/statut", auth.LibraryStaff, s.patronStatusSave},
		{"GET /abonnes/{id}/ressources", auth.LibraryStaff, s.patronResources},
		{"POST /abonnes/{id}/ressources", auth.LibraryStaff, s.patronResourcesSave},
		{"GET /abonnes/{id}/supprimer", auth.NetworkAdmin, s.patronDeleteForm},
		{"POST /abonnes/{id}/supprimer", auth.NetworkAdmin, s.patronDelete},
	}
}
