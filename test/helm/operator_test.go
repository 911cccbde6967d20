package helm

import (
	"context"
	"reflect"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/internal/webhook"
	"github.com/novasphere/wukong/test/authz"
	"github.com/novasphere/wukong/test/testenv"
)

func TestOperatorLint(t *testing.T) {
	lintChart(t, "wukong-operator", nil)
	lintChart(t, "wukong-operator", values(t, "metrics: {serviceMonitor: {enabled: true}}"))
}

// operatorCase is one installation of the wukong-operator chart and what it must produce.
type operatorCase struct {
	name    string
	release string
	// namespace is the release namespace the objects are checked in as rendered, and the prefix of the
	// unique namespace they are installed into.
	namespace string
	values    string
	// fullname prefixes every object's name.
	fullname   string
	image      string
	pullPolicy corev1.PullPolicy
	args       []string
	resources  corev1.ResourceRequirements
	// pod checks placement and pod-level values.
	pod            func(t *testing.T, p corev1.PodSpec)
	serviceMonitor bool
}

var defaultResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
	Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
}

func TestOperatorChart(t *testing.T) {
	cases := []operatorCase{{
		name:      "defaults",
		release:   "wukong-operator",
		namespace: "wukong-system",
		fullname:  "wukong-operator",
		// The chart's default image is the repository "wukong" at the chart's appVersion.
		image:      "wukong:0.1.0",
		pullPolicy: corev1.PullIfNotPresent,
		// As config/manager runs it: the chart adds no flag whose value is left null.
		args:      append([]string{"manager", "--leader-elect", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081"}, webhookArgs("wukong-operator")...),
		resources: defaultResources,
		pod: func(t *testing.T, p corev1.PodSpec) {
			if len(p.NodeSelector) > 0 || len(p.Tolerations) > 0 || p.Affinity != nil {
				t.Errorf("placement by default: nodeSelector %v, tolerations %v, affinity %v; want none", p.NodeSelector, p.Tolerations, p.Affinity)
			}
		},
	}, {
		name:      "service monitor",
		release:   "monitored",
		namespace: "monitored-system",
		values: `
metrics:
  serviceMonitor:
    enabled: true
    labels:
      release: prometheus
    interval: 30s
`,
		fullname:       "monitored-wukong-operator",
		image:          "wukong:0.1.0",
		pullPolicy:     corev1.PullIfNotPresent,
		args:           append([]string{"manager", "--leader-elect", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081"}, webhookArgs("monitored-wukong-operator")...),
		resources:      defaultResources,
		serviceMonitor: true,
	}, {
		name:      "custom image, flags and placement",
		release:   "custom",
		namespace: "custom-system",
		values: `
fullnameOverride: wukong
image:
  repository: registry.example.com/novasphere/wukong
  tag: v0.2.0-rc.1
  pullPolicy: Always
replicas: 2
manager:
  leaderElect: true
  kubeApiQps: -1
  kubeApiBurst: 2000
  maxConcurrentCreates: 50
  wukongWorkers: 16
  extraArgs: ["--zap-log-level=debug"]
resources:
  requests: {cpu: 500m, memory: 256Mi}
  limits: {cpu: "2", memory: 1Gi}
podLabels:
  team: platform
nodeSelector:
  node-role.kubernetes.io/control-plane: ""
tolerations:
- key: node-role.kubernetes.io/control-plane
  operator: Exists
  effect: NoSchedule
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            app.kubernetes.io/instance: custom
`,
		fullname:   "wukong",
		image:      "registry.example.com/novasphere/wukong:v0.2.0-rc.1",
		pullPolicy: corev1.PullAlways,
		args: []string{"manager", "--leader-elect", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081",
			"--webhook-port=9443", "--webhook-service-name=wukong-webhook", "--webhook-secret-name=wukong-webhook-cert",
			"--kube-api-qps=-1", "--kube-api-burst=2000", "--max-concurrent-creates=50", "--wukong-workers=16", "--zap-log-level=debug"},
		resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		},
		pod: func(t *testing.T, p corev1.PodSpec) {
			if !reflect.DeepEqual(p.NodeSelector, map[string]string{"node-role.kubernetes.io/control-plane": ""}) {
				t.Errorf("nodeSelector = %v", p.NodeSelector)
			}
			want := []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
			if !reflect.DeepEqual(p.Tolerations, want) {
				t.Errorf("tolerations = %+v, want %+v", p.Tolerations, want)
			}
			if p.Affinity == nil || p.Affinity.PodAntiAffinity == nil ||
				len(p.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
				t.Errorf("affinity = %+v, want the values' preferred pod anti-affinity", p.Affinity)
			}
		},
	}}
	ch := loadChart(t, "wukong-operator")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Rendering needs no cluster; installing does, in a namespace of its own that enforces the
			// restricted Pod Security Standard, as config/manager's does.
			rel := mustRender(t, ch, tc.release, tc.namespace, values(t, tc.values))
			checkOperatorObjects(t, tc, rel)

			e := startEnv(t)
			tc.namespace = namespace(t.Context(), t, e.Client, tc.namespace, map[string]string{
				"pod-security.kubernetes.io/enforce": "restricted",
				"pod-security.kubernetes.io/warn":    "restricted",
			})
			installOperator(t, tc, mustRender(t, ch, tc.release, tc.namespace, values(t, tc.values)))
		})
	}
}

// checkOperatorObjects checks what the chart renders, before any apiserver sees it.
func checkOperatorObjects(t *testing.T, tc operatorCase, rel *release) {
	n := tc.fullname
	want := map[string]string{ // kind/name → namespace ("" for cluster-scoped)
		"ServiceAccount/" + n:                                         tc.namespace,
		"ClusterRole/" + n + "-manager":                               "",
		"ClusterRoleBinding/" + n + "-manager":                        "",
		"Role/" + n + "-leader-election":                              tc.namespace,
		"RoleBinding/" + n + "-leader-election":                       tc.namespace,
		"ClusterRole/" + n + "-metrics-auth":                          "",
		"ClusterRoleBinding/" + n + "-metrics-auth":                   "",
		"ClusterRole/" + n + "-metrics-reader":                        "",
		"ClusterRole/" + n + "-editor":                                "",
		"ClusterRole/" + n + "-viewer":                                "",
		"Service/" + n + "-metrics":                                   tc.namespace,
		"Deployment/" + n:                                             tc.namespace,
		"Service/" + n + "-webhook":                                   tc.namespace,
		"ValidatingWebhookConfiguration/" + webhook.ConfigurationName: "",
	}
	if tc.serviceMonitor {
		want["ServiceMonitor/"+n+"-metrics"] = tc.namespace
	}
	got := kinds(t, rel.objects)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rendered objects (kind/name → namespace)\n got %v\nwant %v", got, want)
	}
	for _, o := range rel.objects {
		l := o.GetLabels()
		if l["app.kubernetes.io/name"] != "wukong-operator" || l["app.kubernetes.io/instance"] != tc.release ||
			l["app.kubernetes.io/managed-by"] != "Helm" || l["helm.sh/chart"] != "wukong-operator-0.1.0" {
			t.Errorf("%s %s labels %v: want the chart's standard labels", o.GetKind(), o.GetName(), l)
		}
	}
	if len(rel.crds) != 2 {
		t.Errorf("the chart has %d CRDs, want Wukong and WukongSet", len(rel.crds))
	}
	if !strings.Contains(rel.notes, "deployment/"+n) {
		t.Errorf("NOTES.txt does not name the Deployment %s:\n%s", n, rel.notes)
	}

	// The metrics Service selects exactly the manager's pods.
	d := find(t, rel.objects, "Deployment", n)
	svc := find(t, rel.objects, "Service", n+"-metrics")
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	depSel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
	podLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	if !reflect.DeepEqual(sel, depSel) {
		t.Errorf("metrics Service selector %v differs from the Deployment's selector %v", sel, depSel)
	}
	for k, v := range depSel {
		if podLabels[k] != v {
			t.Errorf("the Deployment's selector %v does not match its pod labels %v", depSel, podLabels)
		}
	}
	checkWebhookObjects(t, tc, rel)
	if !tc.serviceMonitor {
		return
	}
	// The ServiceMonitor scrapes the metrics Service's https port, with the values' labels and interval.
	m := find(t, rel.objects, "ServiceMonitor", n+"-metrics")
	if m.GetAPIVersion() != "monitoring.coreos.com/v1" || m.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor %s labels %v: want monitoring.coreos.com/v1 with release=prometheus", m.GetAPIVersion(), m.GetLabels())
	}
	endpoints, _, _ := unstructured.NestedSlice(m.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %v, want one", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["scheme"] != "https" || ep["port"] != "https" || ep["bearerTokenFile"] == nil || ep["interval"] != "30s" || ep["honorLabels"] != true {
		t.Errorf("endpoint %v: want scheme https on port https with a bearer token, every 30s, honouring the manager's labels", ep)
	}
	msel, _, _ := unstructured.NestedStringMap(m.Object, "spec", "selector", "matchLabels")
	for k, v := range msel {
		if svc.GetLabels()[k] != v {
			t.Errorf("ServiceMonitor selector %v does not match the metrics Service's labels %v", msel, svc.GetLabels())
		}
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if len(ports) != 1 || ports[0].(map[string]any)["name"] != "https" || ports[0].(map[string]any)["port"] != int64(8443) {
		t.Errorf("metrics Service ports %v: want https on 8443", ports)
	}
}

// installOperator applies the chart's CRDs and objects to the apiserver, as `helm install` does, and checks
// the installation as test/install checks config/default's.
func installOperator(t *testing.T, tc operatorCase, rel *release) {
	e := startEnv(t)
	ctx := t.Context()
	warned := &authz.Warnings{}
	cfg := rest.CopyConfig(e.Config)
	cfg.WarningHandlerWithContext = warned
	c, err := client.New(cfg, client.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	// The CRDs are already installed (testenv); applying them takes them over, as on a cluster where
	// config/default installed them before.
	if _, err := apply(ctx, c, rel.crds); err != nil {
		t.Fatal(err)
	}
	skipped, err := apply(ctx, c, rel.objects, "ServiceMonitor")
	if err != nil {
		t.Fatal(err)
	}
	// Uninstalled afterwards as `helm uninstall` would: the package's apiserver is shared, and no manager
	// serves this release's webhook, whose failurePolicy Fail would refuse the next test's WukongSets.
	t.Cleanup(func() {
		vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		vwc.Name = webhook.ConfigurationName
		if err := c.Delete(context.Background(), vwc); client.IgnoreNotFound(err) != nil {
			t.Errorf("uninstall the webhook configuration: %v", err)
		}
	})
	// The test apiserver has no Prometheus Operator: the ServiceMonitor is checked as rendered only.
	var wantSkipped []string
	if tc.serviceMonitor {
		wantSkipped = []string{"ServiceMonitor/" + tc.fullname + "-metrics"}
	}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("skipped %v, want %v", skipped, wantSkipped)
	}
	if w := warned.Take(); len(w) > 0 {
		t.Errorf("installing drew warnings: %q", w)
	}
	applied := withoutKind(rel.objects, "ServiceMonitor")

	t.Run("apply is idempotent", func(t *testing.T) {
		before := testenv.ResourceVersions(ctx, t, c, append(rel.crds, applied...))
		if _, err := apply(ctx, c, rel.crds); err != nil {
			t.Fatal(err)
		}
		if _, err := apply(ctx, c, applied); err != nil {
			t.Fatal(err)
		}
		after := testenv.ResourceVersions(ctx, t, c, append(rel.crds, applied...))
		for k := range before {
			if before[k] != after[k] {
				t.Errorf("re-applying changed %s (resourceVersion %s → %s)", k, before[k], after[k])
			}
		}
	})

	t.Run("deployment", func(t *testing.T) { checkOperatorDeployment(ctx, t, c, tc) })

	t.Run("restricted pod security", func(t *testing.T) {
		var d appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: tc.namespace, Name: tc.fullname}, &d); err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: tc.namespace, GenerateName: "manager-", Labels: d.Spec.Template.Labels},
			Spec:       *d.Spec.Template.Spec.DeepCopy(),
		}
		if err := c.Create(ctx, pod.DeepCopy(), client.DryRunAll); err != nil {
			t.Fatalf("the manager's pod is refused in %s: %v", tc.namespace, err)
		}
		// The check is live: the same pod allowed to escalate privileges is refused.
		loose := pod.DeepCopy()
		loose.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
		if err := c.Create(ctx, loose, client.DryRunAll); err == nil || !strings.Contains(err.Error(), "restricted") {
			t.Fatalf("a pod that may escalate privileges in %s: err = %v, want a PodSecurity restricted violation", tc.namespace, err)
		}
	})

	t.Run("rbac objects", func(t *testing.T) { checkOperatorRBAC(ctx, t, c, tc) })

	t.Run("manager permissions", func(t *testing.T) {
		sa := authz.ServiceAccount(tc.namespace, tc.fullname)
		allowed := []authz.Access{
			{NS: "team-a", Verb: "create", Group: "vm.novasphere.dev", Resource: "wukongs"},
			{NS: "team-a", Verb: "delete", Group: "vm.novasphere.dev", Resource: "wukongs"},
			{NS: "team-a", Verb: "patch", Group: "vm.novasphere.dev", Resource: "wukongs", Sub: "status"},
			{NS: "team-a", Verb: "patch", Group: "vm.novasphere.dev", Resource: "wukongsets", Sub: "status"},
			{NS: "team-a", Verb: "update", Group: "vm.novasphere.dev", Resource: "wukongsets"},
			{Verb: "watch", Group: "vm.novasphere.dev", Resource: "wukongsets"},
			{NS: "team-a", Verb: "create", Group: "kubevirt.io", Resource: "virtualmachines"},
			{Verb: "watch", Group: "kubevirt.io", Resource: "virtualmachineinstances"},
			{NS: "team-a", Verb: "create", Group: "cdi.kubevirt.io", Resource: "datavolumes"},
			{NS: "team-a", Verb: "create", Group: "k8s.cni.cncf.io", Resource: "network-attachment-definitions"},
			{NS: "team-a", Verb: "create", Resource: "secrets"},
			{NS: "team-a", Verb: "create", Group: "events.k8s.io", Resource: "events"},
			{NS: tc.namespace, Verb: "create", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: tc.namespace, Verb: "update", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: tc.namespace, Verb: "create", Resource: "events"},
			{Verb: "create", Group: "authentication.k8s.io", Resource: "tokenreviews"},
			{Verb: "create", Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
		}
		denied := []authz.Access{
			{Verb: "delete", Resource: "nodes"},
			{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
			{NS: "team-a", Verb: "create", Resource: "pods"},
			{NS: "team-a", Verb: "create", Group: "coordination.k8s.io", Resource: "leases"},
			{NS: "team-a", Verb: "create", Resource: "events"},
			{NS: "team-a", Verb: "create", Group: "vm.novasphere.dev", Resource: "wukongsets"},
			{NS: "team-a", Verb: "create", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"},
			{Verb: "get", Path: "/metrics"},
		}
		authz.Expect(ctx, t, c, sa, "manager", allowed, denied)
	})

	t.Run("metrics reader", func(t *testing.T) {
		scraper := authz.ServiceAccount("monitoring", "prometheus-"+tc.namespace)
		get := authz.Access{Verb: "get", Path: "/metrics"}
		if authz.Can(ctx, t, c, scraper, get) {
			t.Fatal("an unbound scraper may get /metrics")
		}
		if err := c.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "prometheus-" + tc.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: tc.fullname + "-metrics-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "monitoring", Name: "prometheus-" + tc.namespace}},
		}); err != nil {
			t.Fatal(err)
		}
		if !authz.CanSoon(ctx, t, c, scraper, get) {
			t.Errorf("a scraper bound to %s-metrics-reader may not get /metrics", tc.fullname)
		}
	})
}

func withoutKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() != kind {
			out = append(out, o)
		}
	}
	return out
}

func checkOperatorDeployment(ctx context.Context, t *testing.T, c client.Client, tc operatorCase) {
	var d appsv1.Deployment
	if err := c.Get(ctx, client.ObjectKey{Namespace: tc.namespace, Name: tc.fullname}, &d); err != nil {
		t.Fatal(err)
	}
	p := d.Spec.Template.Spec
	if p.ServiceAccountName != tc.fullname {
		t.Errorf("serviceAccountName = %q, want %q", p.ServiceAccountName, tc.fullname)
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
	if m.Image != tc.image || m.ImagePullPolicy != tc.pullPolicy {
		t.Errorf("image %q pull policy %q, want %q %q", m.Image, m.ImagePullPolicy, tc.image, tc.pullPolicy)
	}
	if !reflect.DeepEqual(m.Args, tc.args) {
		t.Errorf("args = %q, want %q", m.Args, tc.args)
	}
	sc := m.SecurityContext
	if sc == nil || ptr.Deref(sc.AllowPrivilegeEscalation, true) || !ptr.Deref(sc.ReadOnlyRootFilesystem, false) ||
		sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext = %+v, want no privilege escalation, read-only root, capabilities drop ALL", sc)
	}
	for path, probe := range map[string]*corev1.Probe{"/healthz": m.LivenessProbe, "/readyz": m.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("probe %s = %+v, want an HTTP GET of %s on 8081", path, probe, path)
		}
	}
	for kind, lists := range map[string][2]corev1.ResourceList{
		"requests": {m.Resources.Requests, tc.resources.Requests},
		"limits":   {m.Resources.Limits, tc.resources.Limits},
	} {
		got, want := lists[0], lists[1]
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", kind, got, want)
		}
		for r, q := range want {
			if g, ok := got[r]; !ok || g.Cmp(q) != 0 {
				t.Errorf("%s %s = %v, want %v", kind, r, got[r], q.String())
			}
		}
	}
	if tc.pod != nil {
		tc.pod(t, p)
	}
	var sa corev1.ServiceAccount
	if err := c.Get(ctx, client.ObjectKey{Namespace: tc.namespace, Name: tc.fullname}, &sa); err != nil {
		t.Errorf("the manager's ServiceAccount: %v", err)
	}
}

func checkOperatorRBAC(ctx context.Context, t *testing.T, c client.Client, tc operatorCase) {
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: tc.namespace, Name: tc.fullname}}
	for _, name := range []string{tc.fullname + "-manager", tc.fullname + "-metrics-auth"} {
		var b rbacv1.ClusterRoleBinding
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &b); err != nil {
			t.Errorf("ClusterRoleBinding %s: %v", name, err)
			continue
		}
		if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != name || !reflect.DeepEqual(b.Subjects, subject) {
			t.Errorf("ClusterRoleBinding %s binds %s %s to %+v, want ClusterRole %s to %+v", name,
				b.RoleRef.Kind, b.RoleRef.Name, b.Subjects, name, subject)
		}
	}
	name := tc.fullname + "-leader-election"
	var rb rbacv1.RoleBinding
	if err := c.Get(ctx, client.ObjectKey{Namespace: tc.namespace, Name: name}, &rb); err != nil {
		t.Errorf("RoleBinding %s: %v", name, err)
	} else if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != name || !reflect.DeepEqual(rb.Subjects, subject) {
		t.Errorf("RoleBinding %s binds %s %s to %+v", name, rb.RoleRef.Kind, rb.RoleRef.Name, rb.Subjects)
	}
}
