package web

import "testing"

// TestListSaysWhenTheCountStopped: a search whose count stopped at the bound
// says « plus de », and never « page N sur M » with a made-up M.
func TestListSaysWhenTheCountStopped(t *testing.T) {
	tests := []struct {
		name        string
		p           listPage
		total, page string
		paged       bool
	}{
		{"exact", listPage{Total: 25, Pages: 3, Page: 2}, "25 abonnés", "page 2 sur 3", true},
		{"one", listPage{Total: 1, Pages: 1, Page: 1}, "1 abonné", "page 1 sur 1", false},
		{"stopped", listPage{Total: 1000, More: true, Page: 3}, "plus de 1\u202f000 abonnés", "page 3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.TotalText(); got != tt.total {
				t.Errorf("TotalText: got %q, want %q", got, tt.total)
			}
			if got := tt.p.PageText(); got != tt.page {
				t.Errorf("PageText: got %q, want %q", got, tt.page)
			}
			if got := tt.p.Paged(); got != tt.paged {
				t.Errorf("Paged: got %v, want %v", got, tt.paged)
			}
		})
	}
}
