// Package splitmix is the splitmix64 finaliser: reproducible
// pseudo-random values from an index, for the benchmarks' data sets, so
// that every run measures the same data.
package splitmix

// Mix returns the splitmix64 value of i.
func Mix(i uint64) uint64 {
	i += 0x9e3779b97f4a7c15
	i = (i ^ (i >> 30)) * 0xbf58476d1ce4e5b9
	i = (i ^ (i >> 27)) * 0x94d049bb133111eb
	return i ^ (i >> 31)
}
