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
	if !isASCII(name) {
		name = norm.NFKD.String(name)
	}
	var b strings.Builder
	b.Grow(len(name))
	space := false // a space is owed before the next letter
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r >= utf8.RuneSelf && unicode.In(r, unicode.Mn, unicode.Cf):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		r = unicode.ToLower(r)
		switch {
		case spelled[r] != "":
			b.WriteString(spelled[r])
		case unicode.Is(unicode.Pd, r):
			b.WriteByte('-')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Matcher is the one meaning of a text query, a List's query filter and
// the web's search boxes alike: an item matches when the key (Of) of any
// of its fields contains the query's key; every item matches a query whose
// key is empty.
func Matcher(query string) func(fields ...string) bool {
	q := Of(query)
	if q == "" {
		return func(...string) bool { return true }
	}
	return func(fields ...string) bool {
		return slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(Of(f), q) })
	}
}
