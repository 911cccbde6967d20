package v1alpha1

// Guest settings of a Wukong beyond its hardware: the user's own cloud-init, the readiness probe and what
// happens to the VM when its node is drained. Each maps to one KubeVirt field of the VM instance template
// (internal/kubevirt); the cloud-init data is merged into the operator's cloud-init Secret
// (internal/cloudinit).

// CloudInit is the user's own #cloud-config, merged with the hostname, user, SSH keys and network data the
// operator writes (see docs/wukong.md, "Cloud-init merge rule"): keys only one side sets are kept, the
// operator's user is added to the document's users list, and a key both set to different values is an
// error naming the field.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.userData) && has(self.userDataSecretRef))",message="cloudInit: set at most one of userData and userDataSecretRef"
type CloudInit struct {
	// userData is a #cloud-config document: its first line is "#cloud-config" and the rest a YAML mapping.
	// In a WukongSet template it may hold template variables (${NAME}, ${INDEX}, ...); write $${VAR} for a
	// literal ${VAR} such as a shell variable. It reaches the VM through the operator's cloud-init Secret, not
	// inline, so KubeVirt's 2048-byte limit on inline user data does not apply.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	// +kubebuilder:validation:XValidation:rule="self.startsWith('#cloud-config')",message="cloudInit.userData must start with the line #cloud-config"
	UserData string `json:"userData,omitempty"`

	// userDataSecretRef points at a Secret key in the Wukong's namespace (key userdata when empty) that holds
	// a #cloud-config document, for data too large or too secret for the spec. It is merged like userData;
	// template variables in its content are not expanded.
	// +optional
	UserDataSecretRef *SecretKeyRef `json:"userDataSecretRef,omitempty"`
}

// Probe is KubeVirt's readiness probe of a VM instance (kubevirt.io/api/core/v1 Probe), with bounds on
// every field. Exactly one handler is set, as KubeVirt's VMI admission requires (validateProbe in
// pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go). Unset timings take KubeVirt's
// defaults (SetDefaults_Probe): timeoutSeconds 1, periodSeconds 10, successThreshold 1, failureThreshold 3.
//
// +kubebuilder:validation:XValidation:rule="[has(self.tcpSocket), has(self.httpGet), has(self.exec), has(self.guestAgentPing)].filter(x, x).size() == 1",message="readinessProbe must set exactly one of tcpSocket, httpGet, exec and guestAgentPing"
type Probe struct {
	// tcpSocket succeeds when the guest accepts a TCP connection on port of the VM's pod address (the pod
	// network's masquerade binding forwards it to the guest).
	// +optional
	TCPSocket *TCPSocketProbe `json:"tcpSocket,omitempty"`

	// httpGet succeeds when an HTTP GET to the guest answers with a status from 200 to 399.
	// +optional
	HTTPGet *HTTPGetProbe `json:"httpGet,omitempty"`

	// exec runs a command in the guest through the QEMU guest agent and succeeds when it exits 0. The guest
	// must run qemu-guest-agent; without it the probe fails.
	// +optional
	Exec *ExecProbe `json:"exec,omitempty"`

	// guestAgentPing succeeds when the QEMU guest agent answers a ping. The guest must run qemu-guest-agent.
	// +optional
	GuestAgentPing *GuestAgentPing `json:"guestAgentPing,omitempty"`

	// initialDelaySeconds is how long after the VM starts the first probe runs.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty"`

	// timeoutSeconds is how long one probe may take (KubeVirt's default 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=600
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`

	// periodSeconds is how often the probe runs (KubeVirt's default 10).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`

	// successThreshold is how many successes in a row make the VM Ready (KubeVirt's default 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	SuccessThreshold int32 `json:"successThreshold,omitempty"`

	// failureThreshold is how many failures in a row make a Ready VM un-Ready (KubeVirt's default 3).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
}

// TCPSocketProbe connects to a TCP port of the guest.
type TCPSocketProbe struct {
	// port is the guest's TCP port.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// URIScheme is the scheme of an HTTP probe.
// +kubebuilder:validation:Enum=HTTP;HTTPS
type URIScheme string

// URI schemes.
const (
	URISchemeHTTP  URIScheme = "HTTP"
	URISchemeHTTPS URIScheme = "HTTPS"
)

// HTTPGetProbe sends an HTTP GET to the guest.
type HTTPGetProbe struct {
	// port is the guest's HTTP port.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// path is the request path, such as /healthz (default /).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') || self.startsWith('${')",message="httpGet.path must start with /"
	Path string `json:"path,omitempty"`

	// scheme is HTTP (default) or HTTPS; an HTTPS probe does not verify the certificate.
	// +optional
	Scheme URIScheme `json:"scheme,omitempty"`

	// httpHeaders are extra request headers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	HTTPHeaders []HTTPHeader `json:"httpHeaders,omitempty"`
}

// HTTPHeader is one header of an HTTP probe.
type HTTPHeader struct {
	// name is the header's field name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.contains('${') || self.matches('^[A-Za-z0-9][-A-Za-z0-9_.]*$')",message="httpHeaders name must be an HTTP header field name"
	Name string `json:"name"`

	// value is the header's value.
	// +required
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value"`
}

// ExecProbe runs a command in the guest through the guest agent.
type ExecProbe struct {
	// command is the program and its arguments, run without a shell; wrap in ["sh", "-c", "..."] for one.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=4096
	Command []string `json:"command"`
}

// GuestAgentPing pings the QEMU guest agent; it has no settings.
type GuestAgentPing struct{}

// EvictionStrategy is KubeVirt's eviction strategy: what happens to the VM when its node is drained.
// +kubebuilder:validation:Enum=LiveMigrate;LiveMigrateIfPossible;External;None
// +kubebuilder:validation:MaxLength=21
type EvictionStrategy string

// Eviction strategies, as KubeVirt names them (kubevirt.io/api/core/v1 EvictionStrategy).
const (
	// EvictionStrategyLiveMigrate live-migrates the VM off the node; a drain waits until it can, and the VM
	// must be migratable (every disk ReadWriteMany).
	EvictionStrategyLiveMigrate EvictionStrategy = "LiveMigrate"
	// EvictionStrategyLiveMigrateIfPossible live-migrates a migratable VM and shuts down any other.
	EvictionStrategyLiveMigrateIfPossible EvictionStrategy = "LiveMigrateIfPossible"
	// EvictionStrategyExternal blocks the drain and leaves the VM to an external controller.
	EvictionStrategyExternal EvictionStrategy = "External"
	// EvictionStrategyNone shuts the VM down when its node is drained.
	EvictionStrategyNone EvictionStrategy = "None"
)

// Ready reasons of a Wukong whose VM instance runs but is not Ready.
const (
	// ReasonReadinessProbeFailing: the VM instance runs but its readiness probe has not succeeded (yet).
	ReasonReadinessProbeFailing = "ReadinessProbeFailing"
	// ReasonMigrating: the VM instance is being live-migrated to another node.
	ReasonMigrating = "Migrating"
)
