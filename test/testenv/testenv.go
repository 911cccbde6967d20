// Package testenv starts a real kube-apiserver and etcd (controller-runtime's envtest, with binaries built
// from Go modules by hack/controlplane.sh) with Wukong's CRDs and the third-party CRDs of KubeVirt, CDI and
// Multus installed. Every controller test runs against it; nothing here fakes apiserver behaviour.
package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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
	// AuditLog is the path of the apiserver's audit log (JSON lines), empty unless Options.AuditUsers is set.
	AuditLog string

	env *envtest.Environment
	dir string
	// certDir holds the apiserver's certificates and its service-account signing key (envtest's files).
	certDir string
	// caFile is the CA of the apiserver's serving certificate, the cluster's root CA.
	caFile string

	mu sync.Mutex
	// running are the kube-controller-manager controllers started so far; stops ends their processes.
	running  map[string]bool
	stops    []func()
	identity *ManagerIdentity
}

// Options tune the control plane Start boots.
type Options struct {
	// AuditUsers, when not empty, makes the apiserver write an audit log of these users' requests (level
	// Metadata: who, verb, resource, subresource, namespace, response code; no bodies) to Env.AuditLog.
	AuditUsers []string
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

// Start boots a control plane with every CRD installed and the admission plugins of a cluster.
func Start() (*Env, error) { return StartWith(Options{}) }

// StartWith boots a control plane with every CRD installed, tuned by o.
func StartWith(o Options) (*Env, error) {
	assets, err := Assets()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wukong-testenv-")
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
		// envtest's 20s default is too short when `go test ./...` starts several control planes at once on
		// a loaded 2-core machine: kube-apiserver then fails to start in time. A slow start is not a failure.
		ControlPlaneStartTimeout: 2 * time.Minute,
		Scheme:                   sch,
	}
	args := env.ControlPlane.GetAPIServer().Configure()
	// The apiserver's own priority and fairness protects it; tests and benchmarks must not be throttled by
	// the client.
	args.Append("max-requests-inflight", "3000").Append("max-mutating-requests-inflight", "1000")
	// The admission plugins of a cluster: kube-apiserver's defaults (NamespaceLifecycle, ServiceAccount,
	// ResourceQuota, the webhooks, …), which envtest keeps except ServiceAccount (it disables that one because
	// it runs no controller creating default ServiceAccounts; ClusterControllers do), plus
	// OwnerReferencesPermissionEnforcement, which OpenShift enables: setting blockOwnerDeletion needs update on
	// the owner's finalizers, changing an object's ownerReferences needs delete on it.
	args.Disable("disable-admission-plugins")
	args.Set("enable-admission-plugins", "OwnerReferencesPermissionEnforcement")
	auditLog := ""
	if len(o.AuditUsers) > 0 {
		policy := filepath.Join(dir, "audit-policy.yaml")
		if err := os.WriteFile(policy, auditPolicy(o.AuditUsers), 0o600); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		auditLog = filepath.Join(dir, "audit.log")
		args.Set("audit-policy-file", policy).Set("audit-log-path", auditLog).Set("audit-log-format", "json").
			Set("audit-log-mode", "blocking")
	}
	cfg, err := env.Start()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start envtest with binaries from %s: %w", assets, err)
	}
	cfg.QPS, cfg.Burst = -1, 0
	e := &Env{
		Config: cfg, Scheme: sch, Assets: assets, AuditLog: auditLog, env: env, dir: dir,
		certDir: env.ControlPlane.APIServer.CertDir, caFile: filepath.Join(dir, "ca.crt"),
		running: map[string]bool{},
	}
	if e.Client, err = client.New(cfg, client.Options{Scheme: sch}); err != nil {
		_ = e.Stop()
		return nil, err
	}
	if err := os.WriteFile(e.caFile, env.ControlPlane.APIServer.SecureServing.CA, 0o600); err != nil {
		_ = e.Stop()
		return nil, err
	}
	if e.Kubeconfig, err = e.writeKubeconfig(); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

// auditPolicy logs the users' requests at level Metadata, once each (when the response is complete), and
// nothing else.
func auditPolicy(users []string) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived, ResponseStarted]\nrules:\n")
	b.WriteString("- level: Metadata\n  users:\n")
	for _, u := range users {
		fmt.Fprintf(&b, "  - %q\n", u)
	}
	b.WriteString("- level: None\n")
	return []byte(b.String())
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

// Stop ends the controllers started with StartControllers, the control plane, and removes its files.
func (e *Env) Stop() error {
	e.mu.Lock()
	stops := e.stops
	e.stops = nil
	e.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
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
