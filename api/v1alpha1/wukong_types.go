package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WukongSpec is the desired state of one virtual machine. A WukongSet template carries the same type; there
// any string may hold a template variable (${INDEX}, ${NAME}, ${INDEX+100}, ...), which is why format checks
// below accept a value that contains "${" and the Wukong kind itself rejects such values (see Wukong.Spec).
//
// +kubebuilder:validation:XValidation:rule="!has(self.disks) || self.disks.filter(d, has(d.boot) && d.boot).size() <= 1",message="at most one disk may set boot: true",fieldPath=".disks"
// +kubebuilder:validation:XValidation:rule="has(self.instancetype) || (has(self.cpu) && has(self.memory))",message="cpu and memory are required unless instancetype is set",fieldPath=".cpu"
// +kubebuilder:validation:XValidation:rule="!has(self.instancetype) || (!has(self.cpu) && !has(self.memory))",message="cpu and memory must be empty when instancetype is set: the instance type sets them, and KubeVirt refuses a VM whose template sets guest CPUs or memory as well (VM field(s) ... conflicts with selected instance type)",fieldPath=".instancetype"
// +kubebuilder:validation:XValidation:rule="!has(self.evictionStrategy) || self.evictionStrategy != 'LiveMigrate' || !has(self.disks) || self.disks.all(d, !has(d.accessMode) || d.accessMode == 'ReadWriteMany')",message="evictionStrategy LiveMigrate needs every disk to be live-migratable, and KubeVirt live-migrates only ReadWriteMany volumes: set spec.disks[].accessMode to ReadWriteMany on every disk that sets one (ReadWriteOnce and ReadWriteOncePod cannot migrate), or use evictionStrategy LiveMigrateIfPossible",fieldPath=".evictionStrategy"
type WukongSpec struct {
	// cpu is the number of virtual CPUs; required unless instancetype is set, and empty when it is.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=512
	CPU int32 `json:"cpu,omitempty"`

	// memory is the guest memory, a Kubernetes quantity such as 4Gi; required unless instancetype is set, and
	// empty when it is.
	// +optional
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('64Mi')) >= 0 && quantity(string(self)).compareTo(quantity('16Ti')) <= 0",message="memory must be between 64Mi and 16Ti"
	Memory resource.Quantity `json:"memory,omitzero"`

	// instancetype names a KubeVirt instance type that sets the VM's CPUs and memory, instead of cpu and
	// memory (the VM's spec.instancetype). An instance type that does not exist keeps the VM from starting.
	// +optional
	Instancetype *InstancetypeRef `json:"instancetype,omitempty"`

	// preference names a KubeVirt preference that fills in what the Wukong leaves open (the VM's
	// spec.preference).
	// +optional
	Preference *PreferenceRef `json:"preference,omitempty"`

	// firmware is the VM's bootloader, BIOS (KubeVirt's default) or EFI, and EFI's Secure Boot.
	// +optional
	Firmware *Firmware `json:"firmware,omitempty"`

	// dedicatedCPUs pins each virtual CPU to a host CPU of its own (KubeVirt's dedicatedCpuPlacement); the
	// node needs the kubelet's static CPU manager policy.
	// +optional
	DedicatedCPUs bool `json:"dedicatedCPUs,omitempty"`

	// gpus are GPUs passed through to the guest, each requested by its device plugin resource name.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	GPUs []PassthroughDevice `json:"gpus,omitempty"`

	// hostDevices are other host devices (PCI or mediated) passed through to the guest, each requested by its
	// device plugin resource name. KubeVirt admits them only with its HostDevices feature gate enabled.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	HostDevices []PassthroughDevice `json:"hostDevices,omitempty"`

	// disks are the VM's disks, in the order the guest sees them. A disk with an image is imported by CDI; a
	// disk without one is blank.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=12
	Disks []Disk `json:"disks,omitempty"`

	// networks are the secondary networks (Multus attachments), each a bridge interface on the VM. The pod
	// network is always attached as the first interface.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Networks []Network `json:"networks,omitempty"`

	// user is the cloud-init user created in the guest.
	// +optional
	User *CloudInitUser `json:"user,omitempty"`

	// hostname is the guest's hostname, a lowercase RFC 1123 name such as db-0 or db-0.example.internal; empty
	// means the Wukong's name. Its first label becomes the VM instance's hostname, which KubeVirt requires to be
	// a DNS-1123 label (at most 63 characters); the whole name reaches the guest through cloud-init.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !format.dns1123Subdomain().validate(self).hasValue()",message="hostname must be a lowercase RFC 1123 hostname (a DNS-1123 subdomain)"
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !format.dns1123Label().validate(self.split('.')[0]).hasValue()",message="hostname: the first label (the VM instance's hostname) must be a DNS-1123 label of at most 63 characters"
	Hostname string `json:"hostname,omitempty"`

	// runStrategy is KubeVirt's run strategy: Always (default), RerunOnFailure, Once, Manual or Halted.
	// +optional
	// +kubebuilder:default=Always
	RunStrategy RunStrategy `json:"runStrategy,omitempty"`

	// placement constrains the nodes the VM may run on.
	// +optional
	Placement *Placement `json:"placement,omitempty"`

	// cloudInit is the user's own #cloud-config (inline or from a Secret), merged with the hostname, user and
	// network data the operator writes.
	// +optional
	CloudInit *CloudInit `json:"cloudInit,omitempty"`

	// readinessProbe decides when the running VM is Ready (KubeVirt's readinessProbe); without it the VM is
	// Ready once its instance runs. Ready gates a set's availability and every rollout budget.
	// +optional
	ReadinessProbe *Probe `json:"readinessProbe,omitempty"`

	// evictionStrategy is what KubeVirt does with the VM when its node is drained: LiveMigrate,
	// LiveMigrateIfPossible, External or None; absent means the cluster's default (the KubeVirt CR's).
	// +optional
	EvictionStrategy EvictionStrategy `json:"evictionStrategy,omitempty"`
}

// RunStrategy mirrors KubeVirt's VirtualMachineRunStrategy.
// +kubebuilder:validation:Enum=Always;RerunOnFailure;Once;Manual;Halted
type RunStrategy string

// Run strategies, as KubeVirt names them.
const (
	RunStrategyAlways         RunStrategy = "Always"
	RunStrategyRerunOnFailure RunStrategy = "RerunOnFailure"
	RunStrategyOnce           RunStrategy = "Once"
	RunStrategyManual         RunStrategy = "Manual"
	RunStrategyHalted         RunStrategy = "Halted"
)

// Disk is one VM disk backed by a CDI DataVolume.
type Disk struct {
	// name identifies the disk inside the VM, a DNS-1123 label as KubeVirt requires; the DataVolume is named
	// <wukong>-<name>. The name cloudinitdisk is taken by the cloud-init disk.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self != 'cloudinitdisk'",message="name 'cloudinitdisk' is reserved for the cloud-init disk"
	Name string `json:"name"`

	// size is the disk's capacity, a Kubernetes quantity such as 20Gi.
	// +required
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('1Mi')) >= 0",message="size must be at least 1Mi"
	Size resource.Quantity `json:"size"`

	// image is the disk's source: docker://registry/repo:tag (a container disk image) or http(s)://host/path
	// (a raw or qcow2 image), both imported by CDI; datasource://NAMESPACE/NAME (a CDI DataSource, the way
	// KubeVirt publishes golden images) or pvc://NAMESPACE/NAME (an existing PersistentVolumeClaim), both
	// cloned by CDI. Empty means a blank disk. A clone's size must be at least its source's. Cloning from
	// another namespace needs create on datavolumes/source there for the operator's ServiceAccount (see
	// docs/disks.md). An import URL must be one CDI can parse: a tag needs a registry host or path before it
	// (docker://quay.io/repo:22.04, not docker://repo:22.04, whose ":22.04" would be a port). In a set
	// template, whitespace is allowed inside ${...} only.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.contains('${') ? self.matches('^(docker|http|https|datasource|pvc)://([^\\\\s$]|\\\\$|\\\\$\\\\{([^{}\\\\x27\\\\x22]|\\\\x27[^\\\\x27]*\\\\x27|\\\\x22[^\\\\x22]*\\\\x22|\\\\{([^{}\\\\x27\\\\x22]|\\\\x27[^\\\\x27]*\\\\x27|\\\\x22[^\\\\x22]*\\\\x22)*\\\\})*\\\\})+$') : self.matches('^(docker|http|https|datasource|pvc)://[^\\\\s]+$')",message="image must start with docker://, http://, https://, datasource:// or pvc:// and hold no whitespace (in a set template, whitespace is allowed inside ${...} only)"
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !self.matches('^(docker|http|https)://[^\\\\s]+$') || isURL(self)",message="image must be a URL CDI can parse (a docker:// image with a tag needs a registry host or path: docker://quay.io/repo:tag)"
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || !self.matches('^(datasource|pvc)://') || (self.split('/').size() == 4 && !format.dns1123Label().validate(self.split('/')[2]).hasValue() && !format.dns1123Subdomain().validate(self.split('/')[3]).hasValue())",message="image: datasource:// and pvc:// take NAMESPACE/NAME, a namespace (a DNS-1123 label) and the DataSource's or PVC's name (a DNS-1123 subdomain), such as datasource://os-images/ubuntu-22.04"
	Image string `json:"image,omitempty"`

	// storageClassName is the StorageClass of the disk's volume; absent means the cluster default. It names a
	// StorageClass, so it must be a DNS-1123 subdomain (the rule the apiserver applies to the PVC CDI creates).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == '' || self.contains('${') || !format.dns1123Subdomain().validate(self).hasValue()",message="storageClassName must be a StorageClass name (a lowercase DNS-1123 subdomain)"
	StorageClassName *string `json:"storageClassName,omitempty"`

	// boot marks the disk the VM boots from. When no disk sets it, the first disk boots.
	// +optional
	Boot bool `json:"boot,omitempty"`

	// accessMode is the access mode of the disk's volume: ReadWriteOnce, ReadWriteMany or ReadWriteOncePod;
	// absent means the StorageClass's default (CDI's storage profile). Live migration needs ReadWriteMany.
	// +optional
	// +kubebuilder:validation:Enum=ReadWriteOnce;ReadWriteMany;ReadWriteOncePod
	AccessMode corev1.PersistentVolumeAccessMode `json:"accessMode,omitempty"`

	// volumeMode is the volume mode of the disk's volume: Block or Filesystem; absent means the
	// StorageClass's default (CDI's storage profile).
	// +optional
	// +kubebuilder:validation:Enum=Block;Filesystem
	VolumeMode corev1.PersistentVolumeMode `json:"volumeMode,omitempty"`

	// bus is the bus the guest sees the disk on: virtio (default), sata, scsi or usb. An older guest without
	// virtio drivers (such as Windows before its drivers are installed) boots from sata.
	// +optional
	Bus DiskBus `json:"bus,omitempty"`
}

// NetworkType is the CNI plugin behind a secondary network.
// +kubebuilder:validation:Enum=bridge;macvlan;sriov;ovs
type NetworkType string

// Network types.
const (
	NetworkTypeBridge  NetworkType = "bridge"
	NetworkTypeMacvlan NetworkType = "macvlan"
	NetworkTypeSRIOV   NetworkType = "sriov"
	NetworkTypeOVS     NetworkType = "ovs"
)

// Network is one secondary network of the VM, attached through Multus.
//
// +kubebuilder:validation:XValidation:rule="!has(self.vlanId) || self.type != 'macvlan'",message="vlanId is not supported for macvlan networks",fieldPath=".vlanId"
// +kubebuilder:validation:XValidation:rule="self.type != 'sriov' || (has(self.nadName) && self.nadName.size() > 0) || (has(self.resourceName) && self.resourceName.size() > 0)",message="resourceName is required for an sriov network the operator creates the attachment for (no nadName): without it no virtual function is requested and the CNI fails when the VM starts",fieldPath=".resourceName"
type Network struct {
	// name identifies the network inside the VM. The NetworkAttachmentDefinition the operator makes for it
	// (without nadName) is the Wukong's own, <wukong>-<name>, or, for a WukongSet's member, one shared by
	// the set's members with the same network, <set>-<name>-<hash> (docs/networks.md).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self != 'default'",message="name 'default' is reserved for the pod network"
	Name string `json:"name"`

	// type is the CNI plugin: bridge (default), macvlan, sriov or ovs.
	// +optional
	// +kubebuilder:default=bridge
	Type NetworkType `json:"type,omitempty"`

	// nadName names an existing NetworkAttachmentDefinition ("name" or "namespace/name") to attach instead of
	// creating one. The operator never modifies or deletes it.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == '' || self.contains('${') || (self.split('/').size() == 1 ? !format.dns1123Subdomain().validate(self).hasValue() : self.split('/').size() == 2 && !format.dns1123Label().validate(self.split('/')[0]).hasValue() && !format.dns1123Subdomain().validate(self.split('/')[1]).hasValue())",message="nadName must be name or namespace/name of a NetworkAttachmentDefinition (a DNS-1123 subdomain, in a namespace that is a DNS-1123 label)"
	NADName string `json:"nadName,omitempty"`

	// bridgeName is the host bridge for bridge and ovs networks (default br0), or the master interface for
	// macvlan (default: the node's default route interface). It is a Linux interface name: at most 15
	// characters, no whitespace, '/' or ':', and not "." or "..".
	// +optional
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="self == '' || self.contains('${') || (self.matches('^[^\\\\s/:]+$') && self != '.' && self != '..')",message="bridgeName must be a Linux interface name: no whitespace, '/' or ':', and not '.' or '..'"
	BridgeName string `json:"bridgeName,omitempty"`

	// vlanId tags the attachment's traffic with this VLAN.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4094
	VLANID *int32 `json:"vlanId,omitempty"`

	// resourceName is the device-plugin resource of an sriov network (e.g. intel.com/sriov_netdevice), requested
	// for the VM's pod; required for an sriov network without nadName. It must be an extended resource name:
	// domain/name, outside the kubernetes.io domain.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == '' || self.contains('${') || (self.contains('/') && !self.contains('kubernetes.io/') && !format.qualifiedName().validate('requests.' + self).hasValue())",message="resourceName must be an extended resource name such as intel.com/sriov_netdevice (domain/name, not in the kubernetes.io domain)"
	ResourceName string `json:"resourceName,omitempty"`

	// ipConfig says how the guest configures this interface; absent means DHCP.
	// +optional
	IPConfig *IPConfig `json:"ipConfig,omitempty"`
}

// IPMode says how an interface gets its address.
// +kubebuilder:validation:Enum=static;dhcp
type IPMode string

// IP modes.
const (
	IPModeStatic IPMode = "static"
	IPModeDHCP   IPMode = "dhcp"
)

// IPConfig is the guest's address configuration for one interface, written to cloud-init network data.
//
// +kubebuilder:validation:XValidation:rule="self.mode != 'static' || has(self.address)",message="address is required when mode is static",fieldPath=".address"
// +kubebuilder:validation:XValidation:rule="self.mode != 'dhcp' || (!has(self.address) && !has(self.gateway))",message="address and gateway must be empty when mode is dhcp"
type IPConfig struct {
	// mode is static or dhcp (default).
	// +optional
	// +kubebuilder:default=dhcp
	Mode IPMode `json:"mode,omitempty"`

	// address is the interface's address in CIDR form, such as 192.168.1.10/24. Required when mode is static.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || isCIDR(self)",message="address must be an IP address with a prefix length, such as 192.168.1.10/24"
	Address string `json:"address,omitempty"`

	// gateway is the default gateway reached through this interface.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || isIP(self)",message="gateway must be an IP address"
	Gateway string `json:"gateway,omitempty"`

	// dnsServers are the name servers for this interface.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.all(s, s.contains('${') || isIP(s))",message="every dnsServers entry must be an IP address"
	DNSServers []string `json:"dnsServers,omitempty"`
}

// CloudInitUser is the user cloud-init creates in the guest. There is deliberately no plaintext password
// field: a password is given as a crypt(3) hash or through a Secret.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.passwordHash) && has(self.passwordSecretRef))",message="set at most one of passwordHash and passwordSecretRef"
type CloudInitUser struct {
	// name is the login name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || self.matches('^[a-z_][a-z0-9_-]*$')",message="name must be a lowercase POSIX user name"
	Name string `json:"name"`

	// passwordHash is the password as a crypt(3) hash (for example from `mkpasswd -m sha-512`).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^\\\\$[0-9a-z]+\\\\$')",message="passwordHash must be a crypt(3) hash such as $6$salt$hash, never a plaintext password"
	PasswordHash string `json:"passwordHash,omitempty"`

	// passwordSecretRef points at a Secret key in the Wukong's namespace that holds the password hash.
	// +optional
	PasswordSecretRef *SecretKeyRef `json:"passwordSecretRef,omitempty"`

	// sshAuthorizedKeys are public keys allowed to log in as the user.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=16384
	SSHAuthorizedKeys []string `json:"sshAuthorizedKeys,omitempty"`

	// sshAuthorizedKeysSecretRef points at a Secret in the Wukong's namespace whose key (every key when key
	// is empty) holds public keys, one per line.
	// +optional
	SSHAuthorizedKeysSecretRef *SecretKeyRef `json:"sshAuthorizedKeysSecretRef,omitempty"`

	// sudo is the user's sudoers rule, such as "ALL=(ALL) NOPASSWD:ALL". Empty means no sudo.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Sudo string `json:"sudo,omitempty"`

	// shell is the login shell, such as /bin/bash.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Shell string `json:"shell,omitempty"`

	// groups are supplementary groups.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=32
	Groups []string `json:"groups,omitempty"`
}

// SecretKeyRef points at a key of a Secret in the referrer's namespace.
type SecretKeyRef struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key is the key inside the Secret.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// WukongPhase summarises where a Wukong is in its life.
// +kubebuilder:validation:Enum=Pending;Provisioning;Starting;Running;Stopped;Failed
type WukongPhase string

// Wukong phases.
const (
	// WukongPending: nothing has been created yet, or the spec cannot be built.
	WukongPending WukongPhase = "Pending"
	// WukongProvisioning: disks are importing or being created.
	WukongProvisioning WukongPhase = "Provisioning"
	// WukongStarting: disks are ready and the VM is being scheduled or booting.
	WukongStarting WukongPhase = "Starting"
	// WukongRunning: the VM instance runs and is ready.
	WukongRunning WukongPhase = "Running"
	// WukongStopped: the VM is intentionally not running (run strategy Halted, or stopped).
	WukongStopped WukongPhase = "Stopped"
	// WukongFailed: a disk import or the VM failed; conditions carry the reason.
	WukongFailed WukongPhase = "Failed"
)

// WukongStatus is the observed state of a Wukong.
type WukongStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase summarises the VM's life: Pending, Provisioning, Starting, Running, Stopped or Failed.
	// +optional
	Phase WukongPhase `json:"phase,omitempty"`

	// conditions are Ready, DisksReady, NetworksReady, RestartRequired, UpToDate and DisksUpToDate.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// vmName is the KubeVirt VirtualMachine's name.
	// +optional
	VMName string `json:"vmName,omitempty"`

	// nodeName is the node the VM instance runs on.
	// +optional
	NodeName string `json:"nodeName,omitempty"`

	// ip is the first address of the first secondary network, or of the pod network when there is none.
	// +optional
	IP string `json:"ip,omitempty"`

	// networks are the VM's interfaces as the VM instance reports them.
	// +optional
	// +listType=atomic
	Networks []NetworkStatus `json:"networks,omitempty"`

	// volumes are the VM's disks and their DataVolumes.
	// +optional
	// +listType=atomic
	Volumes []VolumeStatus `json:"volumes,omitempty"`

	// guest is what the QEMU guest agent reports about the running guest; absent while no VM instance exists.
	// The guest's interface names and addresses are in networks.
	// +optional
	Guest *GuestStatus `json:"guest,omitempty"`
}

// GuestStatus is what KubeVirt reports from the QEMU guest agent (the VM instance's AgentConnected condition
// and status.guestOSInfo). Without an agent in the guest only agentConnected is set, to false.
type GuestStatus struct {
	// agentConnected is true while the guest agent is connected (the instance's AgentConnected condition).
	// Probes that use the agent (exec, guestAgentPing) need it.
	AgentConnected bool `json:"agentConnected"`
	// os is the guest's operating system as the agent names it, such as "Ubuntu 24.04.1 LTS".
	// +optional
	OS string `json:"os,omitempty"`
	// osVersion is the operating system's version ID, such as 24.04.
	// +optional
	OSVersion string `json:"osVersion,omitempty"`
	// kernel is the guest's kernel release, such as 6.8.0-45-generic.
	// +optional
	Kernel string `json:"kernel,omitempty"`
}

// NetworkStatus is one interface of the running VM.
type NetworkStatus struct {
	// name is the network's name in the spec ("default" for the pod network).
	Name string `json:"name"`
	// interface is the guest's interface name, when the guest agent reports it.
	// +optional
	Interface string `json:"interface,omitempty"`
	// ip is the interface's first address.
	// +optional
	IP string `json:"ip,omitempty"`
	// ips are all the interface's addresses.
	// +optional
	IPs []string `json:"ips,omitempty"`
	// mac is the interface's MAC address.
	// +optional
	MAC string `json:"mac,omitempty"`
}

// VolumeStatus is one disk's DataVolume.
type VolumeStatus struct {
	// name is the disk's name in the spec.
	Name string `json:"name"`
	// dataVolume is the DataVolume's name.
	// +optional
	DataVolume string `json:"dataVolume,omitempty"`
	// phase is the DataVolume's phase (Pending, ImportInProgress, Succeeded, Failed, ...).
	// +optional
	Phase string `json:"phase,omitempty"`
	// progress is CDI's import progress, such as 45.20%.
	// +optional
	Progress string `json:"progress,omitempty"`
}

// Wukong is one virtual machine on KubeVirt: its disks, networks, cloud-init user and placement. The
// controller creates the VirtualMachine, DataVolumes, NetworkAttachmentDefinitions and the cloud-init
// Secret, all owned by the Wukong.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wk,categories={novasphere,all}
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="CPU",type=integer,JSONPath=`.spec.cpu`
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.spec.memory`
// +kubebuilder:printcolumn:name="IP",type=string,JSONPath=`.status.ip`
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.status.nodeName`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="metadata.name must be at most 63 characters (it names the VirtualMachine)"
type Wukong struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired VM. Template variables belong in a WukongSet template only, so a Wukong rejects
	// values that still hold "${".
	// +required
	// +kubebuilder:validation:XValidation:rule="!has(self.hostname) || !self.hostname.contains('${')",message="hostname: template variables (${...}) are only allowed in a WukongSet template",fieldPath=".hostname"
	// +kubebuilder:validation:XValidation:rule="!has(self.disks) || self.disks.all(d, (!has(d.image) || !d.image.contains('${')) && (!has(d.storageClassName) || !d.storageClassName.contains('${')))",message="disks: template variables (${...}) in image or storageClassName are only allowed in a WukongSet template",fieldPath=".disks"
	// +kubebuilder:validation:XValidation:rule="!has(self.networks) || self.networks.all(n, !(has(n.nadName) && n.nadName.contains('${')) && !(has(n.bridgeName) && n.bridgeName.contains('${')) && !(has(n.resourceName) && n.resourceName.contains('${')) && !(has(n.ipConfig) && ((has(n.ipConfig.address) && n.ipConfig.address.contains('${')) || (has(n.ipConfig.gateway) && n.ipConfig.gateway.contains('${')) || (has(n.ipConfig.dnsServers) && n.ipConfig.dnsServers.exists(s, s.contains('${'))))))",message="networks: template variables (${...}) in nadName, bridgeName, resourceName or ipConfig are only allowed in a WukongSet template",fieldPath=".networks"
	// +kubebuilder:validation:XValidation:rule="!has(self.user) || (!self.user.name.contains('${') && (!has(self.user.sshAuthorizedKeys) || !self.user.sshAuthorizedKeys.exists(k, k.contains('${'))) && (!has(self.user.sudo) || !self.user.sudo.contains('${')) && (!has(self.user.shell) || !self.user.shell.contains('${')) && (!has(self.user.groups) || !self.user.groups.exists(g, g.contains('${'))))",message="user: template variables (${...}) are only allowed in a WukongSet template",fieldPath=".user"
	// +kubebuilder:validation:XValidation:rule="!has(self.placement) || !has(self.placement.nodeSelector) || self.placement.nodeSelector.all(k, !self.placement.nodeSelector[k].contains('${'))",message="placement.nodeSelector: template variables (${...}) are only allowed in a WukongSet template",fieldPath=".placement.nodeSelector"
	// +kubebuilder:validation:XValidation:rule="!has(self.placement) || !has(self.placement.tolerations) || self.placement.tolerations.all(t, !(has(t.key) && t.key.contains('${')) && !(has(t.value) && t.value.contains('${')))",message="placement.tolerations: template variables (${...}) in key or value are only allowed in a WukongSet template",fieldPath=".placement.tolerations"
	// +kubebuilder:validation:XValidation:rule="!has(self.placement) || !has(self.placement.antiAffinity) || ((!has(self.placement.antiAffinity.topologyKey) || !self.placement.antiAffinity.topologyKey.contains('${')) && (!has(self.placement.antiAffinity.selector) || ((!has(self.placement.antiAffinity.selector.matchLabels) || self.placement.antiAffinity.selector.matchLabels.all(k, !self.placement.antiAffinity.selector.matchLabels[k].contains('${'))) && (!has(self.placement.antiAffinity.selector.matchExpressions) || self.placement.antiAffinity.selector.matchExpressions.all(e, !e.key.contains('${') && (!has(e.values) || e.values.all(v, !v.contains('${'))))))))",message="placement.antiAffinity: template variables (${...}) in topologyKey or selector are only allowed in a WukongSet template",fieldPath=".placement.antiAffinity"
	// +kubebuilder:validation:XValidation:rule="(!has(self.instancetype) || !self.instancetype.name.contains('${')) && (!has(self.preference) || !self.preference.name.contains('${'))",message="instancetype, preference: template variables (${...}) are only allowed in a WukongSet template",fieldPath=".instancetype"
	// +kubebuilder:validation:XValidation:rule="(!has(self.gpus) || self.gpus.all(d, !d.deviceName.contains('${'))) && (!has(self.hostDevices) || self.hostDevices.all(d, !d.deviceName.contains('${')))",message="gpus, hostDevices: template variables (${...}) in deviceName are only allowed in a WukongSet template",fieldPath=".gpus"
	Spec WukongSpec `json:"spec"`

	// status is the observed state, written by the controller.
	// +optional
	Status WukongStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// WukongList is a list of Wukongs.
type WukongList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Wukong `json:"items"`
}

func init() {
	register(&Wukong{}, &WukongList{})
}
