package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// A registration link lasts registrationValidity; an address may send
// registrationMaxRequests registrations per registrationWindow.
const (
	registrationValidity    = 48 * time.Hour
	registrationMaxRequests = 10
	registrationWindow      = time.Hour
)

// registrationSent is the one answer to a registration, whether or not the
// address is already known, and whether or not anything was done.
const registrationSent = "Vérifiez votre messagerie : nous vous avons envoyé un lien de confirmation, valable 48 heures."

// Fields of the registration form that the domain does not name.
const (
	fieldPassword  = "mot_de_passe" // #nosec G101 -- a form field's name, no credential
	fieldResources = "ressources"
	fieldNotice    = "notice"
	fieldHoneypot  = "site_web" // hidden from people: only robots fill it
	// Required under sesame.ParentalConsentAge only; always in the form, so
	// that it needs no script.
	fieldParentName  = "nom_parent"
	fieldParentEmail = "email_parent"
)

// Labels of the parent's fields, which start their messages.
const (
	labelParentName  = "Nom du parent ou tuteur légal"
	labelParentEmail = "E-mail du parent ou tuteur légal"
)

// libraryOption is one library of the form's list, labelled by its town.
type libraryOption struct {
	ID    string
	Label string
}

type registrationPage struct {
	Form      form
	Libraries []libraryOption
	Resources []sesame.Resource
	Sent      string
}

// registrationChoices reads the enabled libraries, sorted by town so that
// one is found by its town, and the enabled resources.
func (s *Server) registrationChoices(ctx context.Context) ([]libraryOption, []sesame.Resource, error) {
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(libs, func(i, j int) bool {
		a, b := store.Fold(libs[i].Town), store.Fold(libs[j].Town)
		if a != b {
			return a < b
		}
		return store.Fold(libs[i].Name) < store.Fold(libs[j].Name)
	})
	var opts []libraryOption
	for _, l := range libs {
		if !l.Disabled {
			opts = append(opts, libraryOption{ID: strconv.FormatInt(l.ID, 10), Label: l.Town + " — " + l.Name})
		}
	}
	all, err := s.store.Resources(ctx)
	if err != nil {
		return nil, nil, err
	}
	var res []sesame.Resource
	for _, r := range all {
		if !r.Disabled {
			res = append(res, r)
		}
	}
	return opts, res, nil
}

// OfferNote tells, beside a resource that only some libraries offer,
// which ones: the patron's library may not be among them.
func (p registrationPage) OfferNote(r sesame.Resource) string {
	if !r.Offer.Restricted {
		return ""
	}
	var names []string
	for _, l := range p.Libraries {
		id, _ := strconv.ParseInt(l.ID, 10, 64)
		if r.Offer.Includes(id) {
			names = append(names, l.Label)
		}
	}
	return " (proposée seulement par : " + strings.Join(names, ", ") + ")"
}

func (s *Server) renderRegistration(w http.ResponseWriter, r *http.Request, status int, page registrationPage) {
	title := "Inscription envoyée"
	if page.Sent == "" {
		title = formTitle("S'inscrire", page.Form)
	}
	s.render(w, r, status, "inscription", layout{Title: title, Section: "inscription", Content: page})
}

func (s *Server) registrationForm(w http.ResponseWriter, r *http.Request) {
	libs, res, err := s.registrationChoices(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	values := url.Values{}
	for _, x := range res {
		if !x.Offer.Restricted { // those every library offers ticked by default
			values.Add(fieldResources, strconv.FormatInt(x.ID, 10))
		}
	}
	s.renderRegistration(w, r, http.StatusOK, registrationPage{Form: form{Values: values}, Libraries: libs, Resources: res})
}

// registrationPayload is what a pending registration keeps until its link
// is followed: the validated form, and the password's hash only. A patron
// under 15 names a parent, whose consent the registration then waits for.
type registrationPayload struct {
	Details      sesame.PatronDetails
	LibraryID    int64
	ResourceIDs  []int64
	PasswordHash string
	ParentName   string `json:",omitempty"`
	ParentEmail  string `json:",omitempty"`
}

// NeedsParent reports whether the registration waits for a parent's consent.
func (pl registrationPayload) NeedsParent() bool { return pl.ParentEmail != "" }

// Name is the patron's name as mail greets them: Prénom Nom.
func (pl registrationPayload) Name() string {
	return strings.TrimSpace(strings.TrimSpace(pl.Details.FirstName) + " " + strings.TrimSpace(pl.Details.LastName))
}

// decodePayload reads a registration's payload back.
func decodePayload(reg store.Registration) (registrationPayload, error) {
	var pl registrationPayload
	if err := json.Unmarshal([]byte(reg.Payload), &pl); err != nil {
		return pl, fmt.Errorf("read registration payload: %w", err)
	}
	return pl, nil
}

// register validates the form and, when it is right, sends the confirmation
// link, or a "you already have an account" mail to a known address. The page
// that follows is the same in every case.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	libs, res, err := s.registrationChoices(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sent := r.PostForm
	kept := url.Values{}
	for k, v := range sent {
		if k != fieldPassword && k != fieldHoneypot {
			kept[k] = v
		}
	}
	page := registrationPage{Form: form{Values: kept, Errors: sesame.FieldErrors{}}, Libraries: libs, Resources: res}
	done := func() {
		page.Sent = registrationSent
		s.renderRegistration(w, r, http.StatusOK, page)
	}
	if sent.Get(fieldHoneypot) != "" {
		s.log.Warn("inscription ignorée : champ piège rempli", "addr", s.clientAddress(r))
		done()
		return
	}

	details := patronDetailsFrom(sent)
	var p sesame.Patron
	if err := details.Apply(&p, s.today()); err != nil {
		fe := sesame.FieldErrorsOf(err)
		if fe == nil {
			s.fail(w, r, err)
			return
		}
		for k, v := range fe {
			page.Form.Errors.Add(k, v)
		}
	}
	typedEmail := strings.TrimSpace(sent.Get(sesame.FieldEmail))
	if msg := sesame.CheckEmail(typedEmail); msg != "" {
		page.Form.Errors.Add(sesame.FieldEmail, msg)
	}
	email := sesame.NormalizeEmail(typedEmail)
	parentName, parentEmail := s.checkParent(sent, email, page.Form.Errors)
	password := sent.Get(fieldPassword)
	if msg := auth.CheckPassword(password, email, p.LastName, strings.TrimSpace(details.LastName)); msg != "" {
		page.Form.Errors.Add(fieldPassword, msg)
	}
	libraryID, libOK := int64(0), false
	for _, l := range libs {
		if l.ID == sent.Get(sesame.FieldLibrary) {
			libraryID, _ = strconv.ParseInt(l.ID, 10, 64)
			libOK = true
		}
	}
	switch {
	case sent.Get(sesame.FieldLibrary) == "":
		page.Form.Errors.Add(sesame.FieldLibrary, "Bibliothèque : choisissez la bibliothèque où vous êtes inscrit.")
	case !libOK:
		page.Form.Errors.Add(sesame.FieldLibrary, "Bibliothèque : celle-ci ne fait pas partie du réseau ; choisissez-en une dans la liste.")
	}
	var resourceIDs []int64
	for _, x := range res {
		if page.Form.Checked(fieldResources, strconv.FormatInt(x.ID, 10)) {
			resourceIDs = append(resourceIDs, x.ID)
		}
	}
	if len(resourceIDs) == 0 || len(resourceIDs) != len(sent[fieldResources]) {
		page.Form.Errors.Add(fieldResources, "Ressources souhaitées : cochez au moins une ressource de la liste.")
	}
	if libOK {
		for _, x := range res {
			if slices.Contains(resourceIDs, x.ID) && !x.OfferedTo(libraryID) {
				page.Form.Errors.Add(fieldResources, "Ressources souhaitées : « "+x.Name+" » n'est pas proposée par la bibliothèque choisie ; décochez-la, ou choisissez la bibliothèque où vous êtes inscrit.")
			}
		}
	}
	if sent.Get(fieldNotice) == "" {
		page.Form.Errors.Add(fieldNotice, "Notice Données personnelles : cochez la case pour indiquer que vous l'avez lue.")
	}
	if len(page.Form.Errors) > 0 {
		s.renderRegistration(w, r, http.StatusUnprocessableEntity, page)
		return
	}

	allowed, answered := s.allowFormMail(w, r, registrationQuota, email, page.Form, func(status int) { s.renderRegistration(w, r, status, page) })
	if answered {
		return
	}
	if !allowed {
		s.log.Warn("inscription ignorée : trop de demandes", "addr", s.clientAddress(r))
		done()
		return
	}
	// The password is hashed whether or not the address is known, so that
	// the answer takes as long either way.
	hash, err := s.cfg.Hasher.Hash(password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pl := registrationPayload{Details: p.Details(), LibraryID: libraryID, ResourceIDs: resourceIDs, PasswordHash: hash,
		ParentName: parentName, ParentEmail: parentEmail}
	if err := s.startRegistration(ctx, email, pl); err != nil {
		s.fail(w, r, err)
		return
	}
	done()
}

// checkParent reads the parent's fields into errs, and returns them when
// the birth date typed is of someone under sesame.ParentalConsentAge today;
// otherwise they are not kept. A wrong birth date has its own message, and
// the parent's fields are checked once it is right.
func (s *Server) checkParent(sent url.Values, email string, errs sesame.FieldErrors) (name, parentEmail string) {
	today := s.today()
	birth, err := sesame.ParseDate(sent.Get(sesame.FieldBirthDate))
	if err != nil || birth.After(today) || !sesame.NeedsParentalConsent(birth, today) {
		return "", ""
	}
	name = strings.TrimSpace(sent.Get(fieldParentName))
	if name == "" {
		errs.Add(fieldParentName, labelParentName+" : obligatoire avant 15 ans.")
	} else if msg := sesame.CheckRequiredText(labelParentName, name, 100); msg != "" {
		errs.Add(fieldParentName, msg)
	}
	typed := strings.TrimSpace(sent.Get(fieldParentEmail))
	parentEmail = sesame.NormalizeEmail(typed)
	switch msg := sesame.CheckEmail(typed); {
	case typed == "":
		errs.Add(fieldParentEmail, labelParentEmail+" : obligatoire avant 15 ans.")
	case msg != "":
		errs.Add(fieldParentEmail, labelParentEmail+" : "+strings.TrimPrefix(msg, "E-mail : "))
	case parentEmail == email:
		errs.Add(fieldParentEmail, labelParentEmail+" : c'est votre propre adresse ; indiquez celle de votre parent ou tuteur, qui recevra la demande d'accord.")
	}
	return name, parentEmail
}

// startRegistration, in one transaction, stores the registration and
// enqueues its confirmation mail, or, when a patron already has the address,
// enqueues the "you already have an account" mail instead.
func (s *Server) startRegistration(ctx context.Context, email string, pl registrationPayload) error {
	network := s.networkName(ctx)
	payload, err := json.Marshal(pl)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx *store.Tx) error {
		taken, err := tx.EmailTaken(ctx, email)
		if err != nil {
			return err
		}
		if taken {
			s.log.Info("inscription d'une adresse déjà connue : courriel « vous avez déjà un compte »")
			m, err := s.alreadyRegisteredMail(email, network)
			if err != nil {
				return err
			}
			return mail.Enqueue(ctx, tx, m)
		}
		token, err := auth.NewToken(s.cfg.Random)
		if err != nil {
			return err
		}
		if err := tx.SaveRegistration(ctx, auth.HashToken(token), email, string(payload), s.cfg.Now().Add(registrationValidity)); err != nil {
			return err
		}
		m, err := confirmationMail(email, pl, network, s.cfg.BaseURL+"/inscription/confirmer/"+token)
		if err != nil {
			return err
		}
		m.Secret, m.SecretUntil = token, s.cfg.Now().Add(registrationValidity)
		return mail.Enqueue(ctx, tx, m)
	})
}

// withinQuota counts one more request under key and reports whether it is
// within max requests per window. The window starts at the first request.
func (s *Server) withinQuota(ctx context.Context, key string, max int, window time.Duration) (bool, error) {
	now := s.cfg.Now()
	t, err := s.store.ThrottleOf(ctx, key)
	if err != nil {
		return false, err
	}
	if t.Failures >= max && now.Before(t.BlockedUntil) {
		return false, nil
	}
	if t.Failures > 0 && !now.Before(t.BlockedUntil) {
		// The window is over: the count starts again.
		if err := s.store.ClearThrottle(ctx, key); err != nil {
			return false, err
		}
		t = store.Throttle{}
	}
	windowEnd := t.BlockedUntil
	if t.Failures == 0 {
		windowEnd = now.Add(window)
	}
	if _, err := s.store.RecordFailure(ctx, key, func(int) time.Time { return windowEnd }); err != nil {
		return false, err
	}
	return true, nil
}

// networkName is the network's name for mail, "Sésame" until it has one.
func (s *Server) networkName(ctx context.Context) string {
	if n, err := s.store.Network(ctx); err == nil && n.Name != "" {
		return n.Name
	}
	return "Sésame"
}

// confirmationMail is the mail that carries a registration's link.
func confirmationMail(email string, pl registrationPayload, network, link string) (mail.Message, error) {
	m, err := notify.Render("confirmation-inscription", notify.Confirmation{Name: pl.Name(), Network: network, Link: link, Minor: pl.NeedsParent()})
	m.To, m.ToName = email, pl.Name()
	return m, err
}

// parentalConsentMail is the mail that asks a parent's consent to a
// registration, with the link to the page where they give it.
func parentalConsentMail(pl registrationPayload, network, library, link string) (mail.Message, error) {
	m, err := notify.Render("accord-parental", notify.ParentalConsent{Parent: pl.ParentName, Child: pl.Name(), Network: network,
		Library: library, Link: link})
	m.To, m.ToName = pl.ParentEmail, pl.ParentName
	return m, err
}

// alreadyRegisteredMail tells a known address that it has an account.
func (s *Server) alreadyRegisteredMail(email, network string) (mail.Message, error) {
	m, err := notify.Render("deja-inscrit", notify.AlreadyRegistered{Network: network,
		Login: s.cfg.BaseURL + "/connexion", Forgot: s.cfg.BaseURL + "/mot-de-passe-oublie"})
	m.To = email
	return m, err
}

// confirmationPage is the page a registration's link leads to.
type confirmationPage struct {
	// "confirmer", "confirmee", "deja", "parent", "parent-attendu", "compte" or "perime"
	Outcome     string
	Token       string // for the "confirmer" form
	Minor       bool   // for "confirmer": a parent's consent comes next
	ParentEmail string // for "parent" and "parent-attendu"
}

func (s *Server) showConfirmation(w http.ResponseWriter, r *http.Request, status int, title string, page confirmationPage) {
	s.render(w, r, status, "inscription_confirmee", layout{Title: title, Section: "inscription", Content: page})
}

// showUsedLink answers a holder's link that has served: a second press of
// the button is told what the first one did, not that the link expired.
func (s *Server) showUsedLink(w http.ResponseWriter, r *http.Request, reg store.Registration) {
	if !reg.AwaitsParent() {
		s.showConfirmation(w, r, http.StatusOK, "Inscription déjà confirmée", confirmationPage{Outcome: "deja"})
		return
	}
	pl, err := decodePayload(reg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showConfirmation(w, r, http.StatusOK, "Adresse déjà confirmée", confirmationPage{Outcome: "parent-attendu", ParentEmail: pl.ParentEmail})
}

// holderRegistration reads the registration of the holder's link in the
// URL. When it reports false, it has answered: the link is unknown,
// expired, or has served.
func (s *Server) holderRegistration(w http.ResponseWriter, r *http.Request) (registrationPayload, bool) {
	if !auth.WellFormedToken(r.PathValue("token")) {
		s.showConfirmation(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", confirmationPage{Outcome: "perime"})
		return registrationPayload{}, false
	}
	reg, err := s.store.RegistrationByHash(r.Context(), auth.HashToken(r.PathValue("token")))
	var pl registrationPayload
	switch {
	case sesame.ErrorCode(err) == sesame.ENotFound:
	case err != nil:
		s.fail(w, r, err)
		return pl, false
	case reg.Used():
		s.showUsedLink(w, r, reg)
		return pl, false
	case s.cfg.Now().Before(reg.ExpiresAt):
		if pl, err = decodePayload(reg); err != nil {
			s.fail(w, r, err)
			return pl, false
		}
		return pl, true
	}
	s.showConfirmation(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", confirmationPage{Outcome: "perime"})
	return pl, false
}

// confirmRegistrationForm is where the mail's link leads: a page with one
// button. Following a link changes nothing, so that a mail scanner opening
// it confirms nobody; only the button, a POST, does.
func (s *Server) confirmRegistrationForm(w http.ResponseWriter, r *http.Request) {
	pl, ok := s.holderRegistration(w, r)
	if !ok {
		return
	}
	s.showConfirmation(w, r, http.StatusOK, "Confirmer mon inscription",
		confirmationPage{Outcome: "confirmer", Token: r.PathValue("token"), Minor: pl.NeedsParent()})
}

// confirmRegistration confirms a registration: the patron is created, À
// valider, and enters their library's to-do view. A patron under 15 has
// confirmed their address only: the parent is asked next.
func (s *Server) confirmRegistration(w http.ResponseWriter, r *http.Request) {
	pl, ok := s.holderRegistration(w, r)
	if !ok {
		return
	}
	hash := auth.HashToken(r.PathValue("token"))
	if pl.NeedsParent() {
		s.askParentalConsent(w, r, hash, pl)
		return
	}
	today := s.today()
	_, err := s.store.ConfirmRegistration(r.Context(), hash, s.cfg.Now(),
		func(reg store.Registration) (store.NewPatron, error) {
			np, pl, err := s.patronFromRegistration(r, reg, today)
			if err == nil && pl.NeedsParent() {
				// The link's payload does not change; this is never reached.
				err = errors.New("registration needs a parent's consent")
			}
			return np, err
		})
	s.showConfirmed(w, r, err, hash)
}

// showConfirmed answers the holder's button, which made a patron or asked
// a parent, or tried to: err is the store's answer, and the registration of
// the link hash is read again when it had served.
func (s *Server) showConfirmed(w http.ResponseWriter, r *http.Request, err error, hash string) {
	switch {
	case err == nil:
		s.showConfirmation(w, r, http.StatusOK, "Inscription confirmée", confirmationPage{Outcome: "confirmee"})
	case errors.Is(err, store.ErrLinkUsed): // a second press, while the first went through
		reg, ferr := s.store.RegistrationByHash(r.Context(), hash)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		s.showUsedLink(w, r, reg)
	case sesame.ErrorCode(err) == sesame.ENotFound:
		s.showConfirmation(w, r, http.StatusGone, "Lien expiré ou déjà utilisé", confirmationPage{Outcome: "perime"})
	case sesame.ErrorCode(err) == sesame.EConflict: // store.ErrAlreadyRegistered, or a patron created at the same instant
		s.showConfirmation(w, r, http.StatusConflict, "Vous avez déjà un compte", confirmationPage{Outcome: "compte"})
	default:
		s.fail(w, r, err)
	}
}

// patronFromRegistration makes the patron of a registration, À valider
// with the resources asked for en attente, and tells their library.
func (s *Server) patronFromRegistration(r *http.Request, reg store.Registration, today sesame.Date) (store.NewPatron, registrationPayload, error) {
	pl, err := decodePayload(reg)
	if err != nil {
		return store.NewPatron{}, pl, err
	}
	p := sesame.Patron{LibraryID: pl.LibraryID, Status: sesame.StatusToValidate, RegisteredOn: today}
	if err := pl.Details.Apply(&p, today); err != nil {
		return store.NewPatron{}, pl, err
	}
	return store.NewPatron{Patron: p, PasswordHash: pl.PasswordHash, ResourceIDs: pl.ResourceIDs, GrantState: sesame.GrantPending,
		Then: s.libraryNotice(r.Context(), sesame.RequestRegistration)}, pl, nil
}
