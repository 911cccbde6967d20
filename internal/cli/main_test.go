package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/novasphere/wukong/test/testenv"
)

// The command line is tested as the built binary, against a real apiserver without the operator: the tests
// write WukongSet status and ControllerRevisions themselves, as the controller would.
var (
	env *testenv.Env
	// bin is cmd/wukong built with the version set by the linker, as make build does.
	bin string
	// pluginDir holds the same binary as kubectl-wukong, for kubectl's plugin lookup on $PATH.
	pluginDir string
)

// The values the test build gives the linker.
const (
	testVersion   = "v9.8.7-test"
	testCommit    = "0123456789abcdef0123456789abcdef01234567"
	testBuildDate = "2026-11-27T08:00:00Z"
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wukong-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pkg := "github.com/novasphere/wukong/internal/version."
	ldflags := fmt.Sprintf("-X %sversion=%s -X %sgitCommit=%s -X %sbuildDate=%s", pkg, testVersion, pkg, testCommit, pkg, testBuildDate)
	if bin, err = testenv.Build(dir, "wukong", "./cmd/wukong", "-ldflags", ldflags); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pluginDir = filepath.Join(dir, "plugins")
	if err := os.Mkdir(pluginDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	raw, err := os.ReadFile(bin)
	if err == nil {
		err = os.WriteFile(filepath.Join(pluginDir, "kubectl-wukong"), raw, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "copy the binary to kubectl-wukong:", err)
		return 1
	}
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the control plane:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the control plane:", err)
		}
	}()
	return m.Run()
}

// timeout bounds every wait; the machine is small and shared, a passing test needs a fraction.
const timeout = 60 * time.Second

// process is a running command.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *testenv.SyncBuffer
	done           chan struct{}
}

// startCmd runs path with args, with extra environment variables on top of this process's environment
// without KUBECONFIG (so the developer's cluster is never touched). It is killed when the test ends.
func startCmd(t *testing.T, extraEnv []string, path string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(path, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUBECONFIG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	p := &process{cmd: cmd, stdout: &testenv.SyncBuffer{}, stderr: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s %s: %v", path, strings.Join(args, " "), err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("%s %s\nstdout:\n%s\nstderr:\n%s", filepath.Base(path), strings.Join(args, " "), p.stdout, p.stderr)
		}
	})
	return p
}

// start runs the wukong binary.
func start(t *testing.T, args ...string) *process {
	t.Helper()
	return startCmd(t, nil, bin, args...)
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

// waitForOutput waits until the process has printed want on stdout.
func (p *process) waitForOutput(t *testing.T, want string) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		if strings.Contains(p.stdout.String(), want) {
			return nil
		}
		select {
		case <-p.done:
			t.Fatalf("exited (%v) before printing %q", p.cmd.ProcessState, want)
		default:
		}
		return fmt.Errorf("stdout %q does not show %q yet", p.stdout.String(), want)
	})
}

// run runs the wukong binary to completion.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, args...)
	code = p.wait(t)
	return code, p.stdout.String(), p.stderr.String()
}

func namespace(t *testing.T) string {
	t.Helper()
	ns, err := env.Namespace(t.Context(), "cli")
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns
}
