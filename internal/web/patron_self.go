package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// The patron's own changes from "Mon compte": their details, their password
// and more resources. Whatever a form sends, only the patron behind the
// session cookie is touched, and only the fields named here.

// renderAccount shows "Mon compte"; req is the "Demander d'autres
// ressources" form, with its messages when it was refused.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, req form) {
	ctx := r.Context()
	// Re-read, so that a refused request shows the account as it now is.
	page, err := s.accountOf(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Grants, err = s.store.PatronGrants(ctx, store.LibraryScope(page.Patron.LibraryID), page.Patron.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	page.Request = req
	s.render(w, r, status, "mon_compte", layout{Title: formTitle("Mon compte", req), Section: "mon-compte", Content: page})
}

// Field names of the patron's own forms.
//
// #nosec G101 -- names of form fields, no credential.
const (
	fieldResource        = "ressource"
	fieldCurrentPassword = "mot_de_passe_actuel"
	fieldNewPassword     = "nouveau_mot_de_passe"
	fieldConfirmPassword = "confirmation"
)

// mayRequestResources is the rule for "Demander d'autres ressources": an
// account the library has validated or is about to look at may ask; an
// expired one asks for renewal first, when the library looks at it again;
// a refused one has nothing to ask for.
func mayRequestResources(p *sesame.Patron, today sesame.Date) error {
	switch {
	case sesame.CanOpen(p, nil, nil, today).AccountClosed():
		return sesame.Errorf(sesame.EForbidden, "Votre compte a expiré : demandez d'abord son renouvellement. Vous pourrez ensuite demander d'autres ressources.")
	case p.Status == sesame.StatusRefused:
		return sesame.Errorf(sesame.EForbidden, "Votre bibliothèque a refusé votre inscription : vous ne pouvez pas demander de ressources. Contactez-la pour en savoir plus.")
	}
	return nil
}

// MayRequest reports whether the account may ask for more resources.
func (p accountPage) MayRequest() bool { return mayRequestResources(p.Patron, p.today) == nil }

// Requestable lists the resources the patron may ask for: offered by the
// network, and neither validated nor already waiting for the library. A
// resource refused earlier may be asked for again.
func (p accountPage) Requestable() []store.GrantView {
	var out []store.GrantView
	for _, g := range p.Grants {
		if !g.Resource.Disabled && (g.State == "" || g.State == sesame.GrantRefused) {
			out = append(out, g)
		}
	}
	return out
}

// StateWord is a grant's state as the patron reads it, of a resource.
func (p accountPage) StateWord(g store.GrantView) string {
	switch g.State {
	case sesame.GrantPending:
		return "En attente"
	case sesame.GrantValidated:
		return "Validée"
	case sesame.GrantRefused:
		return "Refusée"
	case sesame.GrantWaiting:
		return "En liste d'attente, position " + strconv.Itoa(g.Position)
	}
	return ""
}

// CanOpen is the access rule's answer for one of the patron's resources
// today: the page words it and offers « Accéder » from it.
func (p accountPage) CanOpen(g store.GrantView) sesame.AccessReason {
	return sesame.CanOpen(p.Patron, nil, &sesame.Grant{PatronID: p.Patron.ID, ResourceID: g.Resource.ID, State: g.State}, p.today)
}

// MayOpen reports whether « Accéder » opens that resource today.
func (p accountPage) MayOpen(g store.GrantView) bool { return p.CanOpen(g) == sesame.AccessGranted }

// StateText says what a grant's state means for the patron, now.
func (p accountPage) StateText(g store.GrantView) string {
	switch g.State {
	case sesame.GrantPending:
		return "Votre bibliothèque doit valider cette demande."
	case sesame.GrantValidated:
		switch reason := p.CanOpen(g); {
		case reason == sesame.AccessGranted:
			return "Vous pouvez y accéder."
		case reason.AccountClosed():
			return "Vous y accéderez de nouveau quand votre bibliothèque aura renouvelé votre compte."
		default:
			return "Vous y accéderez dès que votre bibliothèque aura validé votre compte."
		}
	case sesame.GrantRefused:
		return "Votre bibliothèque a refusé cette ressource."
	case sesame.GrantWaiting:
		return "Votre bibliothèque l'a activée, mais toutes les places de la licence sont prises. Elle s'ouvrira d'elle-même dès qu'une place se libère, dans l'ordre des demandes, et vous recevrez un courriel."
	}
	return ""
}

// myResourcesRequest puts the ticked resources en attente and tells the
// library, in the same transaction.
func (s *Server) myResourcesRequest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	p := patronFrom(ctx)
	refuse := func(status int, msg string) {
		s.renderAccount(w, r, status, form{Values: r.PostForm, Errors: sesame.FieldErrors{fieldResource: msg}})
	}
	var ids []int64
	for _, raw := range r.PostForm[fieldResource] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			refuse(http.StatusUnprocessableEntity, "Cette ressource n'est pas proposée : choisissez-en une dans la liste.")
			return
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		refuse(http.StatusUnprocessableEntity, "Cochez au moins une ressource à demander.")
		return
	}
	today := s.today()
	asked, err := s.store.RequestGrants(ctx, store.LibraryScope(p.LibraryID), p.ID, ids, patronActor(p),
		func(p *sesame.Patron) error { return mayRequestResources(p, today) },
		func(tx *store.Tx, p *sesame.Patron, asked []string) error {
			return s.notifyLibrary(ctx, tx, p, sesame.RequestResources, asked)
		})
	switch sesame.ErrorCode(err) {
	case "":
	case sesame.EInvalid, sesame.EForbidden:
		msg := sesame.FieldErrorsOf(err)[fieldResource]
		if msg == "" {
			msg = sesame.ErrorMessage(err)
		}
		refuse(statusOf(sesame.ErrorCode(err)), msg)
		return
	default:
		s.fail(w, r, err)
		return
	}
	if len(asked) == 0 {
		redirect(w, r, "/mon-compte", "dejademandees")
		return
	}
	s.log.Info("ressources demandées par l'usager", "patron", p.ID, "n", len(asked))
	redirect(w, r, "/mon-compte", "ressourcesdemandees")
}

// myInfoPage is "Modifier mes informations".
type myInfoPage struct {
	Patron  *sesame.Patron
	Library *sesame.Library
	Form    form
	// Stale is set when the library saved the record meanwhile; Typed keeps
	// what the patron had typed, shown beside the current values.
	Stale string
	Typed []typedValue
	// notice, when the form shows what was typed before a session ended, says so.
	notice string
}

func (s *Server) renderMyInfo(w http.ResponseWriter, r *http.Request, status int, page myInfoPage) {
	lib, err := s.store.Library(r.Context(), page.Patron.LibraryID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Library = lib
	s.render(w, r, status, "mon_compte_informations", layout{Title: formTitle("Modifier mes informations", page.Form),
		Section: "mon-compte", Notice: page.notice, Content: page})
}

func (s *Server) myInfoForm(w http.ResponseWriter, r *http.Request) {
	p := patronFrom(r.Context())
	page := myInfoPage{Patron: p, Form: infoForm(p)}
	if typed, ok := s.takeDraft(w, r); ok {
		page.Form.Values, page.notice = typed, draftNotice
	}
	s.renderMyInfo(w, r, http.StatusOK, page)
}

// myInfoSave saves the patron's own details. Only the fields of
// PatronDetails are read: e-mail, library, status and dates stay as they
// are whatever the form sends. The card number is the library's word too:
// vendors know the patron by it, so a typed one is dropped and the stored
// one kept. The version check is the staff record's.
func (s *Server) myInfoSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	p := patronFrom(ctx)
	sent := r.PostForm
	sent.Del(sesame.FieldCardNumber)
	version, _ := strconv.Atoi(sent.Get("version"))
	if version <= 0 {
		version = -1 // a form without its version is stale, never "any version"
	}
	details := patronDetailsFrom(sent)
	today := s.today()
	changed, consent := false, false
	_, err := s.store.UpdatePatron(ctx, store.LibraryScope(p.LibraryID), p.ID, version, patronActor(p),
		func(cur *sesame.Patron) (store.Change, error) {
			prior, before := *cur, snapshot(cur, nil)
			details.CardNumber = cur.CardNumber
			if err := details.Apply(cur, today); err != nil {
				return store.Change{}, err
			}
			changes, parent, err := s.settle(&prior, cur, sent)
			if err != nil {
				return store.Change{}, err
			}
			detail := describeChanges(before, snapshot(cur, nil))
			if detail == "" {
				return store.Change{}, nil
			}
			changed, consent = true, sesame.Has(changes, sesame.ChangeConsentRequired)
			return store.Change{Action: sesame.ActionInformation, Detail: "Modifié par l'usager depuis « Mon compte » : " + detail + consentNote(changes, parent),
				Then: s.lifecycleEffects(ctx, changes, parent)}, nil
		})
	if err == nil {
		if !changed {
			redirect(w, r, "/mon-compte", "inchange")
			return
		}
		if consent {
			redirect(w, r, "/mon-compte", "accord-parental")
			return
		}
		redirect(w, r, "/mon-compte", "informations")
		return
	}
	code := sesame.ErrorCode(err)
	if code != sesame.EInvalid && code != sesame.EStale {
		s.fail(w, r, err)
		return
	}
	cur, lerr := s.store.Patron(ctx, store.LibraryScope(p.LibraryID), p.ID)
	if lerr != nil {
		s.fail(w, r, lerr)
		return
	}
	page := myInfoPage{Patron: cur}
	if code == sesame.EInvalid {
		page.Form = form{Values: url.Values{}, Errors: sesame.FieldErrorsOf(err)}
		for _, name := range []string{sesame.FieldLastName, sesame.FieldFirstName, sesame.FieldBirthDate,
			sesame.FieldPostalCode, sesame.FieldTown, fieldParentName, fieldParentEmail} {
			page.Form.Values.Set(name, sent.Get(name))
		}
		page.Form.Values.Set("version", strconv.Itoa(cur.Version))
		s.renderMyInfo(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	page.Form = infoForm(cur)
	page.Stale = "Votre fiche a été modifiée entre-temps, sans doute par votre bibliothèque. Voici les valeurs actuelles ; vérifiez-les avant d'enregistrer à nouveau."
	page.Typed = typedValues(sent)
	s.renderMyInfo(w, r, http.StatusConflict, page)
}

// myAddressHelp explains why e-mail and library change through the library.
func (s *Server) myAddressHelp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := patronFrom(ctx)
	lib, err := s.store.Library(ctx, p.LibraryID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.store.Network(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mon_compte_adresse", layout{Title: "Changer d'adresse e-mail ou de bibliothèque", Section: "mon-compte",
		Content: struct {
			Patron  *sesame.Patron
			Library *sesame.Library
			Network sesame.Network
		}{p, lib, n}})
}

// renderMyPassword shows "Changer mon mot de passe". Nothing typed comes back.
func (s *Server) renderMyPassword(w http.ResponseWriter, r *http.Request, status int, page formPage) {
	s.render(w, r, status, "mon_compte_mot_de_passe", layout{Title: formTitle("Changer mon mot de passe", page.Form),
		Section: "mon-compte", Content: page})
}

func (s *Server) myPasswordForm(w http.ResponseWriter, r *http.Request) {
	s.renderMyPassword(w, r, http.StatusOK, blankFormPage())
}

// myPasswordSave changes the password of a patron who typed the current
// one, under the login's throttling; the rules are registration's. The
// patron's reset links are voided and their other sessions closed.
func (s *Server) myPasswordSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	p := patronFrom(ctx)
	current, pw, confirm := r.PostForm.Get(fieldCurrentPassword), r.PostForm.Get(fieldNewPassword), r.PostForm.Get(fieldConfirmPassword)
	page := formPage{Form: form{Values: url.Values{}, Errors: sesame.FieldErrors{}}}
	if msg := auth.CheckPassword(pw, p.Email, p.LastName, p.FirstName); msg != "" {
		page.Form.Errors.Add(fieldNewPassword, strings.Replace(msg, "Mot de passe :", "Nouveau mot de passe :", 1))
	} else if pw != confirm {
		page.Form.Errors.Add(fieldConfirmPassword, "Confirmez le nouveau mot de passe : les deux saisies sont différentes.")
	}
	if current == "" {
		page.Form.Errors.Add(fieldCurrentPassword, "Mot de passe actuel : ce champ est obligatoire.")
	} else {
		email := sesame.NormalizeEmail(p.Email)
		id, hash, err := s.store.PatronCredentials(ctx, email)
		if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
			s.fail(w, r, err)
			return
		}
		ok, wait, _, err := s.verifyLogin(r, auth.AccountKey("usager:"+email), current, hash, err == nil && id == p.ID)
		switch {
		case err != nil:
			s.fail(w, r, err)
			return
		case wait > 0:
			page.Message = "Trop de tentatives. Réessayez dans " + humanDuration(wait) + "."
			s.renderMyPassword(w, r, http.StatusTooManyRequests, page)
			return
		case !ok:
			s.log.Warn("changement de mot de passe usager : mot de passe actuel incorrect", "addr", s.clientAddress(r))
			page.Form.Errors.Add(fieldCurrentPassword, "Mot de passe actuel : il ne correspond pas à votre compte.")
		}
	}
	if len(page.Form.Errors) > 0 {
		s.renderMyPassword(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	change := passwordChange{PatronID: p.ID, Actor: patronActor(p)}
	if c, err := r.Cookie(s.patronCookieName()); err == nil {
		change.KeepSession = auth.HashToken(c.Value)
	}
	if err := s.setPassword(r, change, pw); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("mot de passe usager changé", "patron", p.ID)
	redirect(w, r, "/mon-compte", "motdepassechange")
}
