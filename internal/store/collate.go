package store

import (
	"bytes"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// frenchArticles are the leading articles a librarian skips when looking a
// name up in a list: « La Forêt-Fouesnant » is found under F.
var frenchArticles = []string{"les ", "le ", "la ", "l'", "l’"}

// withoutArticle drops one leading French article from name, whatever its
// case, unless the article is all there is.
func withoutArticle(name string) string {
	trimmed := strings.TrimSpace(name)
	lower := strings.ToLower(trimmed)
	for _, article := range frenchArticles {
		if strings.HasPrefix(lower, article) && len(trimmed) > len(article) {
			return strings.TrimSpace(trimmed[len(article):])
		}
	}
	return trimmed
}

// SortFrench sorts items in place by name in French dictionary order:
// accents only break ties (« Bénodet » before « Briec »), case and leading
// articles are ignored, and numbers compare as numbers (« Annexe 2 » before
// « Annexe 10 »). Items whose names compare equal keep their order. It is
// the one place where Sésame decides how a list of names reads.
func SortFrench[T any](items []T, name func(T) string) {
	sortFrenchWith(newFrenchCollator(), items, name)
}

// frenchCollator is the collation SortFrench uses. Making one costs tens of
// microseconds: a caller that sorts many short lists makes one for all. It
// is not safe for concurrent use.
type frenchCollator struct {
	c   *collate.Collator
	buf collate.Buffer
}

func newFrenchCollator() *frenchCollator {
	return &frenchCollator{c: collate.New(language.French, collate.IgnoreCase, collate.Numeric)}
}

func sortFrenchWith[T any](fc *frenchCollator, items []T, name func(T) string) {
	if len(items) < 2 {
		return
	}
	keys := make([][]byte, len(items))
	order := make([]int, len(items))
	for i, item := range items {
		order[i] = i
		// KeyFromString's key lives in buf until Reset: copy it.
		keys[i] = bytes.Clone(fc.c.KeyFromString(&fc.buf, withoutArticle(name(item))))
		fc.buf.Reset()
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	sorted := make([]T, len(items))
	for i, from := range order {
		sorted[i] = items[from]
	}
	copy(items, sorted)
}
