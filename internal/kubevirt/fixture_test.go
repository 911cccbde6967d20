package kubevirt

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func int32p(v int32) *int32 { return &v }

// wukong is the shared fixture: a blank disk before a registry boot disk, every kind of network, and
// placement with a node selector, a toleration and required anti-affinity inside a set.
func wukong() *v1alpha1.Wukong {
	return &v1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", Namespace: "prod", UID: "uid-1",
			Labels: map[string]string{"app": "web", v1alpha1.LabelSet: "web"},
		},
		Spec: v1alpha1.WukongSpec{
			CPU:      4,
			Memory:   resource.MustParse("8Gi"),
			Hostname: "web-0.lab.example.com",
			Disks: []v1alpha1.Disk{
				{Name: "data", Size: resource.MustParse("50Gi")},
				{Name: "root", Size: resource.MustParse("20Gi"), Image: "docker://quay.io/containerdisks/ubuntu:24.04", Boot: true},
			},
			Networks: []v1alpha1.Network{
				{Name: "lan", Type: v1alpha1.NetworkTypeBridge, VLANID: int32p(100),
					IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "192.168.10.5/24",
						Gateway: "192.168.10.1", DNSServers: []string{"1.1.1.1"}}},
				{Name: "dmz", Type: v1alpha1.NetworkTypeMacvlan, IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeDHCP}},
				{Name: "fast", Type: v1alpha1.NetworkTypeSRIOV, ResourceName: "intel.com/sriov_netdevice"},
				{Name: "ext", Type: v1alpha1.NetworkTypeBridge, NADName: "other-ns/shared"},
				{Name: "local", Type: v1alpha1.NetworkTypeOVS, NADName: "shared"},
			},
			User: &v1alpha1.CloudInitUser{Name: "alice", PasswordHash: "$6$salt$hash"},
			Placement: &v1alpha1.Placement{
				NodeSelector: map[string]v1alpha1.LabelValue{"node-role.kubernetes.io/worker": ""},
				Tolerations: []v1alpha1.Toleration{{
					Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "vms", Effect: corev1.TaintEffectNoSchedule,
				}},
				AntiAffinity: &v1alpha1.AntiAffinity{Mode: v1alpha1.AntiAffinityRequired, TopologyKey: "topology.kubernetes.io/zone"},
			},
		},
	}
}
