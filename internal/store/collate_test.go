package store

import (
	"slices"
	"testing"
)

func TestSortFrench(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"accents only break ties", []string{"Briec", "Bénodet", "Bannalec"}, []string{"Bannalec", "Bénodet", "Briec"}},
		{"case ignored", []string{"quimper", "Brest", "audierne"}, []string{"audierne", "Brest", "quimper"}},
		{"articles ignored", []string{"Le Relecq-Kerhuon", "La Forêt-Fouesnant", "Guipavas", "L'Hôpital-Camfrout", "Les Abers"},
			[]string{"Les Abers", "La Forêt-Fouesnant", "Guipavas", "L'Hôpital-Camfrout", "Le Relecq-Kerhuon"}},
		{"a word that starts like an article is kept", []string{"Lesneven", "Landerneau", "Lannilis"}, []string{"Landerneau", "Lannilis", "Lesneven"}},
		{"an article alone sorts as itself", []string{"Morlaix", "La", "Brest"}, []string{"Brest", "La", "Morlaix"}},
		{"numbers compare as numbers", []string{"Annexe 10", "Annexe 2"}, []string{"Annexe 2", "Annexe 10"}},
		{"equal names keep their order", []string{"brest", "Brest", "BREST"}, []string{"brest", "Brest", "BREST"}},
		{"ligatures sort as their letters", []string{"Ouessant", "Œuvres", "Odet"}, []string{"Odet", "Œuvres", "Ouessant"}},
		{"empty list", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Clone(tt.in)
			SortFrench(got, func(s string) string { return s })
			if !slices.Equal(got, tt.want) {
				t.Errorf("SortFrench(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSortFrenchByField(t *testing.T) {
	type library struct {
		ID   int
		Name string
	}
	libs := []library{{1, "Médiathèque de Quimper"}, {2, "Médiathèque d'Audierne"}, {3, "médiathèque de Brest"}}
	SortFrench(libs, func(l library) string { return l.Name })
	var ids []int
	for _, l := range libs {
		ids = append(ids, l.ID)
	}
	if want := []int{2, 3, 1}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}

func BenchmarkSortFrenchShortList(b *testing.B) {
	for b.Loop() {
		SortFrench([]string{"Cafeyn", "Tout apprendre", "Médiathèque numérique"}, func(s string) string { return s })
	}
}
