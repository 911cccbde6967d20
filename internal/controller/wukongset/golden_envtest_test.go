package wukongset_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/samples"
)

// dataVolumesBySource counts a namespace's DataVolumes (not being deleted) by how CDI fills them: "import"
// (registry or URL), "clone:<pvc name>" (source.pvc), "datasource:<ns/name>" (sourceRef) or "blank".
func dataVolumesBySource(t *testing.T, ns string) (map[string]int, []cdiv1.DataVolume) {
	t.Helper()
	var dvs cdiv1.DataVolumeList
	if err := h.Client.List(t.Context(), &dvs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var live []cdiv1.DataVolume
	for _, dv := range dvs.Items {
		if !dv.DeletionTimestamp.IsZero() {
			continue
		}
		live = append(live, dv)
		src := dv.Spec.Source
		switch {
		case dv.Spec.SourceRef != nil:
			count["datasource:"+*dv.Spec.SourceRef.Namespace+"/"+dv.Spec.SourceRef.Name]++
		case src != nil && (src.Registry != nil || src.HTTP != nil):
			count["import"]++
		case src != nil && src.PVC != nil:
			count["clone:"+src.PVC.Name]++
		case src != nil && src.Blank != nil:
			count["blank"]++
		default:
			count["other"]++
		}
	}
	return count, live
}

// goldens returns the set's golden DataVolumes (not being deleted), by name.
func goldens(t *testing.T, set *vmv1alpha1.WukongSet) []cdiv1.DataVolume {
	t.Helper()
	var dvs cdiv1.DataVolumeList
	if err := h.Client.List(t.Context(), &dvs, client.InNamespace(set.Namespace), client.HasLabels{vmv1alpha1.LabelGolden},
		client.MatchingLabels{vmv1alpha1.LabelSet: set.Name}); err != nil {
		t.Fatal(err)
	}
	var out []cdiv1.DataVolume
	for _, dv := range dvs.Items {
		if dv.DeletionTimestamp.IsZero() {
			out = append(out, dv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TestImportOnceTwentyMembers applies config/samples/vm_v1alpha1_wukongset_importonce.yaml: 20 members
// whose system disk comes from one registry image give exactly 1 import (the set's golden DataVolume,
// owned by the set) and 20 clones of it, plus the 20 blank scratch disks. A new image rolls out as a new
// golden volume; the old one is deleted once no member refers to it, and no member disk is deleted or
// re-imported. Deleting the set deletes its golden volumes.
func TestImportOnceTwentyMembers(t *testing.T) {
	ns := namespace(t, "import-once")
	set := sample(t, "vm_v1alpha1_wukongset_importonce.yaml", ns)
	if set.Spec.ImagePolicy != vmv1alpha1.ImagePolicyImportOnce || *set.Spec.Replicas != 20 {
		t.Fatalf("sample: imagePolicy %q, replicas %d", set.Spec.ImagePolicy, *set.Spec.Replicas)
	}
	set, _ = createRolledOut(t, set)

	gs := goldens(t, set)
	if len(gs) != 1 {
		t.Fatalf("%d golden DataVolumes, want 1", len(gs))
	}
	golden := gs[0]
	if ref := metav1.GetControllerOf(&golden); ref == nil || ref.Kind != "WukongSet" || ref.UID != set.UID {
		t.Errorf("golden DataVolume %s controller %+v, want the set", golden.Name, ref)
	}
	if !strings.HasPrefix(golden.Name, set.Name+"-golden-") || golden.Spec.Source.Registry == nil ||
		*golden.Spec.Source.Registry.URL != "docker://quay.io/containerdisks/fedora:41" || golden.Status.Phase != cdiv1.Succeeded {
		t.Errorf("golden DataVolume %s: source %+v, phase %s", golden.Name, golden.Spec.Source, golden.Status.Phase)
	}
	count, _ := dataVolumesBySource(t, ns)
	want := map[string]int{"import": 1, "clone:" + golden.Name: 20, "blank": 20}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("DataVolumes by source %v, want %v", count, want)
	}
	for _, m := range members(t.Context(), t, set) {
		if img := m.Spec.Disks[0].Image; img != "pvc://"+ns+"/"+golden.Name {
			t.Errorf("member %s system image %q, want the golden volume", m.Name, img)
		}
	}
	before := snapshot(t, set)

	// A new image: one new import; the members (diskChangePolicy Retain) keep their disks and their data,
	// so the old golden volume has no user left and goes.
	set = updateSet(t, set, func(s *vmv1alpha1.WukongSet) {
		s.Spec.Template.Spec.Disks[0].Image = "docker://quay.io/containerdisks/fedora:42"
	})
	waitRolledOut(t, set)
	var next cdiv1.DataVolume
	eventually(t, rolloutTimeout, func() error {
		gs := goldens(t, set)
		if len(gs) != 1 || gs[0].Name == golden.Name {
			names := []string{}
			for _, g := range gs {
				names = append(names, g.Name)
			}
			return fmt.Errorf("golden DataVolumes %v, want only a new one (old %s)", names, golden.Name)
		}
		next = gs[0]
		return nil
	})
	if *next.Spec.Source.Registry.URL != "docker://quay.io/containerdisks/fedora:42" {
		t.Errorf("new golden source %+v", next.Spec.Source)
	}
	count, _ = dataVolumesBySource(t, ns)
	// The members' disks were cloned from the old golden volume and are kept as they are.
	want = map[string]int{"import": 1, "clone:" + golden.Name: 20, "blank": 20}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("DataVolumes by source after the new image %v, want %v", count, want)
	}
	after := snapshot(t, set)
	for name, b := range before {
		for dv, uid := range b.dataVolumes {
			if after[name].dataVolumes[dv] != uid {
				t.Errorf("%s: DataVolume %s is %s, want the same %s", name, dv, after[name].dataVolumes[dv], uid)
			}
		}
	}

	// Scale up: the new member clones the new golden volume.
	set = updateSet(t, set, func(s *vmv1alpha1.WukongSet) { s.Spec.Replicas = new(int32(21)) })
	waitRolledOut(t, set)
	count, _ = dataVolumesBySource(t, ns)
	want = map[string]int{"import": 1, "clone:" + golden.Name: 20, "clone:" + next.Name: 1, "blank": 21}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("DataVolumes by source after scaling to 21 %v, want %v", count, want)
	}

	if err := h.Client.Delete(t.Context(), set, client.PropagationPolicy(metav1.DeletePropagationForeground)); err != nil {
		t.Fatal(err)
	}
	eventually(t, rolloutTimeout, func() error {
		if count, _ := dataVolumesBySource(t, ns); len(count) != 0 {
			return fmt.Errorf("DataVolumes left after deleting the set: %v", count)
		}
		return nil
	})
}

// TestIssue12WorkersSet applies config/samples/vm_v1alpha1_wukongset_workers.yaml, issue 12's set as written,
// with the golden image published by config/samples/golden-images: every member's system disk clones the
// DataSource os-images/ubuntu-22.04, its data disk is blank, and each member reaches Ready (after its readiness
// probe's initial delay) with its VM, DataVolumes, attachment and cloud-init contents checked field by field
// for its own name and address (test/samples, the same checks as the single-Wukong form).
func TestIssue12WorkersSet(t *testing.T) {
	ns := namespace(t, "workers")
	if err := samples.ApplyGoldenImage(t.Context(), h.Client); err != nil {
		t.Fatal(err)
	}
	set := sample(t, "vm_v1alpha1_wukongset_workers.yaml", ns)
	set, _ = createRolledOut(t, set)
	count, _ := dataVolumesBySource(t, ns)
	want := map[string]int{"datasource:" + samples.GoldenImage: 3, "blank": 3}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("DataVolumes by source %v, want %v", count, want)
	}
	for i := range 3 {
		member := naming.Member(set.Name, i)
		if err := samples.CheckWorker(t.Context(), h.Client, ns, member, fmt.Sprintf("10.0.0.%d/24", 10+i)); err != nil {
			t.Error(err)
		}
	}
}
