package cas

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Ticket prefixes, as the specification names them: service tickets,
// proxy tickets (which Sésame never issues) and login tickets.
const (
	ServiceTicketPrefix = "ST-"
	ProxyTicketPrefix   = "PT-"
	LoginTicketPrefix   = "LT-"
)

// ticketEncoding writes 128 random bits in 26 characters of A–Z and 2–7:
// CAS allows only letters, digits and hyphens in a ticket (§3.7), so
// base64url's "_" is out, and "ST-" with 26 characters stays within the 32
// every CAS client must accept (§3.1.1).
var ticketEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomID reads 128 bits from random.
func randomID(random io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("cas: random: %w", err)
	}
	return ticketEncoding.EncodeToString(b), nil
}

// NewServiceTicket returns a fresh service ticket: "ST-" and 128 random bits.
func NewServiceTicket(random io.Reader) (string, error) {
	id, err := randomID(random)
	return ServiceTicketPrefix + id, err
}

// NewLoginTicket returns a fresh login ticket, which marks a request for
// the password so that the ticket issued after it can say it came from a
// new login.
func NewLoginTicket(random io.Reader) (string, error) {
	id, err := randomID(random)
	return LoginTicketPrefix + id, err
}

// NewUserID returns a fresh pseudonym for a patron at one resource, in
// lower case: vendors often show it, and some fold case.
func NewUserID(random io.Reader) (string, error) {
	id, err := randomID(random)
	return strings.ToLower(id), err
}

// HashTicket is what the database keeps of a ticket: its SHA-256. A ticket
// lives seconds and is used once, but hashing costs a microsecond, and then
// neither a backup nor a read of the table can be redeemed at a vendor.
func HashTicket(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return hex.EncodeToString(sum[:])
}

// printableTicket returns the ticket when it is fit to quote in an answer
// (letters, digits and hyphens, 256 characters at most, as §3.7 says
// tickets are), else "": an answer never echoes arbitrary input.
func printableTicket(t string) string {
	if t == "" || len(t) > 256 {
		return ""
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return t
}
