package manager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

// TestCachedBytesPerMember measures what the manager's cache holds per member of a running set (the
// benchmark's shape, the design's example 6.1) and checks the cache's transforms are wired in: no cached
// object keeps its managedFields, and a VM instance keeps only what the Wukong controller reads. It logs, by
// kind, the heap one cached object takes (measured by copying it) and its JSON size: the informers' share of
// the manager's memory, which grows with the members and nothing else.
func TestCachedBytesPerMember(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	n := members(t, 20)
	ns, err := e.Namespace(ctx, "cachesize")
	if err != nil {
		t.Fatal(err)
	}
	set := &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr.To(int32(n)),
			Template: vmv1alpha1.WukongTemplateSpec{
				Metadata: vmv1alpha1.WukongTemplateMetadata{Labels: map[string]vmv1alpha1.TemplateString{"app": "web"}},
				Spec: vmv1alpha1.WukongSpec{
					CPU: 2, Memory: resource.MustParse("4Gi"),
					Disks: []vmv1alpha1.Disk{{Name: "system", Size: resource.MustParse("20Gi"), Image: "docker://quay.io/kubevirt/ubuntu:22.04"}},
				},
			},
		},
	}
	if err := e.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Duration(n)*time.Second+2*time.Minute, func() error {
		var vmis kubevirtv1.VirtualMachineInstanceList
		if err := mgrCache.List(ctx, &vmis, client.InNamespace(ns)); err != nil {
			return err
		}
		var l vmv1alpha1.WukongList
		if err := mgrCache.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return err
		}
		ready := 0
		for _, w := range l.Items {
			if meta.IsStatusConditionTrue(w.Status.Conditions, vmv1alpha1.WukongReady) {
				ready++
			}
		}
		if ready < n || len(vmis.Items) < n {
			return fmt.Errorf("%d of %d members Ready, %d VM instances cached", ready, n, len(vmis.Items))
		}
		return nil
	})

	var summary []string
	heapTotal, jsonTotal := 0, 0
	for _, list := range []client.ObjectList{&vmv1alpha1.WukongList{}, &kubevirtv1.VirtualMachineList{},
		&kubevirtv1.VirtualMachineInstanceList{}, &cdiv1.DataVolumeList{}, &corev1.SecretList{}} {
		// The cache's own objects, not copies.
		if err := mgrCache.List(ctx, list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			t.Fatal(err)
		}
		objs, err := meta.ExtractList(list)
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) < n {
			t.Fatalf("%T: %d cached objects for %d members", list, len(objs), n)
		}
		kind := strings.TrimSuffix(reflect.TypeOf(list).Elem().Name(), "List")
		jsonBytes := 0
		for _, o := range objs {
			obj := o.(client.Object)
			if len(obj.GetManagedFields()) > 0 {
				t.Errorf("cached %s %s keeps its managedFields", kind, obj.GetName())
			}
			if vmi, ok := obj.(*kubevirtv1.VirtualMachineInstance); ok {
				checkStrippedInstance(t, vmi)
			}
			raw, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			jsonBytes += len(raw)
		}
		heap := heapPerObject(t, objs)
		heapTotal += heap * len(objs)
		jsonTotal += jsonBytes
		summary = append(summary, fmt.Sprintf("%s %d B (JSON %d B)", kind, heap, jsonBytes/len(objs)))
	}
	t.Logf("cached per member of a running %d-member set: %d B of heap (JSON %d B): %s", n, heapTotal/n, jsonTotal/n,
		strings.Join(summary, ", "))
}

// checkStrippedInstance fails when a cached VM instance holds more than stripInstance keeps.
func checkStrippedInstance(t *testing.T, vmi *kubevirtv1.VirtualMachineInstance) {
	t.Helper()
	rest := vmi.Spec.DeepCopy()
	rest.ReadinessProbe = nil
	if !equalJSON(rest, &kubevirtv1.VirtualMachineInstanceSpec{}) {
		t.Errorf("cached VM instance %s keeps its spec", vmi.Name)
	}
	for k := range vmi.Annotations {
		if k != kubevirtv1.VirtualMachineGenerationAnnotation {
			t.Errorf("cached VM instance %s keeps annotation %s", vmi.Name, k)
		}
	}
	if len(vmi.Status.VolumeStatus) > 0 || vmi.Status.LauncherContainerImageVersion != "" {
		t.Errorf("cached VM instance %s keeps status fields the controller does not read", vmi.Name)
	}
}

func equalJSON(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && string(x) == string(y)
}

// heapPerObject is the heap one of objs takes once decoded, as an informer decodes it: each object is
// decoded from its JSON many times, and the repetitions drown the allocations of the manager running beside
// the measurement. (A DeepCopy would not do: it shares the strings.)
func heapPerObject(t *testing.T, objs []k8sruntime.Object) int {
	t.Helper()
	const reps = 100
	raws := make([][]byte, len(objs))
	for i, o := range objs {
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		raws[i] = raw
	}
	decoded := make([]any, 0, len(objs)*reps)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range reps {
		for i, o := range objs {
			obj := reflect.New(reflect.TypeOf(o).Elem()).Interface()
			if err := json.Unmarshal(raws[i], obj); err != nil {
				t.Fatal(err)
			}
			decoded = append(decoded, obj)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(decoded)
	// The slice of decoded objects was allocated before the first reading.
	return max(int(after.HeapAlloc)-int(before.HeapAlloc), 0) / len(decoded)
}
