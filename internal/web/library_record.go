package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// recordPage is the patron's record, "Abonné", with its three tabs.
type recordPage struct {
	Tab     string // informations, statut or ressources
	Patron  *sesame.Patron
	Library *sesame.Library
	Admin   bool
	// CanEdit is the domain's EditableBy for this staff member: the page
	// offers its forms exactly when the POST would accept them. Locked is
	// then why not, in French; Correction, that the network admin is
	// correcting an Expiré record, which the audit will say.
	CanEdit    bool
	Locked     string
	Correction bool
	// Shown is the status as the header shows it today.
	Shown     sesame.ShownStatus
	Form      form
	Libraries []sesame.Library
	Grants    []store.GrantView
	History   []sesame.AuditEvent
	// Stale is set when the record changed under the user; Typed keeps what
	// they had typed, shown beside the current values.
	Stale   string
	Typed   []typedValue
	Message string
	// notice, when the form shows what was typed before a session ended, says so.
	notice string
	// Duplicates are the library's other patrons with the same names and
	// birth date; Consent, on the Informations tab, the parental consent
	// given at registration, if any.
	Duplicates []store.PatronRef
	Consent    *store.ParentalConsent
	// Requests, on the Statut tab, is how many resource requests wait for
	// the library: deciding the account leaves them to decide, and the
	// account in « À traiter » until they are.
	Requests int
	// ConsentAwaited, on the Statut tab, is the day a parent's consent was
	// asked when the account waits for it (sesame.Patron.AwaitsParentalConsent):
	// the form then offers no validation, which Decide would refuse.
	ConsentAwaited string
	// ValidityMonths is how long the library keeps an account open
	// (sesame.Network.ValidityFor), which the Statut tab's hint tells.
	ValidityMonths int
}

type typedValue struct{ Label, Value string }

// ResourceRows lists each resource of the Ressources tab once, on one line
// with its state: those the patron asked for or was given, and those the
// library may still activate (not disabled).
func (p recordPage) ResourceRows() []store.GrantView {
	var out []store.GrantView
	for _, g := range p.Grants {
		if g.State != "" || !g.Resource.Disabled {
			out = append(out, g)
		}
	}
	return out
}

// Activatable reports whether g's line offers the « Activer » box: a
// resource not validated, not already on the waiting list and not
// disabled, which patronResourcesSave accepts. The resources the patron's
// library does not offer are not in Grants at all (store.PatronGrants).
func (p recordPage) Activatable(g store.GrantView) bool {
	return g.State != sesame.GrantValidated && g.State != sesame.GrantWaiting && !g.Resource.Disabled
}

// ToActivate lists the resources the Activer form offers (Activatable).
func (p recordPage) ToActivate() []store.GrantView {
	var out []store.GrantView
	for _, g := range p.Grants {
		if p.Activatable(g) {
			out = append(out, g)
		}
	}
	return out
}

// parsePatronPost reads a POST on a patron's record: its form and {id}.
// When it reports false, it has answered.
func (s *Server) parsePatronPost(w http.ResponseWriter, r *http.Request) (int64, bool) {
	if !s.parseForm(w, r) {
		return 0, false
	}
	id, err := patronID(r)
	if err != nil {
		s.fail(w, r, err)
		return 0, false
	}
	return id, true
}

// patronID reads {id}; a malformed id is as unknown as a missing one.
func patronID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, sesame.Errorf(sesame.ENotFound, "Abonné introuvable.")
	}
	return id, nil
}

// loadRecord fills a record page for the patron in the URL, within the
// staff member's scope: another library's patron is not found.
func (s *Server) loadRecord(r *http.Request, tab string) (*recordPage, error) {
	ctx := r.Context()
	st := staffFrom(ctx)
	id, err := patronID(r)
	if err != nil {
		return nil, err
	}
	sc := scopeOf(st)
	p, err := s.store.Patron(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	lib, err := s.store.Library(ctx, p.LibraryID)
	if err != nil {
		return nil, err
	}
	n, err := s.store.Network(ctx)
	if err != nil {
		return nil, err
	}
	page := &recordPage{Tab: tab, Patron: p, Library: lib, Admin: st.Role == sesame.RoleAdmin, ValidityMonths: n.ValidityFor(lib)}
	editing, editErr := p.EditableBy(actorOf(st))
	page.CanEdit, page.Correction = editErr == nil, editing == sesame.EditExpiredCorrection
	if editErr != nil {
		page.Locked = sesame.ErrorMessage(editErr)
	}
	page.Shown = p.ShownStatus(s.today())
	if page.History, err = s.store.PatronHistory(ctx, sc, id); err != nil {
		return nil, err
	}
	if page.Duplicates, err = s.store.PossibleDuplicates(ctx, sc, p); err != nil {
		return nil, err
	}
	switch tab {
	case "informations":
		page.Form = infoForm(p)
		switch c, err := s.store.ParentalConsentOf(ctx, sc, id); {
		case err == nil:
			page.Consent = &c
		case sesame.ErrorCode(err) != sesame.ENotFound:
			return nil, err
		}
		if page.Admin {
			if page.Libraries, err = s.store.Libraries(ctx); err != nil {
				return nil, err
			}
		}
	case "statut":
		page.Form = statusForm(p)
		if p.AwaitsParentalConsent(s.today()) {
			page.ConsentAwaited = sesame.DateOf(p.ConsentAskedAt, s.cfg.Location).String()
		}
		grants, err := s.store.PatronGrants(ctx, sc, id)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			if g.State == sesame.GrantPending {
				page.Requests++
			}
		}
	case "ressources":
		if page.Grants, err = s.store.PatronGrants(ctx, sc, id); err != nil {
			return nil, err
		}
		page.Form = form{Values: url.Values{}}
	}
	return page, nil
}

func (s *Server) renderRecord(w http.ResponseWriter, r *http.Request, status int, page *recordPage) {
	titles := map[string]string{"informations": "Informations", "statut": "Statut", "ressources": "Ressources"}
	title := formTitle(fmt.Sprintf("%s – %s – Abonné", page.Patron.FullName(), titles[page.Tab]), page.Form)
	s.render(w, r, status, "abonne_"+page.Tab,
		layout{Title: title, Section: "abonnes", Notice: page.notice, Content: page})
}

func (s *Server) showRecord(w http.ResponseWriter, r *http.Request, tab string) {
	page, err := s.loadRecord(r, tab)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if typed, ok := s.takeDraft(w, r); ok {
		page.Form.Values, page.notice = typed, draftNotice
	}
	s.renderRecord(w, r, http.StatusOK, page)
}

func (s *Server) patronInfo(w http.ResponseWriter, r *http.Request) {
	s.showRecord(w, r, "informations")
}
func (s *Server) patronStatus(w http.ResponseWriter, r *http.Request) { s.showRecord(w, r, "statut") }
func (s *Server) patronResources(w http.ResponseWriter, r *http.Request) {
	s.showRecord(w, r, "ressources")
}

func infoForm(p *sesame.Patron) form {
	d := p.Details()
	return form{Values: url.Values{
		sesame.FieldLastName: {d.LastName}, sesame.FieldFirstName: {d.FirstName}, sesame.FieldEmail: {p.Email},
		sesame.FieldBirthDate: {d.BirthDate}, sesame.FieldPostalCode: {d.PostalCode}, sesame.FieldTown: {d.Town},
		sesame.FieldCardNumber: {d.CardNumber}, sesame.FieldLibrary: {strconv.FormatInt(p.LibraryID, 10)},
		"version": {strconv.Itoa(p.Version)},
	}}
}

func statusForm(p *sesame.Patron) form {
	status := p.Status
	if status.AwaitsStaff() {
		status = ""
	}
	return form{Values: url.Values{
		sesame.FieldStatus: {string(status)}, sesame.FieldLibraryRegisteredOn: {p.LibraryRegisteredOn.String()},
		sesame.FieldRefusalReason: {p.RefusalReason}, "version": {strconv.Itoa(p.Version)},
	}}
}

// infoLabels name the Informations fields in the history and in the stale notice.
var infoLabels = []struct{ field, label string }{
	{sesame.FieldLastName, "Nom"}, {sesame.FieldFirstName, "Prénom"}, {sesame.FieldEmail, "E-mail"},
	{sesame.FieldBirthDate, "Date de naissance"}, {sesame.FieldPostalCode, "Code postal"}, {sesame.FieldTown, "Ville"},
	{sesame.FieldCardNumber, "N° d'inscription"}, {sesame.FieldLibrary, "Bibliothèque"},
	{sesame.FieldStatus, "Statut"}, {sesame.FieldLibraryRegisteredOn, "Date d'inscription dans la bibliothèque"},
	{sesame.FieldRefusalReason, "Motif du refus"}, {"fin_validite", "Date de fin de validité"},
}

// describeChanges lists "Label : avant → après" for each field whose value differs.
func describeChanges(before, after form) string {
	var parts []string
	for _, l := range infoLabels {
		b, a := before.Get(l.field), after.Get(l.field)
		if b != a {
			if l.field == sesame.FieldStatus {
				b, a = sesame.Status(b).Label(), sesame.Status(a).Label()
			}
			parts = append(parts, fmt.Sprintf("%s : « %s » → « %s »", l.label, b, a))
		}
	}
	return strings.Join(parts, " ; ")
}

// typedValues keeps what the user sent, for the stale notice.
func typedValues(sent url.Values) []typedValue {
	var out []typedValue
	for _, l := range infoLabels {
		if v, ok := sent[l.field]; ok && len(v) > 0 {
			out = append(out, typedValue{Label: l.label, Value: v[0]})
		}
	}
	return out
}

// saveRecord runs one save of a tab: apply changes the patron within the
// store's transaction, and the page comes back with the field messages, or
// with the current values when someone saved first.
func (s *Server) saveRecord(w http.ResponseWriter, r *http.Request, tab string, apply func(p *sesame.Patron, sent url.Values) error) {
	ctx := r.Context()
	st := staffFrom(ctx)
	id, ok := s.parsePatronPost(w, r)
	if !ok {
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if version <= 0 {
		version = -1 // a form without its version is treated as stale, never as "any version"
	}
	isAdmin := st.Role == sesame.RoleAdmin
	codes := map[string]string{}
	if isAdmin && tab == "informations" { // only the admin moves patrons between libraries
		libs, err := s.store.Libraries(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, l := range libs {
			codes[strconv.FormatInt(l.ID, 10)] = l.Code
		}
	}
	_, err := s.store.UpdatePatron(ctx, scopeOf(st), id, version, actorOf(st), s.recordChange(ctx, tab, codes, r.PostForm, apply))
	if err == nil {
		redirect(w, r, recordURL(id, tab), "enregistre")
		return
	}
	page, lerr := s.loadRecord(r, tab)
	if lerr != nil {
		s.fail(w, r, lerr)
		return
	}
	switch sesame.ErrorCode(err) {
	case sesame.EInvalid:
		page.Form = form{Values: r.PostForm, Errors: sesame.FieldErrorsOf(err)}
		page.Form.Values.Set("version", strconv.Itoa(page.Patron.Version))
		s.renderRecord(w, r, http.StatusUnprocessableEntity, page)
	case sesame.EStale:
		page.Stale = sesame.ErrorMessage(err)
		page.Typed = typedValues(r.PostForm)
		s.renderRecord(w, r, http.StatusConflict, page)
	case sesame.EForbidden:
		page.Message = sesame.ErrorMessage(err)
		s.renderRecord(w, r, http.StatusForbidden, page)
	default:
		s.fail(w, r, err)
	}
}

// recordChange is what a save of tab does inside the store's transaction:
// apply what was sent to the patron, classify the change (settle), and
// name it for the audit with its mails and effects. A bulk action on the
// list goes through it too, so that each patron is checked, audited and
// told exactly as if their record had been saved alone. codes name the
// libraries when the library may change.
func (s *Server) recordChange(ctx context.Context, tab string, codes map[string]string, sent url.Values,
	apply func(p *sesame.Patron, sent url.Values) error) func(p *sesame.Patron) (store.Change, error) {
	return func(p *sesame.Patron) (store.Change, error) {
		prior, before := *p, snapshot(p, codes)
		if err := apply(p, sent); err != nil {
			return store.Change{}, err
		}
		changes, parent, err := s.settle(&prior, p, sent)
		if err != nil {
			return store.Change{}, err
		}
		detail := describeChanges(before, snapshot(p, codes))
		if detail == "" {
			return store.Change{}, nil
		}
		action := sesame.ActionInformation
		if tab == "statut" {
			action = decisionAction(changes)
		}
		return store.Change{Action: action, Detail: detail + consentNote(changes, parent), Then: s.lifecycleEffects(ctx, changes, parent)}, nil
	}
}

// snapshot is every field of the record as text, to tell what a save
// changed; codes name the libraries when the library may change.
func snapshot(p *sesame.Patron, codes map[string]string) form {
	f := infoForm(p)
	if code, ok := codes[f.Get(sesame.FieldLibrary)]; ok {
		f.Values.Set(sesame.FieldLibrary, code)
	}
	f.Values.Set(sesame.FieldStatus, string(p.Status))
	f.Values.Set(sesame.FieldLibraryRegisteredOn, p.LibraryRegisteredOn.String())
	f.Values.Set(sesame.FieldRefusalReason, p.RefusalReason)
	f.Values.Set("fin_validite", p.ValidUntil.String())
	return f
}

func recordURL(id int64, tab string) string {
	u := fmt.Sprintf("/abonnes/%d", id)
	if tab != "informations" {
		u += "/" + tab
	}
	return u
}

func (s *Server) patronInfoSave(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	today := s.today()
	s.saveRecord(w, r, "informations", func(p *sesame.Patron, sent url.Values) error {
		details := patronDetailsFrom(sent)
		// Library staff never change e-mail or library, whatever the form sends.
		if !sesame.MayChangeEmailAndLibrary(actorOf(st)) {
			return details.Apply(p, today)
		}
		errs := sesame.FieldErrors{}
		email := sesame.NormalizeEmail(sent.Get(sesame.FieldEmail))
		if msg := sesame.CheckEmail(email); msg != "" {
			errs.Add(sesame.FieldEmail, msg)
		}
		libID, err := strconv.ParseInt(sent.Get(sesame.FieldLibrary), 10, 64)
		if err == nil {
			_, err = s.store.Library(r.Context(), libID)
		}
		if err != nil {
			errs.Add(sesame.FieldLibrary, "Bibliothèque : choisissez une bibliothèque de la liste.")
		}
		addFieldErrors(errs, details.Apply(p, today))
		if err := errs.Err(); err != nil {
			return err
		}
		p.Email, p.LibraryID = email, libID
		return nil
	})
}

func (s *Server) patronStatusSave(w http.ResponseWriter, r *http.Request) {
	s.saveRecord(w, r, "statut", s.statusDecision(r.Context()))
}

// statusDecision returns how the Statut tab applies what was sent: the
// decision, taken today under the validity of the patron's library
// (sesame.Network.ValidityFor, sesame.Patron.Decide).
func (s *Server) statusDecision(ctx context.Context) func(p *sesame.Patron, sent url.Values) error {
	today := s.today()
	validity := s.validityOf(ctx)
	return func(p *sesame.Patron, sent url.Values) error {
		months, err := validity(p.LibraryID)
		if err != nil {
			return err
		}
		d := sesame.Decision{Status: sesame.Status(sent.Get(sesame.FieldStatus)), RefusalReason: sent.Get(sesame.FieldRefusalReason)}
		if raw := strings.TrimSpace(sent.Get(sesame.FieldLibraryRegisteredOn)); raw != "" {
			date, err := sesame.ParseDate(raw)
			if err != nil {
				return sesame.FieldErrors{sesame.FieldLibraryRegisteredOn: "Date d'inscription dans la bibliothèque : " + sesame.ErrorMessage(err)}.Err()
			}
			d.LibraryRegisteredOn = date
		}
		return p.Decide(d, today, months)
	}
}

// validityOf reads the network and its libraries once, and returns the
// validity in months of each library's accounts (sesame.Network.ValidityFor),
// or why it could not be read.
func (s *Server) validityOf(ctx context.Context) func(libraryID int64) (int, error) {
	n, err := s.store.Network(ctx)
	var libs []sesame.Library
	if err == nil {
		libs, err = s.store.Libraries(ctx)
	}
	return func(libraryID int64) (int, error) {
		if err != nil {
			return 0, fmt.Errorf("validity of library %d: %w", libraryID, err)
		}
		for i := range libs {
			if libs[i].ID == libraryID {
				return n.ValidityFor(&libs[i]), nil
			}
		}
		return n.ValidityFor(nil), nil
	}
}

// Buttons of the Ressources tab besides « Activer »: each names its
// resource in its value.
const (
	fieldRefuseResource   = "refuser"
	fieldWithdrawResource = "retirer"
	fieldTickAll          = "tout_cocher"
)

// patronResourcesSave activates the ticked resources ("Activer"), refuses
// the one whose "Refuser" button was pressed, or withdraws the validated one
// whose "Retirer" button was pressed. « Tout cocher » changes nothing: the
// tab comes back with every box of « Activer des ressources » ticked, for a
// browser without JavaScript.
func (s *Server) patronResourcesSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	id, ok := s.parsePatronPost(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get(fieldTickAll) != "" {
		page, err := s.loadRecord(r, "ressources")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Form = form{Values: url.Values{}}
		for _, g := range page.ToActivate() {
			page.Form.Values.Add("ressource", strconv.FormatInt(g.Resource.ID, 10))
		}
		s.renderRecord(w, r, http.StatusOK, page)
		return
	}
	state, notice, ids := sesame.GrantValidated, "active", r.PostForm["ressource"]
	if refuse := r.PostForm.Get(fieldRefuseResource); refuse != "" {
		state, notice, ids = sesame.GrantRefused, "refuse", []string{refuse}
	}
	if withdraw := r.PostForm.Get(fieldWithdrawResource); withdraw != "" {
		state, notice, ids = store.GrantWithdrawn, "retire", []string{withdraw}
	}
	var resourceIDs []int64
	for _, raw := range ids {
		rid, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			s.fail(w, r, sesame.Errorf(sesame.ENotFound, "Ressource introuvable."))
			return
		}
		resourceIDs = append(resourceIDs, rid)
	}
	if len(resourceIDs) == 0 {
		page, err := s.loadRecord(r, "ressources")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Form.Errors = sesame.FieldErrors{"ressource": "Cochez au moins une ressource à activer."}
		s.renderRecord(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	changed, err := s.store.SetGrantsThen(ctx, scopeOf(st), id, resourceIDs, state, actorOf(st), s.resourcesMail(ctx))
	if state == store.GrantWithdrawn && err == nil && len(changed) == 0 {
		// Only a validated resource is withdrawn: someone else took it
		// back first, or the form was not this page's.
		err = sesame.Errorf(sesame.EConflict, "Cette ressource n'est pas validée : il n'y a rien à retirer.")
	}
	if code := sesame.ErrorCode(err); code == sesame.EForbidden || code == sesame.EConflict {
		page, lerr := s.loadRecord(r, "ressources")
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		page.Message = sesame.ErrorMessage(err)
		status := http.StatusForbidden
		if code == sesame.EConflict {
			status = http.StatusConflict
		}
		s.renderRecord(w, r, status, page)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if state == sesame.GrantValidated && len(changed) < len(resourceIDs) {
		// Some went to the waiting list of a full licence (store.SetGrants).
		notice = "listeattente"
	}
	redirect(w, r, recordURL(id, "ressources"), notice)
}

type deletePage struct {
	Patron  *sesame.Patron
	Library *sesame.Library
}

func (s *Server) patronDeleteForm(w http.ResponseWriter, r *http.Request) {
	page, err := s.loadRecord(r, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "abonne_supprimer", layout{Title: "Supprimer le compte de " + page.Patron.FullName(), Section: "abonnes",
		Content: deletePage{Patron: page.Patron, Library: page.Library}})
}

func (s *Server) patronDelete(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	id, err := patronID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.DeletePatron(r.Context(), scopeOf(st), id, actorOf(st)); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/abonnes", "supprime")
}
