package manager_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/manager"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// env is a control plane of this package's own, with the manager running in-process on a transport that
// records every request it sends (requests), and the simulator. It is started on first use: the pure tests
// of this package do not need it.
var (
	envOnce  sync.Once
	env      *testenv.Env
	envErr   error
	requests = &requestLog{}
	stopEnv  = func() {}
	// mgrCache is the in-process manager's cache: what it holds is what the manager's memory is made of.
	mgrCache cache.Cache
)

func TestMain(m *testing.M) {
	if os.Getenv("WUKONG_TEST_LOG_STATUS") != "" {
		ctrl.SetLogger(funcr.New(func(prefix, args string) {
			if strings.Contains(args, "write status") {
				fmt.Fprintln(os.Stderr, prefix, args)
			}
		}, funcr.Options{Verbosity: 1}))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	code := m.Run()
	stopEnv()
	os.Exit(code)
}

// startEnv returns the package's control plane, starting it, the manager and the simulator on first use.
// The simulator's imports take 3 s in four progress steps, as in the demo, so progress writes are
// exercised.
func startEnv(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() {
		env, envErr = testenv.StartWith(testenv.Options{})
		if envErr != nil {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 2)
		stopEnv = func() {
			cancel()
			for range 2 {
				select {
				case err := <-done:
					_ = err // the manager's and the simulator's own errors are logged where they happen
				case <-time.After(20 * time.Second):
				}
			}
			_ = env.Stop()
		}
		id, err := env.ManagerIdentity(ctx)
		if err != nil {
			envErr = err
			return
		}
		cfg := rest.CopyConfig(id.Config)
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &recordingTransport{next: rt, log: requests} })
		o := manager.DefaultOptions()
		o.MetricsAddr, o.ProbeAddr, o.Webhook.Port = "0", "0", -1
		mgr, err := manager.New(cfg, o)
		if err != nil {
			envErr = err
			return
		}
		wait, err := sim.Start(ctx, env.Config, sim.Options{ImportDuration: 3 * time.Second, BootDuration: time.Second})
		if err != nil {
			envErr = err
			return
		}
		go func() { done <- wait() }()
		go func() { done <- mgr.Start(ctx) }()
		mgrCache = mgr.GetCache()
		syncCtx, syncCancel := context.WithTimeout(ctx, time.Minute)
		defer syncCancel()
		if !mgr.GetCache().WaitForCacheSync(syncCtx) {
			envErr = fmt.Errorf("manager cache did not sync")
		}
	})
	if envErr != nil {
		t.Fatalf("start control plane, manager and simulator: %v", envErr)
	}
	return env
}

// request is one request the manager sent.
type request struct {
	// verb is the HTTP method; namespace and resource ("wukongs/status") come from the path.
	verb, namespace, resource string
}

// write reports whether the request changes something.
func (r request) write() bool {
	switch r.verb {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// requestLog is every request the manager sent, in order.
type requestLog struct {
	mu   sync.Mutex
	reqs []request
}

func (l *requestLog) add(r request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
}

// mark is a position in the log.
func (l *requestLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// writesSince counts the writes in namespace ns since mark, by "VERB resource".
func (l *requestLog) writesSince(mark int, ns string) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, r := range l.reqs[mark:] {
		if r.namespace == ns && r.write() {
			out[r.verb+" "+r.resource]++
		}
	}
	return out
}

// recordingTransport records each request's verb, namespace and resource before sending it.
type recordingTransport struct {
	next http.RoundTripper
	log  *requestLog
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ns, res := parsePath(req.URL.Path)
	verb := req.Method
	if req.URL.Query().Has("dryRun") {
		// A dry run writes nothing; counted apart.
		verb = "DRYRUN-" + verb
	}
	t.log.add(request{verb: verb, namespace: ns, resource: res})
	return t.next.RoundTrip(req)
}

// parsePath reads the namespace and "resource[/subresource]" of an apiserver path:
// /api/v1/namespaces/NS/RES/NAME/SUB or /apis/GROUP/VERSION/namespaces/NS/RES/NAME/SUB.
func parsePath(path string) (namespace, res string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return "", path
	}
	if len(parts) >= 2 && parts[0] == "namespaces" {
		namespace, parts = parts[1], parts[2:]
		if len(parts) == 0 {
			return "", "namespaces"
		}
	}
	if len(parts) == 0 {
		return namespace, ""
	}
	res = parts[0]
	if len(parts) >= 3 {
		res += "/" + parts[2]
	}
	return namespace, res
}

func TestParsePath(t *testing.T) {
	cases := []struct{ path, ns, res string }{
		{"/apis/vm.novasphere.dev/v1alpha1/namespaces/a/wukongs/w/status", "a", "wukongs/status"},
		{"/apis/kubevirt.io/v1/namespaces/a/virtualmachines/w", "a", "virtualmachines"},
		{"/api/v1/namespaces/a/secrets", "a", "secrets"},
		{"/apis/events.k8s.io/v1/namespaces/a/events", "a", "events"},
		{"/api/v1/namespaces/a", "", "namespaces"},
		{"/apis/vm.novasphere.dev/v1alpha1/wukongs", "", "wukongs"},
	}
	for _, c := range cases {
		if ns, res := parsePath(c.path); ns != c.ns || res != c.res {
			t.Errorf("parsePath(%q) = %q, %q, want %q, %q", c.path, ns, res, c.ns, c.res)
		}
	}
}

// formatWrites renders writes by resource, each divided by members, for a log line.
func formatWrites(w map[string]int, members int) string {
	keys := make([]string, 0, len(w))
	total := 0
	for k, n := range w {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%.2f per member:", float64(total)/float64(members))
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %.2f;", k, float64(w[k])/float64(members))
	}
	return b.String()
}

// sumWrites adds the writes of the resources given, all when none are.
func sumWrites(w map[string]int, resources ...string) int {
	n := 0
	for k, v := range w {
		_, res, _ := strings.Cut(k, " ")
		if len(resources) == 0 || slices.Contains(resources, res) {
			n += v
		}
	}
	return n
}

// newSet is a WukongSet of n small members: one image disk, no networks, no user.
func newSet(ns, name string, n int32) *vmv1alpha1.WukongSet {
	return &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: &n,
			Template: vmv1alpha1.WukongTemplateSpec{Spec: vmv1alpha1.WukongSpec{
				CPU: 1, Memory: resource.MustParse("1Gi"),
				Disks: []vmv1alpha1.Disk{{Name: "root", Size: resource.MustParse("10Gi"), Image: "docker://quay.io/containerdisks/fedora:41"}},
			}},
		},
	}
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
