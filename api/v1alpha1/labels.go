package v1alpha1

// Labels and annotations the operator puts on the objects it manages.
const (
	// LabelSet names the WukongSet a member belongs to.
	LabelSet = "vm.novasphere.dev/set"
	// LabelIndex is a member's index in its set.
	LabelIndex = "vm.novasphere.dev/index"
	// LabelRevision is the set revision a member was rendered from.
	LabelRevision = "vm.novasphere.dev/revision"
	// LabelSurge marks a temporary member created past the set's own indices during a rolling update.
	LabelSurge = "vm.novasphere.dev/surge"
	// LabelWukong names the Wukong a child object (VM, DataVolume, Secret, attachment) belongs to.
	LabelWukong = "vm.novasphere.dev/wukong"

	// LabelRetained marks a DataVolume kept after its member was removed by a scale-in (scaleStrategy
	// diskRetention Retain); it also carries LabelSet and LabelIndex, and is attached again to the member
	// created at that index.
	LabelRetained = "vm.novasphere.dev/retained"

	// LabelGolden marks a golden DataVolume a WukongSet with imagePolicy ImportOnce imports an image into
	// for its members to clone; it also carries LabelSet. Its value is the hash in its name.
	LabelGolden = "vm.novasphere.dev/golden"

	// AnnotationRetainedFrom records on a retained DataVolume the UID of the member it was released from,
	// which never takes it back: only a member created later at the same index does.
	AnnotationRetainedFrom = "vm.novasphere.dev/retained-from"

	// AnnotationHeal is set by a WukongSet with autohealing on a member it heals: "restart/<time>" or
	// "recreate/<time>" (RFC 3339). The member's controller restarts, or deletes and re-creates, the VM once per
	// value (the value is copied to the VM, which marks it done); disks are kept.
	AnnotationHeal = "vm.novasphere.dev/heal"

	// AnnotationStopForUpdate is set by a WukongSet on a member it stops before updating it (the Recreate
	// strategy: every old member is stopped before any starts at the new revision). While it is present the
	// member's VM runs with run strategy Halted; its disks are kept. The value is the revision the member
	// waits for.
	AnnotationStopForUpdate = "vm.novasphere.dev/stop-for-update"
	// AnnotationAppliedSpec records on a VirtualMachine the hash of the spec the operator last applied, so a
	// field the operator stops setting is noticed (and removed) without writing on every reconcile.
	AnnotationAppliedSpec = "vm.novasphere.dev/applied-spec"
)

// Condition types of a Wukong.
const (
	// WukongReady is True when the VM instance runs and is ready.
	WukongReady = "Ready"
	// WukongDisksReady is True when every DataVolume has succeeded.
	WukongDisksReady = "DisksReady"
	// WukongNetworksReady is True when every network attachment exists.
	WukongNetworksReady = "NetworksReady"
	// WukongRestartRequired is True while KubeVirt reports that the running VM instance needs a restart to
	// take a spec change; the controller restarts it.
	WukongRestartRequired = "RestartRequired"
	// WukongUpToDate is True when the VM (and its running instance, if any) run the Wukong's current spec:
	// KubeVirt has observed the VM's latest generation and no restart is pending. Disks are reported
	// separately (DisksUpToDate), because a changed disk source is kept, not applied.
	WukongUpToDate = "UpToDate"
	// WukongDisksUpToDate is False when a disk's image, size or storage class in the spec differs from what
	// its DataVolume was provisioned with: the disk keeps its data and is not re-imported.
	WukongDisksUpToDate = "DisksUpToDate"
)

// Condition types of a WukongSet.
const (
	// SetAvailable is True when at least replicas - maxUnavailable members are available.
	SetAvailable = "Available"
	// SetProgressing is True while the set moves towards its spec, False when the progress deadline passed.
	SetProgressing = "Progressing"
	// SetReplicaFailure is True when a member could not be created or deleted, or the template is invalid.
	SetReplicaFailure = "ReplicaFailure"
	// SetPaused is True while spec.paused holds the rollout.
	SetPaused = "Paused"
	// SetHealing is True while autohealing restarts or re-creates members that keep failing.
	SetHealing = "Healing"
	// SetQuotaExceeded is True when members wait for namespace quota.
	SetQuotaExceeded = "QuotaExceeded"
)

// Condition reasons of a Wukong, shared with its events.
const (
	ReasonRunning            = "Running"
	ReasonStarting           = "Starting"
	ReasonStopped            = "Stopped"
	ReasonProvisioning       = "Provisioning"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonSecretNotFound     = "SecretNotFound"
	ReasonNameConflict       = "NameConflict"
	ReasonImportFailed       = "ImportFailed"
	ReasonImporting          = "Importing"
	ReasonDisksReady         = "DisksReady"
	ReasonNoDisks            = "NoDisks"
	ReasonAttachmentNotFound = "AttachmentNotFound"
	ReasonAttachmentsReady   = "AttachmentsReady"
	ReasonVMFailed           = "VMFailed"
	ReasonUnschedulable      = "Unschedulable"
	ReasonTemplateChanged    = "VMTemplateChanged"
	ReasonDiskSpecChanged    = "DiskSpecChanged"
	ReasonUpToDate           = "UpToDate"
	ReasonVMUpdating         = "Updating"
	ReasonRestarting         = "Restarting"
	ReasonRestartPending     = "RestartPending"
	ReasonStoppedForUpdate   = "StoppedForUpdate"
	ReasonDiskReattached     = "DiskReattached"
	ReasonCreated            = "Created"
	ReasonUpdated            = "Updated"
)

// Condition reasons of a Wukong for disks CDI clones (datasource://, pvc://, a set's golden volume).
const (
	// ReasonClonePending: a disk's CDI clone waits for its source (CDI's CloneScheduled), such as a set's
	// golden volume still importing or a source PVC still in use.
	ReasonClonePending = "ClonePending"
	// ReasonCloneSourceNotFound: a disk's datasource:// names a DataSource that does not exist; nothing is
	// created until it does (CDI refuses a DataVolume whose DataSource is missing).
	ReasonCloneSourceNotFound = "CloneSourceNotFound"
)

// Condition reasons of a WukongSet, shared with its events. No name here clashes with a Wukong reason above:
// the set's and the member's conditions are read side by side (kubectl, the rollout status), so one reason
// name means one thing.
const (
	ReasonInvalidTemplate     = "InvalidTemplate"
	ReasonCreateFailed        = "CreateFailed"
	ReasonDeleteFailed        = "DeleteFailed"
	ReasonNameTaken           = "NameTaken"
	ReasonNoFailure           = "NoFailure"
	ReasonScaling             = "Scaling"
	ReasonReplicasReady       = "ReplicasReady"
	ReasonWaitingForReady     = "WaitingForReady"
	ReasonMinimumAvailable    = "MinimumReplicasAvailable"
	ReasonMinimumUnavailable  = "MinimumReplicasUnavailable"
	ReasonSuccessfulCreate    = "SuccessfulCreate"
	ReasonSuccessfulDelete    = "SuccessfulDelete"
	ReasonPaused              = "Paused"
	ReasonResumed             = "Resumed"
	ReasonMemberAdopted       = "MemberAdopted"
	ReasonMemberReleased      = "MemberReleased"
	ReasonProgressDeadline    = "ProgressDeadlineExceeded"
	ReasonNewRevisionRollout  = "RollingOut"
	ReasonRolloutBlocked      = "RolloutBlocked"
	ReasonQuotaExceeded       = "QuotaExceeded"
	ReasonQuotaAvailable      = "QuotaAvailable"
	ReasonValidationSucceeded = "Valid"
	ReasonMembersUpdated      = "MembersUpdated"
	ReasonMembersStopped      = "MembersStopped"
	ReasonUpdateFailed        = "UpdateFailed"
	ReasonDeletionStalled     = "DeletionStalled"
	ReasonMemberHealed        = "MemberHealed"
	ReasonHealing             = "Healing"
	ReasonNoFailingMembers    = "NoFailingMembers"
)

// AnnotationDeleteList marks a member created while its own name was in spec.scaleStrategy.membersToDelete:
// it is the fresh replacement and is not deleted again for the same list.
const AnnotationDeleteList = "vm.novasphere.dev/replaces-deleted"

// AnnotationRollbackTo asks the controller to put a stored revision's template back into the set: its value
// is a revision (the hash in status.updateRevision, a member's vm.novasphere.dev/revision label) or the
// ControllerRevision's name. The controller removes the annotation once done.
const AnnotationRollbackTo = "vm.novasphere.dev/rollback-to"
