package wukong

// The Wukong controller's permissions, each verb for the calls that need it; `make manifests` collects them
// into config/rbac/role.yaml, and test/e2e's TestLeastPrivilege fails on any verb the manager never uses.
// Reads go through the manager's cache (list and watch), except where the APIReader is named. Children are
// deleted by the garbage collector (owner references), not by the operator.
//
// OwnerReferencesPermissionEnforcement (OpenShift enables it; the tests do) authorizes an owner reference
// with blockOwnerDeletion as update on the owner's finalizers (every child has one), and a change of an
// existing object's ownerReferences as delete on that object.

// Wukongs: the cache; status by Status().Patch; finalizers for the children's owner references.
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs,verbs=list;watch
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs/status,verbs=patch
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs/finalizers,verbs=update

// VirtualMachines: server-side apply (patch, and create when it creates the VM), delete for autohealing's
// re-create, a restart as a state change request in the status.
// +kubebuilder:rbac:groups=kubevirt.io,resources=virtualmachines,verbs=list;watch;create;patch;delete
// +kubebuilder:rbac:groups=kubevirt.io,resources=virtualmachines/status,verbs=patch

// VirtualMachineInstances: labels kept in step with the member's (patch).
// +kubebuilder:rbac:groups=kubevirt.io,resources=virtualmachineinstances,verbs=list;watch;patch

// DataVolumes, attachments, cloud-init Secrets: apply.Ensure creates and updates them, and reads one live
// (get) when a create answers AlreadyExists that the cache cannot explain. A retained DataVolume is
// reattached by a patch of its ownerReferences (hence delete, see above). Users' Secrets are read live.
// +kubebuilder:rbac:groups=cdi.kubevirt.io,resources=datavolumes,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=k8s.cni.cncf.io,resources=network-attachment-definitions,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update

// Events: the events.k8s.io recorder creates an event and patches its series when it repeats.
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
