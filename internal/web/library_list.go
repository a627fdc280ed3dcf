package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// pageSizes are the choices of the list, 10 by default as in the tutorial.
var pageSizes = []int{10, 25, 50, 100}

type listPage struct {
	Heading  string
	Path     string
	Todo     bool
	Query    string
	Status   string
	Sort     string
	Desc     bool
	PageSize int
	Page     int
	Pages    int // 0 when More: the count stopped
	Total    int
	// More says that the search's count stopped at Total
	// (store.SearchCountUpTo): more patrons match, and the page says so.
	More bool
	// After and Before are the cursor of a page reached by « Page
	// suivante » or « Page précédente »: the patron the page starts after
	// (or ends before). A bare ?page=N has neither.
	After, Before int64
	Rows          []listRow
	Headers       []sortHeader
	PageSizes     []int
	Libraries     map[int64]string // library codes, for the network admin's list
	// Library narrows the network admin's list to one library, chosen
	// among LibraryChoices (French order); 0 for the whole network.
	Library        int64
	LibraryChoices []sesame.Library
	Params         url.Values
	PrevURL        string
	NextURL        string

	// Subset is the list a librarian asked for beside the status
	// (store.Subset), "" for none.
	Subset string
	// Bulk is the selection and what the last bulk action did; Resources
	// are those « Activer une ressource pour la sélection » offers; Today
	// is the default library date of « Valider la sélection ».
	Bulk      bulkState
	Resources []sesame.Resource
	Today     string
	BulkLimit int
}

// listRow is one line of the list, formatted once in Go: the template only
// prints, which keeps rendering cheap on the busiest page.
type listRow struct {
	ID                              int64
	Status, StatusLabel, EndDate    string
	PastEndDate                     bool // shown in a warning colour: sesame's ShownStatus
	LastName, FirstName, Registered string
	Library                         string
	Resources, Pending              []string

	// SIGB is the library date the library system gave (sesame.Patron.SIGBNote), or "".
	SIGB string

	// Requested is the day of the request the to-do view waits on, the
	// day it is sorted by; empty on the other lists.
	Requested string
}

// RowsHTML writes the table's rows. The list is the busiest page, and
// html/template spends more on its hundred small escapes than the database
// spends on the page; here every value goes through one escape each.
func (p listPage) RowsHTML() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	for _, r := range p.Rows {
		warning := ""
		if r.PastEndDate {
			warning = " status-depassee"
		}
		ticked := ""
		if p.Bulk.Ticked(r.ID) {
			ticked = " checked"
		}
		fmt.Fprintf(&b, "<tr>\n<td class=\"select\"><input type=\"checkbox\" name=\"abonne\" value=\"%d\" aria-label=\"Sélectionner %s %s\"%s></td>\n",
			r.ID, esc(r.LastName), esc(r.FirstName), ticked)
		fmt.Fprintf(&b, "<td><span class=\"status status-%s%s\">%s</span>", esc(r.Status), warning, esc(r.StatusLabel))
		if r.EndDate != "" {
			fmt.Fprintf(&b, "<br><span class=\"end\">Date de fin de validité : %s</span>", esc(r.EndDate))
		}
		if r.SIGB != "" {
			fmt.Fprintf(&b, "<br><span class=\"end\">Inscrit au SIGB le %s</span>", esc(r.SIGB))
		}
		// On a small screen each row is a card: the names sit on one line, and
		// data-label names the other cells, as the column headers are not shown.
		fmt.Fprintf(&b, "</td>\n<td class=\"name\"><a href=\"/abonnes/%d\">%s<span class=\"visually-hidden\"> %s</span></a></td>\n<td class=\"name\">%s</td>\n<td data-label=\"Inscription\">%s</td>\n",
			r.ID, esc(r.LastName), esc(r.FirstName), esc(r.FirstName), esc(r.Registered))
		if p.Todo {
			fmt.Fprintf(&b, "<td data-label=\"Demande du\">%s</td>\n", esc(r.Requested))
		}
		if p.Libraries != nil {
			fmt.Fprintf(&b, "<td data-label=\"Bibliothèque\">%s</td>\n", esc(r.Library))
		}
		b.WriteString("<td data-label=\"Ressources\">")
		if len(r.Resources) == 0 {
			b.WriteString("<span class=\"muted\">Aucune</span>")
		} else {
			b.WriteString("<ul class=\"resources\">")
			for _, name := range r.Resources {
				fmt.Fprintf(&b, "<li>%s</li>", esc(name))
			}
			b.WriteString("</ul>")
		}
		// A Validé patron's request for more resources is seen here, since
		// the to-do view lists accounts to validate, not resources.
		if len(r.Pending) > 0 {
			fmt.Fprintf(&b, "<p class=\"pending\">En attente : %s</p>", esc(strings.Join(r.Pending, ", ")))
		}
		b.WriteString("</td>\n</tr>\n")
	}
	return template.HTML(b.String()) // #nosec G203 -- every value written into b went through esc
}

// TotalText is how many patrons the list shows: « 1 234 abonnés », or
// « plus de 1 000 abonnés » when a search's count stopped there.
func (p listPage) TotalText() string {
	if p.More {
		return "plus de " + frenchThousands(p.Total) + " abonnés"
	}
	return plural(p.Total, "abonné", "abonnés")
}

// PageText is where the list stands: « page 3 sur 12 », or « page 3 »
// alone when the count stopped and the last page is not known.
func (p listPage) PageText() string {
	if p.More {
		return fmt.Sprintf("page %d", p.Page)
	}
	return fmt.Sprintf("page %d sur %d", p.Page, p.Pages)
}

// Paged tells whether the list needs its page links.
func (p listPage) Paged() bool { return p.Pages > 1 || p.More }

// frenchThousands writes n with a narrow no-break space between thousands, as French does.
func frenchThousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pageURL is the address of page n reached from this one: it carries the
// cursor key (« apres » or « avant ») and the patron id, so that the next
// or previous page is found by seeking the index, however deep the page.
// Page 1 needs no cursor.
func (p listPage) pageURL(n int, key string, id int64) string {
	if n == 1 {
		return p.URL("page", "")
	}
	u := p.URL("page", strconv.Itoa(n))
	if id == 0 {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + key + "=" + strconv.FormatInt(id, 10)
}

// SearchFocus tells whether the search box takes the focus as the list
// opens: the librarian came to find someone. After a search or a bulk action,
// or on the to-do view, the focus stays at the top (or goes to the refused
// action's errors), so a screen reader reads the result first.
func (p listPage) SearchFocus() bool {
	return !p.Todo && p.Query == "" && len(p.Bulk.Form.Errors) == 0 && p.Bulk.Result == ""
}

// URL returns the list's address with one parameter changed.
func (p listPage) URL(key, value string) string {
	q := url.Values{}
	for k, v := range p.Params {
		q[k] = v
	}
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if key != "page" {
		q.Del("page")
	}
	if enc := q.Encode(); enc != "" {
		return p.Path + "?" + enc
	}
	return p.Path
}

// sortHeader is a column header that sorts the list.
type sortHeader struct {
	Label, URL, AriaSort, Arrow, Hint string
}

// sortLink builds the header of column "key:Label", whose link sorts by it,
// or reverses the order when the list is already sorted by it.
func sortLink(p listPage, column string) sortHeader {
	key, label, _ := strings.Cut(column, ":")
	h := sortHeader{Label: label, AriaSort: "none", Hint: ", trier par ordre croissant"}
	desc := false
	if p.Sort == key {
		desc = !p.Desc
		h.AriaSort, h.Arrow, h.Hint = "ascending", "▲", ", trié par ordre croissant ; trier par ordre décroissant"
		if p.Desc {
			h.AriaSort, h.Arrow, h.Hint = "descending", "▼", ", trié par ordre décroissant ; trier par ordre croissant"
		}
	}
	q := url.Values{}
	for k, v := range p.Params {
		q[k] = v
	}
	q.Set("tri", key)
	q.Del("page")
	if desc {
		q.Set("ordre", "desc")
	} else {
		q.Del("ordre")
	}
	h.URL = p.Path + "?" + q.Encode()
	return h
}

func (s *Server) patronList(w http.ResponseWriter, r *http.Request) {
	s.listPatrons(w, r, false)
}

// patronTodo is the to-do view: the accounts waiting for the library, oldest request first.
func (s *Server) patronTodo(w http.ResponseWriter, r *http.Request) {
	s.listPatrons(w, r, true)
}

func (s *Server) listPatrons(w http.ResponseWriter, r *http.Request, todo bool) {
	s.showList(w, r, readList(r.URL.Query(), staffFrom(r.Context()), todo), bulkState{})
}

// readList reads the list's search, filters, order and page from q: the
// list's own address, or the fields that a bulk action carries, so that an
// action or an export works on exactly what the list shows.
func readList(q url.Values, st *sesame.Staff, todo bool) listPage {
	p := listPage{Path: "/abonnes", Todo: todo, PageSizes: pageSizes, Params: url.Values{}}
	p.Heading = "Mes abonnés ressources numériques"
	if st.Role == sesame.RoleAdmin {
		p.Heading = "Abonnés du réseau"
	}
	if todo {
		p.Path, p.Heading = "/abonnes/a-traiter", "Comptes à traiter"
	}
	p.Query = strings.TrimSpace(q.Get("q"))
	if len([]rune(p.Query)) > 100 {
		p.Query = string([]rune(p.Query)[:100])
	}
	if status, ok := sesame.ParseStatus(q.Get("statut")); ok {
		p.Status = string(status)
	}
	switch t := q.Get("tri"); t {
	case store.SortFirstName, store.SortStatus, store.SortRegistered:
		p.Sort = t
	case store.SortWaiting:
		p.Sort = store.SortLastName
		if todo {
			p.Sort = t
		}
	default:
		p.Sort = store.SortLastName
	}
	if todo && q.Get("tri") == "" {
		p.Sort = store.SortWaiting
	}
	p.Desc = q.Get("ordre") == "desc"
	p.PageSize = 10
	if n, err := strconv.Atoi(q.Get("par_page")); err == nil {
		for _, size := range pageSizes {
			if n == size {
				p.PageSize = n
			}
		}
	}
	p.Page = 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 && n < 1_000_000 {
		p.Page = n
	}
	// A cursor is only meaningful past page 1; a bad one is ignored and the
	// page is then counted by its number.
	if id, err := strconv.ParseInt(q.Get("apres"), 10, 64); err == nil && id > 0 && p.Page > 1 {
		p.After = id
	} else if id, err := strconv.ParseInt(q.Get("avant"), 10, 64); err == nil && id > 0 && p.Page > 1 {
		p.Before = id
	}
	if sub, ok := store.ParseSubset(q.Get("filtre")); ok {
		p.Subset = string(sub)
	}
	if id, err := strconv.ParseInt(q.Get("bibliotheque"), 10, 64); err == nil && id > 0 && st.Role == sesame.RoleAdmin {
		p.Library = id
		p.Params.Set("bibliotheque", strconv.FormatInt(id, 10))
	}
	for key, val := range map[string]string{"q": p.Query, "statut": p.Status, "filtre": p.Subset} {
		if val != "" {
			p.Params.Set(key, val)
		}
	}
	if q.Get("tri") != "" {
		p.Params.Set("tri", p.Sort)
	}
	if p.Desc {
		p.Params.Set("ordre", "desc")
	}
	if p.PageSize != 10 {
		p.Params.Set("par_page", strconv.Itoa(p.PageSize))
	}
	return p
}

// filter selects what the list shows, every page, on day today.
func (p listPage) filter(today sesame.Date) store.PatronFilter {
	return store.PatronFilter{Query: p.Query, Status: sesame.Status(p.Status), Subset: store.Subset(p.Subset), Today: today,
		Sort: p.Sort, Desc: p.Desc, Awaiting: p.Todo, LibraryID: p.Library}
}

// showList answers the list p, with what a bulk action did or refused.
func (s *Server) showList(w http.ResponseWriter, r *http.Request, p listPage, bulk bulkState) {
	st := staffFrom(r.Context())
	todo := p.Todo
	// The bulk actions' resources come with the counts: one round trip.
	tally, resources, err := s.store.TallyWithResources(r.Context(), scopeOf(st))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filter := p.filter(s.today())
	filter.Limit, filter.Offset, filter.Counts = p.PageSize, (p.Page-1)*p.PageSize, tally.ByStatus
	filter.After, filter.Before, filter.CountUpTo = p.After, p.Before, store.SearchCountUpTo
	result, err := s.store.ListPatrons(r.Context(), scopeOf(st), filter)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Total, p.More = result.Total, result.More
	if !p.More {
		p.Pages = (p.Total + p.PageSize - 1) / p.PageSize
	}
	if len(result.Rows) == 0 && (p.After != 0 || p.Before != 0) {
		// The cursor's patron is gone: the page is read by its number.
		p.After, p.Before, filter.After, filter.Before = 0, 0, 0, 0
		if result, err = s.store.ListPatrons(r.Context(), scopeOf(st), filter); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	// A page past the last (an old bookmark, a list that shrank) shows the
	// last page, rather than « no patron » under a count that says otherwise.
	if p.Page > p.Pages && p.Pages > 0 {
		p.Page = p.Pages
		filter.Offset, filter.After, filter.Before = (p.Page-1)*p.PageSize, 0, 0
		if result, err = s.store.ListPatrons(r.Context(), scopeOf(st), filter); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if p.Page > 1 && len(result.Rows) > 0 {
		p.PrevURL = p.pageURL(p.Page-1, "avant", result.Rows[0].ID)
	}
	if (p.Page < p.Pages || p.More && len(result.Rows) == p.PageSize) && len(result.Rows) > 0 {
		p.NextURL = p.pageURL(p.Page+1, "apres", result.Rows[len(result.Rows)-1].ID)
	}
	if st.Role == sesame.RoleAdmin {
		libs, err := s.store.Libraries(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Libraries, p.LibraryChoices = map[int64]string{}, libs
		for _, l := range libs {
			p.Libraries[l.ID] = l.Code
		}
	}
	today := s.today()
	for _, row := range result.Rows {
		shown := row.ShownStatus(today)
		p.Rows = append(p.Rows, listRow{
			ID: row.ID, Status: string(row.Status), StatusLabel: shown.Label, PastEndDate: shown.Warning, EndDate: row.ValidUntil.String(),
			LastName: row.LastName, FirstName: row.FirstName, Registered: row.RegisteredOn.String(),
			Library: p.Libraries[row.LibraryID], Resources: row.Resources, Pending: row.Pending, SIGB: row.SIGBNote().String(),
		})
		if todo {
			p.Rows[len(p.Rows)-1].Requested = sesame.DateOf(row.UpdatedAt, s.cfg.Location).String()
		}
	}
	columns := []string{"statut:Statut", "nom:Nom", "prenom:Prénom", "inscription:Inscription"}
	if todo {
		columns = append(columns, store.SortWaiting+":Demande du")
	}
	for _, col := range columns {
		p.Headers = append(p.Headers, sortLink(p, col))
	}
	title := p.Heading
	if p.Page > 1 {
		title = fmt.Sprintf("%s, page %d", title, p.Page)
	}
	if p.Query != "" {
		// The title, announced first, says what the search found.
		title = fmt.Sprintf("Recherche « %s » : %s – %s", p.Query, p.TotalText(), title)
	}
	p.Bulk, p.Resources, p.Today, p.BulkLimit = bulk, activatableOf(r.Context(), resources), today.String(), bulkLimit
	if p.Bulk.Form.Values.Get(sesame.FieldLibraryRegisteredOn) == "" && len(p.Bulk.Form.Errors) == 0 {
		p.Bulk.Form.Values = url.Values{sesame.FieldLibraryRegisteredOn: {p.Today}}
	}
	status := http.StatusOK
	if bulk.status != 0 {
		status = bulk.status
	}
	// render puts the notice, what a bulk action did, first in the title.
	s.render(w, r, status, "abonnes", layout{Title: formTitle(title, p.Bulk.Form), Section: p.section(), Notice: bulk.Result, Content: p, tally: &tally})
}

// subsetChoice is an option of the « Autre critère » select.
type subsetChoice struct{ Value, Label string }

// SubsetChoices are the lists a librarian asks for (store.Subset).
func (listPage) SubsetChoices() []subsetChoice {
	return []subsetChoice{
		{string(store.SubsetEndingSoon), fmt.Sprintf("Fin de validité dans les %d jours", store.EndingSoonDays)},
		{string(store.SubsetPastEndDate), "Date de fin dépassée"},
		{string(store.SubsetPendingResource), "Ressource en attente"},
		{string(store.SubsetWaitingList), "Ressource en liste d'attente"},
	}
}

// section is the menu entry of the list.
func (p listPage) section() string {
	if p.Todo {
		return "a-traiter"
	}
	return "abonnes"
}
