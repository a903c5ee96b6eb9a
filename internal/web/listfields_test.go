package web

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRepeatedFieldsAreListed reads the templates' checkboxes and the
// hidden fields a range repeats (what an amendment leaves out), the only
// fields a page sends more than once, and checks that listFields holds
// their names and nothing else: a checkbox group left out would be
// refused as a repeated field (readForm) once two of its boxes are
// ticked.
func TestRepeatedFieldsAreListed(t *testing.T) {
	t.Parallel()
	// A group of checkboxes is the checks partial's, named in its call.
	checkbox := regexp.MustCompile(`<input type="checkbox" name="([^"]+)"|\{\{range [^}]*\}\}<input type="hidden" name="([^"]+)"|\(checks \S+ "([^"]+)"`)
	multiple := regexp.MustCompile(`<select[^>]* multiple`)
	found := map[string]bool{}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range checkbox.FindAllSubmatch(b, -1) {
			// A name made in the range (a row's) is another field each time.
			if name := string(m[1]) + string(m[2]) + string(m[3]); !strings.Contains(name, "{{") {
				found[name] = true
			}
		}
		if multiple.Match(b) {
			t.Errorf("%s has a <select multiple>: add its name to listFields and to this test", f)
		}
	}
	if got, want := slices.Sorted(maps.Keys(listFields)), slices.Sorted(maps.Keys(found)); !slices.Equal(got, want) {
		t.Errorf("listFields = %v; the templates' checkboxes are %v", got, want)
	}
}

// TestPasswordsAreNeverKept reads the templates' password fields: a form
// sent once its session is over is kept in the sign-in page (resend.go),
// and must leave each of them out (unkept). The sign-in's own are never
// kept (newKept refuses its address).
func TestPasswordsAreNeverKept(t *testing.T) {
	t.Parallel()
	password := regexp.MustCompile(`<input type="password"[^>]* name="([^"]+)"|\(fld \.Form "([^"]+)" "password"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range files {
		if f == "templates/signin.html" {
			continue
		}
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range password.FindAllSubmatch(b, -1) {
			found++
			if name := string(m[1]) + string(m[2]); !unkept[name] {
				t.Errorf("%s has a password field %q that a kept form would keep: add it to unkept", f, name)
			}
		}
	}
	if found == 0 {
		t.Error("no password field found: the test no longer reads the templates as they are written")
	}
}
