package store

import "strings"

// keySep separates the parts of a composite index key. NUL sorts before
// every other byte, so the keys sharing their first parts sort by the next
// one ("2026-02-01\x00b" after "2026-02-01\x00a" and before
// "2026-02-010"). Ids, dates and numbers never hold it; a part that may (a
// subject) is escaped by its index's owner or comes last. The indexes on
// disk are written with it: changing it needs a migration.
const keySep = "\x00"

// Key joins the parts of a composite index key (or of an index value that
// holds several fields): Key("2026-03-09", "m1") is "2026-03-09\x00m1".
func Key(parts ...string) string { return strings.Join(parts, keySep) }

// KeyPrefix is the prefix, for IndexScan, of the keys whose first parts
// are parts: Key(parts...) followed by the separator, so that the scan of
// "a" does not also find "ab\x00…".
func KeyPrefix(parts ...string) string { return Key(parts...) + keySep }

// SplitKey splits a composite key made by Key into n parts, the last one
// holding the rest. A key of fewer parts (a value written before a field
// was added to it) gets "" for the missing ones, and ok is false.
func SplitKey(key string, n int) (parts []string, ok bool) {
	parts = strings.SplitN(key, keySep, n)
	ok = len(parts) == n
	for len(parts) < n {
		parts = append(parts, "")
	}
	return parts, ok
}

// PrefixEnd is the least key after every key that starts with prefix, the
// end of a scan of prefix that runs from there backwards; "" when there is
// none (prefix is empty or all 0xff bytes: the scan runs from the last key).
func PrefixEnd(prefix string) string {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] < 0xff {
			return prefix[:i] + string([]byte{prefix[i] + 1})
		}
	}
	return ""
}
