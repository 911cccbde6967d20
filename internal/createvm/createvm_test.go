package createvm

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/template"
)

func TestParseIndex(t *testing.T) {
	tests := []struct {
		in      string
		index   int64
		set     string
		wantErr bool
	}{
		{in: "3", index: 3},
		{in: "0", index: 0},
		{in: "vm-set-3", index: 3, set: "vm-set"},
		{in: "web-12", index: 12, set: "web"},
		{in: "a-b-c-0", index: 0, set: "a-b-c"},
		{in: "", wantErr: true},
		{in: "vm-set", wantErr: true},
		{in: "vm-set-", wantErr: true},
		{in: "vm-set-x", wantErr: true},
		{in: "-3", wantErr: true},
		{in: "+3", wantErr: true},
		{in: "vm-set-+3", wantErr: true},
		{in: "3.5", wantErr: true},
	}
	for _, tc := range tests {
		index, set, err := ParseIndex(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseIndex(%q) = %d, %q; want an error", tc.in, index, set)
			} else if !strings.Contains(err.Error(), "--index") {
				t.Errorf("ParseIndex(%q) error %q does not name the flag", tc.in, err)
			}
			continue
		}
		if err != nil || index != tc.index || set != tc.set {
			t.Errorf("ParseIndex(%q) = %d, %q, %v; want %d, %q", tc.in, index, set, err, tc.index, tc.set)
		}
	}
}

func TestResolveMember(t *testing.T) {
	tests := []struct {
		desc                  string
		index, name, ownerPod string
		want                  Member
		wantErr               string
	}{
		{desc: "pod name as index, as in the design", index: "vm-set-3", name: "", ownerPod: "vm-set-3",
			want: Member{Name: "vm-set-3", Set: "vm-set", Index: 3}},
		{desc: "index defaults to the pod's ordinal", index: "", name: "", ownerPod: "vm-set-4",
			want: Member{Name: "vm-set-4", Set: "vm-set", Index: 4}},
		{desc: "numeric index takes the set from the pod", index: "7", name: "", ownerPod: "vm-set-3",
			want: Member{Name: "vm-set-3", Set: "vm-set", Index: 7}},
		{desc: "explicit name", index: "vm-set-3", name: "db", ownerPod: "vm-set-3",
			want: Member{Name: "db", Set: "vm-set", Index: 3}},
		{desc: "no pod: the index's pod name", index: "vm-set-2", name: "", ownerPod: "",
			want: Member{Name: "vm-set-2", Set: "vm-set", Index: 2}},
		{desc: "no pod, a number and a name", index: "2", name: "db", ownerPod: "",
			want: Member{Name: "db", Index: 2}},
		{desc: "no pod, no index", index: "", name: "", ownerPod: "", wantErr: "--index is required"},
		{desc: "no pod, a number, no name", index: "2", name: "", ownerPod: "", wantErr: "--name is required"},
		{desc: "bad index", index: "vm-set-x", name: "", ownerPod: "vm-set-3", wantErr: `--index "vm-set-x"`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := ResolveMember(tc.index, tc.name, tc.ownerPod)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %+v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

const templateBody = `
metadata:
  labels:
    node-index: "${INDEX}"
spec:
  cpu: 2
  memory: 4Gi
  networks:
  - name: eth0
    ipConfig:
      mode: static
      address: "192.168.1.${INDEX+100}/24"
`

// TestParseTemplate covers the three forms a template file may take and the errors for the others.
func TestParseTemplate(t *testing.T) {
	indent := func(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "template", doc: templateBody},
		{name: "WukongSet", doc: "apiVersion: vm.novasphere.dev/v1alpha1\nkind: WukongSet\nmetadata: {name: s}\nspec:\n  replicas: 3\n  template:" + indent(templateBody)},
		{name: "Wukong", doc: strings.Replace(templateBody, "metadata:", "apiVersion: vm.novasphere.dev/v1alpha1\nkind: Wukong\nmetadata:\n  name: w", 1)},
		{name: "unknown field", doc: strings.Replace(templateBody, "cpu:", "cpus:", 1), wantErr: `unknown field "spec.cpus"`},
		{name: "no spec", doc: "metadata: {labels: {a: b}}", wantErr: "spec: required"},
		{name: "other kind", doc: "kind: Pod\nspec: {}", wantErr: `kind "Pod"`},
		{name: "empty", doc: "", wantErr: "empty document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTemplate([]byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.CPU != 2 || got.Metadata.Labels["node-index"] != "${INDEX}" ||
				len(got.Spec.Networks) != 1 || got.Spec.Networks[0].IPConfig.Address != "192.168.1.${INDEX+100}/24" {
				t.Fatalf("template read as %+v", got)
			}
		})
	}
}

func TestBuildWukong(t *testing.T) {
	engine, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ParseTemplate([]byte(templateBody))
	if err != nil {
		t.Fatal(err)
	}
	owner := PodOwnerReference(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "vm-set-3", UID: "pod-uid"}})
	w, err := BuildWukong(engine, tmpl, template.Vars{Index: 3, Name: "vm-set-3", Set: "vm-set", Namespace: "ns"}, &owner)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "vm-set-3" || w.Namespace != "ns" || w.Labels["node-index"] != "3" ||
		w.Spec.Networks[0].IPConfig.Address != "192.168.1.103/24" {
		t.Errorf("rendered %+v", w)
	}
	want := metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: "vm-set-3", UID: "pod-uid",
		Controller: ptr.To(false), BlockOwnerDeletion: ptr.To(true)}
	if len(w.OwnerReferences) != 1 || !reflect.DeepEqual(w.OwnerReferences[0], want) {
		t.Errorf("owner references %+v, want [%+v]", w.OwnerReferences, want)
	}

	// Every syntax error is reported at once, each with its field path.
	bad := *tmpl.DeepCopy()
	bad.Spec.Hostname = "${NAME +}"
	bad.Spec.Networks[0].IPConfig.Address = "192.168.1.${INDEX+}/24"
	_, err = BuildWukong(engine, bad, template.Vars{Index: 3, Name: "vm-set-3"}, nil)
	for _, want := range []string{"spec.hostname: expression \"NAME +\"", "spec.networks[0].ipConfig.address: expression \"INDEX+\"", "Syntax error"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}

	// An error at evaluation names the member and the field.
	bad = *tmpl.DeepCopy()
	bad.Spec.Hostname = "${string(100 / (INDEX - 3))}"
	_, err = BuildWukong(engine, bad, template.Vars{Index: 3, Name: "vm-set-3"}, nil)
	if err == nil || !strings.Contains(err.Error(), "render vm-set-3 (index 3): spec.hostname:") {
		t.Errorf("error %v does not name the member and field", err)
	}
}

func TestReadiness(t *testing.T) {
	w := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
	if ready, s := Readiness(w); ready || s != "not ready: waiting for the operator to report its status" {
		t.Errorf("new Wukong: %v, %q", ready, s)
	}
	w.Status = vmv1alpha1.WukongStatus{Phase: vmv1alpha1.WukongRunning, IP: "10.0.0.3", NodeName: "n1",
		Conditions: []metav1.Condition{{Type: vmv1alpha1.WukongReady, Status: metav1.ConditionTrue, ObservedGeneration: 1}}}
	if ready, s := Readiness(w); ready || !strings.Contains(s, "not seen the current spec") {
		t.Errorf("Ready for an older generation: %v, %q", ready, s)
	}
	w.Status.Conditions[0].ObservedGeneration = 2
	if ready, s := Readiness(w); !ready || s != "phase Running, ready, ip 10.0.0.3, node n1" {
		t.Errorf("Ready: %v, %q", ready, s)
	}
	deleting := w.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	if ready, s := Readiness(deleting); ready || s != "not ready: being deleted" {
		t.Errorf("Ready while being deleted: %v, %q", ready, s)
	}
	w.Status.Phase = vmv1alpha1.WukongStarting
	w.Status.Conditions[0] = metav1.Condition{Type: vmv1alpha1.WukongReady, Status: metav1.ConditionFalse, ObservedGeneration: 2,
		Reason: vmv1alpha1.ReasonUnschedulable, Message: "no node fits"}
	if ready, s := Readiness(w); ready || !strings.Contains(s, "not ready: Unschedulable: no node fits") {
		t.Errorf("not Ready: %v, %q", ready, s)
	}
}
