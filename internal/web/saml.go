package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/saml"
)

// samlMetadata serves the identity provider's metadata: what the network
// admin gives a vendor (its address is our entityID).
func (s *Server) samlMetadata(w http.ResponseWriter, r *http.Request) {
	body, err := s.samlIdP().Metadata(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write(body)
}

// samlSSO receives a vendor's AuthnRequest, by the HTTP-Redirect binding
// (GET) or the HTTP-POST binding (POST, exempt from the cross-origin check:
// see Handler). The request is checked and kept now; the patron then goes
// on, by a GET that carries the session cookie even after a cross-site
// POST, to the page that answers it.
func (s *Server) samlSSO(w http.ResponseWriter, r *http.Request) {
	handle, err := s.samlIdP().Receive(r)
	if err != nil {
		s.samlFail(w, r, err)
		return
	}
	http.Redirect(w, r, saml.ContinueURL(handle), http.StatusSeeOther)
}

// samlContinue answers a kept request: it sends a patron who is not logged
// in (or not freshly enough for the vendor) to the login form, which comes
// back here; then the assertion goes to the vendor if the patron may open
// the connector's resource, and a French refusal is shown otherwise.
func (s *Server) samlContinue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	idp := s.samlIdP()
	pd, err := idp.Pending(ctx, r.URL.Query().Get("id"))
	if err != nil {
		s.samlFail(w, r, err)
		return
	}
	p := patronFrom(ctx)
	sess := s.samlSession(r)
	var start time.Time
	if sess != nil {
		start = sess.Start
	}
	if pd.NeedsLogin(p != nil && sess != nil, start) {
		if !pd.Request.IsPassive {
			http.Redirect(w, r, "/connexion?suite="+url.QueryEscape(saml.ContinueURL(pd.Handle)), http.StatusSeeOther)
			return
		}
		answer, err := idp.NoPassive(ctx, pd)
		if err != nil {
			s.samlFail(w, r, err)
			return
		}
		s.samlPost(w, r, pd, answer, "Vous n'êtes pas connecté à votre compte : votre navigateur en informe maintenant le site de la ressource.")
		return
	}
	answer, err := idp.Answer(ctx, pd, *sess)
	if sesame.ErrorCode(err) == sesame.EForbidden {
		s.gate.Failed(ctx, pd.Connector, p.ID, sesame.FailureAccessRefused, err)
		s.render(w, r, http.StatusForbidden, "acces_refuse", layout{Title: "Accès impossible à « " + pd.Resource.Name + " »", Section: "mon-compte",
			Content: refusalOf(err)})
		return
	}
	if err != nil {
		s.gate.Failed(ctx, pd.Connector, p.ID, sesame.FailureBroken, err)
		s.samlFail(w, r, err)
		return
	}
	s.samlPost(w, r, pd, answer, "Vous êtes connecté. Votre navigateur transmet maintenant votre connexion au site de la ressource.")
}

// patronSessionStart is when the patron's session began (their login), or
// the zero time without one.
func (s *Server) patronSessionStart(r *http.Request) time.Time {
	if sess := s.samlSession(r); sess != nil {
		return sess.Start
	}
	return time.Time{}
}

// samlSession is the patron's session on this browser, nil when no patron
// is logged in.
func (s *Server) samlSession(r *http.Request) *saml.Session {
	p := patronFrom(r.Context())
	c, err := r.Cookie(s.patronCookieName())
	if err != nil || p == nil {
		return nil
	}
	hash := auth.HashToken(c.Value)
	ps, err := s.store.PatronSessionByHash(r.Context(), hash)
	if err != nil {
		return nil
	}
	return &saml.Session{Hash: hash, PatronID: p.ID, Start: ps.CreatedAt}
}

// samlDirect is « Accéder » for a SAML connector with « Connexion
// directe »: the Gate has let the patron in (who), and the browser posts an
// unsolicited Response to the vendor, which shows the resource's address.
func (s *Server) samlDirect(w http.ResponseWriter, r *http.Request, res *sesame.Resource, c *sesame.Connector, who *access.Grantee) {
	ctx := r.Context()
	sess := s.samlSession(r)
	if sess == nil {
		http.Redirect(w, r, "/connexion", http.StatusSeeOther)
		return
	}
	answer, err := s.samlIdP().Unsolicited(r, c, who, *sess, res.URL)
	if err != nil {
		s.gate.Failed(ctx, c, who.Patron.ID, sesame.FailureBroken, err)
		s.fail(w, r, err)
		return
	}
	s.samlPost(w, r, &saml.Pending{Connector: c, Resource: res}, answer,
		"Votre navigateur transmet maintenant votre connexion au site de la ressource.")
}

// samlSLO is the identity provider's single logout service (HTTP-Redirect
// binding): a vendor's LogoutRequest ends the patron's Sésame session and
// their other vendors' sessions; a vendor's LogoutResponse to ours carries
// the patron's logout on to the next vendor.
func (s *Server) samlSLO(w http.ResponseWriter, r *http.Request) {
	err := s.samlIdP().ServeSLO(w, r, s.samlSession(r), func(w http.ResponseWriter, r *http.Request) error {
		return s.endPatronSession(w, r, nil)
	})
	if err != nil {
		s.fail(w, r, err)
	}
}

// samlPostPage is the page whose form carries the answer to the vendor.
type samlPostPage struct {
	Message  string
	Vendor   string
	Response *saml.Response
}

// samlPost shows the form that posts the answer to the vendor's assertion
// consumer service: a visible button without JavaScript, sent at once by
// static/saml-envoi.js otherwise.
func (s *Server) samlPost(w http.ResponseWriter, r *http.Request, pd *saml.Pending, answer *saml.Response, message string) {
	// This form posts across origins, to the vendor's site. The site's
	// policy (form-action 'self' https:) allows any https: assertion
	// consumer service, and the redirects the vendor answers the post with.
	// A vendor's test platform may take answers on http:, which it forbids:
	// this page adds the origin of that service, and that origin only.
	if u, err := url.Parse(answer.URL); err == nil && u.Scheme == "http" && cspHost(u.Host) {
		allowFormAction(w.Header(), "http://"+u.Host)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "saml_reponse", layout{Title: "Connexion à « " + pd.Resource.Name + " »", Section: "mon-compte",
		Content: samlPostPage{Message: message, Vendor: pd.Resource.Name, Response: answer}})
}

// cspHost reports whether a host (and port) can go in a
// Content-Security-Policy as it is.
func cspHost(host string) bool {
	return host != "" && !strings.ContainsFunc(host, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(".-:[]", r))
	})
}

// allowFormAction adds source to the form-action directive of the policy
// withHeaders set.
func allowFormAction(h http.Header, source string) {
	directives := strings.Split(h.Get("Content-Security-Policy"), ";")
	for i, d := range directives {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "form-action ") {
			directives[i] = " " + d + " " + source
		}
	}
	h.Set("Content-Security-Policy", strings.TrimSpace(strings.Join(directives, ";")))
}

// samlFail shows why a vendor's request cannot be answered: a bad or spent
// request is the vendor's or the browser's doing (400, logged as a warning
// with its technical cause), anything else goes to fail.
func (s *Server) samlFail(w http.ResponseWriter, r *http.Request, err error) {
	switch sesame.ErrorCode(err) {
	case sesame.EInvalid, sesame.EConflict:
		s.log.Warn("saml : demande refusée", "path", r.URL.Path, "err", err)
		s.renderError(w, r, http.StatusBadRequest, sesame.ErrorMessage(err))
	default:
		s.fail(w, r, err)
	}
}
