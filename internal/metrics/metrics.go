// Package metrics defines the operator's Prometheus metrics, registered on controller-runtime's registry so
// the manager's existing metrics endpoint serves them. Labels are per set (namespace, wukongset), never per
// member, so cardinality stays with the number of sets.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Label names.
const (
	LabelNamespace = "namespace"
	LabelSet       = "wukongset"
	LabelReason    = "reason"
	LabelPhase     = "phase"
)

var setLabels = []string{LabelNamespace, LabelSet}

var (
	// ReplicasDesired mirrors a set's spec.replicas.
	ReplicasDesired = gauge("wukongset_replicas_desired", "Members a WukongSet wants (spec.replicas).")
	// ReplicasCurrent mirrors status.replicas.
	ReplicasCurrent = gauge("wukongset_replicas_current", "Members of a WukongSet that exist, surge members included.")
	// ReplicasReady mirrors status.readyReplicas.
	ReplicasReady = gauge("wukongset_replicas_ready", "Members of a WukongSet whose Ready condition is True.")
	// ReplicasAvailable mirrors status.availableReplicas.
	ReplicasAvailable = gauge("wukongset_replicas_available", "Members of a WukongSet Ready for at least minReadySeconds.")
	// ReplicasUpdated mirrors status.updatedReplicas.
	ReplicasUpdated = gauge("wukongset_replicas_updated", "Members of a WukongSet at its update revision.")
	// QuotaBlocked counts members waiting because the namespace's ResourceQuota has no room for them.
	QuotaBlocked = gauge("wukongset_quota_blocked_members", "Members of a WukongSet not created because a ResourceQuota has no room for them.")
	// RolloutInProgress is 1 while a set's members are being moved to a new template.
	RolloutInProgress = gauge("wukongset_rollout_in_progress", "1 while a WukongSet rolls members to a new template, else 0.")
	// ProgressDeadlineExceeded is 1 while a set reports Progressing=False (ProgressDeadlineExceeded).
	ProgressDeadlineExceeded = gauge("wukongset_progress_deadline_exceeded", "1 while a WukongSet made no progress for progressDeadlineSeconds, else 0.")

	// MembersByPhase counts a set's members by Wukong phase.
	MembersByPhase = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wukongset_members_by_phase", Help: "Members of a WukongSet by Wukong phase.",
	}, []string{LabelNamespace, LabelSet, LabelPhase})

	// CreateFailures counts refused member creates by reason (the apiserver's status reason, e.g. Forbidden,
	// Invalid, Timeout).
	CreateFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wukongset_member_create_failures_total", Help: "Member creates the apiserver refused, by reason.",
	}, []string{LabelNamespace, LabelSet, LabelReason})
	// DeleteFailures counts refused member deletes by reason.
	DeleteFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wukongset_member_delete_failures_total", Help: "Member deletes the apiserver refused, by reason.",
	}, []string{LabelNamespace, LabelSet, LabelReason})
	// MembersCreated counts members created.
	MembersCreated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wukongset_members_created_total", Help: "Members created by WukongSets.",
	}, setLabels)
	// MembersUpdated counts members moved to a new revision in place, by kind of update (metadata, live,
	// restart, none): none of these re-creates a VM or a disk.
	MembersUpdated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wukongset_members_updated_total", Help: "Members updated in place by WukongSets, by kind of update.",
	}, []string{LabelNamespace, LabelSet, "kind"})
	// MembersHealed counts autohealing actions by kind (restart, recreate).
	MembersHealed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wukongset_members_healed_total", Help: "Members autohealing restarted or whose VM it re-created, by kind.",
	}, []string{LabelNamespace, LabelSet, "kind"})
	// TemplateInvalid counts reconciles that found a set's template invalid at some index.
	TemplateInvalid = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wukongset_template_invalid_total", Help: "Reconciles that found a WukongSet's template invalid at some member index (render, or offline validation against the Wukong CRD's schema and rules).",
	}, setLabels)

	// ReadyLatency is the time from a Wukong's creation to its first Ready, per set ("" for Wukongs outside a
	// set). Buckets span a fast boot from a cached image to a slow multi-gigabyte import.
	ReadyLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wukong_creation_to_ready_seconds",
		Help:    "Seconds from a Wukong's creation to its first Ready condition.",
		Buckets: []float64{5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600},
	}, setLabels)
)

func gauge(name, help string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, setLabels)
}

func init() {
	metrics.Registry.MustRegister(ReplicasDesired, ReplicasCurrent, ReplicasReady, ReplicasAvailable, ReplicasUpdated,
		QuotaBlocked, RolloutInProgress, ProgressDeadlineExceeded, MembersByPhase, CreateFailures, DeleteFailures,
		MembersCreated, MembersUpdated, MembersHealed, TemplateInvalid, ReadyLatency)
}

// ForgetSet drops every series of a deleted set.
func ForgetSet(namespace, set string) {
	match := prometheus.Labels{LabelNamespace: namespace, LabelSet: set}
	for _, v := range []*prometheus.GaugeVec{ReplicasDesired, ReplicasCurrent, ReplicasReady, ReplicasAvailable,
		ReplicasUpdated, QuotaBlocked, RolloutInProgress, ProgressDeadlineExceeded, MembersByPhase} {
		v.DeletePartialMatch(match)
	}
	for _, v := range []*prometheus.CounterVec{CreateFailures, DeleteFailures, MembersCreated, MembersUpdated, MembersHealed, TemplateInvalid} {
		v.DeletePartialMatch(match)
	}
	ReadyLatency.DeletePartialMatch(match)
}
