package web_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

const resendSentText = "Si une inscription attend d'être confirmée avec cette adresse, un nouveau lien vient d'être envoyé, valable 48 heures : " +
	"à cette adresse, ou à votre parent ou tuteur légal si c'est son accord qui est attendu. Le lien précédent ne fonctionne plus."

// resend asks for a new link for email and checks the one answer.
func (w *world) resend(email string) response {
	w.t.Helper()
	res := w.anonymous().post("/inscription/renvoyer", url.Values{"email": {email}})
	if res.status != http.StatusOK || res.text("envoye") != resendSentText {
		w.t.Fatalf("resend to %q: got status %d and %q, want 200 and the one message", email, res.status, res.text("envoye"))
	}
	return res
}

func TestResendPage(t *testing.T) {
	w := newWorld(t)
	page := w.anonymous().get("/inscription/renvoyer")
	if page.status != http.StatusOK || !hasButton(page, "Renvoyer le lien de confirmation") || attr(page.byID("f-email"), "autocomplete") != "email" {
		t.Fatalf("GET /inscription/renvoyer: got status %d, want 200, an e-mail field and the button", page.status)
	}
	sent := w.register(w.registrationForm("lien@example.org"))
	if !hasLink(sent, "/inscription/renvoyer") {
		t.Errorf("the « check your e-mail » page does not link to /inscription/renvoyer")
	}
	if gone := w.anonymous().get("/inscription/confirmer/inconnu"); !hasLink(gone, "/inscription/renvoyer") {
		t.Errorf("the expired-link page does not link to /inscription/renvoyer")
	}
	for _, typed := range []string{"", "mael@exemple"} {
		res := w.anonymous().post("/inscription/renvoyer", url.Values{"email": {typed}})
		if res.status != http.StatusUnprocessableEntity || res.fieldError("email") == "" || res.value("email") != typed {
			t.Errorf("resend to %q: got status %d, message %q, want 422, a message next to the field and what was typed kept",
				typed, res.status, res.fieldError("email"))
		}
	}
}

func TestResendSendsAFreshLink(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	const email = "renvoi@example.org"
	w.register(w.registrationForm(email))
	first := mailLink(t, w.onlyMail(in, email, 1), "/inscription/confirmer/")

	w.clock.Advance(47 * time.Hour)
	pending := w.resend(" Renvoi@Example.org ")
	second := mailLink(t, w.onlyMail(in, email, 2), "/inscription/confirmer/")
	if second == first {
		t.Fatalf("the new mail carries the old link")
	}
	known := w.resend("anne.lefevre@example.org")
	unknown := w.resend("personne@example.org")
	for name, res := range map[string]response{"a patron's address": known, "an unknown address": unknown} {
		if res.text("contenu") != pending.text("contenu") {
			t.Errorf("%s: the page differs from a pending one's:\n%s\n%s", name, res.text("contenu"), pending.text("contenu"))
		}
	}
	deliver(t, w.instance("test", in))
	for _, to := range []string{"anne.lefevre@example.org", "personne@example.org"} {
		if got := in.to(to); len(got) != 0 {
			t.Errorf("mails to %s: got %d, want 0", to, len(got))
		}
	}

	w.clock.Advance(2 * time.Hour) // 49 hours after registering: the new link has its own 48 hours
	if res := w.anonymous().post(first, nil); res.status != http.StatusGone {
		t.Errorf("the replaced link: got status %d, want 410", res.status)
	}
	if res := w.anonymous().post(second, nil); res.status != http.StatusOK || res.byID("confirmee") == nil {
		t.Fatalf("the new link: got status %d, want 200 and the confirmation", res.status)
	}
	if w.patronWith(email) == 0 {
		t.Fatalf("no patron after the new link")
	}
	w.resend(email) // now a patron: nothing is sent
	deliver(t, w.instance("test", in))
	if got := in.to(email); len(got) != 2 {
		t.Errorf("mails to %s once a patron: got %d, want still 2", email, len(got))
	}
}

func TestResendAfterExpirySendsNothing(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	const email = "trop.tard@example.org"
	w.register(w.registrationForm(email))
	w.onlyMail(in, email, 1)
	w.clock.Advance(49 * time.Hour)
	w.resend(email)
	deliver(t, w.instance("test", in))
	if got := in.to(email); len(got) != 1 {
		t.Errorf("mails after resending an expired registration: got %d, want still 1", len(got))
	}
}

func TestResendToTheParent(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	w.register(w.minorForm(minorEmail))
	if res := w.anonymous().post(mailLink(t, w.onlyMail(in, minorEmail, 1), "/inscription/confirmer/"), nil); res.status != http.StatusOK {
		t.Fatalf("the child's confirmation: got status %d, want 200", res.status)
	}
	first := mailLink(t, w.onlyMail(in, parentEmail, 1), "/inscription/accord/")
	w.resend(minorEmail)
	second := mailLink(t, w.onlyMail(in, parentEmail, 2), "/inscription/accord/")
	if got := in.to(minorEmail); len(got) != 1 {
		t.Errorf("mails to the child after resending: got %d, want still 1: the parent's link is the one awaited", len(got))
	}
	if res := w.anonymous().get(first); res.status != http.StatusGone {
		t.Errorf("the parent's replaced link: got status %d, want 410", res.status)
	}
	if res := w.anonymous().post(second, nil); res.status != http.StatusOK || res.byID("accord-enregistre") == nil {
		t.Fatalf("the parent's new link: got status %d, want 200 and the consent recorded", res.status)
	}
	if w.patronWith(minorEmail) == 0 {
		t.Errorf("no patron after the consent through the new link")
	}
}

func TestResendIsRateLimited(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	const email = "insistant@example.org"
	w.register(w.registrationForm(email))
	for range 4 { // three an hour for one address, then the same page, and nothing sent
		w.resend(email)
	}
	deliver(t, w.instance("test", in))
	if got := in.to(email); len(got) != 4 {
		t.Errorf("mails after 4 resends: got %d, want 1 + 3", len(got))
	}
	// Ten requests an hour from one client address, whatever the e-mail.
	for i := range 6 {
		w.resend("autre" + itoa(int64(i)) + "@example.org")
	}
	w.register(w.registrationForm("dernier@example.org"))
	if res := w.anonymous().post("/inscription/renvoyer", url.Values{"email": {"dernier@example.org"}}); res.status != http.StatusTooManyRequests {
		t.Errorf("the client's 11th resend: got %d, want 429", res.status) // the answer says nothing of the address
	}
	deliver(t, w.instance("test", in))
	if got := in.to("dernier@example.org"); len(got) != 1 {
		t.Errorf("mails after the client's 11th resend: got %d, want the registration's only", len(got))
	}
	w.clock.Advance(61 * time.Minute)
	w.resend("dernier@example.org")
	deliver(t, w.instance("test", in))
	if got := in.to("dernier@example.org"); len(got) != 2 {
		t.Errorf("mails an hour later: got %d, want 2", len(got))
	}
}

// TestDoubleClickOnRegister: two quick presses of « S'inscrire » leave one
// registration, and one account once confirmed.
func TestDoubleClickOnRegister(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	const email = "double.clic@example.org"
	f := w.registrationForm(email)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = w.anonymous().post("/inscription", f).status
		}()
	}
	wg.Wait()
	if statuses[0] != http.StatusOK || statuses[1] != http.StatusOK {
		t.Fatalf("two presses: got statuses %v, want 200 twice", statuses)
	}
	deliver(t, w.instance("test", in))
	mails := in.to(email)
	if len(mails) != 2 {
		t.Fatalf("mails: got %d, want 2", len(mails))
	}
	ok, gone := 0, 0
	for _, m := range mails {
		switch res := w.anonymous().post(mailLink(t, m, "/inscription/confirmer/"), nil); res.status {
		case http.StatusOK:
			ok++
		case http.StatusGone:
			gone++
		default:
			t.Errorf("a link: got status %d, want 200 or 410", res.status)
		}
	}
	if ok != 1 || gone != 1 {
		t.Errorf("the two links: got %d confirmed and %d gone, want the latest only to confirm", ok, gone)
	}
	if n := w.patronsWith(email); n != 1 {
		t.Errorf("accounts with %s: got %d, want 1", email, n)
	}
}

// TestDoubleClickOnConfirm: two presses of « Confirmer mon inscription »,
// at once or one after the other, make one account and never a 500.
func TestDoubleClickOnConfirm(t *testing.T) {
	w := newWorld(t)
	in := newInbox(t)
	const email = "double.confirmation@example.org"
	w.register(w.registrationForm(email))
	link := mailLink(t, w.onlyMail(in, email, 1), "/inscription/confirmer/")
	var wg sync.WaitGroup
	pages := make([]response, 2)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i] = w.anonymous().post(link, nil)
		}()
	}
	wg.Wait()
	confirmed, already := 0, 0
	for _, p := range pages {
		switch {
		case p.status == http.StatusOK && p.byID("confirmee") != nil:
			confirmed++
		case p.status == http.StatusOK && p.byID("deja-confirmee") != nil:
			already++
		default:
			t.Errorf("a press: got status %d, want 200 with « confirmed » or « already confirmed »; body: %.300s", p.status, p.body)
		}
	}
	if confirmed != 1 || already != 1 {
		t.Errorf("two presses at once: got %d « confirmed » and %d « already confirmed », want 1 and 1", confirmed, already)
	}
	third := w.anonymous().post(link, nil)
	if third.status != http.StatusOK || third.text("deja-confirmee") == "" || !hasLink(third, "/connexion") {
		t.Errorf("a later press: got status %d, want 200, « already confirmed » and a link to /connexion", third.status)
	}
	if opened := w.anonymous().get(link); opened.status != http.StatusOK || opened.byID("deja-confirmee") == nil {
		t.Errorf("the link opened after confirming: got status %d, want 200 and « already confirmed »", opened.status)
	}
	if n := w.patronsWith(email); n != 1 {
		t.Errorf("accounts with %s: got %d, want 1", email, n)
	}
}
