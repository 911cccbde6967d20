package wukong

// The Wukong controller's permissions; `make manifests` collects them into config/rbac/role.yaml.
//
// OwnerReferencesPermissionEnforcement (enabled on OpenShift and in the tests) makes an owner reference with
// blockOwnerDeletion need update on the owner's finalizers subresource: every child is created with one.

// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs/finalizers,verbs=update
// +kubebuilder:rbac:groups=kubevirt.io,resources=virtualmachines,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=kubevirt.io,resources=virtualmachines/status,verbs=get;patch
// +kubebuilder:rbac:groups=kubevirt.io,resources=virtualmachineinstances,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=cdi.kubevirt.io,resources=datavolumes,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=k8s.cni.cncf.io,resources=network-attachment-definitions,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
