package testenv

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ClusterControllers are the kube-controller-manager controllers every cluster runs that need no nodes:
//
//   - garbage-collector-controller: ownerReference cascades (members are deleted in the foreground, children
//     with their Wukong);
//   - resourcequota-controller: a ResourceQuota's status (used) and so its limits; the set's quota pre-check
//     reads that status;
//   - namespace-controller: deleting a namespace deletes its objects and then the namespace;
//   - serviceaccount-controller: the default ServiceAccount of each namespace;
//   - serviceaccount-token-controller: tokens of legacy service-account-token Secrets;
//   - root-ca-certificate-publisher-controller: the kube-root-ca.crt ConfigMap of each namespace;
//   - clusterrole-aggregation-controller: the built-in admin, edit and view ClusterRoles gain the rules of
//     the roles labelled to aggregate into them (config/rbac's editor and viewer roles).
//
// Left out: the controllers of pods and their owners (deployment, replicaset, job, …), which would create
// pods no kubelet runs; node, volume and endpoint controllers; certificate signing, which nothing here uses.
var ClusterControllers = []string{
	"garbage-collector-controller",
	"resourcequota-controller",
	"namespace-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller",
}

// controllerAliases are kube-controller-manager's older names, which it still accepts.
var controllerAliases = map[string]string{
	"garbagecollector":        "garbage-collector-controller",
	"resourcequota":           "resourcequota-controller",
	"namespace":               "namespace-controller",
	"serviceaccount":          "serviceaccount-controller",
	"serviceaccount-token":    "serviceaccount-token-controller",
	"root-ca-cert-publisher":  "root-ca-certificate-publisher-controller",
	"clusterrole-aggregation": "clusterrole-aggregation-controller",
}

// StartClusterControllers runs ClusterControllers against the apiserver. Env.Stop stops them; so does the
// returned function.
func (e *Env) StartClusterControllers() (stop func(), err error) {
	return e.StartControllers(ClusterControllers...)
}

// StartGarbageCollector runs the built kube-controller-manager with its garbage collector against the
// apiserver, so ownerReference cascades happen as on a real cluster. Call the returned function to stop it.
func (e *Env) StartGarbageCollector() (stop func(), err error) {
	return e.StartControllers("garbage-collector-controller")
}

// StartControllers runs the built kube-controller-manager with the named controllers (for example
// garbage-collector-controller, resourcequota-controller) against the apiserver. Controllers already running
// (such as ClusterControllers, which the harness starts) are not started twice: when all are, the returned
// function does nothing. Env.Stop stops every controller process; so does the returned function.
func (e *Env) StartControllers(controllers ...string) (stop func(), err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var missing []string
	for _, c := range controllers {
		if alias, ok := controllerAliases[c]; ok {
			c = alias
		}
		if !e.running[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return func() {}, nil
	}
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(e.Assets, "kube-controller-manager"),
		"--kubeconfig="+e.Kubeconfig,
		"--controllers="+strings.Join(missing, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--kube-api-qps=1000", "--kube-api-burst=2000",
		// The keys and CA a cluster gives it: the apiserver's service-account signing key (envtest writes it
		// next to the serving certificates) for legacy token Secrets, the serving CA for kube-root-ca.crt.
		"--service-account-private-key-file="+filepath.Join(e.certDir, "sa-signer.key"),
		"--root-ca-file="+e.caFile,
		// Test namespaces hold few objects: a few workers each keep the process small.
		"--concurrent-gc-syncs=10",
		"--concurrent-resource-quota-syncs=2",
		"--concurrent-namespace-syncs=2",
		"--concurrent-serviceaccount-token-syncs=2",
	)
	logFile, _ := os.Create(filepath.Join(e.dir, "kube-controller-manager-"+strings.Join(missing, ",")+".log"))
	if debug := os.Getenv("WUKONG_KCM_LOG"); debug != "" {
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
	for _, c := range missing {
		e.running[c] = true
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			e.mu.Lock()
			for _, c := range missing {
				delete(e.running, c)
			}
			e.mu.Unlock()
		})
	}
	e.stops = append(e.stops, stop)
	return stop, nil
}
