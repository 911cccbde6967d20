package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/test/authz"
	"github.com/novasphere/wukong/test/testenv"
)

const (
	ns      = "wukong-system"
	manager = "wukong-manager" // the ServiceAccount and the ClusterRole
)

func apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, opts ...client.ApplyOption) error {
	for _, o := range objs {
		opts := append([]client.ApplyOption{client.FieldOwner("install-test"), client.ForceOwnership}, opts...)
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), opts...); err != nil {
			return fmt.Errorf("apply %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

func TestInstall(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()

	warned := &authz.Warnings{}
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandlerWithContext = warned
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}

	// In the build's own order, as `kubectl apply` of the output would: a namespaced object before its
	// Namespace fails. The CRDs are already installed by testenv; applying them takes them over, as an
	// upgrade would.
	objs := build(t, "default")
	if err := apply(ctx, c, objs); err != nil {
		t.Fatal(err)
	}
	// The namespace warns about workloads that break the restricted Pod Security Standard; the manager's
	// Deployment must not.
	if w := warned.Take(); len(w) > 0 {
		t.Errorf("applying config/default drew warnings: %q", w)
	}

	t.Run("apply is idempotent", func(t *testing.T) {
		before := testenv.ResourceVersions(ctx, t, c, objs)
		if err := apply(ctx, c, objs); err != nil {
			t.Fatal(err)
		}
		if after := testenv.ResourceVersions(ctx, t, c, objs); !reflect.DeepEqual(before, after) {
			for k := range before {
				if before[k] != after[k] {
					t.Errorf("re-applying changed %s (resourceVersion %s → %s)", k, before[k], after[k])
				}
			}
		}
	})

	t.Run("deployment", func(t *testing.T) { checkDeployment(ctx, t, c) })

	t.Run("restricted pod security", func(t *testing.T) {
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wukong-controller-manager"}, &d); err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "manager-", Labels: d.Spec.Template.Labels},
			Spec:       *d.Spec.Template.Spec.DeepCopy(),
		}
		// The namespace enforces the restricted standard on pods: the manager's pod is admitted ...
		if err := c.Create(ctx, pod.DeepCopy(), client.DryRunAll); err != nil {
			t.Fatalf("the manager's pod is refused in %s: %v", ns, err)
		}
		// ... and the check is live: the same pod allowed to escalate privileges is refused.
		loose := pod.DeepCopy()
		loose.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
		err := c.Create(ctx, loose, client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), "restricted") {
			t.Fatalf("a pod that may escalate privileges in %s: err = %v, want a PodSecurity restricted violation", ns, err)
		}
	})

	t.Run("rbac objects", func(t *testing.T) { checkRBACObjects(ctx, t, c) })

	t.Run("manager permissions", func(t *testing.T) {
		sa := authz.ServiceAccount(ns, manager)
		allowed := []authz.Access{
			{NS: "team-a", Verb: "create", Group: "vm.novasphere.dev", Resource: "wukongs"},
			{NS: "team-a", Verb: "delete", Group: "vm.novasphere.dev", Resource: "wukongs"},
			{NS: "team-a", Verb: "patch", Group: "vm.novasphere.dev", Resource: "wukongs", Sub: "status"},
			{NS: "team-a", Verb: "patch", Group: "vm.novasphere.dev", Resource: "wukongsets", Sub: "status"},
			{NS: "team-a", Verb: "update", Group: "vm.novasphere.dev", Resource: "wukongsets"},
			{Verb: "watch", Group: "vm.novasphere.dev", Resource: "wukongsets"},
			{Verb: "list", Group: "vm.novasphere.dev", Resource: "wukongs"},
			{NS: "team-a", Verb: "create", Group: "kubevirt.io", Resource: "virtualmachines"},
			{NS: "team-a", Verb: "patch", Group: "kubevirt.io", Resource: "virtualmachines"},
			{Verb: "watch", Group: "kubevirt.io", Resource: "virtualmachineinstances"},
			{NS: "team-a", Verb: "create", Group: "cdi.kubevirt.io", Resource: "datavolumes"},
			{NS: "team-a", Verb: "create", Group: "k8s.cni.cncf.io", Resource: "network-attachment-definitions"},
			{NS: "team-a", Verb: "create", Resource: "secrets"},
			{Verb: "watch", Resource: "secrets"},
			{NS: "team-a", Verb: "create", Group: "events.k8s.io", Resource: "events"},
			// Owner references with blockOwnerDeletion, under OwnerReferencesPermissionEnforcement.
			{NS: "team-a", Verb: "update", Group: "vm.novasphere.dev", Resource: "wukongs", Sub: "finalizers"},
			{NS: "team-a", Verb: "update", Group: "vm.novasphere.dev", Resource: "wukongsets", Sub: "finalizers"},
			// Leader election, in its own namespace.
			{NS: ns, Verb: "create", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: ns, Verb: "update", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: ns, Verb: "create", Resource: "events"},
			// The metrics endpoint's authentication and authorization of scrapers.
			{Verb: "create", Group: "authentication.k8s.io", Resource: "tokenreviews"},
			{Verb: "create", Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
		}
		denied := []authz.Access{
			{Verb: "delete", Resource: "nodes"},
			{Verb: "delete", Resource: "namespaces"},
			{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
			{NS: "team-a", Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"},
			{NS: "team-a", Verb: "create", Resource: "pods"},
			{NS: "team-a", Verb: "create", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: "team-a", Verb: "create", Resource: "events"},
			{NS: "team-a", Verb: "create", Group: "vm.novasphere.dev", Resource: "wukongsets"},
			{NS: "team-a", Verb: "update", Group: "kubevirt.io", Resource: "virtualmachineinstances"},
			// Least privilege (test/e2e's TestLeastPrivilege): verbs the code never calls. Children are deleted
			// by the garbage collector, VMs are server-side applied, Secrets and attachments are created and
			// updated only, revisions are never updated.
			{NS: "team-a", Verb: "delete", Resource: "secrets"},
			{NS: "team-a", Verb: "patch", Resource: "secrets"},
			{NS: "team-a", Verb: "update", Group: "kubevirt.io", Resource: "virtualmachines"},
			{NS: "team-a", Verb: "delete", Group: "k8s.cni.cncf.io", Resource: "network-attachment-definitions"},
			{NS: "team-a", Verb: "update", Group: "apps", Resource: "controllerrevisions"},
			{NS: "team-a", Verb: "update", Group: "vm.novasphere.dev", Resource: "wukongs"},
			{NS: "team-a", Verb: "update", Group: "vm.novasphere.dev", Resource: "wukongs", Sub: "status"},
			{NS: ns, Verb: "delete", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: "team-a", Verb: "create", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"},
			{Verb: "get", Path: "/metrics"},
			// The admission webhook's configuration is updated by name only (test/install/webhook_test.go).
			{Verb: "update", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"},
			{Verb: "update", Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"},
		}
		authz.Expect(ctx, t, c, sa, "manager", allowed, denied)
	})

	t.Run("metrics reader", func(t *testing.T) {
		// A scraper is admitted to /metrics once bound to the metrics-reader ClusterRole.
		scraper := authz.ServiceAccount("monitoring", "prometheus")
		get := authz.Access{Verb: "get", Path: "/metrics"}
		if authz.Can(ctx, t, c, scraper, get) {
			t.Fatal("an unbound scraper may get /metrics")
		}
		if err := c.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "prometheus-wukong-metrics"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wukong-metrics-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "monitoring", Name: "prometheus"}},
		}); err != nil {
			t.Fatal(err)
		}
		// The RBAC authorizer learns of the new binding through its informer: give it a moment.
		deadline := time.Now().Add(10 * time.Second)
		for !authz.Can(ctx, t, c, scraper, get) {
			if time.Now().After(deadline) {
				t.Fatal("a scraper bound to wukong-metrics-reader may not get /metrics")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("aggregated user roles", func(t *testing.T) { checkUserRoles(ctx, t, env, c) })
}

func checkDeployment(ctx context.Context, t *testing.T, c client.Client) {
	var d appsv1.Deployment
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wukong-controller-manager"}, &d); err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(d.Spec.Replicas, 0); got != 1 {
		t.Errorf("replicas = %d, want 1", got)
	}
	p := d.Spec.Template.Spec
	if p.ServiceAccountName != manager {
		t.Errorf("serviceAccountName = %q, want %q", p.ServiceAccountName, manager)
	}
	if got := ptr.Deref(p.TerminationGracePeriodSeconds, 0); got != 30 {
		t.Errorf("terminationGracePeriodSeconds = %d, want 30 (the manager's graceful shutdown)", got)
	}
	psc := p.SecurityContext
	if psc == nil || !ptr.Deref(psc.RunAsNonRoot, false) || ptr.Deref(psc.RunAsUser, 0) != 65532 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", psc)
	}
	if len(p.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(p.Containers))
	}
	m := p.Containers[0]
	if m.Image != "wukong:latest" {
		t.Errorf("image = %q, want wukong:latest", m.Image)
	}
	wantArgs := []string{"manager", "--leader-elect", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081",
		"--webhook-port=9443", "--webhook-service-name=wukong-webhook-service", "--webhook-secret-name=wukong-webhook-cert"}
	if !reflect.DeepEqual(m.Args, wantArgs) {
		t.Errorf("args = %q, want %q", m.Args, wantArgs)
	}
	sc := m.SecurityContext
	if sc == nil || ptr.Deref(sc.AllowPrivilegeEscalation, true) || !ptr.Deref(sc.ReadOnlyRootFilesystem, false) ||
		sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext = %+v, want no privilege escalation, read-only root, capabilities drop ALL", sc)
	}
	for name, probe := range map[string]*corev1.Probe{"/healthz": m.LivenessProbe, "/readyz": m.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != name || probe.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("probe %s = %+v, want an HTTP GET of %s on 8081", name, probe, name)
		}
	}
	wantRes := map[string]corev1.ResourceList{
		"requests": {corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		"limits":   {corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
	}
	for kind, got := range map[string]corev1.ResourceList{"requests": m.Resources.Requests, "limits": m.Resources.Limits} {
		for r, want := range wantRes[kind] {
			if q, ok := got[r]; !ok || q.Cmp(want) != 0 {
				t.Errorf("%s %s = %v, want %v", kind, r, got[r], want.String())
			}
		}
	}

	var sa corev1.ServiceAccount
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: manager}, &sa); err != nil {
		t.Errorf("the manager's ServiceAccount: %v", err)
	}
}

func checkRBACObjects(ctx context.Context, t *testing.T, c client.Client) {
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: manager}}
	for name, role := range map[string]string{"wukong-manager": "wukong-manager", "wukong-metrics-auth": "wukong-metrics-auth"} {
		var b rbacv1.ClusterRoleBinding
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &b); err != nil {
			t.Errorf("ClusterRoleBinding %s: %v", name, err)
			continue
		}
		if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != role || !reflect.DeepEqual(b.Subjects, subject) {
			t.Errorf("ClusterRoleBinding %s binds %s %s to %+v, want ClusterRole %s to %s/%s", name,
				b.RoleRef.Kind, b.RoleRef.Name, b.Subjects, role, ns, manager)
		}
	}
	var rb rbacv1.RoleBinding
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wukong-leader-election"}, &rb); err != nil {
		t.Errorf("RoleBinding wukong-leader-election: %v", err)
	} else if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != "wukong-leader-election" || !reflect.DeepEqual(rb.Subjects, subject) {
		t.Errorf("RoleBinding wukong-leader-election binds %s %s to %+v", rb.RoleRef.Kind, rb.RoleRef.Name, rb.Subjects)
	}

	// The installed manager ClusterRole is the generated one, renamed and labelled but with every rule.
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var generated rbacv1.ClusterRole
	if err := yaml.Unmarshal(raw, &generated); err != nil {
		t.Fatal(err)
	}
	var installed rbacv1.ClusterRole
	if err := c.Get(ctx, client.ObjectKey{Name: manager}, &installed); err != nil {
		t.Fatal(err)
	}
	if generated.Name != manager || !reflect.DeepEqual(installed.Rules, generated.Rules) {
		t.Errorf("installed ClusterRole %s rules differ from config/rbac/role.yaml (%s)", manager, generated.Name)
	}
}

// checkUserRoles runs kube-controller-manager's ClusterRole aggregation, as a cluster does, and checks that
// users with the built-in edit and view roles get the matching access to Wukongs and WukongSets.
func checkUserRoles(ctx context.Context, t *testing.T, env *testenv.Env, c client.Client) {
	// kube-controller-manager's ClusterRole aggregation folds the aggregate-to-edit/view roles into the
	// built-in ones.
	stop, err := env.StartControllers("clusterrole-aggregation-controller")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	team := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	if err := c.Create(ctx, team); err != nil {
		t.Fatal(err)
	}
	for user, role := range map[string]string{"alice": "edit", "bob": "view"} {
		if err := c.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: team.Name, Name: user},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	alice, bob := authz.User("alice"), authz.User("bob")
	wks := func(verb, sub string) authz.Access {
		return authz.Access{NS: team.Name, Verb: verb, Group: "vm.novasphere.dev", Resource: "wukongsets", Sub: sub}
	}
	wk := func(verb, sub string) authz.Access {
		return authz.Access{NS: team.Name, Verb: verb, Group: "vm.novasphere.dev", Resource: "wukongs", Sub: sub}
	}
	// Aggregation is asynchronous: wait until the editor's rules reach edit and the viewer's reach view.
	deadline := time.Now().Add(30 * time.Second)
	for !(authz.Can(ctx, t, c, alice, wks("create", "")) && authz.Can(ctx, t, c, bob, wk("list", ""))) {
		if time.Now().After(deadline) {
			t.Fatal("the wukong editor and viewer roles were not aggregated into edit and view within 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, tc := range []struct {
		who  authorizationv1.SubjectAccessReviewSpec
		name string
		a    authz.Access
		want bool
	}{
		{alice, "alice (edit)", wks("create", ""), true},
		{alice, "alice (edit)", wk("delete", ""), true},
		{alice, "alice (edit)", wks("patch", "scale"), true},
		{alice, "alice (edit)", wks("get", "status"), true},
		{alice, "alice (edit)", wk("patch", "status"), false},
		{alice, "alice (edit)", authz.Access{NS: "other", Verb: "create", Group: "vm.novasphere.dev", Resource: "wukongs"}, false},
		{bob, "bob (view)", wk("list", ""), true},
		{bob, "bob (view)", wks("watch", ""), true},
		{bob, "bob (view)", wks("get", "scale"), true},
		{bob, "bob (view)", wk("create", ""), false},
		{bob, "bob (view)", wks("patch", "scale"), false},
	} {
		if got := authz.Can(ctx, t, c, tc.who, tc.a); got != tc.want {
			t.Errorf("%s may %s: %v, want %v", tc.name, tc.a, got, tc.want)
		}
	}
}
