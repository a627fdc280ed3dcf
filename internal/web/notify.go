package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/lifecycle"
	"github.com/bdf29/sesame/internal/notify"
	"github.com/bdf29/sesame/internal/store"
)

// The mail that follows decisions: to the library's contact address when a
// patron asks for something, one mail per request or a daily digest as the
// library chose; to the patron when the library decides. Each one is
// written into the outbox in the transaction of the change it tells of.

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
func (s *Server) notifyLibrary(ctx context.Context, tx *store.Tx, p *sesame.Patron, kind sesame.RequestKind, resources []string) error {
	lib, err := tx.Library(ctx, p.LibraryID)
	if err != nil {
		return err
	}
	detail := strings.Join(resources, ", ")
	if lib.Notify == sesame.NotifyDailyDigest {
		if err := tx.QueueDigestRequest(ctx, p.ID, kind, detail); err != nil {
			return err
		}
		return tx.ScheduleJob(ctx, jobs.KindLibraryDigest, s.nextDigest(s.cfg.Now()))
	}
	return s.enqueueMail(ctx, tx, lib.ContactEmail, lib.Name, "demande", notify.Request{Kind: kind, Name: p.FullName(),
		Network: s.networkName(ctx), Library: lib.Name, Resources: resources, RecordURL: s.recordLink(p.ID)})
}

// libraryNotice returns the AfterWrite that tells the patron's library of
// the request kind, in the transaction that makes it: a confirmed
// registration (store.NewPatron.Then) or a renewal (store.Change.Then).
func (s *Server) libraryNotice(ctx context.Context, kind sesame.RequestKind) store.AfterWrite {
	return func(tx *store.Tx, p *sesame.Patron) error { return s.notifyLibrary(ctx, tx, p, kind, nil) }
}

func (s *Server) recordLink(patronID int64) string {
	return s.cfg.BaseURL + "/abonnes/" + strconv.FormatInt(patronID, 10)
}

// LibraryDigestJob (jobs.KindLibraryDigest, scheduled by notifyLibrary) sends, in the transaction that marks the job done, one digest
// per library of the requests queued since the last: each request leaves
// the queue in the transaction that writes its digest into the outbox, so
// that it is sent once, whichever instance runs the job, and however many
// digest jobs run at once.
func (s *Server) LibraryDigestJob() jobs.Handler {
	return jobs.Handler{Record: func(ctx context.Context, _ store.Job, tx *store.Tx) error {
		reqs, err := tx.TakeDigestRequests(ctx)
		if err != nil {
			return err
		}
		for len(reqs) > 0 {
			n := 1
			for n < len(reqs) && reqs[n].LibraryID == reqs[0].LibraryID {
				n++
			}
			lib, err := tx.Library(ctx, reqs[0].LibraryID)
			if err != nil {
				return err
			}
			if err := s.enqueueMail(ctx, tx, lib.ContactEmail, lib.Name, "recapitulatif", s.digest(lib, reqs[:n])); err != nil {
				return err
			}
			reqs = reqs[n:]
		}
		return nil
	}}
}

// digest lists a library's requests since its last digest.
func (s *Server) digest(lib *sesame.Library, reqs []store.DigestRequest) notify.Digest {
	d := notify.Digest{Date: sesame.DateOf(s.cfg.Now(), s.cfg.Location).String(), Library: lib.Name,
		Requests: make([]notify.DigestLine, len(reqs)), ToDoURL: s.cfg.BaseURL + "/abonnes/a-traiter"}
	for i, r := range reqs {
		d.Requests[i] = notify.DigestLine{PatronName: r.PatronName, Kind: r.Kind, At: r.CreatedAt.In(s.cfg.Location).Format("02/01/2006 à 15:04"),
			Detail: r.Detail, Status: r.Status, URL: s.recordLink(r.PatronID)}
	}
	return d
}

// patronMailer writes the mails that tell a patron of their account
// (package lifecycle), which the renewals service writes too.
func (s *Server) patronMailer() *lifecycle.Mailer {
	return &lifecycle.Mailer{BaseURL: s.cfg.BaseURL, Logger: s.log, NetworkName: s.networkName}
}

// decisionMail returns the AfterWrite that tells the patron, in the
// transaction of a save of their record, of the library's decision among
// changes (sesame.Transition): lifecycle.Mailer.Decision.
func (s *Server) decisionMail(ctx context.Context, changes []sesame.Change) store.AfterWrite {
	return s.patronMailer().Decision(ctx, changes)
}

// resourcesMail returns the AfterGrantDecisions that tells the patron, in
// the transaction of the decision, which resources the library just
// activated. A refusal or a withdrawal is shown on « Mon compte »; it sends
// no mail.
func (s *Server) resourcesMail(ctx context.Context) store.AfterGrantDecisions {
	return func(tx *store.Tx, p *sesame.Patron, changes []sesame.Change) error {
		var activated []string
		for _, c := range changes {
			if c.Kind == sesame.ChangeResourceGranted {
				activated = append(activated, c.Resource)
			}
		}
		if len(activated) == 0 {
			return nil
		}
		lib, err := tx.Library(ctx, p.LibraryID)
		if err != nil {
			return err
		}
		return s.enqueueMail(ctx, tx, p.Email, greetedName(p), "ressources-activees", notify.Resources{Name: greetedName(p), Library: lib.Name,
			Activated: activated, Validated: p.Status == sesame.StatusValidated, AccountURL: s.cfg.BaseURL + "/mon-compte"})
	}
}

// passwordChangedMail returns the AfterWrite that tells the patron, in the
// transaction of the change, that their password changed: if it was not
// them, they learn it at once and know what to do.
func (s *Server) passwordChangedMail(ctx context.Context) store.AfterWrite {
	return func(tx *store.Tx, p *sesame.Patron) error {
		return s.enqueueMail(ctx, tx, p.Email, greetedName(p), "mot-de-passe-change",
			notify.PasswordChanged{Name: greetedName(p), ForgotURL: s.cfg.BaseURL + "/mot-de-passe-oublie"})
	}
}

// enqueueMail writes the mail of template name for data into the outbox
// in tx: lifecycle.Mailer.Enqueue.
func (s *Server) enqueueMail(ctx context.Context, tx *store.Tx, to, toName, name string, data any) error {
	return s.patronMailer().Enqueue(ctx, tx, to, toName, name, data)
}

// greetedName is the patron as a mail greets them: "Prénom NOM".
func greetedName(p *sesame.Patron) string { return lifecycle.GreetedName(p) }
