package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/children"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/owner"
)

func samplePath(name string) string {
	return filepath.Join("..", "..", "..", "config", "samples", name)
}

// run renders raw in-process with o (yaml and namespace default unless set) and returns stdout, stderr and
// the error.
func run(t *testing.T, raw []byte, o Options) (string, string, error) {
	t.Helper()
	if o.File == "" {
		o.File = "set.yaml"
	}
	if o.Output == "" {
		o.Output = OutputYAML
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := Run(t.Context(), raw, o, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func runFile(t *testing.T, path string, o Options) (string, string, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o.File = path
	return run(t, raw, o)
}

// items decodes -o yaml or -o json output: a List's items, or the one object.
func items(t *testing.T, out string) []*unstructured.Unstructured {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not one YAML or JSON document: %v\n%s", err, out)
	}
	if doc["kind"] != "List" {
		return []*unstructured.Unstructured{{Object: doc}}
	}
	if doc["apiVersion"] != "v1" {
		t.Errorf("List apiVersion %v; want v1", doc["apiVersion"])
	}
	var out2 []*unstructured.Unstructured
	for _, it := range doc["items"].([]any) {
		out2 = append(out2, &unstructured.Unstructured{Object: it.(map[string]any)})
	}
	return out2
}

// wukongs decodes the members in -o yaml or -o json output, strictly.
func wukongs(t *testing.T, out string) []vmv1alpha1.Wukong {
	t.Helper()
	var ws []vmv1alpha1.Wukong
	for _, u := range items(t, out) {
		if u.GetKind() != "Wukong" {
			continue
		}
		raw, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		var w vmv1alpha1.Wukong
		if err := crdschema.DecodeStrict(raw, &w); err != nil {
			t.Fatalf("render printed a Wukong that does not decode: %v\n%s", err, raw)
		}
		ws = append(ws, w)
	}
	return ws
}

// TestRenderSamples renders every WukongSet sample: the members, their labels and addresses are the ones the
// design's examples describe, every member passes the offline validation, and yaml and json print the same.
func TestRenderSamples(t *testing.T) {
	tests := []struct {
		file  string
		names []string
		// rest are the table's columns after NAME and INDEX: CPU MEMORY DISKS IP-ADDRESSES LABELS.
		rest []string
	}{
		{
			file:  "vm_v1alpha1_wukongset_variables.yaml", // design 6.3
			names: []string{"cluster-nodes-0", "cluster-nodes-1", "cluster-nodes-2"},
			rest: []string{"4 8Gi system=50Gi eth0=192.168.1.100/24 node-index=0", "4 8Gi system=50Gi eth0=192.168.1.101/24 node-index=1",
				"4 8Gi system=50Gi eth0=192.168.1.102/24 node-index=2"},
		},
		{
			file:  "vm_v1alpha1_wukongset_basic.yaml", // design 6.1
			names: []string{"web-servers-0", "web-servers-1", "web-servers-2", "web-servers-3", "web-servers-4"},
			rest:  slices.Repeat([]string{"2 4Gi system=20Gi <none> app=web-server"}, 5),
		},
		{
			file: "vm_v1alpha1_wukongset_selector.yaml", // design 3.1: members carry the selector's labels
			names: []string{"web-servers-v2-0", "web-servers-v2-1", "web-servers-v2-2", "web-servers-v2-3",
				"web-servers-v2-4"},
			rest: slices.Repeat([]string{"2 4Gi system=20Gi <none> app=web-server"}, 5),
		},
		{
			file:  "vm_v1alpha1_wukongset_databases.yaml",
			names: []string{"databases-0", "databases-1", "databases-2", "databases-3"},
			rest:  slices.Repeat([]string{"2 4Gi system=20Gi,data=100Gi <none> app=database"}, 4),
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			stdout, stderr, err := runFile(t, samplePath(tc.file), Options{Output: OutputTable})
			if err != nil || stderr != "" {
				t.Fatalf("render -o table: %v; stderr:\n%s", err, stderr)
			}
			var want strings.Builder
			fmt.Fprintln(&want, "NAME INDEX CPU MEMORY DISKS IP ADDRESSES LABELS")
			for i := range tc.names {
				fmt.Fprintln(&want, tc.names[i], i, tc.rest[i])
			}
			if got := squeeze(stdout); got != want.String() {
				t.Errorf("table:\n%s\nwant (spacing aside):\n%s", stdout, want.String())
			}

			yamlOut, stderr, err := runFile(t, samplePath(tc.file), Options{})
			if err != nil || stderr != "" {
				t.Fatalf("render -o yaml: %v; stderr:\n%s", err, stderr)
			}
			members := wukongs(t, yamlOut)
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
				if len(m.OwnerReferences) != 0 {
					t.Errorf("member %s has owner references %v", m.Name, m.OwnerReferences)
				}
			}
			if strings.Contains(yamlOut, "${") || strings.Contains(yamlOut, "creationTimestamp") || strings.Contains(yamlOut, "status:") {
				t.Errorf("a variable is left unrendered, or null timestamps or status are printed:\n%s", yamlOut)
			}

			jsonOut, _, err := runFile(t, samplePath(tc.file), Options{Output: OutputJSON})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(jsonOut, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [") {
				t.Errorf("-o json is not a List indented as kubectl's:\n%.200s", jsonOut)
			}
			if !reflect.DeepEqual(wukongs(t, jsonOut), members) {
				t.Error("-o json and -o yaml print different members")
			}

			names, _, err := runFile(t, samplePath(tc.file), Options{Output: OutputName})
			if err != nil {
				t.Fatal(err)
			}
			var wantNames strings.Builder
			for _, n := range tc.names {
				fmt.Fprintln(&wantNames, "wukong.vm.novasphere.dev/"+n)
			}
			if names != wantNames.String() {
				t.Errorf("-o name:\n%s\nwant:\n%s", names, wantNames.String())
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

const oneMember = `apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: solo
spec:
  replicas: 1
  template:
    spec:
      cpu: 1
      memory: 1Gi
`

// TestRenderOneObject: one object is printed as itself, not as a List, as kubectl apply --dry-run does.
func TestRenderOneObject(t *testing.T) {
	for _, output := range []string{OutputYAML, OutputJSON} {
		out, _, err := run(t, []byte(oneMember), Options{Output: output})
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["kind"] != "Wukong" || doc["metadata"].(map[string]any)["name"] != "solo-0" {
			t.Errorf("-o %s of one member:\n%s\nwant the Wukong solo-0 itself", output, out)
		}
	}
}

// TestRenderChildren: --children prints, after each member, the objects the Wukong controller's builders
// make for it as stored (defaulted, controlled by its set), each once, without owner references and without
// the Secret's user data.
func TestRenderChildren(t *testing.T) {
	file := samplePath("vm_v1alpha1_wukongset_variables.yaml")
	out, stderr, err := runFile(t, file, Options{Children: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	got := items(t, out)
	members := wukongs(t, out)
	if len(members) != 3 {
		t.Fatalf("%d members; want 3", len(members))
	}
	schema, err := crdschema.Wukong()
	if err != nil {
		t.Fatal(err)
	}
	var want []any
	seen := map[string]bool{}
	for _, m := range members {
		want = append(want, printable(t, &m))
		obj, err := crdschema.ToMap(&m)
		if err != nil {
			t.Fatal(err)
		}
		schema.Default(obj)
		var stored vmv1alpha1.Wukong
		if err := crdschema.FromMap(obj, &stored); err != nil {
			t.Fatal(err)
		}
		stored.OwnerReferences = []metav1.OwnerReference{owner.SetReference(&vmv1alpha1.WukongSet{
			ObjectMeta: metav1.ObjectMeta{Name: "cluster-nodes"},
		})}
		objs, err := children.Build(&stored, cloudinit.Credentials{}, multus.InUse{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := objs.Secret.Data[cloudinit.UserDataKey]; !ok {
			t.Fatal("the builder's Secret has no user data")
		}
		delete(objs.Secret.Data, cloudinit.UserDataKey)
		for _, c := range objs.List() {
			if seen[Name(c)] {
				continue
			}
			seen[Name(c)] = true
			c.SetOwnerReferences(nil)
			want = append(want, printable(t, c))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("render printed %d objects; the builders make %d", len(got), len(want))
	}
	for i := range got {
		if g := normalize(t, got[i].Object); !reflect.DeepEqual(g, want[i]) {
			t.Errorf("object %d: render printed\n%v\nthe builders make\n%v", i, g, want[i])
		}
	}
	var kinds []string
	for _, u := range got[:5] {
		kinds = append(kinds, u.GetKind())
	}
	if wantKinds := []string{"Wukong", "VirtualMachine", "DataVolume", "Secret", "NetworkAttachmentDefinition"}; !slices.Equal(kinds, wantKinds) {
		t.Errorf("the first member's objects are %v; want %v", kinds, wantKinds)
	}
	if strings.Contains(out, cloudinit.UserDataKey+":") || strings.Contains(out, "ownerReferences") {
		t.Errorf("the cloud-init user data or an owner reference is printed:\n%s", out)
	}

	table, _, err := runFile(t, file, Options{Children: true, Output: OutputTable})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"NAME RUN STRATEGY VOLUMES NETWORKS\nvirtualmachine.kubevirt.io/cluster-nodes-0 Always system,cloudinitdisk default,eth0\n",
		"NAME SIZE SOURCE STORAGE CLASS\ndatavolume.cdi.kubevirt.io/cluster-nodes-0-system 50Gi docker://quay.io/kubevirt/ubuntu:22.04 <none>\n",
		"NAME TYPE DATA\nsecret/cluster-nodes-0-cloudinit Opaque networkdata (userdata left out)\n",
		"NAME CNI TYPE\nnetworkattachmentdefinition.k8s.cni.cncf.io/",
	} {
		if !strings.Contains(squeeze(table), want) {
			t.Errorf("-o table --children lacks\n%s\n in:\n%s", want, table)
		}
	}

	summary, _, err := runFile(t, file, Options{Children: true, ValidateOnly: true})
	if wantSummary := fmt.Sprintf("WukongSet default/cluster-nodes: 3 members valid, %d children\n", len(want)-3); err != nil || summary != wantSummary {
		t.Errorf("--validate-only --children: %q, %v; want %q", summary, err, wantSummary)
	}
}

// printable is Printable(obj) normalized.
func printable(t *testing.T, obj client.Object) any {
	t.Helper()
	m, err := Printable(obj)
	if err != nil {
		t.Fatal(err)
	}
	return normalize(t, m)
}

// normalize is v through JSON, so integers compare alike whichever decoder read them.
func normalize(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
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
		name     string
		doc      string
		children bool
		want     []string
		notWant  []string
	}{
		{
			name: "CEL rule fails at one index",
			doc:  invalidAtIndex2,
			want: []string{`member cluster-nodes-2 (index 2): spec.networks[0].ipConfig.address: Invalid value: "10.0.0.256/24": address must be an IP address with a prefix length`},
			// 10.0.0.254 and .255 are addresses, if unusual ones.
			notWant: []string{"cluster-nodes-0", "cluster-nodes-1"},
		},
		{
			name:     "CEL rule fails at one index, with children",
			doc:      invalidAtIndex2,
			children: true,
			want:     []string{`member cluster-nodes-2 (index 2): spec.networks[0].ipConfig.address:`},
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
			want: []string{`document 1: unknown field "spec.template.spec.cpus"`},
		},
		{
			name: "not a set",
			doc:  "apiVersion: vm.novasphere.dev/v1alpha1\nkind: Wukong\nmetadata:\n  name: x\n",
			want: []string{`document 1: kind "Wukong": render takes WukongSets`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := run(t, []byte(tc.doc), Options{Children: tc.children})
			if err == nil {
				t.Fatalf("render accepted it; stdout:\n%s", stdout)
			}
			if stdout != "" {
				t.Errorf("render printed objects of an invalid set:\n%s", stdout)
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

// TestRenderNamespace: -n is the namespace of a set that names none (and ${NAMESPACE}); a set naming another
// one is an error only when -n was given, as with kubectl.
func TestRenderNamespace(t *testing.T) {
	inNS := strings.Replace(oneMember, "  name: solo\n", "  name: solo\n  namespace: prod\n", 1)
	tests := []struct {
		name     string
		doc      string
		ns       string
		explicit bool
		want     string // the member's namespace, or the error
	}{
		{"default", oneMember, "", false, "default"},
		{"-n", oneMember, "dev", true, "dev"},
		{"the set's own", inNS, "", false, "prod"},
		{"-n agrees", inNS, "prod", true, "prod"},
		{"-n differs", inNS, "dev", true, `document 1: WukongSet solo is in namespace "prod", not "dev" (-n)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := run(t, []byte(tc.doc), Options{Namespace: tc.ns, NamespaceSet: tc.explicit, Children: true})
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v; want %q", err, tc.want)
				}
				return
			}
			for _, u := range items(t, out) {
				if u.GetNamespace() != tc.want {
					t.Errorf("%s %s in namespace %q; want %q", u.GetKind(), u.GetName(), u.GetNamespace(), tc.want)
				}
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{File: "x", Output: "yaml"}, ""},
		{Options{File: "x", Output: "json"}, ""},
		{Options{File: "x", Output: "table"}, ""},
		{Options{File: "x", Output: "name"}, ""},
		{Options{File: "x", Output: "wide"}, `-o "wide": want yaml, json, table or name`},
		{Options{Output: "yaml"}, "-f is required"},
	} {
		err := tc.o.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v; want %q", tc.o, err, tc.want)
		}
	}
}
