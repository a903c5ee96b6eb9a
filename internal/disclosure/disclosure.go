// Package disclosure holds the statistical confidentiality rule the
// platform shows counts of persons by: a count of 1 or 2 could point at
// who is counted, so a reader who may not see single answers is shown
// none below MinPersons (the rule of thumb of the Italian national
// statistics system). Open data suppresses such counts in its files;
// surveys withhold them from readers other than their assessors.
package disclosure

// MinPersons is the smallest count of persons shown to such a reader.
const MinPersons = 3

// Withheld reports whether a count of persons n is below MinPersons and
// so not shown to such a reader. Zero is shown: it points at no one.
func Withheld(n int64) bool { return n > 0 && n < MinPersons }
