package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Staff form field names.
const (
	fieldStaffLogin    = "identifiant"
	fieldStaffName     = "nom"
	fieldStaffRole     = "role"
	fieldStaffLibrary  = "bibliotheque"
	fieldStaffDisabled = "desactive"
)

type adminStaffRow struct {
	sesame.Staff
	LibraryCode string
}

// RoleLabel is the role as the staff screens name it.
func (row adminStaffRow) RoleLabel() string { return adminRoleLabel(row.Role) }

func adminRoleLabel(r sesame.Role) string {
	if r == sesame.RoleAdmin {
		return "Administration du réseau"
	}
	return "Personnel de bibliothèque"
}

type adminStaffList struct {
	Staff []adminStaffRow
}

// adminStaffPage is the form that creates a staff account (ID 0) or edits one.
type adminStaffPage struct {
	ID        int64
	Login     string // as saved, for the title and the reset button of an edit
	Self      bool   // the admin's own account
	Form      form
	Libraries []sesame.Library
	TOTP      store.StaffTOTP // of an edited account
}

// adminPasswordPage shows a new password, once.
type adminPasswordPage struct {
	Staff    *sesame.Staff
	Password string
	Created  bool
}

// validateStaff reads a staff account from the form, with a French message
// for each refused field. The login is read only when creating.
func validateStaff(v url.Values, libs []sesame.Library, creating bool) (sesame.Staff, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	st := sesame.Staff{
		Name:     adminText(v, fieldStaffName),
		Role:     sesame.Role(v.Get(fieldStaffRole)),
		Disabled: adminCheckbox(v, fieldStaffDisabled),
	}
	if creating {
		st.Login = sesame.NormalizeLogin(v.Get(fieldStaffLogin))
		if msg := sesame.CheckLogin(st.Login); msg != "" {
			errs.Add(fieldStaffLogin, msg)
		}
	}
	if msg := sesame.CheckRequiredText("Nom", st.Name, 100); msg != "" {
		errs.Add(fieldStaffName, msg)
	}
	lib := v.Get(fieldStaffLibrary)
	switch st.Role {
	case sesame.RoleLibrary:
		id, err := strconv.ParseInt(lib, 10, 64)
		if lib == "" {
			errs.Add(fieldStaffLibrary, "Bibliothèque : obligatoire pour le personnel de bibliothèque.")
		} else if err != nil || !adminHasLibrary(libs, id) {
			errs.Add(fieldStaffLibrary, "Bibliothèque : choisissez une bibliothèque de la liste.")
		}
		st.LibraryID = id
	case sesame.RoleAdmin:
		if lib != "" {
			errs.Add(fieldStaffLibrary, "Bibliothèque : un compte de l'administration du réseau n'est rattaché à aucune bibliothèque ; choisissez « Aucune ».")
		}
	default:
		errs.Add(fieldStaffRole, "Rôle : choisissez « Personnel de bibliothèque » ou « Administration du réseau ».")
	}
	return st, errs
}

func adminHasLibrary(libs []sesame.Library, id int64) bool {
	for _, l := range libs {
		if l.ID == id {
			return true
		}
	}
	return false
}

func staffForm(st *sesame.Staff) form {
	lib := ""
	if st.LibraryID != 0 {
		lib = strconv.FormatInt(st.LibraryID, 10)
	}
	return form{Values: url.Values{
		fieldStaffLogin: {st.Login}, fieldStaffName: {st.Name}, fieldStaffRole: {string(st.Role)},
		fieldStaffLibrary: {lib}, fieldStaffDisabled: {adminBool(st.Disabled)},
	}}
}

func (s *Server) staffList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	list, err := s.store.StaffList(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	codes := map[int64]string{}
	for _, l := range libs {
		codes[l.ID] = l.Code
	}
	p := adminStaffList{}
	for _, st := range list {
		p.Staff = append(p.Staff, adminStaffRow{Staff: st, LibraryCode: codes[st.LibraryID]})
	}
	s.render(w, r, http.StatusOK, "personnel", layout{Title: "Personnel", Section: "admin", Content: p})
}

func (s *Server) renderStaffForm(w http.ResponseWriter, r *http.Request, status int, p adminStaffPage) {
	libs, err := s.store.Libraries(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Libraries = libs
	title := "Nouveau compte du personnel"
	if p.ID != 0 {
		title = "Compte " + p.Login
		if p.TOTP, err = s.store.StaffTOTPStatus(r.Context(), p.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "personnel_formulaire", layout{Title: formTitle(title, p.Form), Section: "admin", Content: p})
}

func (s *Server) staffNew(w http.ResponseWriter, r *http.Request) {
	s.renderStaffForm(w, r, http.StatusOK, adminStaffPage{Form: form{Values: url.Values{fieldStaffRole: {string(sesame.RoleLibrary)}}}})
}

// newStaffPassword generates a password and its hash.
func (s *Server) newStaffPassword() (password, hash string, err error) {
	if password, err = auth.GeneratePassword(s.cfg.Random); err != nil {
		return "", "", err
	}
	if hash, err = s.cfg.Hasher.Hash(password); err != nil {
		return "", "", err
	}
	return password, hash, nil
}

func (s *Server) renderStaffPassword(w http.ResponseWriter, r *http.Request, p adminPasswordPage) {
	notice := notices["motdepasse"]
	if p.Created {
		notice = "Le compte " + p.Staff.Login + " a été créé."
	}
	s.render(w, r, http.StatusOK, "personnel_mot_de_passe", layout{Title: "Mot de passe de " + p.Staff.Login, Section: "admin", Notice: notice, Content: p})
}

func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, errs := validateStaff(r.PostForm, libs, true)
	if len(errs) == 0 {
		password, hash, err := s.newStaffPassword()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		st.PasswordHash = hash
		id, err := s.store.CreateStaff(ctx, st, actorOf(staffFrom(ctx)))
		switch sesame.ErrorCode(err) {
		case "":
			st.ID = id
			s.renderStaffPassword(w, r, adminPasswordPage{Staff: &st, Password: password, Created: true})
			return
		case sesame.EConflict:
			errs.Add(fieldStaffLogin, "Identifiant : "+adminLowerFirst(sesame.ErrorMessage(err)))
		default:
			s.fail(w, r, err)
			return
		}
	}
	s.renderStaffForm(w, r, http.StatusUnprocessableEntity, adminStaffPage{Form: form{Values: adminTyped(r.PostForm), Errors: errs}})
}

// loadStaff returns the account named by {id}, or answers 404 and nil.
func (s *Server) loadStaff(w http.ResponseWriter, r *http.Request) *sesame.Staff {
	return adminLoad(s, w, r, "Compte introuvable.", s.store.StaffMember)
}

func (s *Server) staffEdit(w http.ResponseWriter, r *http.Request) {
	st := s.loadStaff(w, r)
	if st == nil {
		return
	}
	self := st.ID == staffFrom(r.Context()).ID
	s.renderStaffForm(w, r, http.StatusOK, adminStaffPage{ID: st.ID, Login: st.Login, Self: self, Form: staffForm(st)})
}

func (s *Server) staffUpdate(w http.ResponseWriter, r *http.Request) {
	old := s.loadStaff(w, r)
	if old == nil || !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	me := staffFrom(ctx)
	libs, err := s.store.Libraries(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, errs := validateStaff(r.PostForm, libs, false)
	st.ID, st.Login = old.ID, old.Login
	self := old.ID == me.ID
	if self {
		if st.Disabled {
			errs.Add(fieldStaffDisabled, "Désactiver : vous ne pouvez pas désactiver votre propre compte ; demandez-le à une autre personne de l'administration du réseau.")
		}
		if st.Role != sesame.RoleAdmin {
			errs.Add(fieldStaffRole, "Rôle : vous ne pouvez pas retirer à votre propre compte l'administration du réseau ; demandez-le à une autre personne de l'administration du réseau.")
		}
	}
	if len(errs) == 0 {
		err := s.store.UpdateStaff(ctx, st, actorOf(me))
		if err == nil {
			redirect(w, r, "/admin/personnel", "enregistre")
			return
		}
		s.fail(w, r, err)
		return
	}
	typed := adminTyped(r.PostForm)
	typed.Set(fieldStaffLogin, old.Login)
	s.renderStaffForm(w, r, http.StatusUnprocessableEntity, adminStaffPage{ID: old.ID, Login: old.Login, Self: self, Form: form{Values: typed, Errors: errs}})
}

// staffResetPassword gives the account a new password, shown once, through
// the one path of new passwords (setPassword), which ends its sessions.
func (s *Server) staffResetPassword(w http.ResponseWriter, r *http.Request) {
	st := s.loadStaff(w, r)
	if st == nil {
		return
	}
	password, err := auth.GeneratePassword(s.cfg.Random)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.setPassword(r, passwordChange{StaffID: st.ID, Actor: actorOf(staffFrom(r.Context()))}, password); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderStaffPassword(w, r, adminPasswordPage{Staff: st, Password: password})
}

// staffDisableTOTP turns off the second factor of a staff member who lost
// their phone: they log in with their password alone, and may set up a new one.
func (s *Server) staffDisableTOTP(w http.ResponseWriter, r *http.Request) {
	st := s.loadStaff(w, r)
	if st == nil {
		return
	}
	ctx := r.Context()
	if err := s.store.DisableStaffTOTP(ctx, st.ID, actorOf(staffFrom(ctx))); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("double authentification désactivée par l'administration", "login", st.Login, "par", staffFrom(ctx).Login)
	redirect(w, r, "/admin/personnel/"+strconv.FormatInt(st.ID, 10), "double-authentification-desactivee")
}
