package server_test

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
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

// cgroupRoot lays files (path under the root: content) in a new directory,
// a machine's root as the cgroup reading sees it.
func cgroupRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// v1NoLimit is what cgroup v1 reads as no limit: the largest int64
// rounded down to a 4 KiB page.
const v1NoLimit = "9223372036854771712\n"

func TestCgroupMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	// v1Lines is a machine with the v1 hierarchies and the empty v2 one,
	// as systemd's hybrid mode and this project's CI machine have.
	const v1Lines = "9:name=systemd:/\n4:memory:/process_api/51c8\n1:cpu,cpuacct:/\n0::/\n"
	for _, tt := range []struct {
		name  string
		files map[string]string
		limit int64
		file  string // "" for no limit
		err   string // part of the error, "" for none
	}{
		{name: "v2", files: map[string]string{
			"proc/self/cgroup": "0::/system.slice/famid.service\n",
			"sys/fs/cgroup/system.slice/famid.service/memory.max": "536870912\n",
			"sys/fs/cgroup/system.slice/memory.max":               "max\n",
		}, limit: 512 * mib, file: "sys/fs/cgroup/system.slice/famid.service/memory.max"},
		{name: "v2, a lower limit above", files: map[string]string{
			"proc/self/cgroup": "0::/system.slice/famid.service\n",
			"sys/fs/cgroup/system.slice/famid.service/memory.max": "536870912\n",
			"sys/fs/cgroup/system.slice/memory.max":               "268435456\n",
		}, limit: 256 * mib, file: "sys/fs/cgroup/system.slice/memory.max"},
		{name: "v2, limited above only", files: map[string]string{
			"proc/self/cgroup": "0::/system.slice/famid.service\n",
			"sys/fs/cgroup/system.slice/famid.service/memory.max": "max\n",
			"sys/fs/cgroup/system.slice/memory.max":               "268435456\n",
		}, limit: 256 * mib, file: "sys/fs/cgroup/system.slice/memory.max"},
		{name: "v2, in a cgroup namespace", files: map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "1073741824",
		}, limit: 1024 * mib, file: "sys/fs/cgroup/memory.max"},
		{name: "v2, unlimited", files: map[string]string{
			"proc/self/cgroup":                    "0::/user.slice\n",
			"sys/fs/cgroup/user.slice/memory.max": "max\n",
		}},
		{name: "v1", files: map[string]string{
			"proc/self/cgroup": v1Lines,
			"sys/fs/cgroup/memory/process_api/51c8/memory.limit_in_bytes": "536870912\n",
			"sys/fs/cgroup/memory/process_api/memory.limit_in_bytes":      v1NoLimit,
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                  v1NoLimit,
			"sys/fs/cgroup/memory.max":                                    "1", // the v2 hierarchy has no memory controller here
		}, limit: 512 * mib, file: "sys/fs/cgroup/memory/process_api/51c8/memory.limit_in_bytes"},
		{name: "v1, a container's own cgroup at the mount point", files: map[string]string{
			"proc/self/cgroup":                           "4:memory:/docker/0123abcd\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
		}, limit: 256 * mib, file: "sys/fs/cgroup/memory/memory.limit_in_bytes"},
		{name: "v1, unlimited", files: map[string]string{
			"proc/self/cgroup": v1Lines,
			"sys/fs/cgroup/memory/process_api/51c8/memory.limit_in_bytes": v1NoLimit,
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                  v1NoLimit,
		}},
		{name: "not in a cgroup", files: map[string]string{"etc/hostname": "famid\n"}},
		{name: "limit files missing", files: map[string]string{"proc/self/cgroup": "0::/init.scope\n"}},
		{name: "no memory controller", files: map[string]string{"proc/self/cgroup": "2:cpu:/\n1:name=systemd:/\n"}},
		{name: "garbage limit", files: map[string]string{
			"proc/self/cgroup":               "0::/famid\n",
			"sys/fs/cgroup/famid/memory.max": "lots\n",
		}, err: `sys/fs/cgroup/famid/memory.max: "lots" is not a memory limit`},
		{name: "negative limit", files: map[string]string{
			"proc/self/cgroup": v1Lines,
			"sys/fs/cgroup/memory/process_api/51c8/memory.limit_in_bytes": "-1\n",
		}, err: `memory.limit_in_bytes: "-1" is not a memory limit`},
		{name: "garbage cgroup list", files: map[string]string{"proc/self/cgroup": "\x00\x01 nothing here\n"}, err: "proc/self/cgroup: \"\\x00\\x01 nothing here\\n\" is not a list of cgroups"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := cgroupRoot(t, tt.files)
			limit, file, err := server.CgroupMemoryLimit(root)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.file != "" {
				want = filepath.Join(root, tt.file)
			}
			if limit != tt.limit || file != want {
				t.Errorf("limit %d from %q, want %d from %q", limit, file, tt.limit, want)
			}
		})
	}
}

// FuzzCgroupMemoryLimit lays any /proc/self/cgroup and any limit file, at
// the top of both hierarchies so that every walk up reaches one: the
// reading ends, never names a file outside the root however the paths
// climb, and a limit it finds is positive, read from the file it names.
func FuzzCgroupMemoryLimit(f *testing.F) {
	for _, s := range []string{"0::/famid\n", "4:memory:/docker/0123abcd\n0::/\n", "0::/../../../etc\n", "0::/a/./b//c/..\n",
		"1:memory,cpu:/x\x00y\n", ":::\n", "0::\n", "\n\n"} {
		for _, limit := range []string{"536870912\n", "max", "-1", v1NoLimit, "9223372036854775807", " 4096 ", "0x1000", ""} {
			f.Add(s, limit)
		}
	}
	f.Fuzz(func(t *testing.T, cgroup, content string) {
		root := cgroupRoot(t, map[string]string{"proc/self/cgroup": cgroup,
			"sys/fs/cgroup/memory.max": content, "sys/fs/cgroup/memory/memory.limit_in_bytes": content})
		limit, file, err := server.CgroupMemoryLimit(root)
		switch {
		case err != nil:
		case (limit == 0) != (file == ""), limit < 0:
			t.Fatalf("limit %d from %q", limit, file)
		case file != "" && !strings.HasPrefix(file, root+string(filepath.Separator)):
			t.Fatalf("limit %d from %q, outside %q", limit, file, root)
		case file != "":
			b, err := os.ReadFile(file)
			if n, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil || perr != nil || n != limit {
				t.Fatalf("limit %d from %q, which holds %q", limit, file, b)
			}
		}
	})
}

func TestSetMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "") // as unset: the variable counts only when not empty
	check := func(t *testing.T, root, wantLimit string, wantBytes int64, wantWhy string) {
		t.Helper()
		limit, why := server.SetMemoryLimitUnder(root)
		if limit != wantLimit || !strings.Contains(why, wantWhy) {
			t.Errorf("SetMemoryLimit = %q, %q; want %q, with %q", limit, why, wantLimit, wantWhy)
		}
		if got := debug.SetMemoryLimit(-1); got != wantBytes {
			t.Errorf("memory limit in force %d, want %d", got, wantBytes)
		}
	}
	limited := cgroupRoot(t, map[string]string{
		"proc/self/cgroup":               "0::/famid\n",
		"sys/fs/cgroup/famid/memory.max": "536870912\n",
	})
	// 90% of 512 MiB is 460.8 MiB, rounded down to a MiB.
	file := filepath.Join(limited, "sys/fs/cgroup/famid/memory.max")
	t.Run("cgroup", func(t *testing.T) {
		check(t, limited, "460MiB", 460<<20, "90% of the cgroup's 512MiB in "+file)
	})
	t.Run("a cgroup under a MiB", func(t *testing.T) {
		// 90% of 1 MiB is under a MiB: kept as bytes, not rounded to 0.
		tiny := cgroupRoot(t, map[string]string{
			"proc/self/cgroup":               "0::/famid\n",
			"sys/fs/cgroup/famid/memory.max": "1048576\n",
		})
		check(t, tiny, "943718", 943718, "90% of the cgroup's 1MiB")
	})
	t.Run("no cgroup limit", func(t *testing.T) {
		debug.SetMemoryLimit(1 << 30) // left by someone: no limit turns it off
		check(t, cgroupRoot(t, map[string]string{"proc/self/cgroup": "0::/\n"}), "off", math.MaxInt64, "no cgroup memory limit")
	})
	t.Run("garbage", func(t *testing.T) {
		garbage := cgroupRoot(t, map[string]string{
			"proc/self/cgroup":               "0::/famid\n",
			"sys/fs/cgroup/famid/memory.max": "512M\n",
		})
		check(t, garbage, "off", math.MaxInt64, filepath.Join(garbage, "sys/fs/cgroup/famid/memory.max")+`: "512M" is not a memory limit`)
	})
	// GOMEMLIMIT set in the environment is the operator's choice, over the
	// cgroup's; the runtime read it as the process started.
	t.Run("environment", func(t *testing.T) {
		t.Setenv("GOMEMLIMIT", "300MiB")
		debug.SetMemoryLimit(300 << 20)
		check(t, limited, "300MiB", 300<<20, "GOMEMLIMIT in the environment")
		t.Setenv("GOMEMLIMIT", "off")
		debug.SetMemoryLimit(math.MaxInt64)
		check(t, limited, "off", math.MaxInt64, "GOMEMLIMIT in the environment")
		t.Setenv("GOMEMLIMIT", "123456789")
		debug.SetMemoryLimit(123456789)
		check(t, limited, "123456789", 123456789, "GOMEMLIMIT in the environment")
	})
}
