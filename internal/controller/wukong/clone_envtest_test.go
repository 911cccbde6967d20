package wukong_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/controller/wukong"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/samples"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// TestCloneSourceChecks: a datasource:// naming a DataSource that does not exist writes nothing and says
// so (CDI would refuse the DataVolume); a disk smaller than its source PVC is an invalid spec (CDI would
// accept the DataVolume and never clone it). Neither leaves a DataVolume behind.
func TestCloneSourceChecks(t *testing.T) {
	ns := namespace(t)
	missing := newWukong(ns, "missing")
	missing.Spec.Disks[0].Image = "datasource://" + ns + "/no-such-image"
	create(t, missing)
	waitFor(t, ns, missing.Name, func(w *vmv1alpha1.Wukong) error {
		if err := conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonCloneSourceNotFound); err != nil {
			return err
		}
		return conditionIs(w, vmv1alpha1.WukongDisksReady, metav1.ConditionFalse, vmv1alpha1.ReasonCloneSourceNotFound)
	})

	if err := sim.PublishImage(t.Context(), h.Client, ns, "big", resource.MustParse("20Gi")); err != nil {
		t.Fatal(err)
	}
	small := newWukong(ns, "small")
	small.Spec.Disks[0].Image = "pvc://" + ns + "/big"
	create(t, small)
	got := waitFor(t, ns, small.Name, func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonInvalidSpec)
	})
	if msg := condition(got, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "spec.disks[0].size: 10Gi is smaller than its clone source PersistentVolumeClaim "+ns+"/big") {
		t.Errorf("Ready message %q", msg)
	}
	for _, name := range []string{"missing", "small"} {
		if testenv.Exists(t, h.Client, ns, naming.DataVolume(name, "root"), &cdiv1.DataVolume{}) {
			t.Errorf("Wukong %s has a DataVolume", name)
		}
	}
}

// TestClonePending: a disk cloning a PVC whose DataVolume has not succeeded waits in CDI's CloneScheduled,
// and the Wukong says why it is not Ready (ClonePending, naming the source). Once the source succeeds the
// clone runs and the VM starts.
func TestClonePending(t *testing.T) {
	ns := namespace(t)
	src := &cdiv1.DataVolume{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "golden", Annotations: map[string]string{sim.AnnotationImportError: "registry unreachable"}},
		Spec: cdiv1.DataVolumeSpec{
			Source: &cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: "https://example.com/disk.img"}},
			Storage: &cdiv1.StorageSpec{Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
		},
	}
	create(t, src)
	w := newWukong(ns, "clone")
	w.Spec.Disks[0].Image = "pvc://" + ns + "/golden"
	create(t, w)
	want := "clone-root: clone from PersistentVolumeClaim " + ns + "/golden pending (CloneScheduled)"
	got := waitFor(t, ns, w.Name, func(w *vmv1alpha1.Wukong) error {
		if err := conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonClonePending); err != nil {
			return err
		}
		// Before CDI has seen the DataVolume the message says "not started".
		if msg := condition(w, vmv1alpha1.WukongReady).Message; msg != want {
			return fmt.Errorf("Ready message %q, want %q", msg, want)
		}
		return nil
	})
	if got.Status.Phase != vmv1alpha1.WukongProvisioning {
		t.Errorf("phase %s, want Provisioning", got.Status.Phase)
	}
	annotate(t, src, sim.AnnotationImportError, nil)
	waitPhase(t, ns, w.Name, vmv1alpha1.WukongRunning)
}

// TestCloneNeedsPermission: CDI's DataVolume webhook (played by the simulator with CDI's own authorization
// code) refuses a clone from a namespace where the operator's ServiceAccount may not create
// datavolumes/source. The Wukong says so and nothing imports; once an administrator grants the clone with the
// RoleBinding config/samples/golden-images shows, the retried clone goes through without an edit of the Wukong.
func TestCloneNeedsPermission(t *testing.T) {
	ctx := t.Context()
	ns, images := namespace(t), namespace(t)
	if err := sim.PublishImage(ctx, h.Client, images, "fedora", resource.MustParse("10Gi")); err != nil {
		t.Fatal(err)
	}
	if err := samples.ApplyGoldenImage(ctx, h.Client); err != nil { // the ClusterRole the binding names
		t.Fatal(err)
	}
	w := newWukong(ns, "cloner")
	w.Spec.Disks[0].Image = "datasource://" + images + "/fedora"
	create(t, w)
	denied := waitFor(t, ns, w.Name, func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, wukong.ReasonReconcileError)
	})
	if msg := condition(denied, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "insufficient permissions in clone source namespace "+images) {
		t.Errorf("Ready message %q does not say the clone is not permitted", msg)
	}
	var dvs cdiv1.DataVolumeList
	if err := h.Client.List(ctx, &dvs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, dv := range dvs.Items {
		if dv.Spec.SourceRef != nil || dv.Spec.Source != nil && dv.Spec.Source.PVC != nil {
			t.Errorf("DataVolume %s clones although CDI refused it", dv.Name)
		}
	}

	create(t, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: images, Name: "wukong-clone-images"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "wukong-system", Name: "wukong-manager"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wukong-datavolume-cloner"},
	})
	waitPhase(t, ns, w.Name, vmv1alpha1.WukongRunning)
}
