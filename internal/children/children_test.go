package children

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/owner"
)

func wukong(mutate func(*vmv1alpha1.Wukong)) *vmv1alpha1.Wukong {
	w := &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "dev", UID: "u-1"},
		Spec: vmv1alpha1.WukongSpec{
			CPU: 2, Memory: resource.MustParse("2Gi"),
			Disks: []vmv1alpha1.Disk{
				{Name: "system", Size: resource.MustParse("20Gi"), Image: "docker://quay.io/kubevirt/ubuntu:22.04"},
				{Name: "data", Size: resource.MustParse("5Gi")},
			},
			Networks: []vmv1alpha1.Network{
				{Name: "eth0", Type: vmv1alpha1.NetworkTypeBridge},
				{Name: "ext", NADName: "shared"},
			},
		},
	}
	if mutate != nil {
		mutate(w)
	}
	return w
}

// TestBuild: every child, in List's order, named and owned as the builders name and own them.
func TestBuild(t *testing.T) {
	objs, err := Build(wukong(nil), cloudinit.Credentials{}, multus.InUse{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs.List() {
		got = append(got, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
		if o.GetNamespace() != "dev" || o.GetLabels()[vmv1alpha1.LabelWukong] != "web-0" {
			t.Errorf("%s/%s: namespace %q, labels %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), o.GetNamespace(), o.GetLabels())
		}
	}
	want := "VirtualMachine/web-0 DataVolume/web-0-system DataVolume/web-0-data Secret/web-0-cloudinit NetworkAttachmentDefinition/web-0-eth0"
	if strings.Join(got, " ") != want {
		t.Errorf("children %s; want %s", strings.Join(got, " "), want)
	}
}

// TestBuildErrors: an error names the field that cannot be built.
func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*vmv1alpha1.Wukong)
		want   string
	}{
		{"image scheme", func(w *vmv1alpha1.Wukong) { w.Spec.Disks[1].Image = "ftp://example.com/disk.img" }, "spec.disks[1].image"},
		{"network type", func(w *vmv1alpha1.Wukong) { w.Spec.Networks[0].Type = "token-ring" }, "spec.networks[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(wukong(tc.mutate), cloudinit.Credentials{}, multus.InUse{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one naming %s", err, tc.want)
			}
		})
	}
}

// TestBuildInUse: what the cluster already holds decides where the networks attach, and the VM and the
// attachments written agree on it.
func TestBuildInUse(t *testing.T) {
	member := func(w *vmv1alpha1.Wukong) {
		w.OwnerReferences = []metav1.OwnerReference{owner.SetReference(&vmv1alpha1.WukongSet{
			ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "set-uid"},
		})}
	}
	w := wukong(member)
	shared, err := multus.SharedName("web", w.Spec.Networks[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*vmv1alpha1.Wukong)
		in     multus.InUse
		// network is where the VM's eth0 points; attachment the attachment written for it and its owner's
		// kind, "" for none.
		network, attachment, ownerKind string
	}{
		{"new Wukong", nil, multus.InUse{}, "dev/web-0-eth0", "web-0-eth0", "Wukong"},
		{"new member", member, multus.InUse{}, "dev/" + shared, shared, "WukongSet"},
		{"member whose VM keeps its own attachment", member, multus.InUse{Refs: map[string]string{"eth0": "web-0-eth0"}},
			"dev/web-0-eth0", "web-0-eth0", "Wukong"},
		{"member whose set's attachment nothing controls", member, multus.InUse{Unowned: map[string]bool{shared: true}},
			"dev/" + shared, "", ""},
		{"VM that keeps an attachment the operator does not write", nil, multus.InUse{Refs: map[string]string{"eth0": "legacy"}},
			"dev/legacy", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Build(wukong(tc.mutate), cloudinit.Credentials{}, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			network := ""
			for _, n := range objs.VM.Spec.Template.Spec.Networks {
				if n.Name == "eth0" && n.Multus != nil {
					network = n.Multus.NetworkName
				}
			}
			if network != tc.network {
				t.Errorf("VM network eth0 = %q, want %q", network, tc.network)
			}
			attachment, ownerKind := "", ""
			for _, nad := range objs.Attachments {
				attachment = nad.Name
				if ref := metav1.GetControllerOf(nad); ref != nil {
					ownerKind = ref.Kind
				}
			}
			if len(objs.Attachments) > 1 || attachment != tc.attachment || ownerKind != tc.ownerKind {
				t.Errorf("attachments %d, last %q owned by %q; want %q owned by %q",
					len(objs.Attachments), attachment, ownerKind, tc.attachment, tc.ownerKind)
			}
		})
	}
}
