package web

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

// Staff two-factor authentication: TOTP (RFC 6238), as every authenticator
// application computes it, with single-use recovery codes for a lost phone.
const (
	// mfaPath is the « Sécurité du compte » page.
	mfaPath = "/compte/double-authentification"
	// verifyPath is where a login whose password was right waits for its code.
	verifyPath = "/connexion/verification"
	// pendingLoginTTL is how long the code may take to come.
	pendingLoginTTL = 5 * time.Minute
	// totpPeriod is the time step, in seconds, of the codes.
	totpPeriod = 30
	// totpSecretSize is the secret's length in bytes: 160 bits, as RFC 4226 advises.
	totpSecretSize = 20
	// recoveryCodeCount codes are given at once; recoveryCodeLen characters
	// of recoveryAlphabet make 80 bits each, beyond guessing even from
	// their unsalted hashes.
	recoveryCodeCount = 10
	recoveryCodeLen   = 16
	// recoveryAlphabet is Crockford's base 32: no i, l, o, u, which read
	// like 1, 1, 0 and v.
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

// totpOptions are those of every authenticator application: 6 digits, 30 s, SHA-1.
var totpOptions = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Form field names of the second factor's pages.
const (
	fieldTOTPCode     = "code"
	fieldRecoveryCode = "code_secours"
	fieldTOTPDraft    = "cle"
	fieldMFAPassword  = "mot_de_passe" // #nosec G101 -- a form field's name, no credential
)

// totpStep is the time step a code of instant t belongs to.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// matchTOTP returns the time step whose code is code, within one step of
// now on either side, for a phone whose clock is a little off.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	for _, skew := range []int64{-1, 0, 1} {
		at := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		if valid, err := totp.ValidateCustom(code, secret, at, totpOptions); err == nil && valid {
			return totpStep(at), true
		}
	}
	return 0, false
}

// normalizeTOTPCode returns the 6 digits typed, without the spaces some
// applications show in the middle, or "" when it is not 6 digits.
func normalizeTOTPCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) != 6 {
		return ""
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}

// normalizeRecoveryCode returns the code typed as it is hashed, forgiving
// case, dashes, spaces and the letters that read like digits, or "".
func normalizeRecoveryCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '-', '\u00a0', '\u202f', '\t':
			continue
		case 'o':
			r = '0'
		case 'i', 'l':
			r = '1'
		}
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != recoveryCodeLen {
		return ""
	}
	return b.String()
}

// recoveryHash is what the database keeps of a recovery code.
func recoveryHash(normalized string) string { return auth.HashToken("recovery:" + normalized) }

// newRecoveryCodes returns codes to show, in groups of 4, and their hashes.
func newRecoveryCodes(random io.Reader) (codes, hashes []string, err error) {
	buf := make([]byte, recoveryCodeLen)
	for range recoveryCodeCount {
		if _, err := io.ReadFull(random, buf); err != nil {
			return nil, nil, fmt.Errorf("recovery code: %w", err)
		}
		code := make([]byte, recoveryCodeLen)
		for i, c := range buf {
			code[i] = recoveryAlphabet[int(c)%len(recoveryAlphabet)] // 256 is a multiple of 32: no bias
		}
		codes = append(codes, groupsOf4(string(code), "-"))
		hashes = append(hashes, recoveryHash(string(code)))
	}
	return codes, hashes, nil
}

// groupsOf4 cuts s into groups of 4 characters, easier to read and type.
func groupsOf4(s, sep string) string {
	var groups []string
	for len(s) > 4 {
		groups = append(groups, s[:4])
		s = s[4:]
	}
	return strings.Join(append(groups, s), sep)
}

// totpKey is the otpauth:// key of secret for st, which the QR code carries.
func (s *Server) totpKey(ctx context.Context, st *sesame.Staff, secret string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("totp secret: %w", err)
	}
	// The issuer names the account in the application; a colon would
	// end it early.
	issuer := "Sésame"
	if n, err := s.store.Network(ctx); err == nil && n.Name != "" {
		issuer = strings.ReplaceAll(n.Name, ":", " ")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: strings.ReplaceAll(st.Login, ":", " "),
		Period: totpPeriod, Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("totp key: %w", err)
	}
	return key, nil
}

// qrDataURI draws key as a PNG QR code inside a data: URI, which the
// Content-Security-Policy allows as an image.
func qrDataURI(key *otp.Key) (template.URL, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	// The URI is built here from a PNG, never from what a user typed.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil // #nosec G203 -- a PNG made here
}

// mfaPage is the « Sécurité du compte » page.
type mfaPage struct {
	NoKey    bool // SESAME_SECRET_KEY is unset: no second factor possible
	Required bool // the network requires a second factor this account lacks
	Status   store.StaffTOTP
	// Enrolment: the QR code, the same secret in groups of 4 for whoever
	// cannot scan, and the sealed secret the form sends back.
	QR           template.URL
	SecretGroups string
	Draft        string
	// RecoveryCodes are shown once, right after they are made.
	RecoveryCodes []string
	Form          form
	Message       string
}

func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, status int, p mfaPage, notice string) {
	title := "Sécurité du compte"
	if len(p.Form.Errors) > 0 || p.Message != "" {
		title = errorTitlePrefix + title
	}
	s.render(w, r, status, "securite_compte", layout{Title: title, Section: "securite", Notice: notice, Content: p})
}

// mfaPageFor reads what the page shows of st's second factor and, when
// there is none, offers secret (a new one when "") to set one up.
func (s *Server) mfaPageFor(ctx context.Context, st *sesame.Staff, secret string) (mfaPage, error) {
	var p mfaPage
	if !s.store.CanSealSecrets() {
		return mfaPage{NoKey: true}, nil
	}
	status, err := s.store.StaffTOTPStatus(ctx, st.ID)
	if err != nil {
		return p, err
	}
	p.Status = status
	if status.Enabled {
		return p, nil
	}
	if p.Required, err = s.mustEnrol(ctx, st); err != nil {
		return p, err
	}
	if secret == "" {
		raw := make([]byte, totpSecretSize)
		if _, err := io.ReadFull(s.cfg.Random, raw); err != nil {
			return p, fmt.Errorf("totp secret: %w", err)
		}
		secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	}
	key, err := s.totpKey(ctx, st, secret)
	if err != nil {
		return p, err
	}
	if p.QR, err = qrDataURI(key); err != nil {
		return p, err
	}
	if p.Draft, err = s.store.SealTOTPDraft(st.ID, secret); err != nil {
		return p, err
	}
	p.SecretGroups = groupsOf4(secret, " ")
	return p, nil
}

func (s *Server) mfaShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.mfaPageFor(ctx, staffFrom(ctx), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Form = form{Values: url.Values{}}
	s.renderMFA(w, r, http.StatusOK, p, "")
}

// mfaEnable turns the second factor on once a code of the offered secret
// is right: the phone then surely holds the same secret.
func (s *Server) mfaEnable(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	st := staffFrom(ctx)
	secret, draftErr := s.store.OpenTOTPDraft(st.ID, r.PostForm.Get(fieldTOTPDraft))
	if draftErr != nil {
		secret = ""
	}
	p, err := s.mfaPageFor(ctx, st, secret)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.NoKey {
		s.renderMFA(w, r, http.StatusUnprocessableEntity, p, "")
		return
	}
	if p.Status.Enabled {
		redirect(w, r, mfaPath, "inchange")
		return
	}
	p.Form = form{Values: url.Values{}, Errors: sesame.FieldErrors{}}
	typed := r.PostForm.Get(fieldTOTPCode)
	code := normalizeTOTPCode(typed)
	switch {
	case draftErr != nil:
		p.Message = "La clé proposée n'est plus valable : ajoutez à l'application la nouvelle clé ci-dessous, puis tapez le code qu'elle affiche."
	case strings.TrimSpace(typed) == "":
		p.Form.Errors.Add(fieldTOTPCode, "Code à 6 chiffres : ce champ est obligatoire. Tapez le code affiché par l'application.")
	case code == "":
		p.Form.Errors.Add(fieldTOTPCode, "Code à 6 chiffres : tapez les 6 chiffres affichés par l'application, par exemple 123456.")
	}
	step, ok := int64(0), false
	if p.Message == "" && len(p.Form.Errors) == 0 {
		if step, ok = matchTOTP(secret, code, s.cfg.Now()); !ok {
			p.Form.Errors.Add(fieldTOTPCode, "Code à 6 chiffres : ce code ne correspond pas. Tapez le code affiché maintenant ; "+
				"s'il est refusé encore, vérifiez que le téléphone est à l'heure (réglage automatique de l'heure).")
		}
	}
	if !ok {
		s.renderMFA(w, r, http.StatusUnprocessableEntity, p, "")
		return
	}
	codes, hashes, err := newRecoveryCodes(s.cfg.Random)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.store.EnableStaffTOTP(ctx, st.ID, secret, step, hashes, actorOf(st))
	switch sesame.ErrorCode(err) {
	case "":
	case sesame.EConflict:
		redirect(w, r, mfaPath, "inchange")
		return
	default:
		s.fail(w, r, err)
		return
	}
	s.log.Info("double authentification activée", "login", st.Login)
	done, err := s.mfaPageFor(ctx, st, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	done.RecoveryCodes = codes
	s.renderMFA(w, r, http.StatusOK, done, "La double authentification est activée. Notez maintenant vos codes de secours.")
}

// reauthenticate asks st, before a change to their second factor, for a
// code of the application or their password, under the login throttles.
// It answers the page itself and returns false when they did not prove it.
func (s *Server) reauthenticate(w http.ResponseWriter, r *http.Request, st *sesame.Staff, p mfaPage) bool {
	ctx := r.Context()
	p.Form = form{Values: url.Values{}, Errors: sesame.FieldErrors{}}
	typed, password := r.PostForm.Get(fieldTOTPCode), r.PostForm.Get(fieldMFAPassword)
	refuse := func(status int) bool {
		s.renderMFA(w, r, status, p, "")
		return false
	}
	if strings.TrimSpace(typed) == "" && password == "" {
		p.Form.Errors.Add(fieldTOTPCode, "Code à 6 chiffres : tapez le code affiché par l'application, ou bien votre mot de passe dans le champ suivant.")
		return refuse(http.StatusUnprocessableEntity)
	}
	// judge answers the outcome of either proof: the page again, with why,
	// or true.
	judge := func(ok bool, wait time.Duration, err error, field, wrong string) bool {
		switch {
		case err != nil:
			s.fail(w, r, err)
			return false
		case wait > 0:
			p.Message = "Trop de tentatives. Réessayez dans " + humanDuration(wait) + "."
			return refuse(http.StatusTooManyRequests)
		case !ok:
			p.Form.Errors.Add(field, wrong)
			return refuse(http.StatusUnauthorized)
		}
		return true
	}
	if strings.TrimSpace(typed) != "" {
		ok, wait, msg, err := s.checkTOTP(r, st, typed)
		return judge(ok, wait, err, fieldTOTPCode, "Code à 6 chiffres : "+msg)
	}
	full, err := s.store.StaffMember(ctx, st.ID)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	ok, wait, _, err := s.verifyLogin(r, auth.AccountKey(st.Login), password, full.PasswordHash, !full.Disabled)
	return judge(ok, wait, err, fieldMFAPassword, "Mot de passe : ce n'est pas votre mot de passe actuel.")
}

// confirmedMFAChange returns the staff member changing their own second
// factor, once it is on and they have given a current code or their
// password; otherwise it has answered and returns nil.
func (s *Server) confirmedMFAChange(w http.ResponseWriter, r *http.Request) *sesame.Staff {
	if !s.parseForm(w, r) {
		return nil
	}
	ctx := r.Context()
	st := staffFrom(ctx)
	p, err := s.mfaPageFor(ctx, st, "")
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	if !p.Status.Enabled {
		redirect(w, r, mfaPath, "inchange")
		return nil
	}
	if !s.reauthenticate(w, r, st, p) {
		return nil
	}
	return st
}

// mfaDisable turns st's own second factor off.
func (s *Server) mfaDisable(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := s.confirmedMFAChange(w, r)
	if st == nil {
		return
	}
	if err := s.store.DisableStaffTOTP(ctx, st.ID, actorOf(st)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("double authentification désactivée", "login", st.Login)
	redirect(w, r, mfaPath, "double-authentification-desactivee")
}

// mfaNewRecoveryCodes replaces st's recovery codes, shown once.
func (s *Server) mfaNewRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := s.confirmedMFAChange(w, r)
	if st == nil {
		return
	}
	codes, hashes, err := newRecoveryCodes(s.cfg.Random)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, st.ID, hashes, actorOf(st)); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.mfaPageFor(ctx, st, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.RecoveryCodes = codes
	s.renderMFA(w, r, http.StatusOK, p, "Vos nouveaux codes de secours sont prêts ; les anciens ne fonctionnent plus.")
}

// checkTOTP checks a code of st's application under the login throttles:
// a wrong code counts as a failed login, and a code serves once, even
// within its 30 seconds. msg says, in French, why a code was refused.
func (s *Server) checkTOTP(r *http.Request, st *sesame.Staff, typed string) (ok bool, wait time.Duration, msg string, err error) {
	ok, wait, err = s.verifyCode(r, auth.AccountKey(st.Login), func(ctx context.Context) (bool, error) {
		code := normalizeTOTPCode(typed)
		if code == "" {
			msg = "tapez les 6 chiffres affichés par l'application, par exemple 123456."
			return false, nil
		}
		msg = "ce code ne correspond pas. Tapez le code affiché maintenant par l'application."
		secret, err := s.store.StaffTOTPSecret(ctx, st.ID)
		if err != nil {
			return false, err
		}
		step, matched := matchTOTP(secret, code, s.cfg.Now())
		if !matched {
			return false, nil
		}
		fresh, err := s.store.UseTOTPStep(ctx, st.ID, step)
		if err == nil && !fresh {
			msg = "ce code a déjà servi. Attendez que l'application en affiche un nouveau, puis tapez-le."
		}
		return fresh, err
	})
	if ok || wait > 0 || err != nil {
		msg = ""
	}
	return ok, wait, msg, err
}

// mustEnrol says whether st must set up a second factor before anything
// else: the network requires one, st has none, and the server can keep it.
func (s *Server) mustEnrol(ctx context.Context, st *sesame.Staff) (bool, error) {
	n, err := s.store.Network(ctx)
	if err != nil || !n.StaffMFARequired || !s.store.CanSealSecrets() {
		return false, err
	}
	on, err := s.store.StaffHasTOTP(ctx, st.ID)
	return !on, err
}

// enrolFirst sends a staff member who must set up a second factor to its
// page, from any page that is not public; it reports whether it did.
func (s *Server) enrolFirst(w http.ResponseWriter, r *http.Request, rt route) bool {
	st := staffFrom(r.Context())
	if st == nil || rt.perm == auth.Public || rt.pattern == "GET "+mfaPath || rt.pattern == "POST "+mfaPath {
		return false
	}
	enrol, err := s.mustEnrol(r.Context(), st)
	if err != nil {
		s.log.Error("double authentification", "err", err)
		return false
	}
	if enrol {
		http.Redirect(w, r, mfaPath, http.StatusSeeOther)
	}
	return enrol
}

// verifyPage is the « Code de vérification » page of a login.
type verifyPage struct {
	Form    form
	Message string
}

func (s *Server) pendingCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-sesame-verification"
	}
	return "sesame-verification"
}

// beginSecondFactor holds st's login, whose password was right, until its
// code comes: no session yet, only a record bound to st for 5 minutes,
// named by a cookie.
func (s *Server) beginSecondFactor(w http.ResponseWriter, r *http.Request, st *sesame.Staff, next string) {
	token, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if c, err := r.Cookie(s.pendingCookieName()); err == nil {
		if err := s.store.DeletePendingLogin(r.Context(), auth.HashToken(c.Value)); err != nil {
			s.log.Error("connexion en attente", "err", err)
		}
	}
	err = s.store.CreatePendingLogin(r.Context(), store.PendingLogin{TokenHash: auth.HashToken(token), StaffID: st.ID,
		Next: next, ExpiresAt: s.cfg.Now().Add(pendingLoginTTL)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// #nosec G124 -- Secure follows the configuration, as in setNamedCookie.
	http.SetCookie(w, &http.Cookie{
		Name: s.pendingCookieName(), Value: token, Path: "/", MaxAge: int(pendingLoginTTL / time.Second), HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	s.log.Info("mot de passe accepté, code attendu", "login", st.Login)
	http.Redirect(w, r, verifyPath, http.StatusSeeOther)
}

// pendingLogin returns the login waiting under the request's cookie, and
// its staff member, or nil when there is none: no cookie, past its 5
// minutes, or an account since disabled or without a second factor.
func (s *Server) pendingLogin(r *http.Request) (*store.PendingLogin, *sesame.Staff, error) {
	c, err := r.Cookie(s.pendingCookieName())
	if err != nil || c.Value == "" {
		return nil, nil, nil
	}
	ctx := r.Context()
	p, err := s.store.PendingLoginByHash(ctx, auth.HashToken(c.Value))
	if sesame.ErrorCode(err) == sesame.ENotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.cfg.Now().Before(p.ExpiresAt) {
		return nil, nil, s.store.DeletePendingLogin(ctx, p.TokenHash)
	}
	st, err := s.store.StaffMember(ctx, p.StaffID)
	if err != nil {
		return nil, nil, err
	}
	on, err := s.store.StaffHasTOTP(ctx, st.ID)
	if err != nil || st.Disabled || !on {
		return nil, nil, err
	}
	return p, st, nil
}

func (s *Server) renderVerify(w http.ResponseWriter, r *http.Request, status int, p verifyPage) {
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "connexion_verification", layout{Title: formTitle("Code de vérification", p.Form), Section: "connexion", Content: p})
}

// verifyForm shows the second step of a login.
func (s *Server) verifyForm(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.pendingLogin(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p == nil {
		s.verifyExpired(w, r, http.StatusOK)
		return
	}
	s.renderVerify(w, r, http.StatusOK, verifyPage{Form: form{Values: url.Values{}}})
}

// verifyExpired shows the login form again, in place of a code page with
// no login behind it.
func (s *Server) verifyExpired(w http.ResponseWriter, r *http.Request, status int) {
	s.clearNamedCookie(w, s.pendingCookieName())
	page := loginPage{
		Form: form{Values: url.Values{}}, DemoLogins: s.cfg.DemoLogins,
		Message: "Aucune connexion n'attend de code de vérification, ou le délai de 5 minutes pour le taper est dépassé : " +
			"connectez-vous de nouveau avec votre identifiant et votre mot de passe.",
	}
	s.render(w, r, status, "connexion", layout{Title: page.title(), Section: "connexion", Content: page})
}

// verify checks the code of a login waiting for it: a code of the
// application, or a recovery code. Only then is the session created, under
// a new id. Wrong codes count as failed logins, on the same throttles as
// passwords (see auth.Attempt): a known browser's own, or the account's and
// the address's.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	pending, st, err := s.pendingLogin(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if pending == nil {
		s.verifyExpired(w, r, http.StatusUnauthorized)
		return
	}
	page := verifyPage{Form: form{Values: url.Values{}, Errors: sesame.FieldErrors{}}}
	typed, recovery := r.PostForm.Get(fieldTOTPCode), r.PostForm.Get(fieldRecoveryCode)
	var ok bool
	var wait time.Duration
	var msg, detail string
	switch {
	case strings.TrimSpace(recovery) != "":
		ok, wait, err = s.checkRecoveryCode(r, st, recovery)
		if !ok {
			page.Form.Errors.Add(fieldRecoveryCode, "Code de secours : ce code n'est pas, ou plus, valable. Chaque code de secours ne sert qu'une fois.")
		}
		detail = "Connexion réussie (code de secours)."
	case strings.TrimSpace(typed) != "":
		ok, wait, msg, err = s.checkTOTP(r, st, typed)
		if !ok {
			page.Form.Errors.Add(fieldTOTPCode, "Code de vérification : "+msg)
		}
		detail = "Connexion réussie (double authentification)."
	default:
		page.Form.Errors.Add(fieldTOTPCode, "Code de vérification : ce champ est obligatoire. Tapez le code à 6 chiffres affiché par l'application.")
		s.renderVerify(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case wait > 0:
		page.Form.Errors = nil
		page.Message = "Trop de tentatives de connexion. Réessayez dans " + humanDuration(wait) + "."
		s.renderVerify(w, r, http.StatusTooManyRequests, page)
		return
	case !ok:
		s.log.Warn("code de vérification refusé", "login", st.Login, "addr", s.clientAddress(r))
		s.renderVerify(w, r, http.StatusUnauthorized, page)
		return
	}
	if err := s.store.DeletePendingLogin(ctx, pending.TokenHash); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearNamedCookie(w, s.pendingCookieName())
	s.finishStaffLogin(w, r, st, pending.Next, detail)
}

// checkRecoveryCode spends one of st's recovery codes, under the login throttles.
func (s *Server) checkRecoveryCode(r *http.Request, st *sesame.Staff, typed string) (ok bool, wait time.Duration, err error) {
	return s.verifyCode(r, auth.AccountKey(st.Login), func(ctx context.Context) (bool, error) {
		code := normalizeRecoveryCode(typed)
		if code == "" {
			return false, nil
		}
		return s.store.UseRecoveryCode(ctx, st.ID, recoveryHash(code), actorOf(st))
	})
}
