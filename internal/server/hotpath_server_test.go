package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// BenchmarkHotPathGet's servers (famid and the bare grpc-go baseline) run
// in a process of their own: this test binary run again with
// serverProcessEnv set, which runs only TestHotPathServer. Where taskset
// exists and there are two CPUs or more, that process is pinned to CPU 0
// and the benchmark's process (the load) to the others, as the issue's
// measurement was made. The server's CPU time per call is then its own,
// not mixed with the clients', whose costs differ between surfaces.

const serverProcessEnv = "RACCORDO_HOTPATH_SERVER"

// serverProfileEnv names a file for the server process's CPU profile
// (RACCORDO_HOTPATH_SERVER_CPUPROFILE=server.prof), the server's alone;
// serverMemProfileEnv one for its allocation profile, which records every
// allocation.
const (
	serverProfileEnv    = "RACCORDO_HOTPATH_SERVER_CPUPROFILE"
	serverMemProfileEnv = "RACCORDO_HOTPATH_SERVER_MEMPROFILE"
)

// readServers is what the server process tells the benchmark.
type readServers struct {
	GRPC, HTTP, Bare string // addresses: famid's gRPC and HTTP, the bare server's
	Token, Name      string // a region admin's token, the partner to get
}

// TestHotPathServer is the server process of BenchmarkHotPathGet; without
// serverProcessEnv it skips. It writes its readServers as a JSON line, then
// answers each line it reads with its CPU time so far and the time its
// threads have waited for a core (ns), until its input ends.
func TestHotPathServer(t *testing.T) {
	if os.Getenv(serverProcessEnv) == "" {
		t.Skip("the server process of BenchmarkHotPathGet, started by it")
	}
	ts := startServer(t, server.Config{Logger: benchLogger(t)})
	name := benchPartner(t, ts)
	ctx := withBearer(context.Background(), ts.token)
	fixed, err := famiv1.NewPartnerServiceClient(benchConn(t, ts.grpcAddr())).GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(readServers{GRPC: ts.grpcAddr(), HTTP: ts.httpURL(), Bare: startBare(t, fixed), Token: ts.token, Name: name}); err != nil {
		t.Fatal(err)
	}
	for in := bufio.NewScanner(os.Stdin); in.Scan(); {
		fmt.Println(int64(cpuTime()), int64(runQueueTime()))
	}
}

// serverProcess is the running server process.
type serverProcess struct {
	readServers
	pinned bool
	mu     sync.Mutex
	ask    *os.File
	answer *bufio.Scanner
}

// startServerProcess starts the server process, pinned when it can be,
// and stops it (and unpins this process) when b ends.
func startServerProcess(b *testing.B) *serverProcess {
	args := []string{os.Args[0], "-test.run", "^TestHotPathServer$", "-test.timeout", "0"}
	if f := os.Getenv(serverProfileEnv); f != "" {
		args = append(args, "-test.cpuprofile", f)
	}
	if f := os.Getenv(serverMemProfileEnv); f != "" {
		// Every allocation recorded: exact counts per call, at a cost in
		// speed that makes this run's other figures meaningless.
		args = append(args, "-test.memprofile", f, "-test.memprofilerate", "1")
	}
	_, err := exec.LookPath("taskset")
	pin := err == nil && runtime.NumCPU() >= 2
	if pin {
		args = append([]string{"taskset", "-c", "0"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), serverProcessEnv+"=1")
	ask, answer := startChild(b, cmd)
	p := &serverProcess{pinned: pin, ask: ask.(*os.File), answer: answer}
	if !p.answer.Scan() {
		b.Fatalf("the server process said nothing: %v", p.answer.Err())
	}
	if err := json.Unmarshal(p.answer.Bytes(), &p.readServers); err != nil {
		b.Fatalf("the server process said %q: %v", p.answer.Text(), err)
	}
	if pin {
		pinSelf(b, fmt.Sprintf("1-%d", runtime.NumCPU()-1))
	}
	return p
}

// startChild starts cmd, this test binary again in a child process, with
// its standard error on ours, and returns its standard input and the lines
// of its standard output. When the benchmark ends the child's standard
// input is closed, which tells it to exit, and it is waited for.
func startChild(b *testing.B, cmd *exec.Cmd) (io.WriteCloser, *bufio.Scanner) {
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	return stdin, bufio.NewScanner(stdout)
}

// times is the server process's CPU time so far, and how long its threads
// have waited for a core.
func (p *serverProcess) times() (cpu, wait time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.ask)
	if !p.answer.Scan() {
		panic(fmt.Sprintf("the server process stopped answering: %v", p.answer.Err()))
	}
	var cpuNs, waitNs int64
	if _, err := fmt.Sscan(p.answer.Text(), &cpuNs, &waitNs); err != nil {
		panic(fmt.Sprintf("the server process answered %q", p.answer.Text()))
	}
	return time.Duration(cpuNs), time.Duration(waitNs)
}

// pinSelf moves every thread of this process to cpus (taskset's list
// form) until b ends, when the former affinity is restored.
func pinSelf(b *testing.B, cpus string) {
	pid := strconv.Itoa(os.Getpid())
	out, err := exec.Command("taskset", "-p", pid).Output()
	if err != nil {
		b.Fatalf("taskset -p: %v", err)
	}
	_, mask, ok := strings.Cut(strings.TrimSpace(string(out)), ": ")
	if !ok {
		b.Fatalf("taskset -p said %q", out)
	}
	if out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, pid).CombinedOutput(); err != nil {
		b.Fatalf("taskset -a -p -c %s: %v: %s", cpus, err, out)
	}
	b.Cleanup(func() {
		if out, err := exec.Command("taskset", "-a", "-p", mask, pid).CombinedOutput(); err != nil {
			b.Errorf("taskset -a -p %s: %v: %s", mask, err, out)
		}
	})
}

// serverCPU is a round's server CPU time per call.
func serverCPU(r round) float64 { return r.serverCPUPerCall }

// serverCores is the share of a core the server process used in a round.
func serverCores(r round) float64 { return r.serverCPUPerCall * r.qps / 1e6 }
