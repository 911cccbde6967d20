package wukong_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// TestDataSourceDisk applies config/samples/vm_v1alpha1_wukong_datasource.yaml, the single-Wukong
// form: its system disk clones the DataSource os-images/ubuntu-22.04 (published by the test as an
// administrator would) and its data disk is blank. It reaches Running; the DataVolumes are checked field by
// field.
func TestDataSourceDisk(t *testing.T) {
	ns := namespace(t)
	if err := sim.PublishImage(t.Context(), h.Client, "os-images", "ubuntu-22.04", resource.MustParse("20Gi")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "vm_v1alpha1_wukong_datasource.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w := &vmv1alpha1.Wukong{}
	if err := yaml.UnmarshalStrict(raw, w); err != nil {
		t.Fatal(err)
	}
	w.Namespace = ns
	create(t, w)
	waitPhase(t, ns, w.Name, vmv1alpha1.WukongRunning)

	system := get(t, ns, naming.DataVolume(w.Name, "system"), &cdiv1.DataVolume{})
	wantRef := &cdiv1.DataVolumeSourceRef{Kind: "DataSource", Namespace: ptr.To("os-images"), Name: "ubuntu-22.04"}
	if system.Spec.Source != nil || !reflect.DeepEqual(system.Spec.SourceRef, wantRef) {
		t.Errorf("system DataVolume source %+v, sourceRef %+v; want no source and %+v", system.Spec.Source, system.Spec.SourceRef, wantRef)
	}
	if q := system.Spec.Storage.Resources.Requests[corev1.ResourceStorage]; q.Cmp(resource.MustParse("40Gi")) != 0 {
		t.Errorf("system size %s, want 40Gi", q.String())
	}
	data := get(t, ns, naming.DataVolume(w.Name, "data"), &cdiv1.DataVolume{})
	if data.Spec.SourceRef != nil || data.Spec.Source == nil || data.Spec.Source.Blank == nil {
		t.Errorf("data DataVolume source %+v, sourceRef %+v; want blank", data.Spec.Source, data.Spec.SourceRef)
	}
	if system.Status.Phase != cdiv1.Succeeded || data.Status.Phase != cdiv1.Succeeded {
		t.Errorf("phases %s, %s; want Succeeded", system.Status.Phase, data.Status.Phase)
	}
}

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
