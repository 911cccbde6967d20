package wukongset

// The WukongSet controller's permissions; `make manifests` collects them into config/rbac/role.yaml.
//
// OwnerReferencesPermissionEnforcement (enabled on OpenShift and in the tests) makes an owner reference with
// blockOwnerDeletion need update on the owner's finalizers subresource: members and revisions are created
// with one.

// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets/finalizers,verbs=update
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=resourcequotas,verbs=get;list;watch
// +kubebuilder:rbac:groups=cdi.kubevirt.io,resources=datavolumes,verbs=get;list;watch;patch
