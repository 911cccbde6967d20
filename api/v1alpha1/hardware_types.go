package v1alpha1

// Hardware settings of a Wukong beyond CPU count and memory: a KubeVirt instance type and preference, the
// firmware, dedicated CPUs, and devices passed through by resource name. Each maps to one KubeVirt field of
// the VirtualMachine (internal/kubevirt) and is checked here as KubeVirt v1.7's VM admission checks it
// (pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go and pkg/instancetype), so a
// spec the CRD admits is a VM KubeVirt admits.

// InstancetypeKind is the kind of a KubeVirt instance type.
// +kubebuilder:validation:Enum=VirtualMachineInstancetype;VirtualMachineClusterInstancetype
type InstancetypeKind string

// Instance type kinds (kubevirt.io/api/instancetype).
const (
	// InstancetypeKindNamespaced is an instance type in the Wukong's namespace.
	InstancetypeKindNamespaced InstancetypeKind = "VirtualMachineInstancetype"
	// InstancetypeKindCluster is a cluster-wide instance type.
	InstancetypeKindCluster InstancetypeKind = "VirtualMachineClusterInstancetype"
)

// PreferenceKind is the kind of a KubeVirt preference.
// +kubebuilder:validation:Enum=VirtualMachinePreference;VirtualMachineClusterPreference
type PreferenceKind string

// Preference kinds (kubevirt.io/api/instancetype).
const (
	// PreferenceKindNamespaced is a preference in the Wukong's namespace.
	PreferenceKindNamespaced PreferenceKind = "VirtualMachinePreference"
	// PreferenceKindCluster is a cluster-wide preference.
	PreferenceKindCluster PreferenceKind = "VirtualMachineClusterPreference"
)

// InstancetypeRef names a KubeVirt instance type, which sets the VM's CPUs and memory (the VM's
// spec.instancetype).
type InstancetypeRef struct {
	// name is the instance type's name, such as u1.medium; a DNS-1123 subdomain.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !format.dns1123Subdomain().validate(self).hasValue()",message="instancetype.name must be an instance type's name (a lowercase DNS-1123 subdomain)"
	Name string `json:"name"`

	// kind is VirtualMachineClusterInstancetype (cluster-wide) or VirtualMachineInstancetype (in the Wukong's
	// namespace); empty means cluster-wide, as in KubeVirt.
	// +optional
	Kind InstancetypeKind `json:"kind,omitempty"`
}

// PreferenceRef names a KubeVirt preference, which sets defaults the VM's template leaves open (disk and
// interface models, firmware, machine type...; the VM's spec.preference). What the Wukong sets wins.
type PreferenceRef struct {
	// name is the preference's name, such as fedora; a DNS-1123 subdomain.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !format.dns1123Subdomain().validate(self).hasValue()",message="preference.name must be a preference's name (a lowercase DNS-1123 subdomain)"
	Name string `json:"name"`

	// kind is VirtualMachineClusterPreference (cluster-wide) or VirtualMachinePreference (in the Wukong's
	// namespace); empty means cluster-wide, as in KubeVirt.
	// +optional
	Kind PreferenceKind `json:"kind,omitempty"`
}

// DiskBus is the bus a disk is attached to in the guest.
// +kubebuilder:validation:Enum=virtio;sata;scsi;usb
type DiskBus string

// Disk buses KubeVirt v1.7 accepts for a disk (validateBusSupport in pkg/storage/admitters/disks.go; ide is
// refused).
const (
	DiskBusVirtio DiskBus = "virtio"
	DiskBusSATA   DiskBus = "sata"
	DiskBusSCSI   DiskBus = "scsi"
	DiskBusUSB    DiskBus = "usb"
)

// Bootloader is the VM's firmware.
// +kubebuilder:validation:Enum=BIOS;EFI
type Bootloader string

// Bootloaders.
const (
	BootloaderBIOS Bootloader = "BIOS"
	BootloaderEFI  Bootloader = "EFI"
)

// Firmware is the VM's bootloader. KubeVirt's default (no firmware) is BIOS.
//
// +kubebuilder:validation:XValidation:rule="!has(self.secureBoot) || !self.secureBoot || self.bootloader == 'EFI'",message="secureBoot needs bootloader EFI",fieldPath=".secureBoot"
type Firmware struct {
	// bootloader is BIOS or EFI.
	// +required
	Bootloader Bootloader `json:"bootloader"`

	// secureBoot turns on UEFI Secure Boot (EFI only). The operator then enables SMM, which KubeVirt
	// requires for it (validateDomainSpec: "SecureBoot requires SMM").
	// +optional
	SecureBoot bool `json:"secureBoot,omitempty"`
}

// PassthroughDevice is a GPU or host device handed to the guest, requested from a device plugin by resource
// name.
type PassthroughDevice struct {
	// name identifies the device in the VM, a DNS-1123 label.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// deviceName is the device plugin's resource name, such as nvidia.com/GA102GL_A10: an extended resource
	// name (domain/name, outside the kubernetes.io domain), which the VM's pod requests.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || (self.contains('/') && !self.contains('kubernetes.io/') && !format.qualifiedName().validate('requests.' + self).hasValue())",message="deviceName must be an extended resource name such as nvidia.com/GA102GL_A10 (domain/name, not in the kubernetes.io domain)"
	DeviceName string `json:"deviceName"`
}
