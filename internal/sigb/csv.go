package sigb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encoding is a character encoding a page offers for a CSV file.
type Encoding struct {
	Key   string // Options.Encoding's value
	Label string // French, for the list
}

// Encodings are the encodings a CSV file may be read in, the detected ones first.
func Encodings() []Encoding {
	return []Encoding{
		{"utf-8", "UTF-8"},
		{"windows-1252", "Windows-1252 (Excel sous Windows)"},
		{"iso-8859-15", "ISO-8859-15 (Latin-9)"},
	}
}

const (
	// peekSize is how much of a file detection looks at: enough for any
	// header line and a good sample of names, small enough to hold.
	peekSize = 64 << 10
	utf8BOM  = "\uFEFF"
)

// detectEncoding returns "utf-8" when the prefix is valid UTF-8 (a rune cut
// by the end of the prefix does not count against it), "windows-1252"
// otherwise: the encoding of files saved by Excel under Windows, and a
// superset of ISO-8859-1 for the letters French names use.
func detectEncoding(prefix []byte, atEOF bool) string {
	if !atEOF {
		// Drop an incomplete rune at the end: the rest of it is past the peek.
		for i := 1; i <= utf8.UTFMax-1 && i <= len(prefix); i++ {
			if utf8.RuneStart(prefix[len(prefix)-i]) {
				if !utf8.FullRune(prefix[len(prefix)-i:]) {
					prefix = prefix[:len(prefix)-i]
				}
				break
			}
		}
	}
	if utf8.Valid(prefix) {
		return "utf-8"
	}
	return "windows-1252"
}

// detectDelimiter counts ; , and tab outside quotes in the first line of the
// prefix and returns the most frequent; ; wins ties, being what French Excel
// writes. The three are ASCII, so the raw bytes of any of our encodings do.
func detectDelimiter(prefix []byte) byte {
	prefix = bytes.TrimPrefix(prefix, []byte(utf8BOM))
	// Skip leading empty lines, as the reader does to find the header.
	prefix = bytes.TrimLeft(prefix, "\r\n")
	counts := map[byte]int{}
	quoted := false
	for _, c := range prefix {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			break
		}
		if c == ';' || c == ',' || c == '\t' {
			counts[c]++
		}
	}
	best := byte(';')
	for _, c := range []byte{'\t', ','} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// csvRecord is one record as read, before the mapping gives it a meaning.
type csvRecord struct {
	line     int // physical line the record starts on
	fields   []string
	tooLong  int  // 1-based column of the first field over MaxField bytes, 0 if none
	tooMany  bool // a non-empty field beyond MaxColumns
	unclosed bool // a quoted field ran to the end of the file
}

// csvParser reads CSV records from UTF-8 text. It follows encoding/csv with
// LazyQuotes (a quote inside an unquoted field is a character; "" inside a
// quoted field is a quote; a quoted field may span lines) but bounds the
// memory of a record: encoding/csv keeps a whole record, and a stray quote
// would make it the rest of the file. It also takes a lone CR as a line end
// (old Mac exports) and leading spaces before an opening quote.
type csvParser struct {
	r     *bufio.Reader
	delim byte
	line  int    // the physical line about to be read
	buf   []byte // the record's fields, end to end: one string per record, not per field
	start int    // where the current field starts in buf
	ends  []int  // where each field of the record ends in buf
	rec   csvRecord
}

func newCSVParser(r io.Reader, delim byte) *csvParser {
	return &csvParser{r: bufio.NewReaderSize(r, 32<<10), delim: delim, line: 1}
}

// next returns the next record, io.EOF after the last one, or a read error.
// The record's fields are valid until the next call.
func (p *csvParser) next() (*csvRecord, error) {
	p.rec = csvRecord{line: p.line, fields: p.rec.fields[:0]}
	p.buf, p.start, p.ends = p.buf[:0], 0, p.ends[:0]
	quoted, started := false, false
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read CSV line %d: %w", p.line, err)
			}
			if !started {
				return nil, io.EOF
			}
			p.rec.unclosed = quoted
			p.endRecord()
			return &p.rec, nil
		}
		started = true
		if quoted {
			switch c {
			case '"':
				if n, err := p.r.Peek(1); err == nil && n[0] == '"' {
					_, _ = p.r.ReadByte()
					p.add('"')
				} else if p.closesQuote() {
					quoted = false
				} else { // a lazy quote: keep it, the field goes on
					p.add('"')
				}
			case '\r':
				p.skipLF()
				p.line++
				p.add('\n')
			case '\n':
				p.line++
				p.add('\n')
			default:
				p.add(c)
			}
			continue
		}
		switch c {
		case p.delim:
			p.endField()
		case '\r':
			p.skipLF()
			fallthrough
		case '\n':
			p.line++
			p.endRecord()
			return &p.rec, nil
		case '"':
			if len(bytes.TrimLeft(p.buf[p.start:], " ")) == 0 {
				quoted = true
				p.buf = p.buf[:p.start]
				continue
			}
			p.add(c)
		default:
			p.add(c)
		}
	}
}

// closesQuote reports whether a quote just read ends its quoted field: what
// follows is, after spaces, a delimiter, a line end or the end of the file.
func (p *csvParser) closesQuote() bool {
	for n := 1; n <= 64; n++ {
		b, err := p.r.Peek(n)
		if len(b) < n {
			return err != nil // the end of the file, or a read error next will report
		}
		switch b[n-1] {
		case ' ':
			continue
		case p.delim, '\n', '\r':
			return true
		}
		return false
	}
	return false
}

// skipLF consumes the LF of a CRLF.
func (p *csvParser) skipLF() {
	if n, err := p.r.Peek(1); err == nil && n[0] == '\n' {
		_, _ = p.r.ReadByte()
	}
}

// add appends c to the field unless it is full: the rest of an overlong
// field is read and dropped, and the record says so.
func (p *csvParser) add(c byte) {
	if len(p.buf)-p.start < MaxField {
		p.buf = append(p.buf, c)
		return
	}
	if p.rec.tooLong == 0 {
		p.rec.tooLong = len(p.ends) + 1
	}
}

// endField closes the field; fields beyond MaxColumns are dropped, and only
// count as too many when they hold something (spreadsheets pad lines with
// empty cells).
func (p *csvParser) endField() {
	if len(p.ends) >= MaxColumns {
		if len(bytes.TrimSpace(p.buf[p.start:])) > 0 {
			p.rec.tooMany = true
		}
		p.buf = p.buf[:p.start]
		return
	}
	p.ends = append(p.ends, len(p.buf))
	p.start = len(p.buf)
}

// endRecord closes the last field and cuts the record's one string into fields.
func (p *csvParser) endRecord() {
	p.endField()
	all := string(p.buf)
	from := 0
	for _, end := range p.ends {
		p.rec.fields = append(p.rec.fields, all[from:end])
		from = end
	}
}

// decoder returns r decoded from enc to UTF-8.
func decoder(r io.Reader, enc string) io.Reader {
	switch enc {
	case "windows-1252":
		return charmap.Windows1252.NewDecoder().Reader(r)
	case "iso-8859-15":
		return charmap.ISO8859_15.NewDecoder().Reader(r)
	}
	return r
}

// fixUTF8 returns s as valid UTF-8, reading each invalid byte as
// Windows-1252: a file detected as UTF-8 from its beginning may still hold
// an Excel-made line further down.
func fixUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b []byte
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size <= 1 {
			d, _ := charmap.Windows1252.NewDecoder().Bytes([]byte{s[0]})
			b = append(b, d...)
			s = s[1:]
			continue
		}
		b = append(b, s[:size]...)
		s = s[size:]
	}
	return string(b)
}
