// Package testenv starts a real kube-apiserver and etcd (controller-runtime's envtest, with binaries built
// from Go modules by hack/controlplane.sh) with Wukong's CRDs and the third-party CRDs of KubeVirt, CDI and
// Multus installed. Every controller test runs against it; nothing here fakes apiserver behaviour.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/novasphere/wukong/internal/scheme"
)

// Env is a running control plane.
type Env struct {
	// Config reaches the apiserver as an administrator, without client-side rate limiting.
	Config *rest.Config
	// Client is a direct (uncached) client for that apiserver.
	Client client.Client
	// Scheme knows core Kubernetes kinds, Wukong's kinds and the KubeVirt, CDI and Multus kinds.
	Scheme *k8sruntime.Scheme
	// Kubeconfig is the path of a kubeconfig file for Config, for processes the tests start.
	Kubeconfig string
	// Assets is the folder holding kube-apiserver, etcd, kube-controller-manager and kubectl.
	Assets string

	env *envtest.Environment
	dir string
}

// RepoRoot is the repository's top folder, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// NewScheme returns a scheme with every kind the operator and its tests use: the manager's own.
func NewScheme() *k8sruntime.Scheme { return scheme.New() }

// Assets returns the folder of control-plane binaries: $KUBEBUILDER_ASSETS when set, else the cached build
// of hack/controlplane.sh (which builds it on first use).
func Assets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "hack", "controlplane.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("build control-plane binaries with hack/controlplane.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Start boots a control plane with every CRD installed.
func Start() (*Env, error) {
	assets, err := Assets()
	if err != nil {
		return nil, err
	}
	root := RepoRoot()
	sch := NewScheme()
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths: []string{
			filepath.Join(root, "config", "crd", "bases"),
			filepath.Join(root, "test", "crds", "bases"),
		},
		ErrorIfCRDPathMissing: true,
		Scheme:                sch,
	}
	// The apiserver's own priority and fairness protects it; tests and benchmarks must not be throttled by
	// the client.
	env.ControlPlane.GetAPIServer().Configure().
		Append("max-requests-inflight", "3000").
		Append("max-mutating-requests-inflight", "1000")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest with binaries from %s: %w", assets, err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wukong-testenv-")
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	e := &Env{Config: cfg, Client: c, Scheme: sch, Assets: assets, env: env, dir: dir}
	if e.Kubeconfig, err = e.writeKubeconfig(); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) writeKubeconfig() (string, error) {
	user, err := e.env.ControlPlane.AddUser(envtest.User{Name: "wukong-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(e.dir, "kubeconfig")
	return path, os.WriteFile(path, raw, 0o600)
}

// Stop ends the control plane and removes its files.
func (e *Env) Stop() error {
	err := e.env.Stop()
	_ = os.RemoveAll(e.dir)
	return err
}

// Namespace creates a namespace with a unique name for one test.
func (e *Env) Namespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := e.Client.Create(ctx, ns); err != nil {
		return "", err
	}
	return ns.Name, nil
}

// StartGarbageCollector runs the built kube-controller-manager with only its garbage collector against the
// apiserver, so ownerReference cascades happen as on a real cluster. Call the returned function to stop it.
func (e *Env) StartGarbageCollector() (stop func(), err error) {
	return e.StartControllers("garbagecollector")
}

// StartControllers runs the built kube-controller-manager with only the named controllers (for example
// garbagecollector, resourcequota). Call the returned function to stop it.
func (e *Env) StartControllers(controllers ...string) (stop func(), err error) {
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(e.Assets, "kube-controller-manager"),
		"--kubeconfig="+e.Kubeconfig,
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--kube-api-qps=1000", "--kube-api-burst=2000",
		"--concurrent-gc-syncs=20",
	)
	logFile, _ := os.Create(filepath.Join(e.dir, "kube-controller-manager.log"))
	if debug := os.Getenv("WUKONG_GC_LOG"); debug != "" {
		logFile, _ = os.Create(debug)
	}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&logs, logFile), io.MultiWriter(&logs, logFile)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start kube-controller-manager: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
		return nil, fmt.Errorf("kube-controller-manager exited at once: %s", logs.String())
	case <-time.After(500 * time.Millisecond):
	}
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}, nil
}

// Build compiles a package of this repository (a path from the repository root, such as "./cmd/wukong")
// into dir/name, without cgo as `make build` does, with extra go build flags (such as -ldflags), and returns
// the binary's path. Tests that run commands as processes build them with it.
func Build(dir, name, pkg string, extra ...string) (string, error) {
	out := filepath.Join(dir, name)
	args := append(append([]string{"build"}, extra...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}
