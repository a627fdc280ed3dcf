package config

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The settings tables of the README and of docs/deployment.md name exactly
// the variables Load reads: a setting added to the code and forgotten in
// either document, or a documented one the code no longer reads, fails here.
func TestSettingsTablesMatchTheCode(t *testing.T) {
	read := map[string]bool{}
	env := func(k string) string { read[k] = true; return "" }
	if _, err := Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, env, DefaultDB); err != nil {
		t.Fatalf("Load: %v", err)
	}
	var want []string
	for k := range read {
		want = append(want, k)
	}
	slices.Sort(want)

	tests := []struct {
		file, heading string
	}{
		{"../../README.md", "### Settings"},
		{"../../docs/deployment.md", "## 2. Settings"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := documentedVariables(t, tt.file, tt.heading)
			if !slices.Equal(got, want) {
				t.Errorf("%s documents %v; the code reads %v", tt.file, got, want)
			}
		})
	}
}

var variableName = regexp.MustCompile("`(SESAME_[A-Z0-9_]+)`")

// documentedVariables lists the SESAME_* variables named in the first
// column of the first table under heading.
func documentedVariables(t testing.TB, file, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	_, section, ok := strings.Cut(string(b), heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", file, heading)
	}
	var names []string
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(line, "|")
		for _, m := range variableName.FindAllStringSubmatch(cells[1], -1) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
