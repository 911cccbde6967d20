package install

import (
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/novasphere/wukong/test/testenv"
)

// build runs kustomize on a folder under config/ and returns its objects in output order.
func build(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	// As the kustomize CLI by default: the kustomization's sortOptions decide the order.
	opts.Reorder = krusty.ReorderOptionUnspecified
	k := krusty.MakeKustomizer(opts)
	res, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(testenv.RepoRoot(), "config", dir))
	if err != nil {
		t.Fatalf("kustomize build config/%s: %v", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range res.Resources() {
		// Through JSON, so numbers are int64 and float64 as in any object the client decodes.
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("config/%s: %s: %v", dir, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatalf("config/%s: %s: %v", dir, r.CurId(), err)
		}
		out = append(out, u)
	}
	return out
}

// find returns the one built object of that kind and name, failing the test when there is not exactly one.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %s in the build, found %d", kind, name, len(found))
	}
	return found[0]
}

func TestDefaultRenders(t *testing.T) {
	objs := build(t, "default")
	want := map[string]string{ // kind/name → namespace ("" for cluster-scoped)
		"Namespace/wukong-system":                                  "",
		"CustomResourceDefinition/wukongs.vm.novasphere.dev":       "",
		"CustomResourceDefinition/wukongsets.vm.novasphere.dev":    "",
		"ServiceAccount/wukong-manager":                            "wukong-system",
		"ClusterRole/wukong-manager":                               "",
		"ClusterRoleBinding/wukong-manager":                        "",
		"Role/wukong-leader-election":                              "wukong-system",
		"RoleBinding/wukong-leader-election":                       "wukong-system",
		"ClusterRole/wukong-metrics-auth":                          "",
		"ClusterRoleBinding/wukong-metrics-auth":                   "",
		"ClusterRole/wukong-metrics-reader":                        "",
		"ClusterRole/wukong-editor":                                "",
		"ClusterRole/wukong-viewer":                                "",
		"Service/wukong-controller-manager-metrics-service":        "wukong-system",
		"Deployment/wukong-controller-manager":                     "wukong-system",
		"Service/wukong-webhook-service":                           "wukong-system",
		"ValidatingWebhookConfiguration/wukong-validating-webhook": "",
	}
	got := map[string]string{}
	for _, o := range objs {
		key := o.GetKind() + "/" + o.GetName()
		if _, dup := got[key]; dup {
			t.Errorf("%s appears twice", key)
		}
		got[key] = o.GetNamespace()
		if o.GetLabels()["app.kubernetes.io/name"] != "wukong" {
			t.Errorf("%s lacks the label app.kubernetes.io/name=wukong: %v", key, o.GetLabels())
		}
	}
	for key, ns := range want {
		if gotNS, ok := got[key]; !ok {
			t.Errorf("missing %s", key)
		} else if gotNS != ns {
			t.Errorf("%s is in namespace %q, want %q", key, gotNS, ns)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected %s", key)
		}
	}

	// The image is a kustomize images entry, so `kustomize edit set image wukong=…` retargets it.
	d := find(t, objs, "Deployment", "wukong-controller-manager")
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 || containers[0].(map[string]any)["image"] != "wukong:latest" {
		t.Errorf("manager containers = %v, want one with image wukong:latest", containers)
	}
	// The metrics Service selects exactly the manager's pods.
	svc := find(t, objs, "Service", "wukong-controller-manager-metrics-service")
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	podLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	depSel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
	for k, v := range sel {
		if podLabels[k] != v {
			t.Errorf("metrics Service selector %v does not match the manager's pod labels %v", sel, podLabels)
		}
	}
	if len(sel) != len(depSel) {
		t.Errorf("metrics Service selector %v differs from the Deployment's selector %v", sel, depSel)
	}
}

// TestPrometheusRenders only builds config/prometheus: the test apiserver has no ServiceMonitor or
// PrometheusRule CRD, which is why config/default leaves them out. (test/alerts checks the rules themselves.)
func TestPrometheusRenders(t *testing.T) {
	objs := build(t, "prometheus")
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
	}
	if len(objs) != 2 || kinds["ServiceMonitor"] != 1 || kinds["PrometheusRule"] != 1 {
		t.Fatalf("config/prometheus renders %v, want one ServiceMonitor and one PrometheusRule", kinds)
	}
	m := find(t, objs, "ServiceMonitor", "")
	if m.GetAPIVersion() != "monitoring.coreos.com/v1" || m.GetKind() != "ServiceMonitor" {
		t.Fatalf("config/prometheus renders %s %s, want a monitoring.coreos.com/v1 ServiceMonitor", m.GetAPIVersion(), m.GetKind())
	}
	if m.GetNamespace() != "wukong-system" || m.GetLabels()["app.kubernetes.io/name"] != "wukong" {
		t.Errorf("ServiceMonitor %s/%s labels %v: want namespace wukong-system and app.kubernetes.io/name=wukong",
			m.GetNamespace(), m.GetName(), m.GetLabels())
	}
	endpoints, _, _ := unstructured.NestedSlice(m.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("endpoints = %v, want one", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["scheme"] != "https" || ep["port"] != "https" || ep["bearerTokenFile"] == nil {
		t.Errorf("endpoint %v: want scheme https on port https with a bearer token", ep)
	}

	// It selects the metrics Service config/default installs, in the same namespace.
	svc := find(t, build(t, "default"), "Service", "wukong-controller-manager-metrics-service")
	sel, _, _ := unstructured.NestedStringMap(m.Object, "spec", "selector", "matchLabels")
	for k, v := range sel {
		if svc.GetLabels()[k] != v {
			t.Errorf("ServiceMonitor selector %v does not match the metrics Service's labels %v", sel, svc.GetLabels())
		}
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if len(ports) != 1 || ports[0].(map[string]any)["name"] != ep["port"] {
		t.Errorf("metrics Service ports %v: want one named %v", ports, ep["port"])
	}
}
