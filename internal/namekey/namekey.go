// Package namekey is the one rule by which the platform compares the names
// people read and type: a partner's display name against ListPartners'
// display_name filter, any name against a List's query filter, the web's
// typed choices, the titles of two projects' actions, a municipality
// against the prefix typed to find it. Every such comparison goes through
// Of, so two names that read alike are alike everywhere, and an index of
// keys (one day) agrees with a scan.
package namekey

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Of is the form in which names are compared: two names are the same name
// when their keys are equal, and a name contains a text when its key
// contains the text's key. The key is the name
//   - in compatibility form (NFKD: full-width letters, ligatures and
//     no-break spaces read as their plain letters and spaces),
//   - without accents or other combining marks ("Cantù" is "cantu"),
//     and without invisible format characters (zero-width spaces and
//     joiners, soft hyphens, bidirectional controls), which the services
//     refuse in new names (check.Text) but older names may hold,
//   - in lower case, with the letters no decomposition splits spelled out
//     (ß, æ, œ, ø), typographic apostrophes as ' and every dash as -,
//   - with each run of white space one space, and none at either end.
//
// A key is for comparing only; it is never shown.
func Of(name string) string {
	if isKey(name) {
		return name
	}
	var w keyWriter
	w.b.Grow(len(name))
	for i := 0; i < len(name); {
		r, n := utf8.DecodeRuneInString(name[i:])
		// A letter's compatibility decomposition (NFKD) is read from the
		// tables, not built: its marks are dropped, so their order, which
		// NFKD would fix, does not matter.
		d := []byte(nil)
		if r >= utf8.RuneSelf {
			d = norm.NFKD.PropertiesString(name[i : i+n]).Decomposition()
		}
		if d == nil {
			w.add(r)
		}
		for len(d) > 0 {
			dr, dn := utf8.DecodeRune(d)
			w.add(dr)
			d = d[dn:]
		}
		i += n
	}
	return w.b.String()
}

// keyWriter writes a key rune by rune (Of).
type keyWriter struct {
	b     strings.Builder
	space bool // a space is owed before the next letter
}

func (w *keyWriter) add(r rune) {
	switch {
	case unicode.IsSpace(r):
		w.space = w.b.Len() > 0
		return
	case r >= utf8.RuneSelf && unicode.In(r, unicode.Mn, unicode.Cf):
		return
	}
	if w.space {
		w.b.WriteByte(' ')
		w.space = false
	}
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		w.b.WriteByte(byte(r))
		return
	}
	r = unicode.ToLower(r)
	switch {
	case spelled[r] != "":
		w.b.WriteString(spelled[r])
	case unicode.Is(unicode.Pd, r):
		w.b.WriteByte('-')
	default:
		w.b.WriteRune(r)
	}
}

// spelled maps the lower-case letters and marks that no decomposition
// takes to their plain spelling.
var spelled = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o",
	// Typographic apostrophes, as names pasted from a word processor
	// carry them ("Sant’Orsola").
	'’': "'", '‘': "'", 'ʼ': "'",
}

// isKey reports whether s is its own key: printable ASCII without upper
// case, single spaces between words. Most names typed or stored are, and
// a scan then compares them without copying.
func isKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf, c < ' ', 'A' <= c && c <= 'Z':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return true
}

// Matcher is the one meaning of a text query, a List's query filter and
// the web's search boxes alike: an item matches when the key (Of) of any
// of its fields contains the query's key; every item matches a query whose
// key is empty. The services take a query only through aip.CheckQuery,
// which refuses one that is more than white space but has an empty key
// (accents alone), so an empty key there means no query.
func Matcher(query string) func(fields ...string) bool {
	q := Of(query)
	if q == "" {
		return func(...string) bool { return true }
	}
	return func(fields ...string) bool {
		return slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(Of(f), q) })
	}
}
