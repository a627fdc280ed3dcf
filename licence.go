package sesame

import (
	"strconv"
	"strings"
)

// Licence caps: a vendor sells a number of active users (« Nombre maximal
// d'abonnés actifs »), for the whole network or for one library. A pool
// is whose seats a patron takes: their library's own when it has a cap of
// its own for the resource, otherwise the network's, shared by every
// library without one. A patron holds a seat while they may open the
// resource (HoldsSeat); when the pool is full, an activation joins the
// waiting list (GrantWaiting) in request order, and the next in line takes
// the place that frees.

// GrantWaiting is a resource the library activated while every seat of
// its pool was taken: the patron waits for a place, in request order.
const GrantWaiting GrantState = "liste_attente"

// Field names of the licence settings on the resource form.
const (
	FieldResourceSeatCap     = "places"
	FieldResourceLibraryCap  = "places_bibliotheque_" // + the library's id
	FieldResourceYearlyPrice = "prix_annuel"
)

// MaxSeatCap bounds what the form accepts, well above any real licence.
const MaxSeatCap = 1_000_000

// NetworkPool is the pool of the libraries without a cap of their own.
const NetworkPool int64 = 0

// SeatPool returns the pool a patron of the library draws on for r, and its
// cap; a cap of 0 is no limit.
func (r *Resource) SeatPool(libraryID int64) (pool int64, seatCap int) {
	if c := r.LibraryCaps[libraryID]; c > 0 {
		return libraryID, c
	}
	return NetworkPool, r.SeatCap
}

// HoldsSeat reports whether a patron with a grant in state counts against
// the cap on day today: the resource validated and the account Validé
// within its dates, which is what lets them open it.
func HoldsSeat(p *Patron, state GrantState, today Date) bool {
	return state == GrantValidated && p.ValidOn(today)
}

// SeatFree reports whether a pool with used seats of seatCap takes one
// more patron.
func SeatFree(used, seatCap int) bool { return seatCap <= 0 || used < seatCap }

// ParseSeatCap reads a cap as typed in the resource form: empty is no
// limit (0).
func ParseSeatCap(label, s string) (int, string) {
	s = strings.TrimSpace(strings.ReplaceAll(s, " ", ""))
	if s == "" {
		return 0, ""
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxSeatCap {
		return 0, label + " : indiquez un nombre entier d'abonnés, de 1 à 1 000 000, par exemple 50, ou laissez le champ vide pour ne pas limiter."
	}
	return n, ""
}

// Cents is an amount of money in euro cents.
type Cents int64

const priceComplaint = "Prix annuel (€) : indiquez un montant en euros, par exemple 1200 ou 1 200,50, ou laissez le champ vide."

// ParsePrice reads a yearly price as typed: « 1200 », « 1 200,50 »,
// « 1200.5 », with or without « € ». Empty is no price (0).
func ParsePrice(s string) (Cents, string) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(s)
	if s == "" {
		return 0, ""
	}
	s = strings.Replace(s, ",", ".", 1)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole+frac, "0123456789") != "" || len(whole) > 9 {
		return 0, priceComplaint
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, priceComplaint
	}
	return Cents(n), ""
}

// String writes the amount as French readers do: « 1 200,50 € ».
func (c Cents) String() string {
	euros, cents := int64(c)/100, int64(c)%100
	digits := strconv.FormatInt(euros, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(d)
	}
	return b.String() + "," + strconv.FormatInt(100+cents, 10)[1:] + "\u00a0€"
}

// Form is the amount as the form shows it back: « 1200,50 », "" for none.
func (c Cents) Form() string {
	if c == 0 {
		return ""
	}
	return strconv.FormatInt(int64(c)/100, 10) + "," + strconv.FormatInt(100+int64(c)%100, 10)[1:]
}

// CostPerActiveUser is the yearly price shared by the active users; false
// when there is no price or nobody to share it.
func CostPerActiveUser(price Cents, active int) (Cents, bool) {
	if price <= 0 || active <= 0 {
		return 0, false
	}
	return Cents((int64(price) + int64(active)/2) / int64(active)), true
}
