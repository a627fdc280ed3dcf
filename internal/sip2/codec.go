package sip2

import (
	"fmt"
	"strings"
	"time"
)

// message is one SIP2 message as received: its two-digit code, the fixed
// fields that follow the code, and the variable fields by their two-letter
// identifier (the first occurrence of each). seq is the sequence number
// (AY) when the client sent one, -1 otherwise: the answer then carries
// AY and AZ too.
type message struct {
	code   string
	fixed  string
	fields map[string]string
	seq    int
}

// fixedLengths is the length of the fixed part after the code of each
// request Sésame answers (3M SIP2 2.00).
var fixedLengths = map[string]int{
	"93": 2,  // UID algorithm, PWD algorithm
	"99": 8,  // status code, max print width, protocol version
	"23": 21, // language, transaction date
	"63": 31, // language, transaction date, summary
	"35": 18, // transaction date
	"97": 0,  // request ACS resend
}

// errChecksum is a message whose AZ does not match its bytes.
var errChecksum = fmt.Errorf("sip2: bad checksum")

// checksum is the 3M checksum of b: the two's complement of the sum of
// its bytes, 16 bits, as four upper-case hexadecimal digits.
func checksum(b string) string {
	var sum uint16
	for i := 0; i < len(b); i++ {
		sum += uint16(b[i])
	}
	return fmt.Sprintf("%04X", -sum)
}

// parse reads one message without its terminating carriage return. A
// message that ends with AYnAZxxxx has its checksum verified.
func parse(line string) (*message, error) {
	m := &message{seq: -1, fields: map[string]string{}}
	if n := len(line); n >= 9 && line[n-9:n-7] == "AY" && line[n-6:n-4] == "AZ" && line[n-7] >= '0' && line[n-7] <= '9' {
		if !strings.EqualFold(checksum(line[:n-4]), line[n-4:]) {
			return nil, errChecksum
		}
		m.seq = int(line[n-7] - '0')
		line = line[:n-9]
	} else if n >= 6 && line[n-6:n-4] == "AZ" {
		// A checksum without a sequence number.
		if !strings.EqualFold(checksum(line[:n-4]), line[n-4:]) {
			return nil, errChecksum
		}
		line = line[:n-6]
	}
	if len(line) < 2 {
		return nil, fmt.Errorf("sip2: message too short")
	}
	m.code = line[:2]
	fixed, ok := fixedLengths[m.code]
	if !ok {
		return m, nil
	}
	if len(line) < 2+fixed {
		return nil, fmt.Errorf("sip2: message %s: fixed fields too short", m.code)
	}
	m.fixed = line[2 : 2+fixed]
	for _, f := range strings.Split(line[2+fixed:], "|") {
		if len(f) < 2 {
			continue
		}
		if _, seen := m.fields[f[:2]]; !seen {
			m.fields[f[:2]] = f[2:]
		}
	}
	return m, nil
}

// answer builds a response: code, fixed fields, then variable fields in
// order, each ended with "|".
type answer struct{ b strings.Builder }

func newAnswer(code string, fixed ...string) *answer {
	a := &answer{}
	a.b.WriteString(code)
	for _, f := range fixed {
		a.b.WriteString(f)
	}
	return a
}

// field adds a variable field. The value loses what would end the field
// or the message early: "|" and control characters.
func (a *answer) field(id, value string) *answer {
	a.b.WriteString(id)
	a.b.WriteString(strings.Map(func(r rune) rune {
		if r == '|' || r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, value))
	a.b.WriteByte('|')
	return a
}

// bytes is the message to send: with AY and AZ when the request had a
// sequence number (seq >= 0), then the carriage return.
func (a *answer) bytes(seq int) []byte {
	s := a.b.String()
	if seq >= 0 {
		s += fmt.Sprintf("AY%dAZ", seq)
		s += checksum(s)
	}
	return []byte(s + "\r")
}

// sipDate is a transaction date as SIP2 writes it: YYYYMMDDZZZZHHMMSS,
// ZZZZ being four spaces for local time.
func sipDate(t time.Time) string {
	return t.Format("20060102") + "    " + t.Format("150405")
}

// yn is a boolean as SIP2's Y/N fields say it.
func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}
