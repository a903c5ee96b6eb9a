package server_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/raccordo/raccordo/internal/server"
)

func TestProcs(t *testing.T) {
	for _, tc := range []struct {
		store       string
		cores, want int
	}{
		{"", 2, 4},
		{server.StoreBolt, 3, 6},
		{server.StoreEtcd, 2, 2},
	} {
		if got := server.Procs(server.Config{Store: tc.store}, tc.cores); got != tc.want {
			t.Errorf("Procs(store %q, %d cores) = %d, want %d", tc.store, tc.cores, got, tc.want)
		}
	}
}

func TestSetProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	first := server.SetProcs(server.Config{})
	if got := runtime.GOMAXPROCS(0); got != first {
		t.Fatalf("GOMAXPROCS after SetProcs = %d, SetProcs said %d", got, first)
	}
	if again := server.SetProcs(server.Config{}); again != first {
		t.Errorf("SetProcs again = %d, want the same %d", again, first)
	}
	// GOMAXPROCS set in the environment is the operator's choice.
	t.Setenv("GOMAXPROCS", strconv.Itoa(first+1))
	runtime.GOMAXPROCS(first + 1)
	if got := server.SetProcs(server.Config{}); got != first+1 || runtime.GOMAXPROCS(0) != first+1 {
		t.Errorf("SetProcs with GOMAXPROCS=%d in the environment = %d (GOMAXPROCS %d), want it kept", first+1, got, runtime.GOMAXPROCS(0))
	}
}
