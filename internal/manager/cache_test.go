package manager

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

func TestStripInstance(t *testing.T) {
	probe := &kubevirtv1.Probe{InitialDelaySeconds: 5}
	// keptStatus is what stripInstance keeps of the status: phase, node, conditions, interfaces, guest OS.
	keptStatus := func() kubevirtv1.VirtualMachineInstanceStatus {
		return kubevirtv1.VirtualMachineInstanceStatus{
			Phase:       kubevirtv1.Running,
			NodeName:    "node-1",
			Conditions:  []kubevirtv1.VirtualMachineInstanceCondition{{Type: kubevirtv1.VirtualMachineInstanceReady, Status: "True"}},
			Interfaces:  []kubevirtv1.VirtualMachineInstanceNetworkInterface{{Name: "default", IP: "10.0.0.1"}},
			GuestOSInfo: kubevirtv1.VirtualMachineInstanceGuestOSInfo{ID: "ubuntu"},
		}
	}
	full := func() *kubevirtv1.VirtualMachineInstance {
		vmi := &kubevirtv1.VirtualMachineInstance{
			ObjectMeta: metav1.ObjectMeta{
				Name: "web-0", Namespace: "ns",
				Labels:        map[string]string{"app": "web"},
				ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "virt-controller"}},
				Annotations: map[string]string{
					kubevirtv1.VirtualMachineGenerationAnnotation: "3",
					"kubevirt.io/latest-observed-api-version":     "v1",
					"kubevirt.io/storage-observed-api-version":    "v1",
				},
			},
			Spec: kubevirtv1.VirtualMachineInstanceSpec{
				Hostname:       "web-0",
				ReadinessProbe: probe,
				Volumes:        []kubevirtv1.Volume{{Name: "system"}},
			},
			Status: keptStatus(),
		}
		vmi.Status.VolumeStatus = []kubevirtv1.VolumeStatus{{Name: "system"}}
		vmi.Status.LauncherContainerImageVersion = "virt-launcher:v1.6.0"
		return vmi
	}
	stripped := func(annotations map[string]string) *kubevirtv1.VirtualMachineInstance {
		return &kubevirtv1.VirtualMachineInstance{
			ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "ns", Labels: map[string]string{"app": "web"}, Annotations: annotations},
			Spec:       kubevirtv1.VirtualMachineInstanceSpec{ReadinessProbe: probe},
			Status:     keptStatus(),
		}
	}
	noGeneration := full()
	delete(noGeneration.Annotations, kubevirtv1.VirtualMachineGenerationAnnotation)
	tombstone := cache.DeletedFinalStateUnknown{Key: "ns/web-0", Obj: full()}
	for _, tc := range []struct {
		name string
		in   any
		want any
	}{
		{"keeps what the controller reads", full(), stripped(map[string]string{kubevirtv1.VirtualMachineGenerationAnnotation: "3"})},
		{"no generation annotation: none kept", noGeneration, stripped(nil)},
		{"a tombstone passes through", tombstone, tombstone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := stripInstance(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("stripInstance:\n got  %+v\n want %+v", got, tc.want)
			}
		})
	}
}
