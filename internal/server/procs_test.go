package server_test

import (
	"runtime"
	"runtime/debug"
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

func TestSetGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if got := server.SetGC(); got != server.GCPercent {
		t.Fatalf("SetGC = %d, want %d", got, server.GCPercent)
	}
	if was := debug.SetGCPercent(server.GCPercent); was != server.GCPercent {
		t.Errorf("GOGC after SetGC = %d, want %d", was, server.GCPercent)
	}
	// GOGC set in the environment is the operator's choice.
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	if got := server.SetGC(); got != 150 {
		t.Errorf("SetGC with GOGC=150 in the environment = %d, want it kept", got)
	}
	if was := debug.SetGCPercent(150); was != 150 {
		t.Errorf("GOGC after SetGC with GOGC=150 in the environment = %d, want 150", was)
	}
	t.Setenv("GOGC", "off")
	debug.SetGCPercent(-1)
	if got := server.SetGC(); got != -1 {
		t.Errorf("SetGC with GOGC=off in the environment = %d, want -1", got)
	}
}
