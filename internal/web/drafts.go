package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
)

// When a session ends while someone is typing, the form they send is not
// lost (WCAG 2.2.1): it waits here, in memory, until the same person logs in
// again, and their form page shows it back, filled in, for them to check and
// send. It is never replayed, and never put in an address.
const (
	// draftLifetime is how long a kept form waits for its author.
	draftLifetime = time.Hour
	// maxDraftBytes bounds one kept form, encoded; a bigger one is not kept.
	maxDraftBytes = 16 << 10
	// maxDrafts bounds the forms kept at once: one per account whose session
	// ended, so only people with an account can fill it.
	maxDrafts = 1000
	// draftNotice is shown above a form filled with what was kept; its first
	// sentence is also the page's title.
	draftNotice = "Saisie retrouvée. Votre session avait expiré : voici ce que vous aviez saisi, qui n'est pas encore enregistré. Vérifiez-le, puis enregistrez."
)

// restorableForms are the forms whose page takes back what was typed (with
// takeDraft): the record's tabs, the daily work of a library, and the
// patron's own details. No other form is kept: several hold a password or
// a secret, which must never wait in memory; after login their author still
// comes back to their page.
var restorableForms = []string{
	"POST /abonnes/{id}",
	"POST /abonnes/{id}/statut",
	"POST /abonnes/{id}/ressources",
	"POST /mon-compte/informations",
}

// draft is a form sent after its session ended.
type draft struct {
	tokenHash string // the hash of the cookie that names it
	path      string // where it was sent, the address of its page too
	values    url.Values
	until     time.Time
}

// draftStore holds the kept forms, one per account.
type draftStore struct {
	mu        sync.Mutex
	byAccount map[string]draft
	forms     *http.ServeMux // matches the restorable forms
}

func newDraftStore() *draftStore {
	forms := http.NewServeMux()
	for _, pattern := range restorableForms {
		forms.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	}
	return &draftStore{byAccount: map[string]draft{}, forms: forms}
}

// restorable reports whether r posts one of the restorable forms.
func (d *draftStore) restorable(r *http.Request) bool {
	_, pattern := d.forms.Handler(r)
	return pattern != ""
}

// keep stores d for account, in place of any earlier one; false when the
// store is full.
func (d *draftStore) keep(now time.Time, account string, kept draft) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for a, old := range d.byAccount {
		if now.After(old.until) {
			delete(d.byAccount, a)
		}
	}
	if _, replaces := d.byAccount[account]; !replaces && len(d.byAccount) >= maxDrafts {
		return false
	}
	d.byAccount[account] = kept
	return true
}

// take returns, once, the form account kept for path under tokenHash.
func (d *draftStore) take(now time.Time, account, tokenHash, path string) (url.Values, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	kept, ok := d.byAccount[account]
	if !ok || kept.tokenHash != tokenHash || kept.path != path {
		return nil, false
	}
	delete(d.byAccount, account)
	if now.After(kept.until) {
		return nil, false
	}
	return kept.values, true
}

// staffAccount and patronAccount name an account for the kept forms and
// the ended sessions; staff and patron ids are apart.
func staffAccount(st *sesame.Staff) string { return "personnel:" + strconv.FormatInt(st.ID, 10) }
func patronAccount(id int64) string        { return "usager:" + strconv.FormatInt(id, 10) }

// withEndedSession marks r as coming from account, whose session just ended.
func withEndedSession(r *http.Request, account string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), endedSessionKey, account))
}

// endedSessionOf returns the account whose session the request found ended, if any.
func endedSessionOf(ctx context.Context) string {
	account, _ := ctx.Value(endedSessionKey).(string)
	return account
}

// draftCookieName is the cookie that names a kept form.
func (s *Server) draftCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-sesame-saisie"
	}
	return "sesame-saisie"
}

// loginAfterEnd sends to the login page someone whose session ended: it
// says so, and a restorable form they sent is kept for them. After login
// they come back to the page they were on.
func (s *Server) loginAfterEnd(w http.ResponseWriter, r *http.Request, account string) {
	back := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		back = pageOfForm(r)
		if err := s.keepDraft(w, r, account); err != nil {
			s.log.Error("saisie gardée", "err", err)
		}
	}
	q := url.Values{"expiree": {"1"}}
	if back != "" {
		q.Set("suite", back)
	}
	http.Redirect(w, r, "/connexion?"+q.Encode(), http.StatusSeeOther)
}

// pageOfForm is the page a form was sent from: the Referer, a path of
// this site (the Referrer-Policy sends it to this site only), else the
// form's own address, which is its page for the restorable forms.
func pageOfForm(r *http.Request) string {
	if u, err := url.Parse(r.Referer()); err == nil && u.Host == r.Host {
		if back := safeNext(u.RequestURI()); back != "" {
			return back
		}
	}
	return safeNext(r.URL.Path)
}

// keepDraft keeps the form r posts, when it is restorable and small enough,
// and names it in a cookie.
func (s *Server) keepDraft(w http.ResponseWriter, r *http.Request, account string) error {
	if !s.drafts.restorable(r) {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return nil // an unreadable form has nothing worth keeping
	}
	if len(r.PostForm.Encode()) > maxDraftBytes {
		return nil
	}
	token, err := auth.NewToken(s.cfg.Random)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	kept := draft{tokenHash: auth.HashToken(token), path: r.URL.Path, values: r.PostForm, until: now.Add(draftLifetime)}
	if !s.drafts.keep(now, account, kept) {
		s.log.Warn("saisie non gardée : trop de saisies en attente", "path", r.URL.Path)
		return nil
	}
	s.setNamedCookie(w, s.draftCookieName(), token)
	return nil
}

// takeDraft returns, once, the form the logged-in person sent to this
// page's address after their session ended.
func (s *Server) takeDraft(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	c, err := r.Cookie(s.draftCookieName())
	if err != nil || c.Value == "" {
		return nil, false
	}
	var accounts []string
	if st := staffFrom(r.Context()); st != nil {
		accounts = append(accounts, staffAccount(st))
	}
	if p := patronFrom(r.Context()); p != nil {
		accounts = append(accounts, patronAccount(p.ID))
	}
	for _, account := range accounts {
		if values, ok := s.drafts.take(s.cfg.Now(), account, auth.HashToken(c.Value), r.URL.Path); ok {
			s.clearNamedCookie(w, s.draftCookieName())
			return values, true
		}
	}
	return nil, false
}

// hasDraft reports whether this browser names a kept form.
func (s *Server) hasDraft(r *http.Request) bool {
	c, err := r.Cookie(s.draftCookieName())
	return err == nil && c.Value != ""
}

// expiredLogin is the idle limit as the login page tells it, when the
// address says a session just ended.
func (s *Server) expiredLogin(r *http.Request) string {
	if r.URL.Query().Get("expiree") != "1" {
		return ""
	}
	return humanLimit(s.cfg.SessionIdle)
}

// humanLimit writes a duration in whole minutes, or seconds below one.
func humanLimit(d time.Duration) string {
	if d < time.Minute {
		return plural(int(d.Seconds()), "seconde", "secondes")
	}
	return plural(int(d.Minutes()), "minute", "minutes")
}

// The keep-alive routes, one per kind of session.
const (
	staffKeepAlivePath  = "/session/prolonger"
	patronKeepAlivePath = "/mon-compte/session/prolonger"
)

// keepAlive answers the « Prolonger la session » button: the session of
// cookie, already loaded by withSession, is marked active now.
func (s *Server) keepAlive(w http.ResponseWriter, r *http.Request, cookie string, touch func(ctx context.Context, tokenHash string, now time.Time) error) {
	c, err := r.Cookie(cookie)
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "Aucune session à prolonger.")
		return
	}
	if err := touch(r.Context(), auth.HashToken(c.Value), s.cfg.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	// No content: the page stays as it is, with or without a script.
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) keepStaffSession(w http.ResponseWriter, r *http.Request) {
	s.keepAlive(w, r, s.cookieName(), s.store.TouchSession)
}

func (s *Server) keepPatronSession(w http.ResponseWriter, r *http.Request) {
	s.keepAlive(w, r, s.patronCookieName(), s.store.TouchPatronSession)
}

// sessionWarning is what the layout needs to warn before the session ends:
// the seconds left at each page load, and when to warn.
type sessionWarning struct {
	KeepAlive   string // the keep-alive route of this session
	IdleSeconds int
	WarnSeconds int
	Limit, Warn string // the idle limit and the warning's lead, in words
}

// warningFor is the layout's session warning, for someone logged in.
func (s *Server) warningFor(staff bool) *sessionWarning {
	idle := s.cfg.SessionIdle
	// Two minutes before the end, or halfway when the limit is shorter.
	warn := min(2*time.Minute, idle/2)
	keep := patronKeepAlivePath
	if staff {
		keep = staffKeepAlivePath
	}
	return &sessionWarning{KeepAlive: keep, IdleSeconds: int(idle.Seconds()), WarnSeconds: int(warn.Seconds()),
		Limit: humanLimit(idle), Warn: humanLimit(warn)}
}
