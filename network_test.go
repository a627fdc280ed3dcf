package sesame

import (
	"net/url"
	"strings"
	"testing"
)

// assertFields fails t unless err carries exactly the fields of want, each
// message containing the piece want gives. An empty want means no error.
func assertFields(t testing.TB, err error, want map[string]string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		return
	}
	assertCode(t, err, EInvalid)
	got := FieldErrorsOf(err)
	for field, piece := range want {
		if !strings.Contains(got[field], piece) {
			t.Errorf("field %q: got %q, want it to contain %q", field, got[field], piece)
		}
	}
	for field, msg := range got {
		if _, ok := want[field]; !ok {
			t.Errorf("field %q: got unexpected %q", field, msg)
		}
	}
}

func TestLibraryValidate(t *testing.T) {
	good := Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "mediatheque@fouesnant.fr"}
	tests := []struct {
		name string
		edit func(l *Library)
		want map[string]string
	}{
		{"good", func(*Library) {}, nil},
		{"code with digits and hyphen", func(l *Library) { l.Code = "BREST-2" }, nil},
		{"two-letter code", func(l *Library) { l.Code = "AB" }, nil},
		{"40-letter code", func(l *Library) { l.Code = strings.Repeat("A", 40) }, nil},
		{"each request", func(l *Library) { l.Notify = NotifyEachRequest }, nil},
		{"daily digest", func(l *Library) { l.Notify = NotifyDailyDigest }, nil},
		{"no code", func(l *Library) { l.Code = "" }, map[string]string{FieldLibraryCode: "Code : ce champ est obligatoire."}},
		{"one-letter code", func(l *Library) { l.Code = "A" }, map[string]string{FieldLibraryCode: "de 2 à 40 caractères"}},
		{"41-letter code", func(l *Library) { l.Code = strings.Repeat("A", 41) }, map[string]string{FieldLibraryCode: "de 2 à 40 caractères"}},
		{"lower-case code", func(l *Library) { l.Code = "fouesnant" }, map[string]string{FieldLibraryCode: "lettres sans accent"}},
		{"accented code", func(l *Library) { l.Code = "PLOUGONVÉLIN" }, map[string]string{FieldLibraryCode: "lettres sans accent"}},
		{"code with a space", func(l *Library) { l.Code = "PONT AVEN" }, map[string]string{FieldLibraryCode: "par exemple FOUESNANT"}},
		{"no name", func(l *Library) { l.Name = "" }, map[string]string{FieldLibraryName: "Nom : ce champ est obligatoire."}},
		{"name with a line break", func(l *Library) { l.Name = "Médiathèque\nBcc" }, map[string]string{FieldLibraryName: "Nom : le texte contient des caractères de contrôle."}},
		{"101-character name", func(l *Library) { l.Name = strings.Repeat("n", 101) }, map[string]string{FieldLibraryName: "100 caractères au maximum"}},
		{"no town", func(l *Library) { l.Town = "" }, map[string]string{FieldLibraryTown: "Ville : ce champ est obligatoire."}},
		{"town in invalid UTF-8", func(l *Library) { l.Town = "\xff" }, map[string]string{FieldLibraryTown: "Ville : le texte contient des caractères invalides."}},
		{"no e-mail", func(l *Library) { l.ContactEmail = "" }, map[string]string{FieldLibraryEmail: "E-mail de contact : ce champ est obligatoire."}},
		{"bad e-mail", func(l *Library) { l.ContactEmail = "mediatheque" }, map[string]string{FieldLibraryEmail: "E-mail de contact : l'adresse doit être de la forme nom@exemple.fr."}},
		{"unknown notification", func(l *Library) { l.Notify = "hebdomadaire" }, map[string]string{FieldLibraryNotify: "Demandes des usagers : choisissez"}},
		{"all wrong at once", func(l *Library) { *l = Library{Notify: "x"} }, map[string]string{
			FieldLibraryCode: "obligatoire", FieldLibraryName: "obligatoire", FieldLibraryTown: "obligatoire",
			FieldLibraryEmail: "obligatoire", FieldLibraryNotify: "choisissez",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := good
			tt.edit(&l)
			assertFields(t, l.Validate(), tt.want)
		})
	}
}

func TestResourceValidate(t *testing.T) {
	good := Resource{Slug: "tout-apprendre", Name: "Tout apprendre", Description: "Des cours en ligne.\nPour tous.", URL: "https://www.toutapprendre.com/"}
	tests := []struct {
		name string
		edit func(r *Resource)
		want map[string]string
	}{
		{"good", func(*Resource) {}, nil},
		{"no description", func(r *Resource) { r.Description = "" }, nil},
		{"60-character slug", func(r *Resource) { r.Slug = strings.Repeat("a", 60) }, nil},
		{"no slug", func(r *Resource) { r.Slug = "" }, map[string]string{FieldResourceSlug: "Identifiant court : ce champ est obligatoire."}},
		{"one-letter slug", func(r *Resource) { r.Slug = "a" }, map[string]string{FieldResourceSlug: "de 2 à 60 caractères"}},
		{"61-character slug", func(r *Resource) { r.Slug = strings.Repeat("a", 61) }, map[string]string{FieldResourceSlug: "de 2 à 60 caractères"}},
		{"upper-case slug", func(r *Resource) { r.Slug = "Cafeyn" }, map[string]string{FieldResourceSlug: "lettres minuscules sans accent"}},
		{"slug with a slash", func(r *Resource) { r.Slug = "a/b" }, map[string]string{FieldResourceSlug: "par exemple tout-apprendre"}},
		{"no name", func(r *Resource) { r.Name = "" }, map[string]string{FieldResourceName: "Nom : ce champ est obligatoire."}},
		{"1001-character description", func(r *Resource) { r.Description = strings.Repeat("d", 1001) }, map[string]string{FieldResourceDescription: "Description : 1000 caractères au maximum"}},
		{"NUL in description", func(r *Resource) { r.Description = "a\x00b" }, map[string]string{FieldResourceDescription: "Description : le texte contient des caractères de contrôle."}},
		{"no link", func(r *Resource) { r.URL = "" }, map[string]string{FieldResourceURL: "Lien du fournisseur : ce champ est obligatoire."}},
		{"relative link", func(r *Resource) { r.URL = "/catalogue" }, map[string]string{FieldResourceURL: "Lien du fournisseur : indiquez une adresse complète"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			assertFields(t, r.Validate(), tt.want)
		})
	}
}

func TestCheckVendorURL(t *testing.T) {
	const bad = "indiquez une adresse complète commençant par https:// ou http://"
	tests := []struct {
		name string
		in   string
		ok   bool
		want string
	}{
		{"https", "https://www.cafeyn.co/fr", true, ""},
		{"http with port, query and fragment", "http://vendor.example:8080/a?b=c#d", true, ""},
		{"IPv6 host", "https://[2001:db8::1]/", true, ""},
		{"empty", "", false, "ce champ est obligatoire"},
		{"no scheme", "www.cafeyn.co", false, bad},
		{"ftp", "ftp://vendor.example/", false, bad},
		{"javascript", "javascript:alert(1)", false, bad},
		{"no host", "https:///path", false, bad},
		{"port without host name", "https://:443/", false, bad},
		{"credentials", "https://user:secret@vendor.example/", false, bad},
		{"space in path", "https://vendor.example/a b", false, bad},
		{"angle bracket", "https://vendor.example/<script>", false, bad},
		{"double quote", "https://vendor.example/\"x", false, bad},
		{"unclosed IPv6", "http://[::1", false, bad},
		{"line break", "https://vendor.example/\n", false, "caractères de contrôle"},
		{"2001 characters", "https://vendor.example/" + strings.Repeat("p", 2001-23), false, "2000 caractères au maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertComplaint(t, "checkVendorURL("+tt.in+")", checkVendorURL(tt.in), tt.ok, tt.want)
		})
	}
}

// A connector address and a vendor's page are read by the same parseHTTPURL:
// before, a connector took "https://:443/" (a port, no host) as complete.
func TestCheckAbsoluteURLNeedsHostName(t *testing.T) {
	for _, in := range []string{"https://:443/cb", "https://:443", "http://[]/cb"} {
		t.Run(in, func(t *testing.T) {
			assertComplaint(t, "checkAbsoluteURL("+in+")", checkAbsoluteURL(in), false, "adresse complète")
			c := Connector{ResourceID: 1, Kind: ConnectorCAS, CAS: CASSettings{ServicePrefix: in}}
			assertFields(t, c.Validate(), map[string]string{"service_prefix": "adresse complète"})
		})
	}
	assertComplaint(t, "checkAbsoluteURL", checkAbsoluteURL("https://vendor.example:8443/cb"), true, "")
}

func TestNetworkValidate(t *testing.T) {
	good := Network{Name: "Bibliothèque du Finistère", ContactEmail: "contact@finistere.fr", ValidityMonths: DefaultValidityMonths}
	const months = "Durée de validité des comptes : indiquez un nombre entier de mois, de 1 à 36, par exemple 12."
	tests := []struct {
		name string
		edit func(n *Network)
		want map[string]string
	}{
		{"good", func(*Network) {}, nil},
		{"one month", func(n *Network) { n.ValidityMonths = 1 }, nil},
		{"36 months", func(n *Network) { n.ValidityMonths = MaxValidityMonths }, nil},
		{"no name", func(n *Network) { n.Name = "" }, map[string]string{FieldNetworkName: "Nom du réseau : ce champ est obligatoire."}},
		{"101-character name", func(n *Network) { n.Name = strings.Repeat("n", 101) }, map[string]string{FieldNetworkName: "Nom du réseau : 100 caractères au maximum"}},
		{"no e-mail", func(n *Network) { n.ContactEmail = "" }, map[string]string{FieldNetworkEmail: "E-mail de contact : ce champ est obligatoire."}},
		{"bad e-mail", func(n *Network) { n.ContactEmail = "a@b" }, map[string]string{FieldNetworkEmail: "E-mail de contact : l'adresse doit être"}},
		{"zero months", func(n *Network) { n.ValidityMonths = 0 }, map[string]string{FieldValidityMonths: months}},
		{"37 months", func(n *Network) { n.ValidityMonths = 37 }, map[string]string{FieldValidityMonths: months}},
		{"negative months", func(n *Network) { n.ValidityMonths = -5 }, map[string]string{FieldValidityMonths: months}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := good
			tt.edit(&n)
			assertFields(t, n.Validate(), tt.want)
		})
	}
}

func TestParseValidityMonths(t *testing.T) {
	tests := []struct {
		in   string
		want int
		msg  string // a piece of the complaint, "" for none
	}{
		{"12", 12, ""},
		{"0", 0, ""}, // a number: Validate tells it is out of range
		{"-5", -5, ""},
		{"", 0, "ce champ est obligatoire"},
		{"douze", 0, "indiquez un nombre entier de mois"},
		{"1.5", 0, "indiquez un nombre entier de mois"},
		{"1\x00", 0, "indiquez un nombre entier de mois"},
		{"99999999999999999999999", 0, "indiquez un nombre entier de mois"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msg := ParseValidityMonths(tt.in)
			assertComplaint(t, "ParseValidityMonths("+tt.in+")", msg, tt.msg == "", tt.msg)
			if got != tt.want {
				t.Errorf("ParseValidityMonths(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzCheckVendorURL: whatever is typed, an accepted link is one a patron
// can be sent to: http or https, a host name, no credentials.
func FuzzCheckVendorURL(f *testing.F) {
	for _, s := range []string{"https://www.cafeyn.co/fr", "http://a.fr", "https://:443/", "https://u@a.fr/", "javascript:x", "//a.fr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkVendorURL(s) != "" {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("checkVendorURL accepted %q", s)
		}
	})
}

func TestFieldErrorsAdd(t *testing.T) {
	errs := FieldErrors{}
	errs.Add("nom", "")
	if err := errs.Err(); err != nil {
		t.Fatalf("after adding a checker's empty answer: got %v, want no error", err)
	}
	errs.Add("nom", "Nom : premier.")
	errs.Add("nom", "Nom : second.")
	errs.Add("nom", "")
	if got := errs["nom"]; got != "Nom : premier." {
		t.Errorf("got %q, want the first message kept", got)
	}
}
