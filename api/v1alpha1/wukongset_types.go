package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// WukongSetSpec is the desired state of a batch of Wukongs. Members are named <set>-<index> for index in
// [0, replicas) and rendered from the template with that index.
//
// The selector rules below make sure the members, which always carry the selector's matchLabels, can match
// it: a template label may not contradict it and every matchExpressions requirement must be satisfiable.
//
// +kubebuilder:validation:XValidation:rule="!has(self.selector) || !has(self.selector.matchLabels) || !has(self.template.metadata) || !has(self.template.metadata.labels) || self.selector.matchLabels.all(k, !(k in self.template.metadata.labels) || self.template.metadata.labels[k] == self.selector.matchLabels[k])",message="selector.matchLabels conflicts with template.metadata.labels: a key in both must have the same value",fieldPath=".selector"
// +kubebuilder:validation:XValidation:rule="!has(self.selector) || !has(self.selector.matchExpressions) || self.selector.matchExpressions.all(e, e.operator == 'In' ? ((has(self.selector.matchLabels) && e.key in self.selector.matchLabels && self.selector.matchLabels[e.key] in e.values) || (has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels && (self.template.metadata.labels[e.key] in e.values || self.template.metadata.labels[e.key].contains('${')))) : e.operator == 'Exists' ? ((has(self.selector.matchLabels) && e.key in self.selector.matchLabels) || (has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels)) : e.operator == 'DoesNotExist' ? !((has(self.selector.matchLabels) && e.key in self.selector.matchLabels) || (has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels)) : e.operator == 'NotIn' ? !((has(self.selector.matchLabels) && e.key in self.selector.matchLabels && self.selector.matchLabels[e.key] in e.values) || (has(self.template.metadata) && has(self.template.metadata.labels) && e.key in self.template.metadata.labels && self.template.metadata.labels[e.key] in e.values)) : false)",message="selector.matchExpressions cannot match the members' labels (template.metadata.labels plus selector.matchLabels); add the label to template.metadata.labels",fieldPath=".selector"
// +kubebuilder:validation:XValidation:rule="has(self.selector) == has(oldSelf.selector) && (!has(self.selector) || self.selector == oldSelf.selector)",message="selector is immutable after creation",fieldPath=".selector"
type WukongSetSpec struct {
	// replicas is the number of members.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	Replicas *int32 `json:"replicas,omitempty"`

	// template is the member template. Every string in it may hold template variables; see docs/templates.md.
	// +required
	Template WukongTemplateSpec `json:"template"`

	// selector selects the members. Members always carry its matchLabels, plus the labels
	// vm.novasphere.dev/set and vm.novasphere.dev/index. Absent means the set label alone. Immutable. It is
	// not part of the template, so it holds no template variables; and since its matchLabels land on every
	// member's VM, KubeVirt's reserved instance labels are refused, as for template.metadata.labels.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.matchLabels) || self.matchLabels.all(k, !(k in ['kubevirt.io/created-by', 'kubevirt.io/migrationJobUID', 'kubevirt.io/nodeName', 'kubevirt.io/migrationTargetNodeName', 'kubevirt.io/schedulable', 'kubevirt.io/install-strategy']))",message="matchLabels: KubeVirt reserves kubevirt.io/created-by, migrationJobUID, nodeName, migrationTargetNodeName, schedulable and install-strategy for itself and refuses a VM that sets them",fieldPath=".matchLabels"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchLabels) || self.matchLabels.all(k, !self.matchLabels[k].contains('${'))",message="matchLabels: the selector is not a template; its values cannot hold template variables (${...})",fieldPath=".matchLabels"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, !e.key.contains('${') && (!has(e.values) || e.values.all(v, !v.contains('${'))))",message="matchExpressions: the selector is not a template; its keys and values cannot hold template variables (${...})",fieldPath=".matchExpressions"
	Selector *LabelSelector `json:"selector,omitempty"`

	// updateStrategy says how members move to a new template.
	// +optional
	UpdateStrategy *WukongSetUpdateStrategy `json:"updateStrategy,omitempty"`

	// scaleStrategy says how the set grows and shrinks.
	// +optional
	ScaleStrategy *ScaleStrategy `json:"scaleStrategy,omitempty"`

	// paused stops rollouts; scaling still happens.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// imagePolicy says how members' disks that import an image (docker://, http://, https://) get it.
	// ImportPerMember (default) imports the image into each member's disk. ImportOnce imports each distinct
	// rendered image (with its disk's size and storage class) once into a golden DataVolume the set owns,
	// named <set>-golden-<hash>, and every member's disk clones it (image pvc://<namespace>/<golden>): a set
	// of 500 pulls an image once, not 500 times. Golden volumes go with the set, and once no member refers
	// to them. Applies to members created after it is set; existing disks keep their data. See
	// docs/disks.md.
	// +optional
	// +kubebuilder:default=ImportPerMember
	ImagePolicy ImagePolicy `json:"imagePolicy,omitempty"`

	// minReadySeconds is how long a member must be Ready before it counts as available.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	MinReadySeconds int32 `json:"minReadySeconds,omitempty"`

	// progressDeadlineSeconds is how long a rollout may make no progress before the set reports
	// Progressing=False with reason ProgressDeadlineExceeded.
	// +optional
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=1
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// autohealing, when set, heals members whose VM keeps failing: a member Failed (its VM crash-looping) or
	// unschedulable for autohealing.failedFor is first restarted; if it still fails that long after the
	// restart, its VM is re-created (its disks are kept). At most autohealing.maxConcurrent members are
	// healed at a time. Absent means no autohealing (KubeVirt's own restarts with back-off still happen).
	// +optional
	Autohealing *Autohealing `json:"autohealing,omitempty"`
	// revisionHistoryLimit is how many old template revisions are kept for rollback.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// WukongTemplateSpec is the template each member is rendered from.
type WukongTemplateSpec struct {
	// metadata holds the members' labels and annotations.
	// +optional
	Metadata WukongTemplateMetadata `json:"metadata,omitempty"`

	// spec is the members' Wukong spec.
	// +required
	Spec WukongSpec `json:"spec"`
}

// WukongTemplateMetadata is the part of object metadata a template may set. Keys are checked as the apiserver
// checks object metadata (ValidateLabels, ValidateAnnotations in k8s.io/apimachinery); values that hold a
// template variable are checked once rendered, when the set validates every member against the Wukong kind.
type WukongTemplateMetadata struct {
	// labels are added to every member and from there to its VirtualMachine and VM instance. Keys are label
	// keys; values are label values or hold template variables. KubeVirt's reserved instance labels
	// (kubevirt.io/created-by, migrationJobUID, nodeName, migrationTargetNodeName, schedulable,
	// install-strategy) are refused, as KubeVirt refuses them on a VM's template.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !format.qualifiedName().validate(k).hasValue())",message="label keys must be valid label keys ([prefix/]name)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].contains('${') || !format.labelValue().validate(self[k]).hasValue())",message="label values must be valid label values (at most 63 characters: alphanumerics, '-', '_' or '.', starting and ending alphanumeric) unless they hold a template variable"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['kubevirt.io/created-by', 'kubevirt.io/migrationJobUID', 'kubevirt.io/nodeName', 'kubevirt.io/migrationTargetNodeName', 'kubevirt.io/schedulable', 'kubevirt.io/install-strategy']))",message="labels: KubeVirt reserves kubevirt.io/created-by, migrationJobUID, nodeName, migrationTargetNodeName, schedulable and install-strategy for itself and refuses a VM that sets them"
	Labels map[string]TemplateString `json:"labels,omitempty"`

	// annotations are added to every member. Keys are annotation keys (label-key syntax, any case); values may
	// hold template variables.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !format.qualifiedName().validate(k.lowerAscii()).hasValue())",message="annotation keys must be valid annotation keys ([prefix/]name)"
	Annotations map[string]TemplateString `json:"annotations,omitempty"`
}

// TemplateString is a label or annotation value in a template; it may hold template variables, so it is
// checked as a label value only once rendered. Its bound keeps the selector's CEL rules cheap to evaluate.
// +kubebuilder:validation:MaxLength=1024
type TemplateString string

// LabelSelector is a label selector: a set's selector and a Wukong's anti-affinity selector. It has the shape
// of metav1.LabelSelector, with bounds on every field so the apiserver can afford to check at admission that
// it is a valid selector (ValidateLabelSelector in k8s.io/apimachinery/pkg/apis/meta/v1/validation) and, for
// a set, that the members' labels can match it. In a WukongSet template (anti-affinity) its values and
// expression keys may hold template variables; the set's own selector refuses them.
type LabelSelector struct {
	// matchLabels are labels a selected object carries. Keys are label keys; values are label values.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !format.qualifiedName().validate(k).hasValue())",message="matchLabels keys must be valid label keys ([prefix/]name)"
	MatchLabels map[string]LabelValue `json:"matchLabels,omitempty"`

	// matchExpressions are further requirements on the labels.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelValue is a Kubernetes label value (IsValidLabelValue in k8s.io/apimachinery/pkg/util/validation). In
// a WukongSet template it may instead hold template variables (${...}), within the same 63 characters; the
// rendered member is checked. The kinds refuse variables where nothing renders them (see Wukong.Spec and
// WukongSetSpec.Selector).
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.contains('${') || !format.labelValue().validate(self).hasValue()",message="must be a valid label value (alphanumerics, '-', '_' or '.', starting and ending alphanumeric), or in a WukongSet template hold a template variable"
type LabelValue string

// LabelSelectorRequirement is one requirement of a LabelSelector.
//
// +kubebuilder:validation:XValidation:rule="self.operator in ['In', 'NotIn'] ? has(self.values) && self.values.size() > 0 : !has(self.values) || self.values.size() == 0",message="values must be given when operator is In or NotIn, and must be empty when operator is Exists or DoesNotExist",fieldPath=".values"
type LabelSelectorRequirement struct {
	// key is the label key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !format.qualifiedName().validate(self).hasValue()",message="key must be a valid label key ([prefix/]name)"
	Key string `json:"key"`

	// operator is In, NotIn, Exists or DoesNotExist.
	// +required
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist
	Operator metav1.LabelSelectorOperator `json:"operator"`

	// values are the allowed (In) or forbidden (NotIn) values; empty for Exists and DoesNotExist.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	Values []LabelValue `json:"values,omitempty"`
}

// UpdateStrategyType is how members move to a new template.
// +kubebuilder:validation:Enum=RollingUpdate;Recreate
type UpdateStrategyType string

// Update strategy types.
const (
	// RollingUpdateStrategy replaces members a few at a time within maxUnavailable and maxSurge.
	RollingUpdateStrategy UpdateStrategyType = "RollingUpdate"
	// RecreateStrategy removes every old member before creating new ones.
	RecreateStrategy UpdateStrategyType = "Recreate"
)

// WukongSetUpdateStrategy says how members move to a new template. maxUnavailable and maxSurge may be written
// directly under updateStrategy (as the design's first example does) or under rollingUpdate, not both.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.maxUnavailable) && has(self.rollingUpdate) && has(self.rollingUpdate.maxUnavailable))",message="set maxUnavailable either directly under updateStrategy or under updateStrategy.rollingUpdate, not both",fieldPath=".maxUnavailable"
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.rollingUpdate) && has(self.rollingUpdate.maxSurge))",message="set maxSurge either directly under updateStrategy or under updateStrategy.rollingUpdate, not both",fieldPath=".maxSurge"
// +kubebuilder:validation:XValidation:rule="self.type != 'Recreate' || (!has(self.rollingUpdate) && !has(self.maxUnavailable) && !has(self.maxSurge))",message="rollingUpdate, maxUnavailable and maxSurge apply only to type RollingUpdate"
// +kubebuilder:validation:XValidation:rule="!((has(self.rollingUpdate) && has(self.rollingUpdate.maxUnavailable) ? string(self.rollingUpdate.maxUnavailable) : has(self.maxUnavailable) ? string(self.maxUnavailable) : '1') in ['0', '0%'] && (has(self.rollingUpdate) && has(self.rollingUpdate.maxSurge) ? string(self.rollingUpdate.maxSurge) : has(self.maxSurge) ? string(self.maxSurge) : '0') in ['0', '0%'])",message="maxUnavailable and maxSurge must not both be 0: the rollout could never make progress"
type WukongSetUpdateStrategy struct {
	// type is RollingUpdate (default) or Recreate.
	// +optional
	// +kubebuilder:default=RollingUpdate
	Type UpdateStrategyType `json:"type,omitempty"`

	// rollingUpdate tunes a RollingUpdate.
	// +optional
	RollingUpdate *RollingUpdateWukongSet `json:"rollingUpdate,omitempty"`

	// maxUnavailable is shorthand for rollingUpdate.maxUnavailable.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^(100|[1-9]?[0-9])%$')",message="maxUnavailable must be a non-negative integer or a percentage such as 25%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// diskChangePolicy says what happens to a member whose disks the new template changes (a disk's image,
	// size or storage class). Retain (default) keeps every existing disk with its data: the member is updated
	// in place and reports the difference in its DisksUpToDate condition. Reprovision DELETES such a member
	// with all its disks and their data and creates it again from the new template (disks imported anew);
	// choose it only when the disks hold nothing worth keeping.
	// +optional
	// +kubebuilder:default=Retain
	DiskChangePolicy DiskChangePolicy `json:"diskChangePolicy,omitempty"`
	// maxSurge is shorthand for rollingUpdate.maxSurge.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^(100|[1-9]?[0-9])%$')",message="maxSurge must be a non-negative integer or a percentage such as 25%"
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
}

// ImagePolicy says how a set's members get the images their disks import.
// +kubebuilder:validation:Enum=ImportPerMember;ImportOnce
type ImagePolicy string

// Image policies.
const (
	// ImagePolicyImportPerMember imports an image into every member's disk.
	ImagePolicyImportPerMember ImagePolicy = "ImportPerMember"
	// ImagePolicyImportOnce imports each distinct image once into a golden DataVolume the set owns, which
	// members' disks clone.
	ImagePolicyImportOnce ImagePolicy = "ImportOnce"
)

// DiskChangePolicy says what a rollout does with disks whose source, size or storage class changed.
// +kubebuilder:validation:Enum=Retain;Reprovision
type DiskChangePolicy string

// Disk change policies.
const (
	// DiskChangeRetain keeps existing disks and their data; the difference is reported.
	DiskChangeRetain DiskChangePolicy = "Retain"
	// DiskChangeReprovision deletes the member with its disks (their data is lost) and creates it again.
	DiskChangeReprovision DiskChangePolicy = "Reprovision"
)

// RollingUpdateWukongSet tunes a RollingUpdate.
type RollingUpdateWukongSet struct {
	// maxUnavailable is how many members (or what percentage of replicas, rounded down) may be unavailable
	// during the update. Default 1.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^(100|[1-9]?[0-9])%$')",message="maxUnavailable must be a non-negative integer or a percentage such as 25%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// maxSurge is how many members (or what percentage of replicas, rounded up) may exist above replicas
	// during the update. Default 0.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^(100|[1-9]?[0-9])%$')",message="maxSurge must be a non-negative integer or a percentage such as 25%"
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// partition: only members with index >= partition are updated (StatefulSet convention), for canaries.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Partition *int32 `json:"partition,omitempty"`
}

// ScaleDownPolicy chooses which members go first when the set shrinks.
// +kubebuilder:validation:Enum=HighestIndex;NotReadyFirst
type ScaleDownPolicy string

// Scale-down policies.
const (
	// ScaleDownHighestIndex removes the highest indices first.
	ScaleDownHighestIndex ScaleDownPolicy = "HighestIndex"
	// ScaleDownNotReadyFirst removes members that are not Ready first, then the highest indices.
	ScaleDownNotReadyFirst ScaleDownPolicy = "NotReadyFirst"
)

// Autohealing says when a set heals a failing member, and how many at once. Like KubeVirt's
// VirtualMachinePool autohealing, but a VM is never re-provisioned: its disks stay.
type Autohealing struct {
	// failedFor is how long a member may stay Failed or unschedulable before it is restarted, and again
	// after the restart before its VM is re-created. Default 5m; at least 1s.
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s')",message="failedFor must be at least 1s"
	FailedFor *metav1.Duration `json:"failedFor,omitempty"`
	// maxConcurrent is how many members may be healed at a time. Default 1.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxConcurrent *int32 `json:"maxConcurrent,omitempty"`
}

// DiskRetention says what happens to the disks of members removed by a scale-in.
// +kubebuilder:validation:Enum=Delete;Retain
type DiskRetention string

// Disk retention policies.
const (
	// DiskRetentionDelete deletes a removed member's disks with it.
	DiskRetentionDelete DiskRetention = "Delete"
	// DiskRetentionRetain keeps a removed member's disks for the member that later takes its index.
	DiskRetentionRetain DiskRetention = "Retain"
)

// ScaleStrategy says how the set grows and shrinks.
type ScaleStrategy struct {
	// scaleDownPolicy is HighestIndex (default) or NotReadyFirst.
	// +optional
	// +kubebuilder:default=HighestIndex
	ScaleDownPolicy ScaleDownPolicy `json:"scaleDownPolicy,omitempty"`

	// membersToDelete names members to remove first on the next scale-down. Their indices become free and
	// are filled again by a later scale-up.
	// +optional
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:MaxLength=63
	// +listType=set
	MembersToDelete []string `json:"membersToDelete,omitempty"`

	// diskRetention says what happens to the disks (DataVolumes) of members the set removes when it scales in
	// (replicas lowered, or a member named in membersToDelete). Delete (default) deletes them with the member.
	// Retain keeps them with their data: each is released from its member and labelled with the set, the
	// index and vm.novasphere.dev/retained=true, and the member created at that index later gets it back.
	// Deleting the set leaves retained disks in place; delete them with
	// kubectl delete datavolumes -l vm.novasphere.dev/set=SET,vm.novasphere.dev/retained=true.
	// +optional
	// +kubebuilder:default=Delete
	DiskRetention DiskRetention `json:"diskRetention,omitempty"`
	// maxConcurrentCreates bounds how many members this set creates at once; absent means the manager's
	// --max-concurrent-creates flag.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxConcurrentCreates *int32 `json:"maxConcurrentCreates,omitempty"`
}

// WukongSetStatus is the observed state of a WukongSet.
type WukongSetStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// replicas is the number of members that exist.
	// +optional
	Replicas int32 `json:"replicas"`

	// readyReplicas is the number of members whose Ready condition is True.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`

	// availableReplicas is the number of members Ready for at least minReadySeconds.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas"`

	// updatedReplicas is the number of members at the update revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas"`

	// currentRevision is the revision of the members before the current rollout.
	// +optional
	CurrentRevision string `json:"currentRevision,omitempty"`

	// updateRevision is the revision of the current template.
	// +optional
	UpdateRevision string `json:"updateRevision,omitempty"`

	// collisionCount counts revision hash collisions, to make new revision names unique.
	// +optional
	CollisionCount *int32 `json:"collisionCount,omitempty"`

	// lastProgressTime is when the set last moved towards its spec (a member created, deleted, updated or
	// becoming ready); progressDeadlineSeconds counts from it.
	// +optional
	LastProgressTime *metav1.Time `json:"lastProgressTime,omitempty"`

	// labelSelector is the members' selector in string form, for the scale subresource.
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`

	// conditions are Available, Progressing, ReplicaFailure, Paused and QuotaExceeded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// WukongSet creates and keeps a number of Wukongs from one template, with per-member template variables,
// batched creation and rolling updates.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.labelSelector
// +kubebuilder:resource:shortName=wks,categories={novasphere,all}
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=`.status.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Up-to-date",type=integer,JSONPath=`.status.updatedReplicas`
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.availableReplicas`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 57",message="metadata.name must be at most 57 characters so that member names <set>-<index> fit in 63"
type WukongSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired batch.
	// +required
	Spec WukongSetSpec `json:"spec"`

	// status is the observed state, written by the controller.
	// +optional
	Status WukongSetStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// WukongSetList is a list of WukongSets.
type WukongSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WukongSet `json:"items"`
}

func init() {
	register(&WukongSet{}, &WukongSetList{})
}
