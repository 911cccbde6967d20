package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/novasphere/wukong/test/harness"
	"github.com/novasphere/wukong/test/testenv"
)

// h is the control plane with the operator and the KubeVirt simulator, shared by every test: the operator
// and simulator make a created Wukong Ready, which create-vm's /readyz follows. Tests isolate themselves in
// namespaces of their own.
var h *harness.Harness

// bin is the wukong binary built from this package; the commands are tested as the processes a pod runs.
var bin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wukong-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bin, err = testenv.Build(dir, "wukong", "./cmd/wukong"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	h, err = harness.Start(harness.DefaultOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "start harness:", err)
		return 1
	}
	defer func() {
		if err := h.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop harness:", err)
		}
	}()
	return m.Run()
}

// Timeouts are generous because the machine is small and shared; a passing test normally needs a fraction.
const timeout = 60 * time.Second

// eventually waits up to the package's timeout with testenv.Eventually.
func eventually(t *testing.T, cond func() error) {
	t.Helper()
	testenv.Eventually(t, timeout, cond)
}

func namespace(t *testing.T, prefix string) string {
	t.Helper()
	ns, err := h.Namespace(t.Context(), prefix)
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns
}

// process is a running wukong command.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *testenv.SyncBuffer
	done           chan struct{}
	err            error
}

// start runs the binary with args and env (on top of this process's environment without the variables
// create-vm reads, so the test's own environment cannot leak in). The process is killed when the test ends.
func start(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "KUBECONFIG", "POD_NAME", "POD_NAMESPACE":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, stdout: &testenv.SyncBuffer{}, stderr: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(args, " "), err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("%s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.stdout, p.stderr)
		}
	})
	return p
}

// wait waits for the process to end and returns its exit code.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v", strings.Join(p.cmd.Args, " "), timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// signal sends sig and returns the exit code.
func (p *process) signal(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	return p.wait(t)
}

// run runs the binary to completion and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, nil, args...)
	code = p.wait(t)
	return code, p.stdout.String(), p.stderr.String()
}
