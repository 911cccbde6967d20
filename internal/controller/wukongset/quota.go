package wukongset

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// memberNeeds is what one member will charge against a namespace's ResourceQuotas once it and its children
// exist. It counts what the operator itself decides: the Wukong, its VirtualMachine, DataVolumes, PVCs,
// cloud-init Secret, one virt-launcher pod, guest CPU and memory, and disk storage (per storage class when
// the disk names one). It cannot know KubeVirt's per-VM memory overhead, CPU requests KubeVirt derives
// differently (e.g. cpuAllocationRatio), or the cluster's default storage class: see docs/wukongset.md.
func memberNeeds(w *vmv1alpha1.Wukong) corev1.ResourceList {
	one := resource.MustParse("1")
	need := corev1.ResourceList{
		"count/wukongs.vm.novasphere.dev":     one,
		"count/virtualmachines.kubevirt.io":   one,
		"count/secrets":                       one,
		corev1.ResourceSecrets:                one,
		corev1.ResourcePods:                   one,
		"count/pods":                          one,
		corev1.ResourceRequestsCPU:            *resource.NewQuantity(int64(w.Spec.CPU), resource.DecimalSI),
		corev1.ResourceCPU:                    *resource.NewQuantity(int64(w.Spec.CPU), resource.DecimalSI),
		corev1.ResourceRequestsMemory:         w.Spec.Memory,
		corev1.ResourceMemory:                 w.Spec.Memory,
		"count/datavolumes.cdi.kubevirt.io":   *resource.NewQuantity(int64(len(w.Spec.Disks)), resource.DecimalSI),
		corev1.ResourcePersistentVolumeClaims: *resource.NewQuantity(int64(len(w.Spec.Disks)), resource.DecimalSI),
		"count/persistentvolumeclaims":        *resource.NewQuantity(int64(len(w.Spec.Disks)), resource.DecimalSI),
	}
	storage := resource.Quantity{}
	for _, d := range w.Spec.Disks {
		storage.Add(d.Size)
		if d.StorageClassName != nil && *d.StorageClassName != "" {
			sc := *d.StorageClassName + ".storageclass.storage.k8s.io/"
			add(need, corev1.ResourceName(sc+"requests.storage"), d.Size)
			add(need, corev1.ResourceName(sc+"persistentvolumeclaims"), resource.MustParse("1"))
		}
	}
	need[corev1.ResourceRequestsStorage] = storage
	return need
}

func add(l corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
	cur := l[name]
	cur.Add(q)
	l[name] = cur
}

// quotaFit returns how many of the members, taken in order, fit into every ResourceQuota at once, and when
// not all do, a message naming the quota and resource that is short and by how much. Quotas with scopes are
// skipped: whether a VM's pod falls into a scope (Terminating, BestEffort, a priority class) is not known
// before KubeVirt creates it.
func quotaFit(quotas []corev1.ResourceQuota, members []*vmv1alpha1.Wukong) (int, string) {
	sort.Slice(quotas, func(i, j int) bool { return quotas[i].Name < quotas[j].Name })
	total := corev1.ResourceList{}
	for n, m := range members {
		need := memberNeeds(m)
		for name, q := range need {
			add(total, name, q)
		}
		for _, rq := range quotas {
			if len(rq.Spec.Scopes) > 0 || rq.Spec.ScopeSelector != nil {
				continue
			}
			for name, hard := range rq.Status.Hard {
				want, ok := total[name]
				if !ok || want.IsZero() {
					continue
				}
				left := hard.DeepCopy()
				left.Sub(rq.Status.Used[name])
				if want.Cmp(left) > 0 {
					short := want.DeepCopy()
					short.Sub(left)
					return n, fmt.Sprintf("%d members wait for quota: ResourceQuota %s is short of %s by %s for member %s (hard %s, used %s)",
						len(members)-n, rq.Name, name, short.String(), m.Name, hard.String(), quantityOf(rq.Status.Used, name))
				}
			}
		}
	}
	return len(members), ""
}

func quantityOf(l corev1.ResourceList, name corev1.ResourceName) string {
	q := l[name]
	return q.String()
}

// quotas lists the namespace's ResourceQuotas from the cache.
func (r *Reconciler) quotas(ctx context.Context, namespace string) ([]corev1.ResourceQuota, error) {
	var list corev1.ResourceQuotaList
	if err := r.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("list ResourceQuotas: %w", err)
	}
	return list.Items, nil
}
