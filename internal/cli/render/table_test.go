package render

import (
	"fmt"
	"slices"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func TestMemberRow(t *testing.T) {
	tests := []struct {
		name string
		w    vmv1alpha1.Wukong
		want []string
	}{
		{
			name: "nothing but a name",
			w:    vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: "a-0"}},
			want: []string{"a-0", "3", "<none>", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "cpu, memory, disks, networks, labels without the operator's",
			w: vmv1alpha1.Wukong{
				ObjectMeta: metav1.ObjectMeta{Name: "a-0", Labels: map[string]string{
					"zone": "b", "app": "db", vmv1alpha1.LabelSet: "a", vmv1alpha1.LabelIndex: "3", vmv1alpha1.LabelRevision: "abc",
				}},
				Spec: vmv1alpha1.WukongSpec{
					CPU: 2, Memory: resource.MustParse("4Gi"),
					Disks: []vmv1alpha1.Disk{{Name: "system", Size: resource.MustParse("20Gi")}, {Name: "data", Size: resource.MustParse("1Ti")}},
					Networks: []vmv1alpha1.Network{
						{Name: "eth0", IPConfig: &vmv1alpha1.IPConfig{Mode: vmv1alpha1.IPModeStatic, Address: "10.0.0.3/24"}},
						{Name: "eth1"},
					},
				},
			},
			want: []string{"a-0", "3", "2", "4Gi", "system=20Gi,data=1Ti", "eth0=10.0.0.3/24,eth1=dhcp", "app=db,zone=b"},
		},
		{
			name: "instance type",
			w: vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: "a-0"},
				Spec: vmv1alpha1.WukongSpec{Instancetype: &vmv1alpha1.InstancetypeRef{Name: "u1.medium"}}},
			want: []string{"a-0", "3", "(u1.medium)", "(u1.medium)", "<none>", "<none>", "<none>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := memberRow(&tc.w, 3); !slices.Equal(got, tc.want) {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestDataVolumeSource(t *testing.T) {
	dv := func(src *cdiv1.DataVolumeSource, ref *cdiv1.DataVolumeSourceRef) *cdiv1.DataVolume {
		return &cdiv1.DataVolume{ObjectMeta: metav1.ObjectMeta{Namespace: "dev"}, Spec: cdiv1.DataVolumeSpec{Source: src, SourceRef: ref}}
	}
	tests := []struct {
		name string
		dv   *cdiv1.DataVolume
		want string
	}{
		{"registry", dv(&cdiv1.DataVolumeSource{Registry: &cdiv1.DataVolumeSourceRegistry{URL: ptr.To("docker://quay.io/x:1")}}, nil), "docker://quay.io/x:1"},
		{"http with a password", dv(&cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: "https://me:hunter2@example.com/d.qcow2?token=abc"}}, nil),
			"https://me:xxxxx@example.com/d.qcow2?token=xxxxx"},
		{"pvc", dv(&cdiv1.DataVolumeSource{PVC: &cdiv1.DataVolumeSourcePVC{Namespace: "golden", Name: "ubuntu"}}, nil), "PersistentVolumeClaim golden/ubuntu"},
		{"blank", dv(&cdiv1.DataVolumeSource{Blank: &cdiv1.DataVolumeBlankImage{}}, nil), "blank"},
		{"data source elsewhere", dv(nil, &cdiv1.DataVolumeSourceRef{Kind: "DataSource", Namespace: ptr.To("os"), Name: "fedora"}), "DataSource os/fedora"},
		{"data source here", dv(nil, &cdiv1.DataVolumeSourceRef{Kind: "DataSource", Name: "fedora"}), "DataSource dev/fedora"},
		{"none", dv(nil, nil), "<none>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dataVolumeSource(tc.dv); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestChildRows(t *testing.T) {
	tests := []struct {
		name string
		obj  client.Object
		want []string
	}{
		{"vm", &kubevirtv1.VirtualMachine{Spec: kubevirtv1.VirtualMachineSpec{
			RunStrategy: ptr.To(kubevirtv1.RunStrategyHalted),
			Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{Spec: kubevirtv1.VirtualMachineInstanceSpec{
				Volumes:  []kubevirtv1.Volume{{Name: "system"}, {Name: "cloudinitdisk"}},
				Networks: []kubevirtv1.Network{{Name: "default"}},
			}},
		}}, []string{"Halted", "system,cloudinitdisk", "default"}},
		{"vm without template", &kubevirtv1.VirtualMachine{}, []string{"<none>", "<none>", "<none>"}},
		{"data volume", &cdiv1.DataVolume{Spec: cdiv1.DataVolumeSpec{
			Source: &cdiv1.DataVolumeSource{Blank: &cdiv1.DataVolumeBlankImage{}},
			Storage: &cdiv1.StorageSpec{
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
				StorageClassName: ptr.To("fast"),
			},
		}}, []string{"10Gi", "blank", "fast"}},
		{"secret without user data", &corev1.Secret{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"networkdata": nil}},
			[]string{"Opaque", "networkdata (userdata left out)"}},
		{"secret with user data", &corev1.Secret{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"userdata": nil, "networkdata": nil}},
			[]string{"Opaque", "networkdata,userdata"}},
		{"attachment", &nadv1.NetworkAttachmentDefinition{Spec: nadv1.NetworkAttachmentDefinitionSpec{Config: `{"cniVersion":"0.3.1","type":"macvlan"}`}},
			[]string{"macvlan"}},
		{"attachment with a broken config", &nadv1.NetworkAttachmentDefinition{Spec: nadv1.NetworkAttachmentDefinitionSpec{Config: `{`}},
			[]string{"<none>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := childTables[kindOf(tc.obj)].row(tc.obj); !slices.Equal(got, tc.want) {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		obj  client.Object
		want string
	}{
		{&vmv1alpha1.Wukong{TypeMeta: metav1.TypeMeta{APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong"}, ObjectMeta: metav1.ObjectMeta{Name: "web-0"}},
			"wukong.vm.novasphere.dev/web-0"},
		{&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "web-0-cloudinit"}},
			"secret/web-0-cloudinit"},
		{&nadv1.NetworkAttachmentDefinition{TypeMeta: metav1.TypeMeta{APIVersion: "k8s.cni.cncf.io/v1", Kind: "NetworkAttachmentDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: "web-0-eth0"}}, "networkattachmentdefinition.k8s.cni.cncf.io/web-0-eth0"},
	}
	for _, tc := range tests {
		if got := Name(tc.obj); got != tc.want {
			t.Errorf("Name = %q; want %q", got, tc.want)
		}
	}
}

func TestPruneNulls(t *testing.T) {
	m := map[string]any{"a": nil, "b": map[string]any{"c": nil, "d": 1, "e": map[string]any{}},
		"f": []any{map[string]any{"g": nil, "h": "x"}}}
	pruneNulls(m)
	want := map[string]any{"b": map[string]any{"d": 1, "e": map[string]any{}}, "f": []any{map[string]any{"h": "x"}}}
	if !equalJSON(m, want) {
		t.Errorf("got %v; want %v", m, want)
	}
}

func equalJSON(a, b any) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}
