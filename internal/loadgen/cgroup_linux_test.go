package loadgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestConfineCPU moves a real process into a cgroup with the quota asked
// for, then back where it was, removing the cgroup; also once the process
// has exited. It needs root and the cgroup v1 cpu controller.
func TestConfineCPU(t *testing.T) {
	skipUnlessCgroupWritable(t)
	for _, exits := range []bool{false, true} {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		home, err := cpuCgroupOf(pid)
		if err != nil {
			t.Fatal(err)
		}
		release, err := ConfineCPU(pid, 0.25)
		if err != nil {
			cmd.Process.Kill()
			t.Fatal(err)
		}
		group, err := cpuCgroupOf(pid)
		if err != nil || !strings.HasPrefix(group, "/famiload-") || !strings.HasSuffix(group, "-server") {
			t.Errorf("confined, the process is in cpu cgroup %q (%v), want famiload's", group, err)
		}
		dir := filepath.Join(cgroupCPU, group)
		for file, want := range map[string]string{"cpu.cfs_period_us": "10000", "cpu.cfs_quota_us": "2500", "cpu.shares": "8192"} {
			if b, err := os.ReadFile(filepath.Join(dir, file)); err != nil || strings.TrimSpace(string(b)) != want {
				t.Errorf("%s: %q (%v), want %s", file, b, err, want)
			}
		}
		if exits {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if err := release(); err != nil {
			t.Errorf("release (process exited: %v): %v", exits, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still there after release (%v)", dir, err)
		}
		if !exits {
			if back, err := cpuCgroupOf(pid); err != nil || back != home {
				t.Errorf("released, the process is in %q (%v), want %q", back, err, home)
			}
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
}

// TestWeighCPU moves the test's own process into a cgroup with the weight
// and no quota, and back.
func TestWeighCPU(t *testing.T) {
	skipUnlessCgroupWritable(t)
	home, err := cpuCgroupOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	release, err := WeighCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	group, _ := cpuCgroupOf(os.Getpid())
	dir := filepath.Join(cgroupCPU, group)
	for file, want := range map[string]string{"cpu.cfs_quota_us": "-1", "cpu.shares": "8192"} {
		if b, err := os.ReadFile(filepath.Join(dir, file)); err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s: %q (%v), want %s", file, b, err, want)
		}
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if back, _ := cpuCgroupOf(os.Getpid()); back != home || !strings.HasSuffix(group, "-generator") {
		t.Errorf("in %q, then %q; want famiload's generator group, then %q", group, back, home)
	}
}

func skipUnlessCgroupWritable(t *testing.T) {
	t.Helper()
	const wOK = 2 // access(2)'s W_OK
	if err := syscall.Access(filepath.Join(cgroupCPU, "cgroup.procs"), wOK); err != nil {
		t.Skipf("no writable cgroup v1 cpu controller at %s: %v", cgroupCPU, err)
	}
}

// TestConfineCPURefuses names what is missing.
func TestConfineCPURefuses(t *testing.T) {
	if _, err := WeighCPU(0); err == nil || !strings.Contains(err.Error(), "process id") {
		t.Errorf("pid 0: %v, want an error naming the process id", err)
	}
	if _, err := ConfineCPU(os.Getpid(), 0); err == nil || !strings.Contains(err.Error(), "quota") {
		t.Errorf("0 cores: %v, want an error naming the quota", err)
	}
	old := cgroupCPU
	cgroupCPU = t.TempDir()
	defer func() { cgroupCPU = old }()
	if _, err := WeighCPU(os.Getpid()); err == nil || !strings.Contains(err.Error(), "cgroup v1 cpu controller") {
		t.Errorf("no controller: %v, want an error saying so", err)
	}
}
