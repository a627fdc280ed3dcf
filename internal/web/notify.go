package web

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
)

// The mail that follows decisions: to the library's contact address when a
// patron asks for something, one mail per request or a daily digest as the
// library chose; to the patron when the library decides. Each one is
// written into the outbox in the transaction of the change it tells of.

// KindLibraryDigest is the job that sends the libraries' daily digests. The
// first request queued for a digest schedules it; see notifyLibrary.
const KindLibraryDigest = "recapitulatif"

// digestHour is when, in the network's calendar, the daily digest leaves:
// before the libraries open.
const digestHour = 7

// nextDigest is the first digestHour o'clock of the network's calendar after now.
func (s *Server) nextDigest(now time.Time) time.Time {
	t := now.In(s.cfg.Location)
	at := time.Date(t.Year(), t.Month(), t.Day(), digestHour, 0, 0, 0, s.cfg.Location)
	if !at.After(t) {
		at = time.Date(t.Year(), t.Month(), t.Day()+1, digestHour, 0, 0, 0, s.cfg.Location)
	}
	return at
}

// notifyLibrary tells p's library that p asks for something: at once by
// mail, or in the library's next daily digest, as the library chose. Call it
// in tx, the transaction of the request. resources names the resources asked
// for, for sesame.RequestResources; nil otherwise.
func (s *Server) notifyLibrary(ctx context.Context, tx *sql.Tx, p *sesame.Patron, kind sesame.RequestKind, resources []string) error {
	lib, err := s.store.LibraryTx(ctx, tx, p.LibraryID)
	if err != nil {
		return err
	}
	detail := strings.Join(resources, ", ")
	if lib.Notify == sesame.NotifyDailyDigest {
		if err := s.store.QueueDigestRequestTx(ctx, tx, p.ID, kind, detail); err != nil {
			return err
		}
		return s.store.ScheduleJobTx(ctx, tx, KindLibraryDigest, s.nextDigest(s.cfg.Now()))
	}
	return s.enqueueLetter(ctx, tx, s.requestLetter(ctx, lib, p, kind, resources))
}

// libraryNotice returns the AfterWrite that tells the patron's library of
// the request kind, in the transaction that makes it: a confirmed
// registration (store.NewPatron.Then) or a renewal (store.Change.Then).
func (s *Server) libraryNotice(ctx context.Context, kind sesame.RequestKind) store.AfterWrite {
	return func(tx *sql.Tx, p *sesame.Patron) error { return s.notifyLibrary(ctx, tx, p, kind, nil) }
}

// requestLetter is the mail that tells a library of one request.
func (s *Server) requestLetter(ctx context.Context, lib *sesame.Library, p *sesame.Patron, kind sesame.RequestKind, resources []string) letter {
	name, network := p.FullName(), s.networkName(ctx)
	l := letter{To: lib.ContactEmail, ToName: lib.Name, Subject: kind.Label() + " à traiter : " + name, Greeting: "Bonjour,"}
	switch kind {
	case sesame.RequestRegistration:
		l.add(block{Text: name + " a confirmé son inscription aux ressources numériques de " + network + " auprès de " + lib.Name +
			". Son compte est « À valider » : il attend votre décision."})
	case sesame.RequestRenewal:
		l.add(block{Text: name + " demande le renouvellement de son compte aux ressources numériques de " + network +
			". Son compte est « À revalider » : validez-le si son abonnement dans votre bibliothèque est à jour."})
	case sesame.RequestResources:
		l.add(block{Text: name + " demande d'autres ressources numériques, « En attente » sur l'onglet Ressources de sa fiche :", Items: plainItems(resources)})
	}
	l.add(block{Link: "Ouvrir la fiche de " + name, URL: s.recordLink(p.ID)})
	l.add(block{Text: "Vous recevez un courriel par demande. L'administration du réseau peut les remplacer par un récapitulatif quotidien."})
	return l
}

func (s *Server) recordLink(patronID int64) string {
	return s.cfg.BaseURL + "/abonnes/" + strconv.FormatInt(patronID, 10)
}

// digestJob sends, in the transaction that marks the job done, one digest
// per library of the requests queued since the last: each request leaves
// the queue in the transaction that writes its digest into the outbox, so
// that it is sent once, whichever instance runs the job, and however many
// digest jobs run at once.
func (s *Server) digestJob() jobs.Handler {
	return jobs.Handler{Record: func(ctx context.Context, _ store.Job, tx *sql.Tx) error {
		reqs, err := s.store.TakeDigestRequestsTx(ctx, tx)
		if err != nil {
			return err
		}
		for len(reqs) > 0 {
			n := 1
			for n < len(reqs) && reqs[n].LibraryID == reqs[0].LibraryID {
				n++
			}
			lib, err := s.store.LibraryTx(ctx, tx, reqs[0].LibraryID)
			if err != nil {
				return err
			}
			if err := s.enqueueLetter(ctx, tx, s.digestLetter(lib, reqs[:n])); err != nil {
				return err
			}
			reqs = reqs[n:]
		}
		return nil
	}}
}

// digestLetter lists a library's requests since its last digest.
func (s *Server) digestLetter(lib *sesame.Library, reqs []store.DigestRequest) letter {
	today := sesame.DateOf(s.cfg.Now(), s.cfg.Location)
	count := "1 demande"
	if len(reqs) > 1 {
		count = strconv.Itoa(len(reqs)) + " demandes"
	}
	l := letter{To: lib.ContactEmail, ToName: lib.Name, Greeting: "Bonjour,",
		Subject: "Récapitulatif du " + today.String() + " : " + count + " pour " + lib.Name}
	items := make([]item, len(reqs))
	for i, r := range reqs {
		note := r.Kind.Label() + " le " + r.CreatedAt.In(s.cfg.Location).Format("02/01/2006 à 15:04")
		if r.Detail != "" {
			note += " (" + r.Detail + ")"
		}
		note += ", statut actuel : « " + r.Status.Label() + " »"
		items[i] = item{Label: r.PatronName, Note: note, URL: s.recordLink(r.PatronID)}
	}
	l.add(block{Text: "Depuis le dernier récapitulatif, vos usagers ont fait " + count + " :", Items: items})
	l.add(block{Text: "Les comptes qui attendent votre décision sont aussi dans « À traiter »."})
	l.add(block{Link: "Ouvrir « À traiter »", URL: s.cfg.BaseURL + "/abonnes/a-traiter"})
	return l
}

// decisionMail returns the AfterWrite that tells the patron, in the
// transaction of a save of their record, of the library's decision among
// changes (sesame.Transition): validated, renewed, end date corrected, or
// refused. A validation lists the resources it opens and those still
// waiting for the library.
func (s *Server) decisionMail(ctx context.Context, changes []sesame.Change) store.AfterWrite {
	return func(tx *sql.Tx, p *sesame.Patron) error {
		for _, c := range changes {
			switch c.Kind {
			case sesame.ChangeValidated, sesame.ChangeRenewed, sesame.ChangeEndDateCorrected, sesame.ChangeRefused:
				l, err := s.decisionLetter(ctx, tx, p, c)
				if err != nil {
					return err
				}
				return s.enqueueLetter(ctx, tx, l)
			}
		}
		return nil
	}
}

// decisionLetter is the mail of one decision c on p.
func (s *Server) decisionLetter(ctx context.Context, tx *sql.Tx, p *sesame.Patron, c sesame.Change) (letter, error) {
	lib, err := s.store.LibraryTx(ctx, tx, p.LibraryID)
	if err != nil {
		return letter{}, err
	}
	network := s.networkName(ctx)
	var l letter
	switch c.Kind {
	case sesame.ChangeValidated, sesame.ChangeRenewed:
		verb := "validé"
		if c.Kind == sesame.ChangeRenewed {
			verb = "renouvelé"
		}
		l = s.patronLetter(p, "Votre compte est validé jusqu'au "+p.ValidUntil.String())
		l.add(block{Text: lib.Name + " a " + verb + " votre compte aux ressources numériques de " + network +
			". Il est valable jusqu'au " + p.ValidUntil.String() + " inclus."})
		names, err := s.store.GrantNamesTx(ctx, tx, p.ID)
		if err != nil {
			return letter{}, err
		}
		if open := names[sesame.GrantValidated]; len(open) > 0 {
			l.add(block{Text: "Ressources validées, à ouvrir depuis « Mon compte » avec le bouton « Accéder » de chacune :", Items: plainItems(open)})
		}
		if waiting := names[sesame.GrantPending]; len(waiting) > 0 {
			l.add(block{Text: "Ressources demandées, encore en attente de la décision de votre bibliothèque :", Items: plainItems(waiting)})
			l.add(block{Text: "Vous recevrez un courriel dès qu'elle en aura activé."})
		} else if len(names[sesame.GrantValidated]) == 0 {
			l.add(block{Text: "Aucune ressource n'est encore activée sur votre compte : demandez-en depuis « Mon compte »."})
		}
	case sesame.ChangeEndDateCorrected:
		l = s.patronLetter(p, "La date de fin de votre compte est corrigée : "+p.ValidUntil.String())
		l.add(block{Text: lib.Name + " a corrigé la date de fin de validité de votre compte aux ressources numériques de " + network +
			". Il est valable jusqu'au " + p.ValidUntil.String() + " inclus."})
	case sesame.ChangeRefused:
		if c.Renewal {
			l = s.patronLetter(p, "Votre demande de renouvellement est refusée")
			l.add(block{Text: lib.Name + " a refusé votre demande de renouvellement aux ressources numériques de " + network + "."})
		} else {
			l = s.patronLetter(p, "Votre inscription est refusée")
			l.add(block{Text: lib.Name + " a refusé votre inscription aux ressources numériques de " + network + "."})
		}
		if p.RefusalReason != "" {
			l.add(block{Text: "Motif : « " + p.RefusalReason + " »"})
		}
		l.add(block{Text: "Pour en savoir plus, adressez-vous à votre bibliothèque : " + lib.Name + ", " + lib.ContactEmail + "."})
	}
	l.add(block{Link: "Ouvrir « Mon compte »", URL: s.cfg.BaseURL + "/mon-compte"})
	return l, nil
}

// resourcesMail returns the AfterGrantDecisions that tells the patron, in
// the transaction of the decision, which resources the library just
// activated. A refusal or a withdrawal is shown on « Mon compte »; it sends
// no mail.
func (s *Server) resourcesMail(ctx context.Context) store.AfterGrantDecisions {
	return func(tx *sql.Tx, p *sesame.Patron, changes []sesame.Change) error {
		var activated []string
		for _, c := range changes {
			if c.Kind == sesame.ChangeResourceGranted {
				activated = append(activated, c.Resource)
			}
		}
		if len(activated) == 0 {
			return nil
		}
		lib, err := s.store.LibraryTx(ctx, tx, p.LibraryID)
		if err != nil {
			return err
		}
		subject := "Ressource activée : " + activated[0]
		if len(activated) > 1 {
			subject = "Ressources activées : " + strconv.Itoa(len(activated)) + " ressources"
		}
		l := s.patronLetter(p, subject)
		l.add(block{Text: lib.Name + " a activé pour vous :", Items: plainItems(activated)})
		if p.Status == sesame.StatusValidated {
			l.add(block{Text: "Ouvrez-les depuis « Mon compte », avec le bouton « Accéder »."})
		} else {
			l.add(block{Text: "Vous pourrez les ouvrir depuis « Mon compte » dès que votre bibliothèque aura validé votre compte."})
		}
		l.add(block{Link: "Ouvrir « Mon compte »", URL: s.cfg.BaseURL + "/mon-compte"})
		return s.enqueueLetter(ctx, tx, l)
	}
}

// passwordChangedMail returns the AfterWrite that tells the patron, in the
// transaction of the change, that their password changed: if it was not
// them, they learn it at once and know what to do.
func (s *Server) passwordChangedMail(ctx context.Context) store.AfterWrite {
	return func(tx *sql.Tx, p *sesame.Patron) error {
		l := s.patronLetter(p, "Votre mot de passe a été changé")
		l.add(block{Text: "Le mot de passe de votre compte de ressources numériques vient d'être changé depuis « Mon compte ». Vos autres sessions ont été fermées."})
		l.add(block{Text: "Si ce n'est pas vous, choisissez tout de suite un nouveau mot de passe avec « Mot de passe oublié ? », puis prévenez votre bibliothèque."})
		l.add(block{Link: "Choisir un nouveau mot de passe", URL: s.cfg.BaseURL + "/mot-de-passe-oublie"})
		return s.enqueueLetter(ctx, tx, l)
	}
}

// patronLetter starts a mail to the patron, greeted as "Prénom NOM".
func (s *Server) patronLetter(p *sesame.Patron, subject string) letter {
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	return letter{To: p.Email, ToName: name, Subject: subject, Greeting: "Bonjour " + name + ","}
}

// enqueueLetter writes l into the outbox in tx. A mail that cannot leave as
// it is (an address refused by mail.Message.Validate) is logged and
// dropped: it must not undo the change it tells of.
func (s *Server) enqueueLetter(ctx context.Context, tx *sql.Tx, l letter) error {
	m, err := l.message()
	if err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		s.log.Error("courriel non envoyé", "subject", m.Subject, "err", err)
		return nil
	}
	return mail.Enqueue(ctx, s.store, tx, m)
}

// letter is a French mail written once and sent both as plain text and as
// HTML, so that the two parts always say the same thing.
type letter struct {
	To, ToName, Subject string
	Greeting            string
	Blocks              []block
}

// block is a paragraph of a letter: text, a list, or a link on its own.
type block struct {
	Text  string
	Items []item
	Link  string // the link's words
	URL   string // an absolute address
}

// item is one line of a list, with an optional link.
type item struct {
	Label, Note, URL string
}

func (l *letter) add(b block) { l.Blocks = append(l.Blocks, b) }

func plainItems(labels []string) []item {
	items := make([]item, len(labels))
	for i, s := range labels {
		items[i] = item{Label: s}
	}
	return items
}

// letterHTML lays out a letter; html/template escapes every name and reason.
var letterHTML = template.Must(template.New("letter").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
<p>{{.Greeting}}</p>
{{- range .Blocks}}
{{- with .Text}}
<p>{{.}}</p>
{{- end}}
{{- with .Items}}
<ul>
{{- range .}}
<li>{{if .URL}}<a href="{{.URL}}">{{.Label}}</a>{{else}}{{.Label}}{{end}}{{with .Note}} — {{.}}{{end}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .URL}}
<p><a href="{{.URL}}">{{.Link}}</a></p>
{{- end}}
{{- end}}
</body></html>
`))

// message renders l as a mail.Message.
func (l letter) message() (mail.Message, error) {
	var text strings.Builder
	text.WriteString(l.Greeting + "\n")
	for _, b := range l.Blocks {
		text.WriteString("\n")
		if b.Text != "" {
			text.WriteString(b.Text + "\n")
		}
		for _, it := range b.Items {
			line := "- " + it.Label
			if it.Note != "" {
				line += " — " + it.Note
			}
			text.WriteString(line + "\n")
			if it.URL != "" {
				text.WriteString("  " + it.URL + "\n")
			}
		}
		if b.URL != "" {
			text.WriteString(b.Link + " :\n" + b.URL + "\n")
		}
	}
	var html strings.Builder
	if err := letterHTML.Execute(&html, l); err != nil {
		return mail.Message{}, fmt.Errorf("mail %q: %w", l.Subject, err)
	}
	return mail.Message{To: l.To, ToName: l.ToName, Subject: l.Subject, Text: text.String(), HTML: html.String()}, nil
}
