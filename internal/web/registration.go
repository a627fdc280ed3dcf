package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/mail"
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
	fieldPassword  = "mot_de_passe"
	fieldResources = "ressources"
	fieldNotice    = "notice"
	fieldHoneypot  = "site_web" // hidden from people: only robots fill it
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

func (s *Server) renderRegistration(w http.ResponseWriter, r *http.Request, status int, page registrationPage) {
	title := "S'inscrire"
	if page.Sent == "" {
		title = formTitle(title, page.Form)
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
		values.Add(fieldResources, strconv.FormatInt(x.ID, 10)) // all ticked by default
	}
	s.renderRegistration(w, r, http.StatusOK, registrationPage{Form: form{Values: values}, Libraries: libs, Resources: res})
}

// registrationPayload is what a pending registration keeps until its link
// is followed: the validated form, and the password's hash only.
type registrationPayload struct {
	Details      sesame.PatronDetails
	LibraryID    int64
	ResourceIDs  []int64
	PasswordHash string
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

	details := sesame.PatronDetails{
		LastName: sent.Get(sesame.FieldLastName), FirstName: sent.Get(sesame.FieldFirstName),
		BirthDate: sent.Get(sesame.FieldBirthDate), PostalCode: sent.Get(sesame.FieldPostalCode),
		Town: sent.Get(sesame.FieldTown), CardNumber: sent.Get(sesame.FieldCardNumber),
	}
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
	if sent.Get(fieldNotice) == "" {
		page.Form.Errors.Add(fieldNotice, "Notice Données personnelles : cochez la case pour indiquer que vous l'avez lue.")
	}
	if len(page.Form.Errors) > 0 {
		s.renderRegistration(w, r, http.StatusUnprocessableEntity, page)
		return
	}

	allowed, err := s.withinQuota(ctx, "inscription:"+s.clientAddress(r), registrationMaxRequests, registrationWindow)
	if err != nil {
		s.fail(w, r, err)
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
	payload, err := json.Marshal(registrationPayload{Details: p.Details(), LibraryID: libraryID, ResourceIDs: resourceIDs, PasswordHash: hash})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if err := s.startRegistration(ctx, email, name, string(payload)); err != nil {
		s.fail(w, r, err)
		return
	}
	done()
}

// startRegistration, in one transaction, stores the registration and
// enqueues its confirmation mail, or, when a patron already has the address,
// enqueues the "you already have an account" mail instead.
func (s *Server) startRegistration(ctx context.Context, email, name, payload string) error {
	network := s.networkName(ctx)
	return s.store.InTx(ctx, func(tx *sql.Tx) error {
		taken, err := s.store.EmailTakenTx(ctx, tx, email)
		if err != nil {
			return err
		}
		if taken {
			s.log.Info("inscription d'une adresse déjà connue : courriel « vous avez déjà un compte »")
			m, err := s.alreadyRegisteredMail(email, network)
			if err != nil {
				return err
			}
			return mail.Enqueue(ctx, s.store, tx, m)
		}
		token, err := auth.NewToken(s.cfg.Random)
		if err != nil {
			return err
		}
		if err := s.store.SaveRegistrationTx(ctx, tx, auth.HashToken(token), email, payload, s.cfg.Now().Add(registrationValidity)); err != nil {
			return err
		}
		m, err := confirmationMail(email, name, network, s.cfg.BaseURL+"/inscription/confirmer/"+token)
		if err != nil {
			return err
		}
		return mail.Enqueue(ctx, s.store, tx, m)
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

// registrationMailHTML is the HTML part of both registration mails; the
// text part says the same.
var registrationMailHTML = template.Must(template.New("inscription").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
<p>Bonjour{{with .Name}} {{.}}{{end}},</p>
{{- if .Link}}
<p>Vous venez de demander votre inscription aux ressources numériques de {{.Network}}.</p>
<p><a href="{{.Link}}">Confirmer mon inscription</a></p>
<p>Ce lien est valable 48 heures. Votre bibliothèque validera ensuite votre inscription. Si vous n'avez rien demandé, ignorez ce courriel : aucun compte ne sera créé.</p>
{{- else}}
<p>Quelqu'un, probablement vous, a demandé une inscription aux ressources numériques de {{.Network}} avec cette adresse. Vous avez déjà un compte : inutile de vous inscrire à nouveau.</p>
<p><a href="{{.Login}}">Me connecter</a></p>
<p>Mot de passe oublié ? <a href="{{.Forgot}}">Choisir un nouveau mot de passe</a></p>
<p>Si vous n'avez rien demandé, ignorez ce courriel : rien n'a changé.</p>
{{- end}}
</body></html>
`))

type registrationMailData struct {
	Subject, Name, Network, Link, Login, Forgot string
}

// confirmationMail is the French mail that carries a registration's link.
func confirmationMail(email, name, network, link string) (mail.Message, error) {
	d := registrationMailData{Subject: "Confirmez votre inscription — " + network, Name: name, Network: network, Link: link}
	var text strings.Builder
	text.WriteString("Bonjour " + name + ",\n\n")
	text.WriteString("Vous venez de demander votre inscription aux ressources numériques de " + network + ".\n\n")
	text.WriteString("Pour la confirmer, ouvrez ce lien :\n" + link + "\n\n")
	text.WriteString("Ce lien est valable 48 heures. Votre bibliothèque validera ensuite votre inscription. Si vous n'avez rien demandé, ignorez ce courriel : aucun compte ne sera créé.\n")
	return registrationMail(email, d, text.String())
}

// alreadyRegisteredMail tells a known address that it has an account. It
// greets nobody by name: the name typed in the form is not the holder's.
func (s *Server) alreadyRegisteredMail(email, network string) (mail.Message, error) {
	d := registrationMailData{Subject: "Vous avez déjà un compte — " + network, Network: network,
		Login: s.cfg.BaseURL + "/connexion", Forgot: s.cfg.BaseURL + "/mot-de-passe-oublie"}
	var text strings.Builder
	text.WriteString("Bonjour,\n\n")
	text.WriteString("Quelqu'un, probablement vous, a demandé une inscription aux ressources numériques de " + network + " avec cette adresse. ")
	text.WriteString("Vous avez déjà un compte : inutile de vous inscrire à nouveau.\n\n")
	text.WriteString("Pour vous connecter :\n" + d.Login + "\n\n")
	text.WriteString("Mot de passe oublié ? Choisissez-en un nouveau :\n" + d.Forgot + "\n\n")
	text.WriteString("Si vous n'avez rien demandé, ignorez ce courriel : rien n'a changé.\n")
	return registrationMail(email, d, text.String())
}

func registrationMail(email string, d registrationMailData, text string) (mail.Message, error) {
	var html strings.Builder
	if err := registrationMailHTML.Execute(&html, d); err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: email, ToName: d.Name, Subject: d.Subject, Text: text, HTML: html.String()}, nil
}

// confirmationPage is the page a registration's link leads to.
type confirmationPage struct {
	Outcome string // "confirmer", "confirmee", "perime" or "compte"
	Token   string // for the "confirmer" form
}

// confirmRegistrationForm is where the mail's link leads: a page with one
// button. Following a link changes nothing, so that a mail scanner opening
// it confirms nobody; only the button, a POST, does.
func (s *Server) confirmRegistrationForm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	reg, err := s.store.RegistrationByHash(r.Context(), auth.HashToken(token))
	switch {
	case sesame.ErrorCode(err) == sesame.ENotFound || (err == nil && !s.cfg.Now().Before(reg.ExpiresAt)):
		s.render(w, r, http.StatusGone, "inscription_confirmee", layout{Title: "Lien expiré ou déjà utilisé", Section: "inscription",
			Content: confirmationPage{Outcome: "perime"}})
	case err != nil:
		s.fail(w, r, err)
	default:
		s.render(w, r, http.StatusOK, "inscription_confirmee", layout{Title: "Confirmer mon inscription", Section: "inscription",
			Content: confirmationPage{Outcome: "confirmer", Token: token}})
	}
}

// confirmRegistration confirms a registration: the patron is created, À
// valider, and enters their library's to-do view.
func (s *Server) confirmRegistration(w http.ResponseWriter, r *http.Request) {
	today := s.today()
	_, err := s.store.ConfirmRegistration(r.Context(), auth.HashToken(r.PathValue("token")), s.cfg.Now(),
		func(reg store.Registration) (store.NewPatron, error) {
			var pl registrationPayload
			if err := json.Unmarshal([]byte(reg.Payload), &pl); err != nil {
				return store.NewPatron{}, err
			}
			p := sesame.Patron{LibraryID: pl.LibraryID, Status: sesame.StatusToValidate, RegisteredOn: today}
			if err := pl.Details.Apply(&p, today); err != nil {
				return store.NewPatron{}, err
			}
			return store.NewPatron{Patron: p, PasswordHash: pl.PasswordHash, ResourceIDs: pl.ResourceIDs, GrantState: sesame.GrantPending}, nil
		})
	show := func(status int, title, outcome string) {
		s.render(w, r, status, "inscription_confirmee", layout{Title: title, Section: "inscription", Content: confirmationPage{Outcome: outcome}})
	}
	switch {
	case err == nil:
		show(http.StatusOK, "Inscription confirmée", "confirmee")
	case sesame.ErrorCode(err) == sesame.ENotFound:
		show(http.StatusGone, "Lien expiré ou déjà utilisé", "perime")
	case sesame.ErrorCode(err) == sesame.EConflict: // store.ErrAlreadyRegistered, or a patron created at the same instant
		show(http.StatusConflict, "Vous avez déjà un compte", "compte")
	default:
		s.fail(w, r, err)
	}
}
