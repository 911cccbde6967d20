package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/novasphere/wukong/test/testenv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/template"
)

func samplePath(name string) string {
	return filepath.Join("..", "..", "config", "samples", name)
}

// renderFile runs the render command in-process on a file and returns stdout, stderr and the error.
func renderFile(t *testing.T, path string, o renderOptions) (string, string, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o.file = path
	if o.output == "" {
		o.output = "yaml"
	}
	if o.namespace == "" {
		o.namespace = "default"
	}
	var stdout, stderr bytes.Buffer
	err = render(t.Context(), raw, o, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// decodeWukongs reads render's YAML stream.
func decodeWukongs(t *testing.T, stream string) []vmv1alpha1.Wukong {
	t.Helper()
	var out []vmv1alpha1.Wukong
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var w vmv1alpha1.Wukong
		if err := decodeStrict(doc, &w); err != nil {
			t.Fatalf("render printed a document that is not a Wukong: %v\n%s", err, doc)
		}
		out = append(out, w)
	}
}

// TestRenderSamples renders every WukongSet sample: the members, their labels and addresses are the ones the
// design's examples describe, and every member passes the offline validation.
func TestRenderSamples(t *testing.T) {
	tests := []struct {
		file      string
		names     []string
		labels    []string // the user's labels of each member, as the table prints them
		addresses []string
	}{
		{
			file:      "vm_v1alpha1_wukongset_variables.yaml", // design 6.3
			names:     []string{"cluster-nodes-0", "cluster-nodes-1", "cluster-nodes-2"},
			labels:    []string{"node-index=0", "node-index=1", "node-index=2"},
			addresses: []string{"eth0=192.168.1.100/24", "eth0=192.168.1.101/24", "eth0=192.168.1.102/24"},
		},
		{
			file:      "vm_v1alpha1_wukongset_basic.yaml", // design 6.1
			names:     []string{"web-servers-0", "web-servers-1", "web-servers-2", "web-servers-3", "web-servers-4"},
			labels:    slices.Repeat([]string{"app=web-server"}, 5),
			addresses: slices.Repeat([]string{"<none>"}, 5),
		},
		{
			file: "vm_v1alpha1_wukongset_selector.yaml", // design 3.1: members carry the selector's labels
			names: []string{"web-servers-v2-0", "web-servers-v2-1", "web-servers-v2-2", "web-servers-v2-3",
				"web-servers-v2-4"},
			labels:    slices.Repeat([]string{"app=web-server"}, 5),
			addresses: slices.Repeat([]string{"<none>"}, 5),
		},
		{
			file:      "vm_v1alpha1_wukongset_rolling.yaml", // design 6.2
			names:     []string{"app-servers-0", "app-servers-1", "app-servers-2", "app-servers-3", "app-servers-4", "app-servers-5", "app-servers-6", "app-servers-7", "app-servers-8", "app-servers-9"},
			labels:    slices.Repeat([]string{"<none>"}, 10),
			addresses: slices.Repeat([]string{"<none>"}, 10),
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			stdout, stderr, err := renderFile(t, samplePath(tc.file), renderOptions{output: "table"})
			if err != nil || stderr != "" {
				t.Fatalf("render -o table: %v; stderr:\n%s", err, stderr)
			}
			var want strings.Builder
			fmt.Fprintln(&want, "NAME LABELS IP ADDRESSES")
			for i := range tc.names {
				fmt.Fprintln(&want, tc.names[i], tc.labels[i], tc.addresses[i])
			}
			if got := squeeze(stdout); got != want.String() {
				t.Errorf("table:\n%s\nwant (spacing aside):\n%s", stdout, want.String())
			}

			stdout, stderr, err = renderFile(t, samplePath(tc.file), renderOptions{})
			if err != nil || stderr != "" {
				t.Fatalf("render -o yaml: %v; stderr:\n%s", err, stderr)
			}
			members := decodeWukongs(t, stdout)
			if len(members) != len(tc.names) {
				t.Fatalf("%d members in the YAML, want %d", len(members), len(tc.names))
			}
			for i, m := range members {
				if m.Name != tc.names[i] || m.Namespace != "default" || m.Kind != "Wukong" {
					t.Errorf("member %d is %s %s/%s, want Wukong default/%s", i, m.Kind, m.Namespace, m.Name, tc.names[i])
				}
				if m.Labels[vmv1alpha1.LabelIndex] != fmt.Sprint(i) || m.Labels[vmv1alpha1.LabelRevision] == "" {
					t.Errorf("member %s lacks the controller's index and revision labels: %v", m.Name, m.Labels)
				}
				if strings.Contains(stdout, "${") {
					t.Errorf("a variable is left unrendered:\n%s", stdout)
				}
			}
		})
	}
}

// squeeze collapses the table's column padding to single spaces.
func squeeze(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(strings.Join(strings.Fields(line), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

const invalidAtIndex2 = `apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: cluster-nodes
spec:
  replicas: 3
  template:
    metadata:
      labels:
        node-index: "${INDEX}"
    spec:
      cpu: 4
      memory: 8Gi
      networks:
      - name: eth0
        ipConfig:
          mode: static
          address: "10.0.0.${INDEX+254}/24"
`

// TestRenderInvalid: problems are reported per member (or per set) with the field, nothing is printed on
// stdout, and the command fails.
func TestRenderInvalid(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []string
		notWant []string
	}{
		{
			name: "CEL rule fails at one index",
			doc:  invalidAtIndex2,
			want: []string{`member cluster-nodes-2 (index 2): spec.networks[0].ipConfig.address: Invalid value: "10.0.0.256/24": address must be an IP address with a prefix length`},
			// 10.0.0.254 and .255 are addresses, if unusual ones.
			notWant: []string{"cluster-nodes-0", "cluster-nodes-1"},
		},
		{
			name: "schema bound",
			doc:  strings.Replace(invalidAtIndex2, "cpu: 4", "cpu: 4096", 1),
			want: []string{"WukongSet cluster-nodes: spec.template.spec.cpu: Invalid value: 4096: spec.template.spec.cpu in body should be less than or equal to 512"},
		},
		{
			name: "syntax error",
			doc:  strings.Replace(invalidAtIndex2, "${INDEX+254}", "${INDEX+}", 1),
			want: []string{`WukongSet cluster-nodes: spec.template.spec.networks[0].ipConfig.address: expression "INDEX+": Syntax error`},
		},
		{
			name: "evaluation error at one index",
			doc:  strings.Replace(invalidAtIndex2, "${INDEX+254}", "${100 / (INDEX - 1)}", 1),
			want: []string{`member cluster-nodes-1 (index 1): spec.networks[0].ipConfig.address: expression "100 / (INDEX - 1)": division by zero`},
		},
		{
			name: "label value rendered too long",
			doc:  strings.Replace(invalidAtIndex2, `node-index: "${INDEX}"`, `node-index: "${INDEX == 2 ? '`+strings.Repeat("x", 64)+`' : string(INDEX)}"`, 1),
			want: []string{"member cluster-nodes-2 (index 2): metadata.labels: Invalid value:", "must be no more than 63 bytes"},
		},
		{
			name: "set rule",
			doc:  strings.Replace(invalidAtIndex2, "  replicas: 3\n", "  replicas: 3\n  selector:\n    matchLabels:\n      node-index: \"7\"\n", 1),
			want: []string{"WukongSet cluster-nodes: spec.selector: Invalid value: selector.matchLabels conflicts with template.metadata.labels"},
		},
		{
			name: "unknown field",
			doc:  strings.Replace(invalidAtIndex2, "cpu: 4", "cpus: 4", 1),
			want: []string{`unknown field "spec.template.spec.cpus"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "set.yaml")
			writeFile(t, path, tc.doc)
			stdout, stderr, err := renderFile(t, path, renderOptions{})
			if err == nil {
				t.Fatalf("render accepted it; stdout:\n%s", stdout)
			}
			if stdout != "" {
				t.Errorf("render printed members of an invalid set:\n%s", stdout)
			}
			all := stderr + err.Error()
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output does not contain %q:\n%s", w, all)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(all, w) {
					t.Errorf("output names %q, which is valid:\n%s", w, all)
				}
			}
		})
	}
}

// TestRenderProcess runs the binary: exit code 0 with the members, 1 with the problem, flag errors.
func TestRenderProcess(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "set.yaml")
	writeFile(t, bad, invalidAtIndex2)

	code, stdout, stderr := run(t, "render", "-f", samplePath("vm_v1alpha1_wukongset_variables.yaml"), "--validate-only")
	if code != 0 || stdout != "WukongSet default/cluster-nodes: 3 members valid\n" {
		t.Errorf("--validate-only on a valid set: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "render", "-f", bad, "-o", "table")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "member cluster-nodes-2 (index 2): spec.networks[0].ipConfig.address:") {
		t.Errorf("invalid member: exit %d, stdout %q, stderr %q; want exit 1 naming cluster-nodes-2 and the field", code, stdout, stderr)
	}
	code, _, stderr = run(t, "render", "-f", bad, "-o", "json")
	if code != 1 || !strings.Contains(stderr, `-o "json": want yaml or table`) {
		t.Errorf("-o json: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "render", "-f", samplePath("vm_v1alpha1_wukong_static.yaml"))
	if code != 1 || !strings.Contains(stderr, `kind "Wukong": render takes WukongSets`) {
		t.Errorf("a Wukong: exit %d, stderr %q", code, stderr)
	}
}

// TestRenderMatchesController creates design example 6.3 in the cluster and compares the members the
// controller made with the ones render prints: names, labels (revision included) and specs are identical.
func TestRenderMatchesController(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "render")
	file := samplePath("vm_v1alpha1_wukongset_variables.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetNamespace(ns)
	if err := h.Client.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := renderFile(t, file, renderOptions{namespace: ns})
	if err != nil {
		t.Fatalf("render: %v\n%s", err, stderr)
	}
	rendered := decodeWukongs(t, stdout)
	for _, want := range rendered {
		var got vmv1alpha1.Wukong
		eventually(t, func() error {
			if !testenv.Exists(t, h.Client, ns, want.Name, &got) {
				return fmt.Errorf("member %s not created yet", want.Name)
			}
			return nil
		})
		if !reflect.DeepEqual(got.Labels, want.Labels) {
			t.Errorf("%s: the controller's labels %v, render's %v", want.Name, got.Labels, want.Labels)
		}
		if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
			t.Errorf("%s: the controller's spec %+v, render's %+v", want.Name, got.Spec, want.Spec)
		}
	}
	var list vmv1alpha1.WukongList
	if err := h.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != len(rendered) {
		t.Errorf("the controller made %d members, render printed %d", len(list.Items), len(rendered))
	}
}

// TestStatefulSetSample builds config/samples/statefulset with kustomize, has the apiserver accept every
// object, checks the StatefulSet is the design's 3.2 wired to create-vm, and renders its template for a pod.
func TestStatefulSetSample(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "statefulset-sample")
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), samplePath("statefulset"))
	if err != nil {
		t.Fatalf("kustomize build config/samples/statefulset: %v", err)
	}
	kinds := map[string]*unstructured.Unstructured{}
	for _, r := range res.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace(ns)
		if err := h.Client.Create(ctx, u, client.FieldValidation("Strict")); err != nil {
			t.Errorf("%s %s rejected: %v", u.GetKind(), u.GetName(), err)
		}
		kinds[u.GetKind()] = u
	}
	for _, k := range []string{"StatefulSet", "Service", "ServiceAccount", "Role", "RoleBinding", "ConfigMap"} {
		if kinds[k] == nil {
			t.Fatalf("no %s in the sample", k)
		}
	}

	var sts appsv1.StatefulSet
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vm-set"}, &sts); err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 5 || sts.Spec.ServiceName != "vm-set" || sts.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement {
		t.Errorf("StatefulSet: replicas %d, serviceName %q, policy %s", *sts.Spec.Replicas, sts.Spec.ServiceName, sts.Spec.PodManagementPolicy)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if want := []string{"create-vm", "--template=/etc/wukong/vm-template.yaml", "--index=$(POD_NAME)"}; !slices.Equal(c.Args, want) {
		t.Errorf("args %q, want %q", c.Args, want)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			env[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	if env["POD_NAME"] != "metadata.name" || env["POD_NAMESPACE"] != "metadata.namespace" {
		t.Errorf("downward API env %v", env)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.IntValue() != 8080 {
		t.Errorf("readinessProbe %+v, want httpGet /readyz on 8080", p)
	}
	if sts.Spec.Template.Spec.ServiceAccountName != "vm-set" {
		t.Errorf("serviceAccountName %q", sts.Spec.Template.Spec.ServiceAccountName)
	}
	var cmName string
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	if cmName != kinds["ConfigMap"].GetName() {
		t.Errorf("the template volume mounts ConfigMap %q, the sample has %q", cmName, kinds["ConfigMap"].GetName())
	}

	var role rbacv1.Role
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vm-set"}, &role); err != nil {
		t.Fatal(err)
	}
	allowed := func(group, resource, verb string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
				return true
			}
		}
		return false
	}
	for _, verb := range []string{"create", "get", "list", "watch", "update", "patch", "delete"} {
		if !allowed(vmv1alpha1.GroupVersion.Group, "wukongs", verb) {
			t.Errorf("the Role does not allow %s on wukongs", verb)
		}
	}
	if !allowed("", "pods", "get") {
		t.Error("the Role does not allow get on pods")
	}

	// The ConfigMap's template, rendered for pod vm-set-3 as create-vm does, is a valid Wukong.
	var cm corev1.ConfigMap
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: cmName}, &cm); err != nil {
		t.Fatal(err)
	}
	tmpl, err := parseTemplate([]byte(cm.Data["vm-template.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	engine, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	w, err := buildWukong(engine, tmpl, template.Vars{Index: 3, Name: "vm-set-3", Set: "vm-set", Namespace: ns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Spec.Networks[0].IPConfig.Address; got != "192.168.10.13/24" {
		t.Errorf("vm-set-3's address %q, want 192.168.10.13/24", got)
	}
	schema, err := crdschema.Wukong()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := crdschema.ToMap(w)
	if err != nil {
		t.Fatal(err)
	}
	schema.Default(obj)
	if errs := schema.Validate(ctx, obj); len(errs) > 0 {
		t.Errorf("vm-set-3 from the sample template is invalid: %v", errs.ToAggregate())
	}

	t.Run("create-vm needs no more than the sample's Role", func(t *testing.T) {
		// Without the Role the same run is forbidden: the impersonation below is what is tested.
		nobody := impersonating(t, "system:serviceaccount:"+ns+":nobody", "system:serviceaccounts", "system:authenticated")
		code, _, stderr := run(t, "create-vm", "--template="+samplePath("statefulset/vm-template.yaml"), "--index=vm-set-9",
			"--owner-pod=vm-set-9", "--namespace="+ns, "--kubeconfig", nobody, "--ready-addr", "0")
		if code != 1 || !strings.Contains(stderr, "forbidden") {
			t.Fatalf("a service account without the Role: exit %d, stderr %q; want exit 1, forbidden", code, stderr)
		}

		kubeconfig := impersonating(t, "system:serviceaccount:"+ns+":vm-set",
			"system:serviceaccounts", "system:serviceaccounts:"+ns, "system:authenticated")
		tmplFile := filepath.Join(t.TempDir(), "vm-template.yaml")
		writeFile(t, tmplFile, cm.Data["vm-template.yaml"])
		createPod(t, ns, "vm-set-0")
		p := start(t, []string{"POD_NAME=vm-set-0", "POD_NAMESPACE=" + ns}, "create-vm", "--template="+tmplFile,
			"--index=vm-set-0", "--kubeconfig", kubeconfig, "--ready-addr", "0", "--delete-on-exit")
		// A status line after "applied" means the list and watch were allowed too.
		eventually(t, func() error {
			if out := p.stdout.String(); !strings.Contains(out, "phase ") {
				return fmt.Errorf("no status line yet; stdout %s; stderr %s", out, p.stderr)
			}
			return nil
		})
		if code := p.signal(t, syscall.SIGTERM); code != 0 {
			t.Fatalf("exit code %d; stderr %s", code, p.stderr)
		}
		if testenv.Exists(t, h.Client, ns, "vm-set-0", &vmv1alpha1.Wukong{}) {
			// Deleted, perhaps still finalizing; it must at least be marked.
			var w vmv1alpha1.Wukong
			if testenv.Exists(t, h.Client, ns, "vm-set-0", &w) && w.DeletionTimestamp == nil {
				t.Errorf("--delete-on-exit did not delete the Wukong as the service account: %s", p.stderr)
			}
		}
	})
}

// impersonating writes a copy of the test kubeconfig that acts as user, so a process runs with that user's
// RBAC permissions.
func impersonating(t *testing.T, user string, groups ...string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(h.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate, a.ImpersonateGroups = user, groups
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
