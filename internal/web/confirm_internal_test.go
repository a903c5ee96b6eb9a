package web

import (
	"go/ast"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestEveryDialogAsksOnTheServerToo: the questions the pages' forms ask in
// the script's dialog (data-confirm) are exactly those the routes ask
// before acting (confirmation{heading, question} in the code), so that no
// form asks only in a browser that runs the script, where a browser
// without it would act at the first press. Each confirmation is headed by
// a question of its own. The behaviour of each is in
// TestConfirmationsWithoutScript and TestIrreversibleActionsAskFirst.
func TestEveryDialogAsksOnTheServerToo(t *testing.T) {
	t.Parallel()
	var asked []string
	dialog := regexp.MustCompile(`data-confirm="\{\{t "([a-z_.]+)"\}\}"`)
	err := eachFile(templateFS, "templates", func(_ string, b []byte) {
		for _, m := range dialog.FindAllSubmatch(b, -1) {
			asked = append(asked, string(m[1]))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	confirmed := confirmationsInCode(t)
	var questions, headings []string
	for _, c := range confirmed {
		questions, headings = append(questions, c.Question), append(headings, c.Heading)
		if !hasMsg(c.Heading) || !hasMsg(c.Question) || msg(c.Heading) == msg(c.Question) {
			t.Errorf("%v: want a heading and a question of the catalogue, each its own", c)
		}
	}
	slices.Sort(asked)
	slices.Sort(questions)
	if !slices.Equal(asked, questions) {
		t.Errorf("the pages ask in a dialog\n%q\nthe routes ask before acting\n%q", asked, questions)
	}
	slices.Sort(headings)
	if len(slices.Compact(headings)) != len(confirmed) {
		t.Errorf("two confirmations share a heading: %q", headings)
	}
	if len(confirmed) < 11 {
		t.Errorf("found %d confirmations in the code, want at least the 11 of TestConfirmationsWithoutScript and TestIrreversibleActionsAskFirst", len(confirmed))
	}
}

// confirmationsInCode is every confirmation{heading, question} literal of
// the package's code.
func confirmationsInCode(t *testing.T) []confirmation {
	t.Helper()
	var out []confirmation
	inspectCode(t, func(fset *token.FileSet, n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "confirmation" {
			return true
		}
		var keys []string
		for _, e := range lit.Elts {
			if s, ok := e.(*ast.BasicLit); ok && s.Kind == token.STRING {
				k, _ := strconv.Unquote(s.Value)
				keys = append(keys, k)
			}
		}
		if len(keys) != 2 {
			t.Fatalf("%s: a confirmation whose keys are not two literals, {heading, question}", fset.Position(lit.Pos()))
		}
		out = append(out, confirmation{Heading: keys[0], Question: keys[1]})
		return true
	})
	return out
}
