package sesame

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// The expected digests were computed outside Go, with coreutils and openssl:
//
//	printf '%s' B0012345202611271130cle-tout-apprendre | md5sum
//	printf '%s' B0012345cle-mediatheque | sha256sum
//	printf '%s' 'B0012345|1795779000' | openssl dgst -sha256 -hmac cle-hmac
//	printf '%s' B0012345cle | sha1sum
func TestSignedLinkBuild(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC) // 11:30 in Paris
	fields := LinkFields{
		Card: "B0012345", UID: "42", Email: "anne+test@example.org", LastName: "Le Goff", FirstName: "Anne-Soizic",
		BirthYear: "1984", Library: "FOUESNANT", Time: at,
	}
	tests := []struct {
		name     string
		settings SignedLinkSettings
		secret   string
		want     map[string]string // query parameter → value
	}{
		{
			name: "Tout apprendre: md5 of card, minute in Paris, key",
			settings: SignedLinkSettings{Preset: "tout-apprendre",
				URL: "https://vendor.example/wsUrl.aspx?iduser={card}&firstname={firstname}&lastname={lastname}&etablissement=29&d={time}&hash={hash}"},
			secret: "cle-tout-apprendre",
			want: map[string]string{"iduser": "B0012345", "firstname": "Anne-Soizic", "lastname": "Le Goff",
				"d": "202611271130", "hash": "2e409dfe70f9912b5a7115775a303abc"},
		},
		{
			name: "Médiathèque numérique: sha256 of card and key, birth year",
			settings: SignedLinkSettings{Preset: "mediatheque-numerique",
				URL: "https://vendor.example/sso_login?sso_id=bdf29&id={card}&email={email}&nom={lastname}&dnaiss={birthyear}-12-31&id_encrypted={hash}"},
			secret: "cle-mediatheque",
			want: map[string]string{"id": "B0012345", "email": "anne+test@example.org", "nom": "Le Goff", "dnaiss": "1984-12-31",
				"id_encrypted": "0a1900e736b833875b1335a82e1f658649cbf11bc613e197d628bdd3dc3af923"},
		},
		{
			name: "custom HMAC-SHA256 over a unix time",
			settings: SignedLinkSettings{Preset: "custom", Hash: "hmac-sha256", Signed: "{card}|{time}", TimeFormat: "unix",
				URL: "https://vendor.example/in?u={card}&t={time}&sig={hash}"},
			secret: "cle-hmac",
			want:   map[string]string{"u": "B0012345", "t": "1795775400"}, // the signature: TestSignedLinkHMACMatchesOpenSSL
		},
		{
			name: "custom sha1",
			settings: SignedLinkSettings{Preset: "custom", Hash: "sha1", Signed: "{card}{secret}",
				URL: "https://vendor.example/in?u={card}&h={hash}"},
			secret: "cle",
			want:   map[string]string{"u": "B0012345", "h": "0d398a2f1b7884352aa6e4b63cf9e80e564cffa2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.settings
			s.ApplyPreset()
			link, err := s.Build(fields, tt.secret)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatalf("link %q does not parse: %v", link, err)
			}
			if strings.Contains(link, tt.secret) {
				t.Errorf("the link %q carries the secret", link)
			}
			for k, want := range tt.want {
				if got := u.Query().Get(k); got != want {
					t.Errorf("%s = %q, want %q (link %s)", k, got, want, link)
				}
			}
		})
	}
}

// The HMAC case is checked against openssl's answer for the same input, at
// the unix time 1795779000.
func TestSignedLinkHMACMatchesOpenSSL(t *testing.T) {
	s := SignedLinkSettings{Preset: "custom", Hash: "hmac-sha256", Signed: "{card}|{time}", TimeFormat: "unix",
		URL: "https://vendor.example/in?sig={hash}"}
	link, err := s.Build(LinkFields{Card: "B0012345", Time: time.Unix(1795779000, 0)}, "cle-hmac")
	if err != nil {
		t.Fatal(err)
	}
	want := "https://vendor.example/in?sig=3cb6a00bf0ee1b5e59a931c93484ea7581010ad2a509be741c7f5a4d1f15c97d"
	if link != want {
		t.Errorf("got %s, want %s", link, want)
	}
}

func TestSignedLinkEscapesValues(t *testing.T) {
	s := SignedLinkSettings{Preset: "mediatheque-numerique", URL: "https://vendor.example/in?nom={lastname}&id={card}&h={hash}"}
	s.ApplyPreset()
	link, err := s.Build(LinkFields{Card: "A&B=1", LastName: "D'Arc & fils#1"}, "secret-key")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if got := u.Query().Get("nom"); got != "D'Arc & fils#1" {
		t.Errorf("nom = %q: values must be URL-encoded (link %s)", got, link)
	}
	if got := u.Query().Get("id"); got != "A&B=1" {
		t.Errorf("id = %q (link %s)", got, link)
	}
	if u.Fragment != "" || len(u.Query()) != 3 {
		t.Errorf("a value leaked into the link's structure: %s", link)
	}
}

func TestSignedLinkCheck(t *testing.T) {
	good := SignedLinkSettings{Preset: "tout-apprendre", URL: "https://v.example/?u={card}&d={time}&h={hash}"}
	good.ApplyPreset()
	tests := []struct {
		name  string
		edit  func(*SignedLinkSettings)
		field string
	}{
		{"secret in URL", func(s *SignedLinkSettings) { s.URL += "&k={secret}" }, "url"},
		{"unknown field", func(s *SignedLinkSettings) { s.URL += "&x={password}" }, "url"},
		{"unclosed brace", func(s *SignedLinkSettings) { s.URL += "&x={card" }, "url"},
		{"stray closing brace", func(s *SignedLinkSettings) { s.URL += "}" }, "url"},
		{"not https", func(s *SignedLinkSettings) { s.URL = "javascript:alert(1)//{card}" }, "url"},
		{"field in the host", func(s *SignedLinkSettings) { s.URL = "https://{card}.v.example/?h={hash}" }, "url"},
		{"unknown hash", func(s *SignedLinkSettings) { s.Hash = "crc32" }, "hash"},
		{"unsigned secret", func(s *SignedLinkSettings) { s.Signed = "{card}{time}" }, "signed"},
		{"no time token", func(s *SignedLinkSettings) { s.TimeFormat = "xyz" }, "time_format"},
		{"bad zone", func(s *SignedLinkSettings) { s.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"unknown preset", func(s *SignedLinkSettings) { s.Preset = "other" }, "preset"},
	}
	if errs := good.Check(); len(errs) != 0 {
		t.Fatalf("good settings refused: %v", errs)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			errs := s.Check()
			if errs[tt.field] == "" {
				t.Errorf("Check() = %v, want a message for %q", errs, tt.field)
			}
			if _, err := s.Build(LinkFields{Card: "1"}, "secret-key"); ErrorCode(err) != EInvalid {
				t.Errorf("Build with bad settings: got %v, want %s", err, EInvalid)
			}
		})
	}
}

// FuzzSignedLinkTemplate checks that no template and no patron value makes a
// link that carries the secret, breaks out of its query value, or panics.
func FuzzSignedLinkTemplate(f *testing.F) {
	f.Add("https://v.example/?u={card}&h={hash}", "{card}{secret}", "B001", "Le Goff")
	f.Add("https://v.example/{card}/x?d={time}", "{card}{time}{secret}", "a/b?c", "x&y=z")
	f.Add("https://v.example/?{", "{secret", "", "")
	f.Add("https://v.example/?n={lastname}#{hash}", "{secret}{lastname}", "1", "#frag")
	f.Fuzz(func(t *testing.T, urlTmpl, signed, card, name string) {
		const secret = "S3cr3t-Key-Value"
		s := SignedLinkSettings{Preset: "custom", Hash: "sha256", Signed: signed, TimeFormat: "YYYYMMDDHHmm", URL: urlTmpl}
		link, err := s.Build(LinkFields{Card: card, LastName: name, Time: time.Unix(0, 0)}, secret)
		if err != nil {
			if ErrorCode(err) != EInvalid {
				t.Fatalf("Build error is not a configuration complaint: %v", err)
			}
			return
		}
		if strings.Contains(link, secret) && !strings.Contains(urlTmpl, secret) && !strings.Contains(card+name, secret) {
			t.Fatalf("the secret leaked into %q", link)
		}
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasPrefix(urlTmpl, u.Scheme+"://"+u.Host) {
			t.Fatalf("accepted template gave a bad link %q: %v", link, err)
		}
		literal := strings.NewReplacer("{card}", "", "{lastname}", "").Replace(urlTmpl)
		if !strings.ContainsAny(literal, "&=#?") && strings.ContainsAny(card+name, "&=#?") && strings.ContainsAny(
			strings.NewReplacer(url.QueryEscape(card), "", url.QueryEscape(name), "").Replace(link), "&=#") {
			t.Fatalf("a patron value changed the link's structure: %q", link)
		}
	})
}

// A vendor's Verify accepts the links Build makes, with their fields, and
// refuses one whose fields, hash or key differ.
func TestSignedLinkVerify(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	fields := LinkFields{Card: "B0012345", UID: "42", LastName: "Le Goff", FirstName: "Anne-Soizic", Library: "FOUESNANT", Time: at, Token: "jeton"}
	tests := []struct {
		name     string
		settings SignedLinkSettings
		tamper   func(q url.Values)
		secret   string // the vendor's; "" for the one Build used
		want     map[string]string
		ok       bool
	}{
		{"sha256 of card and key", SignedLinkSettings{Preset: "mediatheque-numerique",
			URL: "https://vendor.example/entree?id={card}&nom={lastname}&h={hash}&jeton={token}"}, nil, "",
			map[string]string{"card": "B0012345", "lastname": "Le Goff", "token": "jeton"}, true},
		{"md5 with the minute", SignedLinkSettings{Preset: "tout-apprendre",
			URL: "https://vendor.example/ws?iduser={card}&d={time}&hash={hash}"}, nil, "",
			map[string]string{"card": "B0012345", "time": "202611271130"}, true},
		{"hmac-sha256", SignedLinkSettings{Preset: "custom", Hash: "hmac-sha256", Signed: "{card}|{library}",
			URL: "https://vendor.example/in?c={card}&b={library}&s={hash}"}, nil, "",
			map[string]string{"card": "B0012345", "library": "FOUESNANT"}, true},
		{"another card", SignedLinkSettings{Preset: "mediatheque-numerique",
			URL: "https://vendor.example/entree?id={card}&h={hash}"}, func(q url.Values) { q.Set("id", "B0012346") }, "", nil, false},
		{"another minute", SignedLinkSettings{Preset: "tout-apprendre",
			URL: "https://vendor.example/ws?iduser={card}&d={time}&hash={hash}"}, func(q url.Values) { q.Set("d", "202611271131") }, "", nil, false},
		{"hash in capitals", SignedLinkSettings{Preset: "mediatheque-numerique",
			URL: "https://vendor.example/entree?id={card}&h={hash}"}, func(q url.Values) { q.Set("h", strings.ToUpper(q.Get("h"))) }, "",
			map[string]string{"card": "B0012345"}, true},
		{"another key", SignedLinkSettings{Preset: "mediatheque-numerique",
			URL: "https://vendor.example/entree?id={card}&h={hash}"}, nil, "une-autre-cle", nil, false},
		{"no hash", SignedLinkSettings{Preset: "mediatheque-numerique",
			URL: "https://vendor.example/entree?id={card}&h={hash}"}, func(q url.Values) { q.Del("h") }, "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.settings.ApplyPreset()
			const key = "cle-du-fournisseur"
			link, err := tt.settings.Build(fields, key)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			if tt.tamper != nil {
				q := u.Query()
				tt.tamper(q)
				u.RawQuery = q.Encode()
			}
			secret := key
			if tt.secret != "" {
				secret = tt.secret
			}
			got, err := tt.settings.Verify(u, secret)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify(%s): error %v, want ok=%v", u, err, tt.ok)
			}
			if !tt.ok {
				if ErrorCode(err) != EForbidden {
					t.Errorf("Verify: error code %q, want %q", ErrorCode(err), EForbidden)
				}
				return
			}
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("field %s = %q, want %q", name, got[name], want)
				}
			}
		})
	}
}
