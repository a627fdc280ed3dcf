package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/access"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/cas"
	"github.com/bdf29/sesame/internal/store"
)

// ssoTokenTTL is how long a vendor may check a signed link's token: the time
// to follow the redirect, with room for a slow network.
const ssoTokenTTL = 10 * time.Minute

// refusalPage explains, in French, why a resource did not open and what to do.
type refusalPage struct {
	Message string
	Reason  sesame.AccessReason
}

// refusalOf is the 403 page of a refusal from the gate, whose reason it
// carries: the page words it, never asking the domain again.
func refusalOf(err error) refusalPage {
	return refusalPage{Message: sesame.ErrorMessage(err), Reason: sesame.AccessReasonOf(err)}
}

// Renewal reports whether the account itself has ended, so that what the
// patron does next is ask for its renewal.
func (p refusalPage) Renewal() bool { return p.Reason.AccountClosed() }

// launch is "Accéder": the one route through which a patron opens a
// resource. It checks the account and the grant (expiring an account past
// its end date), records the launch, then hands the patron to the vendor: a
// signed link is built here; a vendor speaking OpenID Connect, CAS or SAML
// is sent to its own page, which asks Sésame back through that protocol.
func (s *Server) launch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := patronFrom(ctx)
	res, err := s.store.ResourceBySlug(ctx, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	connectors, err := s.store.ResourceConnectors(ctx, res.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A signed link is built here; a SAML connector with « Connexion
	// directe » posts an unsolicited answer (samlDirect).
	var link, direct *sesame.Connector
	for _, c := range connectors {
		switch {
		case c.Kind == sesame.ConnectorSignedLink && link == nil:
			link = c
		case c.Kind == sesame.ConnectorSAML && c.SAML.Direct && direct == nil:
			direct = c
		}
	}
	via := link
	if via == nil {
		via = direct
	}
	who, err := s.gate.Open(ctx, p.ID, res.ID, via)
	if sesame.ErrorCode(err) == sesame.EForbidden {
		if via != nil {
			s.gate.Failed(ctx, via, p.ID, sesame.FailureAccessRefused, err)
		} else {
			s.log.Info("accès refusé", "patron", p.ID, "resource", res.Slug, "reason", sesame.ErrorMessage(err))
		}
		s.render(w, r, http.StatusForbidden, "acces_refuse", layout{Title: "Accès impossible à « " + res.Name + " »", Section: "mon-compte",
			Content: refusalOf(err)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if link == nil && direct != nil {
		s.samlDirect(w, r, res, direct, who)
		return
	}
	target := res.URL
	if link != nil {
		if target, err = s.signedLink(r, link, who); err != nil {
			reason := sesame.FailureBroken
			if link.SecretUnreadable {
				reason = sesame.FailureSecretUnreadable
			}
			s.gate.Failed(ctx, link, p.ID, reason, err)
			s.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// signedLink builds the vendor's link for the patron, with a fresh callback
// token when the link carries one.
func (s *Server) signedLink(r *http.Request, c *sesame.Connector, who *access.Grantee) (string, error) {
	if c.SecretUnreadable {
		return "", sesame.Errorf(sesame.EForbidden, "Cette ressource est momentanément inaccessible : sa configuration doit être revue par l'administration du réseau.")
	}
	p := who.Patron
	uid := strconv.FormatInt(p.ID, 10)
	fields := sesame.LinkFields{
		Card: p.CardNumber, UID: uid, Email: p.Email, LastName: p.LastName, FirstName: p.FirstName,
		Library: who.Library.Code, Time: s.cfg.Now(),
	}
	if fields.Card == "" {
		// A vendor keyed on {card} still needs a stable name for a patron
		// without one, but never the sequential Sésame number, which any
		// patron could type as a card at registration: the patron's
		// pseudonym at the resource cannot be guessed.
		fresh, err := cas.NewUserID(s.cfg.Random)
		if err != nil {
			return "", err
		}
		if fields.Card, err = s.store.ResourcePseudonym(r.Context(), p.ID, c.ResourceID, fresh); err != nil {
			return "", err
		}
	}
	if !p.BirthDate.IsZero() {
		fields.BirthYear = strconv.Itoa(p.BirthDate.Year)
	}
	if strings.Contains(c.Link.URL, "{token}") {
		token, err := auth.NewToken(s.cfg.Random)
		if err != nil {
			return "", err
		}
		if err := s.store.SaveSSOToken(r.Context(), auth.HashToken(token), p.ID, c.ID, s.cfg.Now().Add(ssoTokenTTL)); err != nil {
			return "", err
		}
		fields.Token = token
	}
	return c.Link.Build(fields, c.Secret)
}

// ssoCheckAnswer is the callback check's JSON, in the form vendors such as
// Divercities expect.
type ssoCheckAnswer struct {
	State     string         `json:"state"` // OK or KO
	Msg       string         `json:"msg"`
	UserInfos *ssoCheckInfos `json:"userinfos,omitempty"`
}

type ssoCheckInfos struct {
	LastName  string `json:"lastname"`
	FirstName string `json:"firstname"`
	Mail      string `json:"mail"`
	Library   string `json:"library"`
	ValidTo   string `json:"valid_to"` // yyyy-mm-dd
}

// ssoCheck answers a vendor verifying, at /api/v1/sso/check?uid=…&token=…,
// the token a signed link carried. It tells OK once per token, within its
// ten minutes, and only while the account may still open that resource;
// logging out revokes the tokens not yet checked (see endPatronSSO).
func (s *Server) ssoCheck(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	answer := func(status int, a ssoCheckAnswer) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(a)
	}
	ko := func(msg string) { answer(http.StatusOK, ssoCheckAnswer{State: "KO", Msg: msg}) }
	uid, token := r.URL.Query().Get("uid"), r.URL.Query().Get("token")
	patronID, perr := strconv.ParseInt(uid, 10, 64)
	if perr != nil || patronID <= 0 || token == "" {
		ko("bad token")
		return
	}
	// The check spends the token: whoever finds the link later, in a
	// history or a log, learns nothing from it.
	t, err := s.store.UseSSOToken(ctx, auth.HashToken(token), patronID)
	switch {
	case errors.Is(err, store.ErrSSOTokenExpired):
		ko("bad token: expired")
		return
	case sesame.ErrorCode(err) == sesame.ENotFound:
		ko("bad token")
		return
	case err != nil:
		s.log.Error("sso check", "err", err)
		answer(http.StatusInternalServerError, ssoCheckAnswer{State: "KO", Msg: "internal error"})
		return
	}
	c, err := s.store.Connector(ctx, t.ConnectorID)
	if err != nil {
		ko("bad token")
		return
	}
	who, err := s.gate.Check(ctx, t.PatronID, c.ResourceID)
	if err != nil {
		switch reason := sesame.AccessReasonOf(err); {
		case sesame.ErrorCode(err) != sesame.EForbidden:
			ko("bad token")
		case reason.AccountClosed():
			ko("expired")
		case reason.AccountNotValidated():
			ko("account not validated")
		default:
			ko("resource not active")
		}
		return
	}
	p := who.Patron
	answer(http.StatusOK, ssoCheckAnswer{State: "OK", Msg: "", UserInfos: &ssoCheckInfos{
		LastName: p.LastName, FirstName: p.FirstName, Mail: p.Email, Library: who.Library.Code, ValidTo: p.ValidUntil.ISO(),
	}})
}
