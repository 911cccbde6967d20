package sim

import (
	"fmt"
	gonet "net"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Rules of KubeVirt v1.7's VirtualMachine admission (virt-api's "virtualmachine-validator.kubevirt.io"
// webhook, pkg/virt-api/webhooks/validating-webhook/admitters/vms-admitter.go Admit) that apply to what the
// operator writes: template metadata, hostname, disks and volumes, networks and interfaces. Each names the
// v1.7.0 function it follows and gives KubeVirt's message; the hardware settings' rules (instance types,
// disk buses, firmware, dedicated CPUs, host devices) are in validate_hardware.go. Rules about features the
// operator never sets (NUMA, hugepages, probes, …) are not modelled. KubeVirt v1.7 has
// no admission rule tying an SR-IOV interface to a Multus network (pkg/network/admitter only restricts an
// SR-IOV interface's link state, which the operator never sets), so there is none here either.
//
// The cluster configuration is KubeVirt's default but for the HostDevices feature gate (featureGates): the
// ignition and sidecar annotations are refused, bridge binding on the pod network is permitted.

// restrictedVMILabels are the template labels only KubeVirt's own service accounts may set
// (restrictedVmiLabels in admitters/vmi-create-admitter.go).
var restrictedVMILabels = []string{
	kubevirtv1.CreatedByLabel,
	kubevirtv1.MigrationJobLabel,
	kubevirtv1.NodeNameLabel,
	kubevirtv1.MigrationTargetNodeNameLabel,
	kubevirtv1.NodeSchedulable,
	kubevirtv1.InstallStrategyLabel,
}

// Annotations that need a feature gate (ValidateVirtualMachineInstanceMetadata): the ignition data
// (ExperimentalIgnitionSupport) and the hook sidecars (Sidecar).
const (
	ignitionAnnotation = kubevirtv1.IgnitionAnnotation
	sidecarAnnotation  = "hooks.kubevirt.io/hookSidecars"
)

// nameNotFound is KubeVirt's nameOfTypeNotFoundMessagePattern.
const nameNotFound = "%s '%s' not found."

// validateVM returns the reasons KubeVirt's VM admission would refuse vm, none when it admits it.
func validateVM(vm *kubevirtv1.VirtualMachine) []metav1.StatusCause {
	spec := k8sfield.NewPath("spec")
	// ValidateVirtualMachineSpec: a VM needs a template.
	if vm.Spec.Template == nil {
		return []metav1.StatusCause{{Type: metav1.CauseTypeFieldValueRequired,
			Message: "missing virtual machine template.", Field: spec.Child("template").String()}}
	}
	causes := validateTemplateMetadata(spec.Child("template", "metadata"), &vm.Spec.Template.ObjectMeta)
	tspec := spec.Child("template", "spec")
	s := &vm.Spec.Template.Spec
	causes = append(causes, validateHostname(tspec, s)...)
	causes = append(causes, validateSubdomain(tspec, s)...)
	causes = append(causes, validateNetworks(tspec, s)...)
	causes = append(causes, validateBootOrder(tspec, s)...)
	causes = append(causes, validateVolumeDisks(tspec, s)...)
	causes = append(causes, validateHardware(tspec, vm, featureGates)...)
	return causes
}

// validateTemplateMetadata is ValidateVirtualMachineInstanceMetadata for a user who is not one of KubeVirt's
// service accounts, with the feature gates off.
func validateTemplateMetadata(field *k8sfield.Path, md *metav1.ObjectMeta) []metav1.StatusCause {
	var causes []metav1.StatusCause
	for _, l := range restrictedVMILabels {
		if _, ok := md.Labels[l]; ok {
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueNotSupported,
				Message: "creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited",
				Field:   field.Child("labels").String()})
			break
		}
	}
	if md.Annotations[ignitionAnnotation] != "" {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("ExperimentalIgnitionSupport feature gate is not enabled in kubevirt-config, invalid entry %s",
				field.Child("annotations").Child(ignitionAnnotation).String()),
			Field: field.Child("annotations").String()})
	}
	if md.Annotations[sidecarAnnotation] != "" {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("sidecar feature gate is not enabled in kubevirt-config, invalid entry %s",
				field.Child("annotations", sidecarAnnotation).String()),
			Field: field.Child("annotations").String()})
	}
	return causes
}

// validateHostname is validateHostNameNotConformingToDNSLabelRules: a DNS-1123 label, at most 63
// characters.
func validateHostname(field *k8sfield.Path, s *kubevirtv1.VirtualMachineInstanceSpec) []metav1.StatusCause {
	if s.Hostname == "" {
		return nil
	}
	if errs := validation.IsDNS1123Label(s.Hostname); len(errs) > 0 {
		return []metav1.StatusCause{{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("%s does not conform to the kubernetes DNS_LABEL rules : %s",
				field.Child("hostname").String(), strings.Join(errs, ", ")),
			Field: field.Child("hostname").String()}}
	}
	return nil
}

// validateSubdomain is validateSubdomainDNSSubdomainRules.
func validateSubdomain(field *k8sfield.Path, s *kubevirtv1.VirtualMachineInstanceSpec) []metav1.StatusCause {
	if s.Subdomain == "" {
		return nil
	}
	if errs := validation.IsDNS1123Subdomain(s.Subdomain); len(errs) > 0 {
		return []metav1.StatusCause{{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("%s does not conform to the kubernetes DNS_SUBDOMAIN rules : %s",
				field.Child("subdomain").String(), strings.Join(errs, ", ")),
			Field: field.Child("subdomain").String()}}
	}
	return nil
}

var interfaceName = regexp.MustCompile(`^[A-Za-z0-9-_]+$`)

// validateNetworks follows pkg/network/admitter (Validator.Validate): validateSinglePodNetwork,
// validateSingleNetworkSource, validateMultusNetworkSource, validateNetworkNameUnique,
// validateNetworksAssignedToInterfaces, validateInterfaceNameUnique, validateInterfacesAssignedToNetworks,
// and of validateInterfacesFields and validateInterfaceBinding the name format, MAC address and masquerade
// rules.
func validateNetworks(field *k8sfield.Path, s *kubevirtv1.VirtualMachineInstanceSpec) []metav1.StatusCause {
	var causes []metav1.StatusCause
	add := func(t metav1.CauseType, msg string, f *k8sfield.Path) {
		causes = append(causes, metav1.StatusCause{Type: t, Message: msg, Field: f.String()})
	}
	ifaces := field.Child("domain", "devices", "interfaces")
	networks := map[string]kubevirtv1.Network{}
	pods := 0
	for i, n := range s.Networks {
		switch {
		case n.Pod == nil && n.Multus == nil:
			add(metav1.CauseTypeFieldValueRequired, "should have a network type", field.Child("networks").Index(i))
		case n.Pod != nil && n.Multus != nil:
			add(metav1.CauseTypeFieldValueRequired, "should have only one network type", field.Child("networks").Index(i))
		case n.Multus != nil && n.Multus.NetworkName == "":
			add(metav1.CauseTypeFieldValueRequired, "CNI delegating plugin must have a networkName", field.Child("networks").Index(i))
		}
		if n.Pod != nil {
			pods++
		}
		if _, dup := networks[n.Name]; dup {
			add(metav1.CauseTypeFieldValueDuplicate, fmt.Sprintf("Network with name %q already exists, every network must have a unique name", n.Name),
				field.Child("networks").Index(i).Child("name"))
		}
		networks[n.Name] = n
	}
	if pods > 1 {
		add(metav1.CauseTypeFieldValueDuplicate, fmt.Sprintf("more than one interface is connected to a pod network in %s", field.Child("interfaces").String()),
			field.Child("interfaces"))
	}
	seen := map[string]bool{}
	for i, iface := range s.Domain.Devices.Interfaces {
		if seen[iface.Name] {
			add(metav1.CauseTypeFieldValueDuplicate, "Only one interface can be connected to one specific network", ifaces.Index(i).Child("name"))
		}
		seen[iface.Name] = true
		net, ok := networks[iface.Name]
		if !ok {
			add(metav1.CauseTypeFieldValueInvalid, fmt.Sprintf(nameNotFound, ifaces.Index(i).Child("name").String(), iface.Name), ifaces.Index(i).Child("name"))
		}
		if !interfaceName.MatchString(iface.Name) {
			add(metav1.CauseTypeFieldValueInvalid, "Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_)",
				ifaces.Index(i).Child("name"))
		}
		if iface.MacAddress != "" {
			// link.ValidateMacAddress: net.ParseMAC, and a 6-byte address.
			if mac, err := gonet.ParseMAC(iface.MacAddress); err != nil || len(mac) != 6 {
				add(metav1.CauseTypeFieldValueInvalid, fmt.Sprintf("interface %s has malformed MAC address (%s).", ifaces.Index(i).Child("name").String(), iface.MacAddress),
					ifaces.Index(i).Child("macAddress"))
			}
		}
		if iface.Masquerade != nil && ok && net.Pod == nil {
			add(metav1.CauseTypeFieldValueInvalid, "Masquerade interface only implemented with pod network", ifaces.Index(i).Child("name"))
		}
	}
	for i, n := range s.Networks {
		if !seen[n.Name] {
			add(metav1.CauseTypeFieldValueRequired, fmt.Sprintf(nameNotFound, field.Child("networks").Index(i).Child("name").String(), n.Name),
				field.Child("networks").Index(i).Child("name"))
		}
	}
	return causes
}

// validateBootOrder is validateBootOrder's disk part: every disk has a volume of its name, and no two
// devices share a boot order.
func validateBootOrder(field *k8sfield.Path, s *kubevirtv1.VirtualMachineInstanceSpec) []metav1.StatusCause {
	var causes []metav1.StatusCause
	volumes := map[string]bool{}
	for _, v := range s.Volumes {
		volumes[v.Name] = true
	}
	disks := field.Child("domain", "devices", "disks")
	orders := map[uint]bool{}
	for i, d := range s.Domain.Devices.Disks {
		if !volumes[d.Name] && d.CDRom == nil {
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
				Message: fmt.Sprintf(nameNotFound, disks.Index(i).Child("Name").String(), d.Name), Field: disks.Index(i).Child("name").String()})
		}
		if d.BootOrder != nil {
			if orders[*d.BootOrder] {
				causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
					Message: fmt.Sprintf("Boot order for %s already set for a different device.", disks.Index(i).Child("bootOrder").String()),
					Field:   disks.Index(i).Child("bootOrder").String()})
			}
			orders[*d.BootOrder] = true
		}
	}
	return causes
}

// validateVolumeDisks is validateVirtualMachineInstanceSpecVolumeDisks: every volume is used by a disk.
func validateVolumeDisks(field *k8sfield.Path, s *kubevirtv1.VirtualMachineInstanceSpec) []metav1.StatusCause {
	var causes []metav1.StatusCause
	disks := map[string]bool{}
	for _, d := range s.Domain.Devices.Disks {
		disks[d.Name] = true
	}
	for _, fs := range s.Domain.Devices.Filesystems {
		disks[fs.Name] = true
	}
	for i, v := range s.Volumes {
		if v.MemoryDump == nil && !disks[v.Name] {
			f := field.Child("domain", "volumes").Index(i).Child("name")
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
				Message: fmt.Sprintf(nameNotFound, f.String(), v.Name), Field: f.String()})
		}
	}
	return causes
}

// refusal is KubeVirt's answer to a refused admission (ToAdmissionResponse in pkg/util/webhooks/webhooks.go):
// the first ten causes' messages joined, reason Invalid, code 422, which the apiserver hands on to the
// client prefixed with the webhook's name.
func refusal(causes []metav1.StatusCause) *metav1.Status {
	shown := causes[:min(len(causes), 10)]
	msgs := make([]string, 0, len(shown))
	for _, c := range shown {
		msgs = append(msgs, c.Message)
	}
	msg := strings.Join(msgs, ", ")
	if more := len(causes) - len(shown); more > 0 {
		msg = fmt.Sprintf("%s, and %v more validation errors", msg, more)
	}
	return &metav1.Status{Status: metav1.StatusFailure, Message: msg, Reason: metav1.StatusReasonInvalid,
		Code: 422, Details: &metav1.StatusDetails{Causes: shown}}
}
