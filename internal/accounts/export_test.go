package accounts

import "sync"

// RecordPasswordChecks has s record the hashes it checks a login's
// password against, and returns what it has recorded so far.
func RecordPasswordChecks(s *Service) (checked func() []string) {
	var (
		mu     sync.Mutex
		hashes []string
	)
	check := s.checkPassword
	s.checkPassword = func(hash, password string) (bool, error) {
		mu.Lock()
		hashes = append(hashes, hash)
		mu.Unlock()
		return check(hash, password)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), hashes...)
	}
}
