package check

// Set is a set of keys; as the keys a repeated field has listed so far, it
// finds one listed twice:
//
//	seen := check.Set[string]{}
//	for i, n := range networks {
//		if seen.Again(n) {
//			v.Add(errs.Indexed("networks", i), "%s is listed twice", n)
//		}
//	}
type Set[K comparable] map[K]bool

// Again adds k and reports whether it was already there.
func (s Set[K]) Again(k K) bool {
	was := s[k]
	s[k] = true
	return was
}
