package children

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
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
	objs, err := Build(wukong(nil), cloudinit.Credentials{})
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
			_, err := Build(wukong(tc.mutate), cloudinit.Credentials{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want one naming %s", err, tc.want)
			}
		})
	}
}
