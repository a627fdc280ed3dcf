package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// Bulk actions on the list: validate, refuse, activate a resource or export,
// for the ticked patrons or for every patron of the search. Each patron goes
// through the very store write and domain rules of their own record
// (recordChange, statusDecision, SetGrantsThen with resourcesMail), so that
// each is checked, audited and told by mail exactly as if done alone.

// bulkLimit is how many patrons one action may change: 1,000 take about a
// second (docs/benchmarks.md), and a bigger search is better narrowed.
const bulkLimit = 1000

// The actions of the list's bulk form, the value of its submit buttons.
const (
	bulkSelectAll     = "tout-selectionner"
	bulkValidate      = "valider"
	bulkRefuse        = "refuser"
	bulkActivate      = "activer"
	bulkExportCSV     = "exporter-csv"
	bulkExportXLSX    = "exporter-xlsx"
	bulkScopeSearch   = "recherche" // the « portee » field: every patron of the search
	bulkFieldPatron   = "abonne"    // a ticked row
	bulkFieldResource = "ressource" // the resource to activate
)

// bulkState is what a bulk action leaves on the list: the rows ticked, the
// action's fields with their messages, and what it did.
type bulkState struct {
	status    int // the page's HTTP status; 0 means 200
	Selected  map[int64]bool
	SelectAll bool
	Form      form
	Result    string
}

// Ticked reports whether row id is ticked.
func (b bulkState) Ticked(id int64) bool { return b.SelectAll || b.Selected[id] }

// bulkConfirmPage asks to confirm an action on every patron of a search.
type bulkConfirmPage struct {
	Heading, Button, Detail string
	Total                   int
	List                    listPage
	Fields                  url.Values // the action's own fields, sent again
	Action                  string
	Changed                 bool // the search's count changed since the list was shown
}

// patronBulk answers the list's bulk form.
func (s *Server) patronBulk(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	st := staffFrom(ctx)
	sent := r.PostForm
	list := readList(sent, st, sent.Get("vue") == "a-traiter")
	ids := selectedIDs(sent[bulkFieldPatron])
	bulk := bulkState{Selected: map[int64]bool{}, Form: form{Values: sent, Errors: sesame.FieldErrors{}}}
	for _, id := range ids {
		bulk.Selected[id] = true
	}
	everyone := sent.Get("portee") == bulkScopeSearch
	action := sent.Get("action")
	switch action {
	case bulkSelectAll:
		bulk.SelectAll = true
		s.showList(w, r, list, bulk)
		return
	case bulkExportCSV, bulkExportXLSX:
		format := exportCSV
		if action == bulkExportXLSX {
			format = exportXLSX
		}
		if everyone {
			// #nosec G710 -- a path of ours (/abonnes or /abonnes/a-traiter) with the query re-encoded, never a host.
			http.Redirect(w, r, list.ExportURL(format), http.StatusSeeOther)
			return
		}
		switch {
		case len(ids) == 0:
			bulk.Form.Errors.Add(bulkFieldPatron, "Cochez au moins un abonné à exporter, ou choisissez « tous les abonnés de cette recherche ».")
		case len(ids) > bulkLimit:
			bulk.Form.Errors.Add(bulkFieldPatron, fmt.Sprintf("Une action porte sur %d abonnés au plus.", bulkLimit))
		}
		if len(bulk.Form.Errors) > 0 {
			bulk.status = http.StatusUnprocessableEntity
			s.showList(w, r, list, bulk)
			return
		}
		s.exportPatrons(w, r, list, ids, format)
		return
	}
	job, errs := s.bulkJob(ctx, action, sent)
	if !everyone && len(ids) == 0 {
		errs.Add(bulkFieldPatron, "Cochez au moins un abonné, ou choisissez « tous les abonnés de cette recherche ».")
	}
	if len(ids) > bulkLimit {
		errs.Add(bulkFieldPatron, fmt.Sprintf("Une action porte sur %d abonnés au plus.", bulkLimit))
	}
	var total int
	if everyone && len(errs) == 0 {
		filter := list.filter(s.today())
		filter.Limit = 1
		page, err := s.store.ListPatrons(ctx, scopeOf(st), filter)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if total = page.Total; total > bulkLimit {
			errs.Add(bulkFieldPatron, fmt.Sprintf("Cette recherche compte %d abonnés ; une action porte sur %d abonnés au plus : affinez la recherche.", total, bulkLimit))
		}
	}
	if len(errs) > 0 {
		bulk.Form.Errors, bulk.status = errs, http.StatusUnprocessableEntity
		s.showList(w, r, list, bulk)
		return
	}
	if everyone {
		if sent.Get("confirme") == "" || sent.Get("nombre") != strconv.Itoa(total) {
			s.confirmBulk(w, r, list, job, total, sent.Get("confirme") != "")
			return
		}
		var err error
		if ids, err = s.store.MatchingPatronIDs(ctx, scopeOf(st), list.filter(s.today()), bulkLimit); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	tally := s.runBulk(ctx, st, job, ids)
	list.Page = 1
	s.showList(w, r, list, bulkState{Result: tally.summary(job)})
}

// selectedIDs reads the ticked rows; what is not an id is no patron. It
// stops past bulkLimit, which the caller then refuses.
func selectedIDs(raw []string) []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, v := range raw {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && !seen[id] {
			seen[id] = true
			if ids = append(ids, id); len(ids) > bulkLimit {
				break
			}
		}
	}
	return ids
}

// bulkJob is one action to run on each patron.
type bulkJob struct {
	action string
	// decision is the Statut tab's form as one record would send it.
	decision url.Values
	resource sesame.Resource
}

// bulkJob reads the action's own fields and checks them once, by the
// domain's rules, before any patron is touched: a decision is tried on an
// account « À valider » (sesame.Patron.Decide), a resource must be one the
// record's « Activer » offers.
func (s *Server) bulkJob(ctx context.Context, action string, sent url.Values) (bulkJob, sesame.FieldErrors) {
	errs := sesame.FieldErrors{}
	job := bulkJob{action: action}
	switch action {
	case bulkValidate, bulkRefuse:
		job.decision = url.Values{sesame.FieldStatus: {string(sesame.StatusValidated)},
			sesame.FieldLibraryRegisteredOn: {strings.TrimSpace(sent.Get(sesame.FieldLibraryRegisteredOn))}}
		if action == bulkRefuse {
			job.decision = url.Values{sesame.FieldStatus: {string(sesame.StatusRefused)}, sesame.FieldRefusalReason: {sent.Get(sesame.FieldRefusalReason)}}
		}
		trial := sesame.Patron{Status: sesame.StatusToValidate}
		if err := s.statusDecision(ctx)(&trial, job.decision); err != nil {
			addFieldErrors(errs, err)
		}
	case bulkActivate:
		id, _ := strconv.ParseInt(sent.Get(bulkFieldResource), 10, 64)
		resources, err := s.activatable(ctx)
		if err != nil {
			errs.Add(bulkFieldResource, sesame.ErrorMessage(err))
			break
		}
		i := slices.IndexFunc(resources, func(r sesame.Resource) bool { return r.ID == id })
		if i < 0 {
			errs.Add(bulkFieldResource, "Ressource : choisissez une ressource de la liste.")
			break
		}
		job.resource = resources[i]
	default:
		errs.Add("action", "Choisissez une action : valider, refuser, activer une ressource ou exporter.")
	}
	return job, errs
}

// activatable lists the resources the bulk form offers to activate: those
// the network still offers, as the record's « Activer » does, and, for a
// library's staff, that their library offers (sesame.Resource.OfferedTo).
// The network admin's selection may span libraries: a patron whose library
// does not offer the resource is skipped, with the reason.
func (s *Server) activatable(ctx context.Context) ([]sesame.Resource, error) {
	all, err := s.store.Resources(ctx)
	if err != nil {
		return nil, err
	}
	return activatableOf(ctx, all), nil
}

// activatableOf keeps, of every resource, those activatable.
func activatableOf(ctx context.Context, all []sesame.Resource) []sesame.Resource {
	st := staffFrom(ctx)
	return slices.DeleteFunc(all, func(r sesame.Resource) bool {
		return r.Disabled || (st != nil && st.Role == sesame.RoleLibrary && !r.OfferedTo(st.LibraryID))
	})
}

// bulkTally counts what an action did: changed, already so, and skipped,
// by reason in the order met.
type bulkTally struct {
	done, unchanged int
	reasons         []string
	skipped         map[string]int
}

func (t *bulkTally) skip(reason string) {
	if t.skipped == nil {
		t.skipped = map[string]int{}
	}
	if t.skipped[reason] == 0 {
		t.reasons = append(t.reasons, reason)
	}
	t.skipped[reason]++
}

// summary says in French what the action did, for example « 3 abonnés
// validés, 1 ignoré : compte expiré ».
func (t bulkTally) summary(job bulkJob) string {
	var b strings.Builder
	switch job.action {
	case bulkValidate:
		b.WriteString(plural(t.done, "abonné validé", "abonnés validés"))
	case bulkRefuse:
		b.WriteString(plural(t.done, "abonné refusé", "abonnés refusés"))
	case bulkActivate:
		fmt.Fprintf(&b, "« %s » activée pour %s", job.resource.Name, plural(t.done, "abonné", "abonnés"))
	}
	if t.unchanged > 0 {
		b.WriteString(", " + plural(t.unchanged, "déjà dans cet état", "déjà dans cet état"))
	}
	n := 0
	for _, c := range t.skipped {
		n += c
	}
	if n > 0 {
		b.WriteString(", " + plural(n, "ignoré", "ignorés") + " : ")
		for i, reason := range t.reasons {
			if i > 0 {
				b.WriteString(" ; ")
			}
			b.WriteString(reason)
			if len(t.reasons) > 1 {
				fmt.Fprintf(&b, " (%d)", t.skipped[reason])
			}
		}
	}
	return b.String() + "."
}

// runBulk applies job to each patron in turn, each in its own transaction
// as on their record; a patron the action may not change is skipped and
// counted with the reason.
func (s *Server) runBulk(ctx context.Context, st *sesame.Staff, job bulkJob, ids []int64) bulkTally {
	var t bulkTally
	sc, actor := scopeOf(st), actorOf(st)
	apply := s.statusDecision(ctx)
	for _, id := range ids {
		changed := false
		var err error
		switch job.action {
		case bulkActivate:
			err = s.bulkActivate(ctx, sc, actor, id, job.resource.ID, &changed)
		default:
			change := s.recordChange(ctx, "statut", nil, job.decision, func(p *sesame.Patron, sent url.Values) error {
				if p.Status == sesame.StatusExpired { // the network admin may correct one alone, not in bulk
					return sesame.Errorf(sesame.EForbidden, "%s", sesame.ExpiredNotice)
				}
				return apply(p, sent)
			})
			_, err = s.store.UpdatePatron(ctx, sc, id, 0, actor, func(p *sesame.Patron) (store.Change, error) {
				c, err := change(p)
				changed = c.Action != ""
				return c, err
			})
		}
		switch {
		case err != nil:
			t.skip(s.skipReason(ctx, err))
		case changed:
			t.done++
		default:
			t.unchanged++
		}
	}
	return t
}

// bulkActivate activates one resource for one patron as the record's
// « Activer » does; like the rest of a bulk action, it skips an Expiré
// account, which the network admin may only correct alone.
func (s *Server) bulkActivate(ctx context.Context, sc store.Scope, actor sesame.Actor, id, resourceID int64, changed *bool) error {
	p, err := s.store.Patron(ctx, sc, id)
	if err != nil {
		return err
	}
	if p.Status == sesame.StatusExpired {
		return sesame.Errorf(sesame.EForbidden, "%s", sesame.ExpiredNotice)
	}
	names, err := s.store.SetGrantsThen(ctx, sc, id, []int64{resourceID}, sesame.GrantValidated, actor, s.resourcesMail(ctx))
	*changed = len(names) > 0
	return err
}

// skipReason says in a few words why a patron was skipped.
func (s *Server) skipReason(ctx context.Context, err error) string {
	switch sesame.ErrorCode(err) {
	case sesame.ENotFound:
		return "abonné introuvable"
	case sesame.EForbidden:
		if sesame.ErrorMessage(err) == sesame.ExpiredNotice {
			return "compte expiré"
		}
		return sesame.ErrorMessage(err)
	case sesame.EStale:
		return "fiche modifiée au même moment"
	case sesame.EInvalid:
		var msgs []string
		for _, m := range sesame.FieldErrorsOf(err) {
			msgs = append(msgs, strings.TrimSuffix(m, "."))
		}
		slices.Sort(msgs)
		return strings.Join(msgs, " ; ")
	}
	s.log.ErrorContext(ctx, "action groupée", "err", err)
	return "erreur inattendue"
}

// confirmBulk asks to confirm an action on every patron of the search,
// stating their number; changed says the number is not the one confirmed.
func (s *Server) confirmBulk(w http.ResponseWriter, r *http.Request, list listPage, job bulkJob, total int, changed bool) {
	page := bulkConfirmPage{Total: total, List: list, Action: job.action, Changed: changed, Fields: url.Values{}}
	who := plural(total, "abonné", "abonnés")
	if total > 1 {
		who = "les " + who
	}
	switch job.action {
	case bulkValidate:
		page.Heading, page.Button = "Valider "+who+" de cette recherche ?", "Valider "+who
		page.Detail = "Date d'inscription dans la bibliothèque : " + job.decision.Get(sesame.FieldLibraryRegisteredOn) + "."
	case bulkRefuse:
		page.Heading, page.Button = "Refuser "+who+" de cette recherche ?", "Refuser "+who
		if reason := strings.TrimSpace(job.decision.Get(sesame.FieldRefusalReason)); reason != "" {
			page.Detail = "Motif du refus communiqué : « " + reason + " »."
		}
	case bulkActivate:
		page.Heading = "Activer « " + job.resource.Name + " » pour " + who + " de cette recherche ?"
		page.Button = "Activer « " + job.resource.Name + " » pour " + who
		page.Fields.Set(bulkFieldResource, strconv.FormatInt(job.resource.ID, 10))
	}
	// The decision's own fields only: its status is the action, and the
	// list's « statut » field is the status filter of the search.
	for _, k := range []string{sesame.FieldLibraryRegisteredOn, sesame.FieldRefusalReason} {
		if v := job.decision.Get(k); v != "" {
			page.Fields.Set(k, v)
		}
	}
	s.render(w, r, http.StatusOK, "abonnes_confirmation", layout{Title: page.Heading + " – " + list.Heading, Section: list.section(), Content: page})
}
