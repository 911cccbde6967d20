package wukongset

import (
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// updateKind is how a member moves to a new template, from the least to the most disruptive. The rollout
// always takes the least disruptive way that reaches the new spec; a VM is never re-created to apply a
// change KubeVirt can make to it in place.
type updateKind int

const (
	// updateNone: the member renders the same at the new revision; only its revision label moves.
	updateNone updateKind = iota
	// updateMetadata: labels or annotations change; the member, its VM and VM instance are updated in place
	// and nothing restarts.
	updateMetadata
	// updateLive: placement changes (node selector, tolerations, anti-affinity) that KubeVirt v1.7 applies
	// to a running VM with its default LiveUpdate rollout strategy; no restart.
	updateLive
	// updateRestart: any other VM change (CPU, memory, networks, cloud-init user, hostname, run strategy,
	// disks added or removed). The member and its VM are updated in place; KubeVirt applies what it can live
	// (memory and CPU sockets within the limits the instance started with) and otherwise reports
	// RestartRequired, and the member's controller restarts the VM. The disks, MAC addresses and firmware
	// UUID are kept. It counts against maxUnavailable, because it may take the VM down.
	updateRestart
	// updateReprovision: a disk's image, size or storage class changes and the set's diskChangePolicy is
	// Reprovision: the member is deleted with its disks and created again from the new template.
	updateReprovision
)

func (k updateKind) String() string {
	return [...]string{"none", "metadata", "live", "restart", "reprovision"}[k]
}

// budgeted reports whether an update of this kind may make the member unavailable, and so must fit in the
// rollout's maxUnavailable budget.
func (k updateKind) budgeted() bool { return k >= updateRestart }

// classify compares a member as it is with the member rendered from the new template. old is the member
// rendered from the revision it carries, when that revision is still stored: labels and annotations it set
// and the new template no longer sets are a change too. A changed disk source, size or storage class is kept
// under diskChangePolicy Retain (the member reports it) and so does not count.
func classify(current, desired, old *vmv1alpha1.Wukong, policy vmv1alpha1.DiskChangePolicy) updateKind {
	cur, want := current.Spec.DeepCopy(), desired.Spec.DeepCopy()
	if disksChanged(cur, want) {
		if policy == vmv1alpha1.DiskChangeReprovision {
			return updateReprovision
		}
		keepDiskSources(cur, want)
	}
	placement := !equality.Semantic.DeepEqual(cur.Placement, want.Placement)
	cur.Placement = want.Placement
	switch {
	case !equality.Semantic.DeepEqual(cur, want):
		return updateRestart
	case placement:
		return updateLive
	case metadataChanged(current, desired, old):
		return updateMetadata
	}
	return updateNone
}

// disksChanged reports whether a disk present in both specs (by name) changed its image, size or storage
// class: what its DataVolume was provisioned from.
func disksChanged(cur, want *vmv1alpha1.WukongSpec) bool {
	for _, d := range want.Disks {
		for _, c := range cur.Disks {
			if c.Name == d.Name && (c.Image != d.Image || c.Size.Cmp(d.Size) != 0 ||
				!equality.Semantic.DeepEqual(c.StorageClassName, d.StorageClassName)) {
				return true
			}
		}
	}
	return false
}

// keepDiskSources makes want's disks carry cur's provisioning fields, so only other differences remain.
func keepDiskSources(cur, want *vmv1alpha1.WukongSpec) {
	for i := range want.Disks {
		for _, c := range cur.Disks {
			if c.Name == want.Disks[i].Name {
				want.Disks[i].Image, want.Disks[i].Size, want.Disks[i].StorageClassName = c.Image, c.Size, c.StorageClassName
			}
		}
	}
}

// metadataChanged reports whether the member lacks a label or annotation of desired, or still carries one
// that old set and desired does not. The revision label and the operator's own bookkeeping annotations are
// not compared: they change with every revision by design.
func metadataChanged(current, desired, old *vmv1alpha1.Wukong) bool {
	differs := func(have, want, before map[string]string) bool {
		for k, v := range want {
			if k == vmv1alpha1.LabelRevision {
				continue
			}
			if got, ok := have[k]; !ok || got != v {
				return true
			}
		}
		for k := range before {
			if _, keep := want[k]; !keep && k != vmv1alpha1.LabelRevision {
				if _, ok := have[k]; ok {
					return true
				}
			}
		}
		return false
	}
	oldLabels, oldAnnotations := metadataOf(old)
	return differs(current.Labels, desired.Labels, oldLabels) || differs(current.Annotations, desired.Annotations, oldAnnotations)
}

// metadataOf is a rendered member's labels and annotations; none when its revision is no longer stored.
func metadataOf(w *vmv1alpha1.Wukong) (labels, annotations map[string]string) {
	if w == nil {
		return nil, nil
	}
	return w.Labels, w.Annotations
}

// updatedMember is current moved to desired in place: desired's spec, labels and annotations, minus the
// labels and annotations old set that desired does not; everything else (others' labels and annotations,
// owner references, finalizers) is kept. A Recreate stop is lifted.
func updatedMember(current, desired, old *vmv1alpha1.Wukong) *vmv1alpha1.Wukong {
	m := current.DeepCopy()
	m.Spec = *desired.Spec.DeepCopy()
	merge := func(have, want, before map[string]string) map[string]string {
		out := maps.Clone(have)
		if out == nil {
			out = map[string]string{}
		}
		for k := range before {
			if _, keep := want[k]; !keep {
				delete(out, k)
			}
		}
		maps.Copy(out, want)
		return out
	}
	oldLabels, oldAnnotations := metadataOf(old)
	m.Labels = merge(m.Labels, desired.Labels, oldLabels)
	m.Annotations = merge(m.Annotations, desired.Annotations, oldAnnotations)
	delete(m.Annotations, vmv1alpha1.AnnotationStopForUpdate)
	if len(m.Annotations) == 0 {
		m.Annotations = nil
	}
	return m
}
