package sim

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
)

// Condition reasons and messages as CDI writes them, so code that reads them sees familiar values.
const (
	dvReasonBound     = "Bound"
	dvReasonPending   = "Pending"
	dvReasonRunning   = "Pod is running"
	dvReasonCompleted = "Completed"
	dvReasonError     = "Error"
	dvMessageComplete = "Import Complete"
	// dvProgressDone is what CDI writes on success; note the single decimal, unlike in-flight progress.
	dvProgressDone = cdiv1.DataVolumeProgress("100.0%")
	// dvProgressNA is CDI's progress before an importer pod reports any.
	dvProgressNA = cdiv1.DataVolumeProgress("N/A")
)

// importSlices is how many equal progress reports an import makes after its Pending step: 0%, 25%, 50%,
// 75%, then Succeeded. A few steps are enough for a test or a demo to see progress move.
const importSlices = 4

// blankFraction is the part of the import duration a blank DataVolume spends in Pending: CDI only creates
// an empty image, which is quick but not instant.
const blankFraction = 10

// dvStage is one step of a simulated DataVolume's life before Succeeded.
type dvStage struct {
	phase    cdiv1.DataVolumePhase
	progress cdiv1.DataVolumeProgress
}

// dvStages are the steps a DataVolume goes through, and how long each lasts.
func dvStages(dv *cdiv1.DataVolume, importDuration time.Duration) ([]dvStage, time.Duration) {
	if isBlank(dv) {
		return []dvStage{{cdiv1.Pending, dvProgressNA}}, importDuration / blankFraction
	}
	stages := []dvStage{{cdiv1.Pending, dvProgressNA}}
	for i := range importSlices {
		stages = append(stages, dvStage{cdiv1.ImportInProgress, progressOf(i, importSlices)})
	}
	return stages, importDuration / time.Duration(len(stages))
}

func progressOf(i, n int) cdiv1.DataVolumeProgress {
	return cdiv1.DataVolumeProgress(strconv.FormatFloat(100*float64(i)/float64(n), 'f', 2, 64) + "%")
}

func isBlank(dv *cdiv1.DataVolume) bool {
	return dv.Spec.Source != nil && dv.Spec.Source.Blank != nil
}

// dvStepKey names the step a DataVolume is in, for the clock: a new object (UID), phase, progress or
// importer restart is a new step.
func dvStepKey(dv *cdiv1.DataVolume) string {
	return fmt.Sprintf("%s/%s/%s/%d", dv.UID, dv.Status.Phase, dv.Status.Progress, dv.Status.RestartCount)
}

// planDataVolume is the simulated CDI's decision for one DataVolume: the status it should have now and how
// long until the next step (0: no timer, only a watch event can change the outcome). importError is the
// injected failure, if any; inStage is how long the DataVolume has been in its current step.
func planDataVolume(dv *cdiv1.DataVolume, importError string, inStage, importDuration time.Duration, now metav1.Time) (cdiv1.DataVolumeStatus, time.Duration) {
	st := *dv.Status.DeepCopy()
	st.ClaimName = dv.Name
	if st.Phase == cdiv1.Succeeded {
		// Terminal, as in CDI: an import error injected afterwards has no importer pod to break.
		return st, 0
	}
	if importError != "" {
		st.Phase = cdiv1.Failed
		setDVCondition(&st, cdiv1.DataVolumeBound, corev1.ConditionTrue, dvReasonBound, "PVC "+dv.Name+" Bound", now)
		setDVCondition(&st, cdiv1.DataVolumeReady, corev1.ConditionFalse, "", "", now)
		setDVCondition(&st, cdiv1.DataVolumeRunning, corev1.ConditionFalse, dvReasonError, importError, now)
		return st, 0
	}
	stages, step := dvStages(dv, importDuration)
	next := 0
	switch {
	case st.Phase == cdiv1.Failed:
		// CDI restarts the importer pod, which starts over: back to the first in-flight step.
		st.RestartCount++
		next = min(1, len(stages)-1)
	case st.Phase == cdiv1.PhaseUnset:
		next = 0
	default:
		cur := stageIndex(stages, st)
		if inStage < step {
			return st, step - inStage
		}
		next = cur + 1
	}
	if step == 0 || next >= len(stages) {
		setDVSucceeded(&st, dv.Name, dvMessageComplete, now)
		return st, 0
	}
	s := stages[next]
	st.Phase, st.Progress = s.phase, s.progress
	if s.phase == cdiv1.Pending {
		setDVCondition(&st, cdiv1.DataVolumeBound, corev1.ConditionFalse, dvReasonPending, "PVC "+dv.Name+" Pending", now)
		setDVCondition(&st, cdiv1.DataVolumeReady, corev1.ConditionFalse, "", "", now)
		setDVCondition(&st, cdiv1.DataVolumeRunning, corev1.ConditionFalse, "", "", now)
	} else {
		setDVCondition(&st, cdiv1.DataVolumeBound, corev1.ConditionTrue, dvReasonBound, "PVC "+dv.Name+" Bound", now)
		setDVCondition(&st, cdiv1.DataVolumeReady, corev1.ConditionFalse, "", "", now)
		setDVCondition(&st, cdiv1.DataVolumeRunning, corev1.ConditionTrue, dvReasonRunning, "", now)
	}
	return st, step
}

// stageIndex finds the step st is in. A status the simulator did not write (another progress value) counts
// as the first in-flight step, so the import still finishes.
func stageIndex(stages []dvStage, st cdiv1.DataVolumeStatus) int {
	for i, s := range stages {
		if s.phase == st.Phase && s.progress == st.Progress {
			return i
		}
	}
	return min(1, len(stages)-1)
}

// setDVCondition sets one condition, keeping its transition time when the status does not change so that
// recomputing an unchanged DataVolume yields an identical status and no write.
// setDVSucceeded is the status CDI leaves on a DataVolume whose import or clone completed: PVC name Bound,
// Ready, and Running False with the completion message.
func setDVSucceeded(st *cdiv1.DataVolumeStatus, name, message string, now metav1.Time) {
	st.Phase, st.Progress = cdiv1.Succeeded, dvProgressDone
	setDVCondition(st, cdiv1.DataVolumeBound, corev1.ConditionTrue, dvReasonBound, "PVC "+name+" Bound", now)
	setDVCondition(st, cdiv1.DataVolumeReady, corev1.ConditionTrue, "", "", now)
	setDVCondition(st, cdiv1.DataVolumeRunning, corev1.ConditionFalse, dvReasonCompleted, message, now)
}

func setDVCondition(st *cdiv1.DataVolumeStatus, t cdiv1.DataVolumeConditionType, status corev1.ConditionStatus, reason, message string, now metav1.Time) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type != t {
			continue
		}
		if c.Status != status {
			c.LastTransitionTime = now
		}
		if c.Status != status || c.Reason != reason || c.Message != message {
			c.LastHeartbeatTime = now
		}
		c.Status, c.Reason, c.Message = status, reason, message
		return
	}
	st.Conditions = append(st.Conditions, cdiv1.DataVolumeCondition{
		Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: now, LastHeartbeatTime: now,
	})
}
