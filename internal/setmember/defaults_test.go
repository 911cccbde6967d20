package setmember

import (
	"testing"

	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func TestSpecDefaults(t *testing.T) {
	cases := []struct {
		name                            string
		spec                            vmv1alpha1.WukongSetSpec
		replicas, partition, concurrent int
		policy                          vmv1alpha1.ImagePolicy
	}{
		{name: "empty spec", replicas: 1, partition: 0, concurrent: 64, policy: vmv1alpha1.ImagePolicyImportPerMember},
		{name: "set fields", spec: vmv1alpha1.WukongSetSpec{
			Replicas:      ptr.To[int32](30),
			ImagePolicy:   vmv1alpha1.ImagePolicyImportOnce,
			ScaleStrategy: &vmv1alpha1.ScaleStrategy{MaxConcurrentCreates: ptr.To[int32](8)},
			UpdateStrategy: &vmv1alpha1.WukongSetUpdateStrategy{RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{
				Partition: ptr.To[int32](10),
			}},
		}, replicas: 30, partition: 10, concurrent: 8, policy: vmv1alpha1.ImagePolicyImportOnce},
		{name: "zero replicas, zero concurrency", spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr.To[int32](0), ScaleStrategy: &vmv1alpha1.ScaleStrategy{MaxConcurrentCreates: ptr.To[int32](0)},
		}, replicas: 0, partition: 0, concurrent: 1, policy: vmv1alpha1.ImagePolicyImportPerMember},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := &vmv1alpha1.WukongSet{Spec: c.spec}
			if got := Replicas(set); got != c.replicas {
				t.Errorf("Replicas = %d, want %d", got, c.replicas)
			}
			if got := Partition(set); got != c.partition {
				t.Errorf("Partition = %d, want %d", got, c.partition)
			}
			if got := MaxConcurrentCreates(set, 64); got != c.concurrent {
				t.Errorf("MaxConcurrentCreates = %d, want %d", got, c.concurrent)
			}
			if got := ImagePolicy(set); got != c.policy {
				t.Errorf("ImagePolicy = %s, want %s", got, c.policy)
			}
		})
	}
}
