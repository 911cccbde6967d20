package helm

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/api/v1alpha1"
	tmpl "github.com/novasphere/wukong/internal/template"
)

const (
	designValues   = "testdata/design-values.yaml"
	staticIPValues = "testdata/static-ip-values.yaml"
	wukongsValues  = "testdata/wukongs-values.yaml"
)

func TestVMsLint(t *testing.T) {
	lintChart(t, "wukong-vms", nil)
	for _, f := range []string{designValues, staticIPValues, wukongsValues} {
		t.Run(filepath.Base(f), func(t *testing.T) { lintChart(t, "wukong-vms", valuesFile(t, f)) })
	}
}

// TestVMsDesignValues installs the chart with the design's values.yaml (section 3.3) exactly as written:
// one WukongSet of 5 members whose template spec is the values' vmTemplate.
func TestVMsDesignValues(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	ns, err := e.Namespace(ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	vals := valuesFile(t, designValues)
	rel := mustRender(t, loadChart(t, "wukong-vms"), "design", ns, vals)

	if got := kinds(t, rel.objects); len(got) != 1 || got["WukongSet/design"] != ns {
		t.Fatalf("rendered %v, want only WukongSet/design in %s", got, ns)
	}
	set := rel.objects[0]
	// The rendered template spec is the values' vmTemplate, untouched.
	renderedSpec, _, _ := unstructured.NestedMap(set.Object, "spec", "template", "spec")
	if want := jsonMap(t, specValues(vals)); !equality.Semantic.DeepEqual(renderedSpec, want) {
		t.Errorf("rendered spec.template.spec\n got %v\nwant %v", renderedSpec, want)
	}
	if !strings.Contains(rel.notes, "5 VMs") {
		t.Errorf("NOTES.txt does not announce 5 VMs:\n%s", rel.notes)
	}

	if _, err := apply(ctx, e.Client, rel.objects); err != nil {
		t.Fatal(err)
	}
	var got v1alpha1.WukongSet
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "design"}, &got); err != nil {
		t.Fatal(err)
	}
	if r := ptr.Deref(got.Spec.Replicas, -1); r != 5 {
		t.Errorf("replicas = %d, want 5", r)
	}
	want := wantSpec(t, vals)
	if !equality.Semantic.DeepEqual(got.Spec.Template.Spec, want) {
		t.Errorf("template spec\n got %+v\nwant %+v", got.Spec.Template.Spec, want)
	}
	if got.Spec.Template.Spec.CPU != 2 || got.Spec.Template.Spec.Memory.String() != "4Gi" || len(got.Spec.Template.Spec.Disks) != 1 ||
		got.Spec.Template.Spec.Disks[0].Image != "docker://quay.io/kubevirt/ubuntu:22.04" {
		t.Errorf("template spec %+v: want the design's 2 CPUs, 4Gi and one ubuntu:22.04 system disk", got.Spec.Template.Spec)
	}
	wantLabels := map[string]v1alpha1.TemplateString{"app.kubernetes.io/name": "wukong-vms", "app.kubernetes.io/instance": "design", "app.kubernetes.io/managed-by": "Helm"}
	if !maps.Equal(got.Spec.Template.Metadata.Labels, wantLabels) {
		t.Errorf("template labels = %v, want %v", got.Spec.Template.Metadata.Labels, wantLabels)
	}
	if got.Labels["helm.sh/chart"] != "wukong-vms-0.1.0" {
		t.Errorf("WukongSet labels %v: want the chart's standard labels", got.Labels)
	}
	if got.Spec.UpdateStrategy != nil && got.Spec.UpdateStrategy.MaxUnavailable != nil {
		t.Errorf("updateStrategy = %+v, want the CRD's defaults only", got.Spec.UpdateStrategy)
	}
}

// TestVMsTemplateVariables installs a set with networks, a static IP per member and other template
// variables: the chart passes every ${...} through untouched, and the operator's own renderer gives each
// member its values.
func TestVMsTemplateVariables(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	ns, err := e.Namespace(ctx, "variables")
	if err != nil {
		t.Fatal(err)
	}
	vals := valuesFile(t, staticIPValues)
	rel := mustRender(t, loadChart(t, "wukong-vms"), "nodes", ns, vals)
	if got := kinds(t, rel.objects); len(got) != 1 || got["WukongSet/cluster-nodes"] != ns {
		t.Fatalf("rendered %v, want only WukongSet/cluster-nodes (values' name) in %s", got, ns)
	}
	if _, err := apply(ctx, e.Client, rel.objects); err != nil {
		t.Fatal(err)
	}
	var set v1alpha1.WukongSet
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cluster-nodes"}, &set); err != nil {
		t.Fatal(err)
	}
	if r := ptr.Deref(set.Spec.Replicas, -1); r != 3 {
		t.Errorf("replicas = %d, want 3", r)
	}
	spec := set.Spec.Template.Spec
	if want := wantSpec(t, vals); !equality.Semantic.DeepEqual(spec, want) {
		t.Errorf("template spec\n got %+v\nwant %+v", spec, want)
	}
	if len(spec.Networks) != 1 || spec.Networks[0].IPConfig == nil || spec.Networks[0].IPConfig.Address != "192.168.1.${INDEX+100}/24" {
		t.Errorf("networks = %+v, want eth0 with address 192.168.1.${INDEX+100}/24 untouched", spec.Networks)
	}
	if spec.Hostname != "node-${INDEX}" {
		t.Errorf("hostname = %q, want node-${INDEX} untouched", spec.Hostname)
	}
	md := set.Spec.Template.Metadata
	if md.Labels["node-index"] != "${INDEX}" || md.Labels["app.kubernetes.io/instance"] != "nodes" ||
		md.Annotations["example.com/address"] != "192.168.1.${INDEX+100}" {
		t.Errorf("template metadata = %+v, want node-index ${INDEX}, the release's instance label and the annotation untouched", md)
	}
	us := set.Spec.UpdateStrategy
	if us == nil || us.Type != v1alpha1.RollingUpdateStrategy || us.MaxUnavailable == nil || *us.MaxUnavailable != intstr.FromInt32(1) {
		t.Errorf("updateStrategy = %+v, want the values' RollingUpdate with maxUnavailable 1", us)
	}

	// What the operator makes of the template: member i gets 192.168.1.(100+i)/24.
	engine, err := tmpl.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := fmt.Sprintf("cluster-nodes-%d", i)
		member, err := engine.Render(set.Spec.Template, tmpl.Vars{Index: int64(i), Name: name, Set: set.Name, Namespace: ns, Replicas: 3})
		if err != nil {
			t.Fatalf("render member %d: %v", i, err)
		}
		if got, want := member.Spec.Networks[0].IPConfig.Address, fmt.Sprintf("192.168.1.%d/24", 100+i); got != want {
			t.Errorf("member %s address = %q, want %q", name, got, want)
		}
		if got, want := member.Metadata.Labels["node-index"], v1alpha1.TemplateString(fmt.Sprint(i)); got != want {
			t.Errorf("member %s node-index = %q, want %q", name, got, want)
		}
	}
}

// TestVMsModeWukongs installs three plain Wukongs, with ${INDEX} and ${NAME} substituted by the chart, and
// checks that they are the members the operator would render from the same values in mode set.
func TestVMsModeWukongs(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	ns, err := e.Namespace(ctx, "wukongs")
	if err != nil {
		t.Fatal(err)
	}
	ch := loadChart(t, "wukong-vms")
	vals := valuesFile(t, wukongsValues)
	rel := mustRender(t, ch, "web-vms", ns, vals)
	want := map[string]string{"Wukong/web-0": ns, "Wukong/web-1": ns, "Wukong/web-2": ns}
	if got := kinds(t, rel.objects); !maps.Equal(got, want) {
		t.Fatalf("rendered %v, want %v", got, want)
	}
	if _, err := apply(ctx, e.Client, rel.objects); err != nil {
		t.Fatal(err)
	}

	// The same values in mode set, rendered per member by the operator's template engine.
	setVals := maps.Clone(vals)
	setVals["mode"] = "set"
	var set v1alpha1.WukongSet
	fromUnstructured(t, mustRender(t, ch, "web-vms", ns, setVals).objects[0], &set)
	engine, err := tmpl.NewEngine()
	if err != nil {
		t.Fatal(err)
	}

	for i := range 3 {
		name := fmt.Sprintf("web-%d", i)
		var w v1alpha1.Wukong
		if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &w); err != nil {
			t.Fatalf("get Wukong %s: %v", name, err)
		}
		if w.Spec.Hostname != name {
			t.Errorf("%s hostname = %q, want %q", name, w.Spec.Hostname, name)
		}
		if got, want := w.Labels["node-index"], fmt.Sprint(i); got != want {
			t.Errorf("%s label node-index = %q, want %q (a string)", name, got, want)
		}
		if got := w.Annotations["example.com/member"]; got != name {
			t.Errorf("%s annotation example.com/member = %q, want %q", name, got, name)
		}
		if got, want := w.Spec.Networks[0].IPConfig.Address, fmt.Sprintf("192.168.1.1%d/24", i); got != want {
			t.Errorf("%s address = %q, want %q", name, got, want)
		}
		if w.Labels["app.kubernetes.io/instance"] != "web-vms" {
			t.Errorf("%s labels %v: want app.kubernetes.io/instance=web-vms", name, w.Labels)
		}

		member, err := engine.Render(set.Spec.Template, tmpl.Vars{Index: int64(i), Name: name, Set: set.Name, Namespace: ns, Replicas: 3})
		if err != nil {
			t.Fatalf("render member %d: %v", i, err)
		}
		wantSpec := member.Spec.DeepCopy()
		crdDefaults(wantSpec)
		if !equality.Semantic.DeepEqual(w.Spec, *wantSpec) {
			t.Errorf("%s spec differs from the operator's member %d in mode set\n got %+v\nwant %+v", name, i, w.Spec, *wantSpec)
		}
		if !maps.Equal(w.Labels, stringMap(member.Metadata.Labels)) || !maps.Equal(w.Annotations, stringMap(member.Metadata.Annotations)) {
			t.Errorf("%s metadata differs from the operator's member %d in mode set: labels %v / %v, annotations %v / %v",
				name, i, w.Labels, member.Metadata.Labels, w.Annotations, member.Metadata.Annotations)
		}
	}
}

// TestVMsModeWukongsRefusesWhatOnlyTheOperatorRenders: mode wukongs substitutes ${INDEX} and ${NAME} only;
// anything else fails the install with a pointer to mode set instead of reaching the apiserver.
func TestVMsModeWukongsRefusesWhatOnlyTheOperatorRenders(t *testing.T) {
	ch := loadChart(t, "wukong-vms")
	for _, tc := range []struct {
		name, value string
		want        []string
	}{
		{"expression", "192.168.1.${INDEX+100}/24", []string{"${INDEX+100}", "mode set"}},
		{"other variable", "10.0.0.${REPLICAS}/24", []string{"${REPLICAS}", "mode set"}},
		{"spaces", "10.0.0.${ INDEX }/24", []string{"${ INDEX }", "mode set"}},
		{"escape", "10.0.0.1/24 $${INDEX}", []string{"$${", "mode set"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := values(t, fmt.Sprintf(`
mode: wukongs
replicas: 2
vmTemplate:
  networks:
  - name: eth0
    ipConfig: {mode: static, address: %q}
`, tc.value))
			_, err := render(ch, "vms", "default", vals)
			errorContains(t, err, tc.want...)
		})
	}
}

// TestVMsInvalidValues: values.schema.json refuses bad values before anything renders, naming the field.
func TestVMsInvalidValues(t *testing.T) {
	ch := loadChart(t, "wukong-vms")
	for _, tc := range []struct {
		name, values string
		want         []string
	}{
		// The chart's defaults hold the design's cpu and memory; null removes a default, as --set cpu=null.
		{"cpu missing", "vmTemplate: {cpu: null}", []string{"/vmTemplate", "missing", "cpu"}},
		{"memory missing", "vmTemplate: {memory: null}", []string{"/vmTemplate", "missing", "memory"}},
		{"cpu a string", "vmTemplate: {cpu: two}", []string{"/vmTemplate/cpu", "integer"}},
		{"cpu zero", "vmTemplate: {cpu: 0}", []string{"/vmTemplate/cpu"}},
		{"misspelt field", "vmTemplate: {cpus: 4}", []string{"/vmTemplate", "cpus"}},
		{"disk without size", "vmTemplate: {disks: [{name: data}]}", []string{"/vmTemplate/disks/0", "size"}},
		{"unknown network type", "vmTemplate: {networks: [{name: eth0, type: vxlan}]}", []string{"/vmTemplate/networks/0/type"}},
		{"label not a string", "vmTemplate: {labels: {tier: 1}}", []string{"/vmTemplate/labels/tier", "string"}},
		{"unknown mode", "mode: both", []string{"/mode"}},
		{"negative replicas", "replicas: -1", []string{"/replicas"}},
		{"name not a DNS label", "name: Web_Servers", []string{"/name"}},
		{"misspelt top-level key", "replica: 3", []string{"replica"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(ch, "vms", "default", values(t, tc.values))
			errorContains(t, err, append([]string{"values don't meet the specifications of the schema"}, tc.want...)...)
		})
	}
}

// specValues returns the values' vmTemplate without the members' metadata: the template spec.
func specValues(vals chartutil.Values) map[string]any {
	spec := maps.Clone(vals["vmTemplate"].(map[string]any))
	delete(spec, "labels")
	delete(spec, "annotations")
	return spec
}

// jsonMap normalizes a map through JSON, as decode does with rendered objects.
func jsonMap(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(append(append([]byte(`{"apiVersion":"v1","kind":"X","spec":`), raw...), '}')); err != nil {
		t.Fatal(err)
	}
	return u.Object["spec"].(map[string]any)
}

// wantSpec is the WukongSpec the values' vmTemplate asks for, as the apiserver stores it: decoded strictly
// (every key must be an API field) and with the CRD's defaults.
func wantSpec(t *testing.T, vals chartutil.Values) v1alpha1.WukongSpec {
	t.Helper()
	raw, err := json.Marshal(specValues(vals))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var spec v1alpha1.WukongSpec
	if err := dec.Decode(&spec); err != nil {
		t.Fatalf("vmTemplate is not a WukongSpec: %v", err)
	}
	crdDefaults(&spec)
	return spec
}

// crdDefaults sets the +kubebuilder:default values of the Wukong API that the apiserver fills in.
func crdDefaults(spec *v1alpha1.WukongSpec) {
	if spec.RunStrategy == "" {
		spec.RunStrategy = v1alpha1.RunStrategyAlways
	}
	for i := range spec.Networks {
		n := &spec.Networks[i]
		if n.Type == "" {
			n.Type = v1alpha1.NetworkTypeBridge
		}
		if n.IPConfig != nil && n.IPConfig.Mode == "" {
			n.IPConfig.Mode = v1alpha1.IPModeDHCP
		}
	}
	if p := spec.Placement; p != nil && p.AntiAffinity != nil {
		if p.AntiAffinity.Mode == "" {
			p.AntiAffinity.Mode = v1alpha1.AntiAffinityPreferred
		}
		if p.AntiAffinity.TopologyKey == "" {
			p.AntiAffinity.TopologyKey = "kubernetes.io/hostname"
		}
	}
}

func stringMap[V ~string](m map[string]V) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}
