package helm

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/test/testenv"
)

// TestOperatorCRDsMatchConfig fails when the chart's crds/ differ from the CRDs controller-gen generates
// into config/crd/bases: `make manifests` copies them.
func TestOperatorCRDsMatchConfig(t *testing.T) {
	root := testenv.RepoRoot()
	generated := yamlFiles(t, filepath.Join(root, "config", "crd", "bases"))
	copied := yamlFiles(t, filepath.Join(chartDir("wukong-operator"), "crds"))
	if !reflect.DeepEqual(names(generated), names(copied)) {
		t.Fatalf("charts/wukong-operator/crds holds %v, config/crd/bases %v; run make manifests", names(copied), names(generated))
	}
	for name, want := range generated {
		if !bytes.Equal(copied[name], want) {
			t.Errorf("charts/wukong-operator/crds/%s differs from config/crd/bases/%s; run make manifests", name, name)
		}
	}
}

func yamlFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = raw
	}
	return out
}

func names(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOperatorRBACMatchesConfig fails when a role the chart renders has other rules than its counterpart in
// config/rbac. The manager's ClusterRole matters most: config/rbac/role.yaml is generated from the
// controllers' +kubebuilder:rbac markers, and a chart can only read its own files, so the chart holds a
// copy (files/role.yaml, which `make manifests` refreshes) and renders its rules.
func TestOperatorRBACMatchesConfig(t *testing.T) {
	generated, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(filepath.Join(chartDir("wukong-operator"), "files", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(copied, generated) {
		t.Error("charts/wukong-operator/files/role.yaml differs from config/rbac/role.yaml; run make manifests")
	}

	rel := mustRender(t, loadChart(t, "wukong-operator"), "wukong-operator", "wukong-system", nil)
	for _, tc := range []struct {
		kind, name, file string
	}{
		{"ClusterRole", "wukong-operator-manager", "role.yaml"},
		{"Role", "wukong-operator-leader-election", "leader_election_role.yaml"},
		{"ClusterRole", "wukong-operator-metrics-auth", "metrics_auth_role.yaml"},
		{"ClusterRole", "wukong-operator-metrics-reader", "metrics_reader_role.yaml"},
		{"ClusterRole", "wukong-operator-editor", "wukong_editor_role.yaml"},
		{"ClusterRole", "wukong-operator-viewer", "wukong_viewer_role.yaml"},
	} {
		raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		// Role and ClusterRole share the shape of their rules.
		var want rbacv1.ClusterRole
		if err := yaml.Unmarshal(raw, &want); err != nil {
			t.Fatalf("config/rbac/%s: %v", tc.file, err)
		}
		var got rbacv1.ClusterRole
		fromUnstructured(t, find(t, rel.objects, tc.kind, tc.name), &got)
		if !reflect.DeepEqual(got.Rules, want.Rules) {
			t.Errorf("%s %s rules differ from config/rbac/%s:\n got %+v\nwant %+v",
				tc.kind, tc.name, tc.file, got.Rules, want.Rules)
		}
		if !reflect.DeepEqual(aggregation(got.Labels), aggregation(want.Labels)) {
			t.Errorf("%s %s aggregation labels %v, config/rbac/%s has %v", tc.kind, tc.name,
				aggregation(got.Labels), tc.file, aggregation(want.Labels))
		}
	}
}

// aggregation picks the labels that fold a role into the built-in admin, edit and view roles.
func aggregation(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") {
			out[k] = v
		}
	}
	return out
}

// TestOperatorDeploymentMatchesConfig fails when the chart's manager, with default values, runs differently
// from the one config/default installs: security settings, arguments, ports, probes and resources.
func TestOperatorDeploymentMatchesConfig(t *testing.T) {
	rel := mustRender(t, loadChart(t, "wukong-operator"), "wukong-operator", "wukong-system", nil)
	var chartDep, kustDep appsv1.Deployment
	fromUnstructured(t, find(t, rel.objects, "Deployment", "wukong-operator"), &chartDep)
	fromUnstructured(t, find(t, kustomizeBuild(t, "default"), "Deployment", "wukong-controller-manager"), &kustDep)

	got, want := chartDep.Spec.Template.Spec, kustDep.Spec.Template.Spec
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"pod securityContext", got.SecurityContext, want.SecurityContext},
		{"terminationGracePeriodSeconds", got.TerminationGracePeriodSeconds, want.TerminationGracePeriodSeconds},
		{"number of containers", len(got.Containers), len(want.Containers)},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %v, config/manager has %v", f.name, f.got, f.want)
		}
	}
	if len(got.Containers) != 1 || len(want.Containers) != 1 {
		t.Fatalf("containers: chart %d, config/manager %d; want one each", len(got.Containers), len(want.Containers))
	}
	gc, wc := got.Containers[0], want.Containers[0]
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"container name", gc.Name, wc.Name},
		// The webhook's Service and Secret are named after the release in the chart (test/helm/webhook_test.go).
		{"args", withoutWebhookNames(gc.Args), withoutWebhookNames(wc.Args)},
		{"ports", gc.Ports, wc.Ports},
		{"container securityContext", gc.SecurityContext, wc.SecurityContext},
		{"livenessProbe", gc.LivenessProbe, wc.LivenessProbe},
		{"readinessProbe", gc.ReadinessProbe, wc.ReadinessProbe},
		{"resources", gc.Resources, wc.Resources},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %+v, config/manager has %+v", f.name, f.got, f.want)
		}
	}
}

// kustomizeBuild runs kustomize on a folder under config/, as test/install does.
func kustomizeBuild(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(testenv.RepoRoot(), "config", dir))
	if err != nil {
		t.Fatalf("kustomize build config/%s: %v", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range res.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		t.Fatalf("decode %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// TestVMsSchemaMatchesCRD fails when wukong-vms' values.schema.json describes vmTemplate differently from
// the WukongSet CRD's template: every object the schema spells out (it closes them with
// additionalProperties: false, to catch typos) must have the CRD's properties, required fields and enums.
func TestVMsSchemaMatchesCRD(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir("wukong-vms"), "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	crdRaw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "vm.novasphere.dev_wukongsets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(crdRaw, &crd); err != nil {
		t.Fatal(err)
	}
	versions, _, _ := unstructured.NestedSlice(crd, "spec", "versions")
	if len(versions) != 1 {
		t.Fatalf("the WukongSet CRD has %d versions; this test knows one", len(versions))
	}
	template, ok, _ := unstructured.NestedMap(versions[0].(map[string]any),
		"schema", "openAPIV3Schema", "properties", "spec", "properties", "template", "properties")
	if !ok {
		t.Fatal("the WukongSet CRD has no spec.template")
	}
	s := schemaWalker{t: t, defs: schema["definitions"].(map[string]any)}
	vmTemplate := s.resolve(schema["properties"].(map[string]any)["vmTemplate"])

	// vmTemplate is the template's spec plus its metadata's labels and annotations.
	props := vmTemplate["properties"].(map[string]any)
	metaProps, _, _ := unstructured.NestedMap(template, "metadata", "properties")
	for _, k := range []string{"labels", "annotations"} {
		if props[k] == nil || metaProps[k] == nil {
			t.Errorf("vmTemplate.%s: schema %v, CRD template.metadata %v", k, props[k] != nil, metaProps[k] != nil)
		}
	}
	spec := map[string]any{}
	for k, v := range vmTemplate {
		spec[k] = v
	}
	specProps := map[string]any{}
	for k, v := range props {
		if k != "labels" && k != "annotations" {
			specProps[k] = v
		}
	}
	spec["properties"] = specProps
	s.compare("vmTemplate", spec, template["spec"].(map[string]any))
}

type schemaWalker struct {
	t    *testing.T
	defs map[string]any
}

// resolve follows a "#/definitions/..." reference.
func (s schemaWalker) resolve(node any) map[string]any {
	m, _ := node.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return s.resolve(s.defs[strings.TrimPrefix(ref, "#/definitions/")])
	}
	return m
}

func (s schemaWalker) compare(path string, chartNode, crdNode map[string]any) {
	if items, ok := chartNode["items"]; ok {
		crdItems, _ := crdNode["items"].(map[string]any)
		if crdItems == nil {
			s.t.Errorf("%s: the schema has items, the CRD none", path)
			return
		}
		s.compare(path+"[]", s.resolve(items), crdItems)
		return
	}
	if enum, ok := chartNode["enum"]; ok && !reflect.DeepEqual(enum, crdNode["enum"]) {
		s.t.Errorf("%s: enum %v, the CRD's %v", path, enum, crdNode["enum"])
	}
	props, ok := chartNode["properties"].(map[string]any)
	if !ok {
		return // the schema leaves this object to the CRD
	}
	crdProps, _ := crdNode["properties"].(map[string]any)
	if !reflect.DeepEqual(keys(props), keys(crdProps)) {
		s.t.Errorf("%s: the schema has properties %v, the CRD %v; update charts/wukong-vms/values.schema.json",
			path, keys(props), keys(crdProps))
	}
	if got, want := stringList(chartNode["required"]), stringList(crdNode["required"]); !reflect.DeepEqual(got, want) {
		s.t.Errorf("%s: the schema requires %v, the CRD %v", path, got, want)
	}
	for k, v := range props {
		if c, ok := crdProps[k].(map[string]any); ok {
			s.compare(path+"."+k, s.resolve(v), c)
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stringList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, x.(string))
	}
	slices.Sort(out)
	return out
}

// withoutWebhookNames drops the flags that name the webhook's Service and Secret, which differ between the
// installs by design.
func withoutWebhookNames(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "--webhook-service-name=") && !strings.HasPrefix(a, "--webhook-secret-name=") {
			out = append(out, a)
		}
	}
	return out
}
