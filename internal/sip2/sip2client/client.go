// Package sip2client is a small SIP2 client for the tests, written from
// the 3M Standard Interchange Protocol 2.00 field tables, apart from the
// server's codec: it shares no code with internal/sip2, so that a mistake
// in one is caught by the other. Each request is built by hand, field by
// field; each answer is parsed here.
package sip2client

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Client speaks to one SIP2 server over one connection.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
	// ErrorDetection adds a sequence number (AY) and a checksum (AZ) to
	// every request, and checks the answers' checksums.
	ErrorDetection bool
	seq            int
}

// New wraps an open connection (plain TCP or TLS).
func New(conn net.Conn) *Client { return &Client{conn: conn, r: bufio.NewReader(conn)} }

// Dial connects over plain TCP.
func Dial(addr string) (*Client, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return New(c), nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Checksum is the specification's: the binary sum of the characters, its
// two's complement, as four hexadecimal digits.
func Checksum(s string) string {
	total := 0
	for _, b := range []byte(s) {
		total += int(b)
	}
	return fmt.Sprintf("%04X", (-total)&0xFFFF)
}

// SendRaw sends s as it is, followed by a carriage return.
func (c *Client) SendRaw(s string) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	_, err := c.conn.Write([]byte(s + "\r"))
	return err
}

// send adds the error-detection fields when enabled, sends, and reads the answer.
func (c *Client) send(s string) (*Response, error) {
	if c.ErrorDetection {
		s += "AY" + strconv.Itoa(c.seq) + "AZ"
		s += Checksum(s)
		c.seq = (c.seq + 1) % 10
	}
	if err := c.SendRaw(s); err != nil {
		return nil, err
	}
	return c.Read()
}

// Read reads one answer, up to its carriage return.
func (c *Client) Read() (*Response, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	line, err := c.r.ReadString('\r')
	if err != nil {
		return nil, err
	}
	return Parse(strings.TrimSuffix(line, "\r"))
}

// Date is the 18-character transaction date: YYYYMMDD, four spaces for
// local time, HHMMSS.
func Date(t time.Time) string { return t.Format("20060102") + "    " + t.Format("150405") }

// Login sends 93: UID and PWD algorithms 0 (no encryption), CN, CO and CP.
func (c *Client) Login(user, password string) (*Response, error) {
	return c.send("9300CN" + user + "|CO" + password + "|CPvendor|")
}

// SCStatus sends 99: status code 0 (OK), max print width 080, version 2.00.
func (c *Client) SCStatus() (*Response, error) {
	return c.send("990" + "080" + "2.00")
}

// PatronStatus sends 23: language 001 (English), date, AO, AA, AC, AD.
func (c *Client) PatronStatus(institution, patron, password string) (*Response, error) {
	return c.send("23" + "001" + Date(time.Now()) + "AO" + institution + "|AA" + patron + "|AC|AD" + password + "|")
}

// PatronInformation sends 63: language 000, date, summary of 10 spaces, AO, AA, AC, AD.
func (c *Client) PatronInformation(institution, patron, password string) (*Response, error) {
	return c.send("63" + "000" + Date(time.Now()) + "          " + "AO" + institution + "|AA" + patron + "|AC|AD" + password + "|")
}

// EndSession sends 35: date, AO, AA.
func (c *Client) EndSession(institution, patron string) (*Response, error) {
	return c.send("35" + Date(time.Now()) + "AO" + institution + "|AA" + patron + "|")
}

// Response is an answer: its code, its fixed part by the specification's
// names, its variable fields, and whether a checksum was there and right.
type Response struct {
	Raw      string
	Code     string
	Fixed    map[string]string
	Fields   map[string]string
	Sequence string // AY, "" when absent
	Checksum string // AZ, "" when absent
	// ChecksumOK is false when AZ is present and wrong.
	ChecksumOK bool
}

// fixedLayout names the fixed fields of each answer, in order, with their
// lengths (3M SIP2 2.00).
var fixedLayout = map[string][]struct {
	name string
	n    int
}{
	"94": {{"ok", 1}},
	"98": {{"online", 1}, {"checkin", 1}, {"checkout", 1}, {"renewal policy", 1}, {"status update", 1}, {"offline", 1},
		{"timeout", 3}, {"retries", 3}, {"date", 18}, {"version", 4}},
	"24": {{"patron status", 14}, {"language", 3}, {"date", 18}},
	"64": {{"patron status", 14}, {"language", 3}, {"date", 18}, {"hold items", 4}, {"overdue items", 4},
		{"charged items", 4}, {"fine items", 4}, {"recall items", 4}, {"unavailable holds", 4}},
	"36": {{"end session", 1}, {"date", 18}},
	"96": {},
}

// Parse reads an answer without its carriage return.
func Parse(s string) (*Response, error) {
	r := &Response{Raw: s, Fixed: map[string]string{}, Fields: map[string]string{}, ChecksumOK: true}
	if len(s) < 2 {
		return nil, fmt.Errorf("answer too short: %q", s)
	}
	body := s
	if i := strings.LastIndex(s, "AZ"); i >= 0 && i == len(s)-6 {
		r.Checksum = s[i+2:]
		r.ChecksumOK = Checksum(s[:i+2]) == r.Checksum
		body = s[:i]
		if j := strings.LastIndex(body, "AY"); j >= 0 && j == len(body)-3 {
			r.Sequence = body[j+2:]
			body = body[:j]
		}
	}
	r.Code = body[:2]
	layout, ok := fixedLayout[r.Code]
	if !ok {
		return nil, fmt.Errorf("unexpected answer %q", s)
	}
	pos := 2
	for _, f := range layout {
		if pos+f.n > len(body) {
			return nil, fmt.Errorf("answer %s: fixed field %q missing in %q", r.Code, f.name, s)
		}
		r.Fixed[f.name] = body[pos : pos+f.n]
		pos += f.n
	}
	rest := body[pos:]
	for rest != "" {
		end := strings.IndexByte(rest, '|')
		if end < 0 {
			return nil, fmt.Errorf("answer %s: field without its | in %q", r.Code, s)
		}
		f := rest[:end]
		if len(f) < 2 {
			return nil, fmt.Errorf("answer %s: field %q too short", r.Code, f)
		}
		r.Fields[f[:2]] = f[2:]
		rest = rest[end+1:]
	}
	return r, nil
}
