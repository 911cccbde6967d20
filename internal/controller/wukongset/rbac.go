package wukongset

// The WukongSet controller's permissions, each verb for the calls that need it; `make manifests` collects
// them into config/rbac/role.yaml, and test/e2e's TestLeastPrivilege fails on any verb the manager never
// uses. Reads go through the manager's cache (list and watch).
//
// OwnerReferencesPermissionEnforcement (OpenShift enables it; the tests do) authorizes an owner reference
// with blockOwnerDeletion as update on the owner's finalizers (members and revisions have one), and a change
// of an existing object's ownerReferences as delete on that object (adopting and releasing members,
// releasing retained DataVolumes).

// WukongSets: a rollback rewrites the template (update); status by Status().Patch; finalizers for the
// members' and revisions' owner references.
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets,verbs=list;watch;update
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets/status,verbs=patch
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets/finalizers,verbs=update

// Members: created (also as a dry run for quota), patched (updates, adoption, release, healing), deleted on
// scale-in and Recreate.
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs,verbs=list;watch;create;patch;delete

// Revisions: created, bumped when an old template comes back (patch), pruned (delete).
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=list;watch;create;patch;delete

// The quota pre-check reads the namespace's ResourceQuotas.
// +kubebuilder:rbac:groups="",resources=resourcequotas,verbs=list;watch

// Disk retention releases a removed member's DataVolumes (a patch of their labels and ownerReferences).
// +kubebuilder:rbac:groups=cdi.kubevirt.io,resources=datavolumes,verbs=list;watch;patch;delete

// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
