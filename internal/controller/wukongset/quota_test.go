package wukongset

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func quota(name string, hard, used map[string]string) corev1.ResourceQuota {
	q := corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.ResourceQuotaStatus{Hard: corev1.ResourceList{}, Used: corev1.ResourceList{}}}
	for k, v := range hard {
		q.Status.Hard[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	for k, v := range used {
		q.Status.Used[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return q
}

func vm(name string, cpu int32, mem string, disks ...vmv1alpha1.Disk) *vmv1alpha1.Wukong {
	return &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: vmv1alpha1.WukongSpec{CPU: cpu, Memory: resource.MustParse(mem), Disks: disks}}
}

func TestQuotaFit(t *testing.T) {
	disk := vmv1alpha1.Disk{Name: "system", Size: resource.MustParse("20Gi")}
	fast := vmv1alpha1.Disk{Name: "data", Size: resource.MustParse("100Gi"), StorageClassName: ptr.To("fast")}
	ms := []*vmv1alpha1.Wukong{vm("s-0", 2, "4Gi", disk), vm("s-1", 2, "4Gi", disk), vm("s-2", 2, "4Gi", disk)}
	cases := []struct {
		name    string
		quotas  []corev1.ResourceQuota
		members []*vmv1alpha1.Wukong
		fit     int
		msg     []string
	}{
		{"no quota", nil, ms, 3, nil},
		{"object count", []corev1.ResourceQuota{quota("objs", map[string]string{"count/wukongs.vm.novasphere.dev": "5"}, map[string]string{"count/wukongs.vm.novasphere.dev": "3"})},
			ms, 2, []string{"1 members wait", "objs", "count/wukongs.vm.novasphere.dev", "by 1", "s-2"}},
		{"memory", []corev1.ResourceQuota{quota("compute", map[string]string{"requests.memory": "10Gi"}, map[string]string{"requests.memory": "1Gi"})},
			ms, 2, []string{"requests.memory", "by 3Gi", "s-2"}},
		{"cpu fits", []corev1.ResourceQuota{quota("compute", map[string]string{"requests.cpu": "6"}, nil)}, ms, 3, nil},
		{"storage", []corev1.ResourceQuota{quota("disk", map[string]string{"requests.storage": "50Gi"}, map[string]string{"requests.storage": "15Gi"})},
			ms, 1, []string{"2 members wait", "requests.storage", "by 5Gi", "s-1"}},
		{"storage class", []corev1.ResourceQuota{quota("sc", map[string]string{"fast.storageclass.storage.k8s.io/requests.storage": "150Gi"}, nil)},
			[]*vmv1alpha1.Wukong{vm("s-0", 1, "1Gi", fast), vm("s-1", 1, "1Gi", fast)}, 1, []string{"fast.storageclass.storage.k8s.io/requests.storage", "by 50Gi"}},
		{"scoped quota skipped", []corev1.ResourceQuota{func() corev1.ResourceQuota {
			q := quota("scoped", map[string]string{"pods": "0"}, nil)
			q.Spec.Scopes = []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}
			return q
		}()}, ms, 3, nil},
		{"untracked resource ignored", []corev1.ResourceQuota{quota("gpu", map[string]string{"requests.nvidia.com/gpu": "0"}, nil)}, ms, 3, nil},
		{"full", []corev1.ResourceQuota{quota("pods", map[string]string{"pods": "1"}, map[string]string{"pods": "1"})}, ms, 0, []string{"3 members wait"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fit, msg := quotaFit(tc.quotas, tc.members)
			if fit != tc.fit {
				t.Fatalf("fit %d, want %d (%s)", fit, tc.fit, msg)
			}
			for _, w := range tc.msg {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if tc.msg == nil && msg != "" {
				t.Errorf("unexpected message %q", msg)
			}
		})
	}
}
