package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestJobTableHasEveryKind reads every job kind the code declares (a
// constant named Kind or KindXxx, as jobs.KindPurge) and checks that it is
// declared in internal/jobs/kinds.go, the one file of kinds, and that the
// job table runs it: a kind enqueued but not in the table would fail at run
// time with "no handler".
func TestJobTableHasEveryKind(t *testing.T) {
	declared := declaredKinds(t, filepath.Join("..", ".."))
	if len(declared) < 8 {
		t.Fatalf("found %d kind constants, want at least 8: %v", len(declared), declared)
	}
	table := (&App{}).jobTable(nil)
	handlers, err := jobHandlers(table)
	if err != nil {
		t.Fatal(err)
	}
	for name, kind := range declared {
		if file, _, _ := strings.Cut(name, ":"); file != "internal/jobs/kinds.go" {
			t.Errorf("%s = %q: declared outside internal/jobs/kinds.go", name, kind)
		}
		if _, ok := handlers[kind]; !ok {
			t.Errorf("%s = %q is not in the job table", name, kind)
		}
	}
	for _, k := range table {
		if k.Schedule == "" {
			t.Errorf("kind %q: no schedule", k.Kind)
		}
	}
}

// TestJobHandlersRefuseABadTable: a kind twice or without a handler stops
// the start instead of failing later.
func TestJobHandlersRefuseABadTable(t *testing.T) {
	good := (&App{}).jobTable(nil)
	tests := []struct {
		name  string
		table []jobKind
	}{
		{"twice", append(append([]jobKind{}, good...), good[0])},
		{"no handler", append(append([]jobKind{}, good...), jobKind{Kind: "x", Schedule: "jamais"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := jobHandlers(tt.table); err == nil {
				t.Fatal("jobHandlers accepted the table")
			}
		})
	}
}

var kindName = regexp.MustCompile(`^Kind([A-Z]\w*)?$`)

// declaredKinds maps "file:Name", the file's path from root, to the value of each string constant named
// like a job kind in the module's non-test Go files under root.
func declaredKinds(tb testing.TB, root string) map[string]string {
	tb.Helper()
	kinds := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !kindName.MatchString(name.Name) || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						return err
					}
					rel, err := filepath.Rel(root, path)
					if err != nil {
						return err
					}
					kinds[filepath.ToSlash(rel)+":"+name.Name] = v
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return kinds
}
