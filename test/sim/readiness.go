package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AnnotationProbeFail makes the readiness probe of a VirtualMachineInstance fail, whatever its handler: the
// instance runs but stays (or becomes) un-Ready, as when the guest does not answer on the probed port. The
// value is free text for the test's reader. Removing it lets the probe succeed at its next run. An instance
// without a readinessProbe is not affected.
const AnnotationProbeFail = "sim.novasphere.dev/probe-fail"

// Ready condition of a running instance whose probe has not succeeded, as KubeVirt writes it: virt-controller
// copies the launcher pod's Ready condition (v1.7 pkg/virt-controller/watch/vmi/lifecycle.go
// syncReadyConditionFromPod), which kubelet sets False with this reason and message while the compute
// container's readiness probe, the instance's readinessProbe copied there (pkg/virt-controller/services/
// rendercontainer.go WithReadinessProbe), has not succeeded.
const (
	vmiReasonContainersNotReady  = "ContainersNotReady"
	vmiMessageContainersNotReady = "containers with unready status: [compute]"
)

// probeReadiness sets the Ready condition of a running instance with a readiness probe and returns how long
// until it may change by itself (0: only a watch event can change it). Kubelet runs the first probe
// initialDelaySeconds after the container starts and needs successThreshold successes periodSeconds apart;
// the simulator counts from the instance entering Running (KubeVirt adds LibvirtStartupDelay, 10s, to the
// pod's initialDelaySeconds to cover the domain starting, which the simulated boot already spends). The
// Running timestamp has second precision, so Ready comes up to a second late, never early. A failing probe
// (AnnotationProbeFail) makes a Ready instance un-Ready at once: the simulator skips the failureThreshold
// periods kubelet waits.
func probeReadiness(st *kubevirtv1.VirtualMachineInstanceStatus, probe *kubevirtv1.Probe, in vmiInputs) time.Duration {
	if probe == nil {
		return 0
	}
	p := probe.DeepCopy()
	kubevirtv1.SetDefaults_Probe(p)
	notReady := func() {
		setVMICondition(st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionFalse,
			vmiReasonContainersNotReady, vmiMessageContainersNotReady, in.now)
	}
	if in.probeFail != "" {
		notReady()
		return 0
	}
	since := in.now.Time
	for _, t := range st.PhaseTransitionTimestamps {
		if t.Phase == kubevirtv1.Running {
			since = t.PhaseTransitionTimestamp.Time
		}
	}
	readyAt := since.Add(time.Second).
		Add(time.Duration(p.InitialDelaySeconds) * time.Second).
		Add(time.Duration(p.SuccessThreshold-1) * time.Duration(p.PeriodSeconds) * time.Second)
	if wait := readyAt.Sub(in.now.Time); wait > 0 {
		notReady()
		return wait
	}
	setVMICondition(st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionTrue, "", "", in.now)
	return 0
}

// sharedVolumes returns why an instance cannot live-migrate for its volumes, "" when it can: every
// DataVolume it mounts must be ReadWriteMany, as virt-handler's checkVolumesForMigration requires (v1.7
// pkg/virt-handler/vm.go, message as there). The simulator reads the access modes from the DataVolume's spec;
// one that names none gets the StorageProfile's, and the simulated cluster's storage is shared (ReadWriteMany),
// so it migrates.
func sharedVolumes(ctx context.Context, c client.Reader, vmi *kubevirtv1.VirtualMachineInstance) (string, error) {
	for _, v := range vmi.Spec.Volumes {
		if v.DataVolume == nil {
			continue
		}
		var dv cdiv1.DataVolume
		err := c.Get(ctx, types.NamespacedName{Namespace: vmi.Namespace, Name: v.DataVolume.Name}, &dv)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("get DataVolume %s: %w", v.DataVolume.Name, err)
		}
		var modes []corev1.PersistentVolumeAccessMode
		switch {
		case dv.Spec.Storage != nil:
			modes = dv.Spec.Storage.AccessModes
		case dv.Spec.PVC != nil:
			modes = dv.Spec.PVC.AccessModes
		}
		if len(modes) > 0 && !slices.Contains(modes, corev1.ReadWriteMany) {
			return fmt.Sprintf("cannot migrate VMI: PVC %v is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)", dv.Name), nil
		}
	}
	return "", nil
}
