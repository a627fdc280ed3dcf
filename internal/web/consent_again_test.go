package web_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/store"
)

const consentAgainRoute = "/inscription/accord-usager/"

// correctToMinor has staff correct patron B's birth date to 01/03/2015,
// naming a parent, and returns the path of the link the parent receives
// (the want-th mail to them).
func (w *world) correctToMinor(in *inbox, want int) string {
	w.t.Helper()
	form := url.Values{"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "nom": {"KERJEAN"}, "prenom": {"Yann"},
		"date_naissance": {"01/03/2015"}, "code_postal": {"29000"}, "ville": {"Quimper"}, "numero_inscription": {"B-0001"},
		"nom_parent": {"KERJEAN Maïwenn"}, "email_parent": {"maiwenn.kerjean@example.org"}}
	if res := w.login("quimper").post("/abonnes/"+itoa(w.patronB), form); res.status != http.StatusSeeOther {
		w.t.Fatalf("birth date corrected: got %d, want 303; %.300s", res.status, res.body)
	}
	return mailLink(w.t, w.onlyMail(in, "maiwenn.kerjean@example.org", want), consentAgainRoute)
}

// validate posts Validé on patron B's Statut tab.
func (w *world) validateB() response {
	return w.login("quimper").post("/abonnes/"+itoa(w.patronB)+"/statut", url.Values{
		"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "statut": {"valide"}, "date_bibliotheque": {"01/11/2026"}})
}

// checkConsentAgain follows the parent's link of TestBirthDateUnderFifteenAsksConsent:
// the outbox forgot its token, the library cannot validate before the
// consent, the parent's page and button record it once, and validation
// then works.
func checkConsentAgain(t *testing.T, w *world, link string) {
	t.Helper()
	ctx := context.Background()
	token := strings.TrimPrefix(link, consentAgainRoute)
	list, err := w.store.RecentMail(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		full, err := w.store.Mail(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(full.Text+full.HTML+full.Secret, token) {
			t.Errorf("outbox row %q still holds the live token after sending", m.Subject)
		}
	}

	statusTab := w.login("quimper").get("/abonnes/" + itoa(w.patronB) + "/statut")
	if got := statusTab.text("accord-attendu"); !strings.Contains(got, "Accord parental attendu (demandé le 26/11/2026)") {
		t.Errorf("Statut tab before the consent: got %q, want « Accord parental attendu (demandé le 26/11/2026) »", got)
	}
	if find(statusTab.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "valide" }) != nil {
		t.Errorf("Statut tab before the consent offers « Validé »")
	}
	if find(statusTab.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "refuse" }) == nil {
		t.Errorf("Statut tab before the consent no longer offers « Refusé »")
	}
	res := w.validateB()
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.fieldError("statut"), "Accord parental attendu") {
		t.Errorf("Validé before the consent: got %d and %q, want 422 and « Accord parental attendu »", res.status, res.fieldError("statut"))
	}
	if p := w.patron(w.patronB); p.Status != sesame.StatusToValidate {
		t.Fatalf("Validé before the consent: account is %s, want À valider", p.Status)
	}

	for range 2 { // opening the page, even twice, changes nothing
		page := w.anonymous().get(link)
		if page.status != http.StatusOK || !hasButton(page, "Je donne mon accord") {
			t.Fatalf("the parent's link: got %d, want 200 and « Je donne mon accord »", page.status)
		}
		if got := page.text("demande"); !strings.Contains(got, "Yann KERJEAN") || !strings.Contains(got, "né(e) le 01/03/2015") {
			t.Errorf("the consent page: got %q, want the child's name and birth date", got)
		}
		if page.byID("ressources") == nil || !hasLink(page, "/donnees-personnelles") {
			t.Errorf("the consent page lacks the resources or the privacy notice")
		}
		form := find(page.doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == link })
		if form == nil || attr(form, "method") != "post" {
			t.Errorf("the button's form does not POST to the link")
		}
	}
	if w.patron(w.patronB).ConsentAskedAt.IsZero() {
		t.Fatalf("opening the parent's link gave the consent: a GET must change nothing")
	}

	res = w.anonymous().post(link, nil)
	if res.status != http.StatusOK || !strings.Contains(res.text("accord-enregistre"), "votre accord est enregistré") {
		t.Fatalf("consent: got %d and %q, want 200 and the consent recorded", res.status, res.text("accord-enregistre"))
	}
	c, err := w.store.ParentalConsentOf(ctx, store.NetworkScope(), w.patronB)
	if err != nil || c.ParentName != "KERJEAN Maïwenn" || c.ParentEmail != "maiwenn.kerjean@example.org" || !c.At.Equal(w.clock.Now()) {
		t.Errorf("consent kept: got %+v, %v; want KERJEAN Maïwenn's, now", c, err)
	}
	events, err := w.store.PatronHistory(ctx, store.NetworkScope(), w.patronB)
	if err != nil || len(events) == 0 || !strings.Contains(events[0].Detail, "Accord parental donné par KERJEAN Maïwenn (maiwenn.kerjean@example.org)") {
		t.Errorf("history: got %+v, %v; want « Accord parental donné par KERJEAN Maïwenn » first", events, err)
	}
	if res := w.anonymous().post(link, nil); res.status != http.StatusGone || res.byID("lien-perime") == nil {
		t.Errorf("second press: got %d, want 410 « Lien expiré ou déjà utilisé »", res.status)
	}
	if res := w.anonymous().get(link); res.status != http.StatusGone {
		t.Errorf("link opened after use: got %d, want 410", res.status)
	}

	statusTab = w.login("quimper").get("/abonnes/" + itoa(w.patronB) + "/statut")
	if statusTab.byID("accord-attendu") != nil ||
		find(statusTab.doc, func(n *html.Node) bool { return n.Data == "option" && attr(n, "value") == "valide" }) == nil {
		t.Errorf("Statut tab after the consent: want « Validé » offered and no « Accord parental attendu »")
	}
	if res := w.validateB(); res.status != http.StatusSeeOther {
		t.Fatalf("Validé after the consent: got %d, want 303; %.300s", res.status, res.body)
	}
	if p := w.patron(w.patronB); p.Status != sesame.StatusValidated {
		t.Errorf("after validation: account is %s, want Validé", p.Status)
	}
}

// The parent's link asked again lasts 48 hours, a newer one voids it, and
// the purge takes it once expired, while the account still waits for the
// consent; a malformed or unknown token is as expired.
func TestConsentAgainLinkExpiresAndIsReplaced(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	first := w.correctToMinor(in, 1)

	// A staff member corrects the date again, to over 15 then back under: a new link.
	form := url.Values{"version": {strconv.Itoa(w.patron(w.patronB).Version)}, "nom": {"KERJEAN"}, "prenom": {"Yann"},
		"date_naissance": {"17/05/1980"}, "code_postal": {"29000"}, "ville": {"Quimper"}, "numero_inscription": {"B-0001"}}
	if res := w.login("quimper").post("/abonnes/"+itoa(w.patronB), form); res.status != http.StatusSeeOther {
		t.Fatalf("birth date corrected back: got %d; %.300s", res.status, res.body)
	}
	second := w.correctToMinor(in, 2)
	if res := w.anonymous().get(first); res.status != http.StatusGone {
		t.Errorf("the older link once a newer one left: got %d, want 410", res.status)
	}
	if res := w.anonymous().post(first, nil); res.status != http.StatusGone {
		t.Errorf("the older link pressed: got %d, want 410", res.status)
	}

	w.clock.Advance(48*time.Hour + time.Minute)
	if res := w.anonymous().get(second); res.status != http.StatusGone || res.byID("lien-perime") == nil {
		t.Errorf("after 48 hours: got %d, want 410 « Lien expiré ou déjà utilisé »", res.status)
	}
	if res := w.anonymous().post(second, nil); res.status != http.StatusGone {
		t.Errorf("pressed after 48 hours: got %d, want 410", res.status)
	}
	ctx := context.Background()
	if err := w.store.InTx(ctx, func(tx *sql.Tx) error { return w.store.PurgeExpired(ctx, tx, w.clock.Now(), w.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{first, second} {
		if _, err := w.store.ConsentRequestByHash(ctx, auth.HashToken(strings.TrimPrefix(link, consentAgainRoute))); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("link %s after the purge: got %v, want it gone", link, err)
		}
	}
	if p := w.patron(w.patronB); p.ConsentAskedAt.IsZero() || !p.AwaitsParentalConsent(sesame.DateOf(w.clock.Now(), w.paris)) {
		t.Errorf("an expired, purged link lifted the wait for the consent")
	}
	if res := w.validateB(); res.status != http.StatusUnprocessableEntity {
		t.Errorf("Validé with the link expired: got %d, want 422", res.status)
	}
	for _, path := range []string{consentAgainRoute + "inconnu", consentAgainRoute + strings.Repeat("A", 43)} {
		if res := w.anonymous().post(path, nil); res.status != http.StatusGone {
			t.Errorf("%s: got %d, want 410", path, res.status)
		}
	}
}
