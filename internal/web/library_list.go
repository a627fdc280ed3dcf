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
	Heading   string
	Path      string
	Todo      bool
	Query     string
	Status    string
	Sort      string
	Desc      bool
	PageSize  int
	Page      int
	Pages     int
	Total     int
	Rows      []listRow
	Headers   []sortHeader
	PageSizes []int
	Libraries map[int64]string // library codes, for the network admin's list
	Params    url.Values
	PrevURL   string
	NextURL   string
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
		fmt.Fprintf(&b, "<tr>\n<td><span class=\"status status-%s%s\">%s</span>", esc(r.Status), warning, esc(r.StatusLabel))
		if r.EndDate != "" {
			fmt.Fprintf(&b, "<br><span class=\"end\">Date de fin de validité : %s</span>", esc(r.EndDate))
		}
		fmt.Fprintf(&b, "</td>\n<td><a href=\"/abonnes/%d\">%s</a></td>\n<td>%s</td>\n<td>%s</td>\n",
			r.ID, esc(r.LastName), esc(r.FirstName), esc(r.Registered))
		if p.Libraries != nil {
			fmt.Fprintf(&b, "<td>%s</td>\n", esc(r.Library))
		}
		b.WriteString("<td>")
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
	st := staffFrom(r.Context())
	q := r.URL.Query()
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
	for key, val := range map[string]string{"q": p.Query, "statut": p.Status} {
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
	counts, err := s.store.StatusCounts(r.Context(), scopeOf(st))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filter := store.PatronFilter{Query: p.Query, Status: sesame.Status(p.Status), Sort: p.Sort, Desc: p.Desc,
		Limit: p.PageSize, Offset: (p.Page - 1) * p.PageSize, Awaiting: todo, Counts: counts}
	result, err := s.store.ListPatrons(r.Context(), scopeOf(st), filter)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Total = result.Total
	p.Pages = (p.Total + p.PageSize - 1) / p.PageSize
	if p.Page > 1 {
		p.PrevURL = p.URL("page", strconv.Itoa(p.Page-1))
	}
	if p.Page < p.Pages {
		p.NextURL = p.URL("page", strconv.Itoa(p.Page+1))
	}
	if st.Role == sesame.RoleAdmin {
		libs, err := s.store.Libraries(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Libraries = map[int64]string{}
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
			Library: p.Libraries[row.LibraryID], Resources: row.Resources, Pending: row.Pending,
		})
	}
	for _, col := range []string{"statut:Statut", "nom:Nom", "prenom:Prénom", "inscription:Inscription"} {
		p.Headers = append(p.Headers, sortLink(p, col))
	}
	title := p.Heading
	if p.Page > 1 {
		title = fmt.Sprintf("%s, page %d", title, p.Page)
	}
	section := "abonnes"
	if todo {
		section = "a-traiter"
	}
	s.render(w, r, http.StatusOK, "abonnes", layout{Title: title, Section: section, Content: p, counts: counts})
}
