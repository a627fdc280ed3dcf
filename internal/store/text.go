package store

import (
	"strings"
	"unicode/utf8"
)

// storableText reports whether PostgreSQL takes s as text: valid UTF-8
// without NUL (SQLSTATE 22021 otherwise). A lookup by a key that fails it
// can find nothing, on either engine, and answers not found before it asks.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
