package sim

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// liveCase starts an instance from a VM built by newVM (as the webhook leaves it: amd64), then changes the
// VM's template and asks planLiveUpdate what KubeVirt would do.
type liveCase struct {
	name string
	// vm edits the template the instance starts from.
	vm func(*kubevirtv1.VirtualMachine)
	// change edits the template afterwards.
	change func(*kubevirtv1.VirtualMachineInstanceSpec)
	// vmi edits the instance (its status, conditions or deletion).
	vmi func(*kubevirtv1.VirtualMachineInstance)
	// noRecord drops the instance's record of its start template.
	noRecord   bool
	restartSet bool

	wantRestart string
	// wantSpec checks the instance's new spec; nil means the instance must be left alone.
	wantSpec func(*testing.T, *kubevirtv1.VirtualMachineInstanceSpec)
}

func TestPlanLiveUpdate(t *testing.T) {
	guest := func(q string) func(*kubevirtv1.VirtualMachine) {
		return func(vm *kubevirtv1.VirtualMachine) { setGuest(q)(&vm.Spec.Template.Spec) }
	}
	topology := func(sockets, cores uint32) func(*kubevirtv1.VirtualMachine) {
		return func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{Sockets: sockets, Cores: cores, Threads: 1}
		}
	}
	sockets := func(n uint32) func(*kubevirtv1.VirtualMachineInstanceSpec) {
		return func(s *kubevirtv1.VirtualMachineInstanceSpec) { s.Domain.CPU.Sockets = n }
	}
	both := func(fs ...func(*kubevirtv1.VirtualMachineInstanceSpec)) func(*kubevirtv1.VirtualMachineInstanceSpec) {
		return func(s *kubevirtv1.VirtualMachineInstanceSpec) {
			for _, f := range fs {
				f(s)
			}
		}
	}
	memoryIs := func(want string) func(*testing.T, *kubevirtv1.VirtualMachineInstanceSpec) {
		return func(t *testing.T, s *kubevirtv1.VirtualMachineInstanceSpec) {
			if got := s.Domain.Memory.Guest.String(); got != want {
				t.Errorf("instance guest memory %s, want %s", got, want)
			}
		}
	}
	socketsAre := func(want uint32, cpuRequest string) func(*testing.T, *kubevirtv1.VirtualMachineInstanceSpec) {
		return func(t *testing.T, s *kubevirtv1.VirtualMachineInstanceSpec) {
			if s.Domain.CPU.Sockets != want {
				t.Errorf("instance sockets %d, want %d", s.Domain.CPU.Sockets, want)
			}
			if got := s.Domain.Resources.Requests.Cpu().String(); cpuRequest != "" && got != cpuRequest {
				t.Errorf("instance CPU request %s, want %s", got, cpuRequest)
			}
		}
	}
	bridge := kubevirtv1.Interface{Name: "lan", InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Bridge: &kubevirtv1.InterfaceBridge{}}}
	lan := kubevirtv1.Network{Name: "lan", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: "lan"}}}
	addIface := func(i kubevirtv1.Interface) func(*kubevirtv1.VirtualMachineInstanceSpec) {
		return func(s *kubevirtv1.VirtualMachineInstanceSpec) {
			s.Domain.Devices.Interfaces = append(s.Domain.Devices.Interfaces, i)
			s.Networks = append(s.Networks, lan)
		}
	}
	deleting := func(vmi *kubevirtv1.VirtualMachineInstance) { vmi.DeletionTimestamp = new(metav1.Now()) }

	for _, c := range []liveCase{
		{name: "nothing changed"},
		{name: "cores", change: setCores(2), wantRestart: msgNonLiveUpdatable},
		{name: "cores, start unknown", change: setCores(2), noRecord: true},
		{name: "firmware UUID dropped", vm: func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Firmware = &kubevirtv1.Firmware{UUID: "f00", Serial: "s"}
		}, change: func(s *kubevirtv1.VirtualMachineInstanceSpec) { s.Domain.Firmware = nil }, wantRestart: msgNonLiveUpdatable},
		{name: "memory hotplug", change: setGuest("2Gi"), wantSpec: memoryIs("2Gi")},
		{name: "memory request follows", vm: func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
		}, change: setGuest("3Gi"), wantSpec: func(t *testing.T, s *kubevirtv1.VirtualMachineInstanceSpec) {
			memoryIs("3Gi")(t, s)
			if got := s.Domain.Resources.Requests.Memory().String(); got != "3Gi" {
				t.Errorf("memory request %s, want 3Gi", got)
			}
		}},
		{name: "memory above maxGuest", change: setGuest("5Gi"),
			wantRestart: msgMemoryUnsupported + "Guest memory is greater than the configured maxGuest memory"},
		{name: "memory below boot", vm: guest("2Gi"), change: setGuest("1Gi"), wantRestart: msgMemoryBelowBoot},
		{name: "memory misaligned", change: setGuest("1025Mi"), wantRestart: msgMemoryUnsupported + "Guest memory must be 2Mi aligned"},
		{name: "memory without hotplug", vm: guest("512Mi"), change: setGuest("1Gi"), wantRestart: msgMemoryNoMaxGuest},
		{name: "memory not migratable", change: setGuest("2Gi"), vmi: func(vmi *kubevirtv1.VirtualMachineInstance) {
			vmi.Status.Conditions[0].Status = corev1.ConditionFalse
		}, wantRestart: msgMemoryNotMigratable},
		{name: "sockets hotplug", vm: func(vm *kubevirtv1.VirtualMachine) {
			topology(1, 2)(vm)
			vm.Spec.Template.Spec.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
		}, change: sockets(2), wantSpec: socketsAre(2, "1200m")},
		{name: "sockets above maxSockets", vm: topology(1, 2), change: sockets(5), wantRestart: msgSocketsAboveMax},
		{name: "no sockets, no hotplug", change: sockets(1), wantRestart: msgSocketsAboveMax},
		{name: "sockets reduced", vm: topology(2, 1), change: sockets(1), wantRestart: msgSocketsReduced},
		{name: "ARM", vm: func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Architecture = "arm64"
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{Sockets: 1, Cores: 1, MaxSockets: 4}
		}, change: sockets(2), wantRestart: msgNoARMCPUHotplug},
		{name: "placement", change: func(s *kubevirtv1.VirtualMachineInstanceSpec) {
			s.NodeSelector = map[string]string{"zone": "b"}
			s.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}
			s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{}}
		}, wantSpec: func(t *testing.T, s *kubevirtv1.VirtualMachineInstanceSpec) {
			if s.NodeSelector["zone"] != "b" || len(s.Tolerations) != 1 || s.Affinity == nil {
				t.Errorf("placement not applied: %v %v %v", s.NodeSelector, s.Tolerations, s.Affinity)
			}
		}},
		{name: "restart already required", change: setGuest("2Gi"), restartSet: true},
		// The template leaves the topology to the instance type; the instance got KubeVirt's default of one
		// socket, which is no reduction.
		{name: "instance type: CPU left as started", vm: func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Instancetype = &kubevirtv1.InstancetypeMatcher{Name: "u1.medium"}
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{DedicatedCPUPlacement: true}
		}},
		{name: "non-live change blocks live ones", change: both(setCores(2), setGuest("2Gi")), wantRestart: msgNonLiveUpdatable},
		{name: "every handler runs", vm: topology(2, 1), change: both(sockets(1), setGuest("2Gi")),
			wantRestart: msgSocketsReduced, wantSpec: memoryIs("2Gi")},
		{name: "bridge interface hotplugged", change: addIface(bridge), wantSpec: func(t *testing.T, s *kubevirtv1.VirtualMachineInstanceSpec) {
			if n := len(s.Domain.Devices.Interfaces); n != 2 || s.Domain.Devices.Interfaces[1].Name != "lan" || len(s.Networks) != 2 {
				t.Errorf("interfaces %+v networks %+v", s.Domain.Devices.Interfaces, s.Networks)
			}
		}},
		{name: "masquerade interface waits", change: addIface(kubevirtv1.Interface{Name: "lan", InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{
			Masquerade: &kubevirtv1.InterfaceMasquerade{}}})},
		{name: "interface removed", change: func(s *kubevirtv1.VirtualMachineInstanceSpec) {
			s.Domain.Devices.Interfaces, s.Networks = nil, nil
		}, wantRestart: msgNonLiveUpdatable},
		{name: "deleting: no live update", change: setGuest("2Gi"), vmi: deleting},
		{name: "deleting: restart still required", change: setCores(2), vmi: deleting, wantRestart: msgNonLiveUpdatable},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm := newVM("ns", "vm", kubevirtv1.RunStrategyAlways, nil, nil)
			vm.Spec.Template.Spec.Architecture = defaultArchitecture
			if c.vm != nil {
				c.vm(vm)
			}
			vmi := newVMI(vm, nil)
			syncHotplugStatus(&vmi.Status, &vmi.Spec)
			vmi.Status.Conditions = []kubevirtv1.VirtualMachineInstanceCondition{
				{Type: kubevirtv1.VirtualMachineInstanceIsMigratable, Status: corev1.ConditionTrue},
			}
			if c.vmi != nil {
				c.vmi(vmi)
			}
			if c.noRecord {
				delete(vmi.Annotations, AnnotationStartTemplate)
			}
			var start *kubevirtv1.VirtualMachineInstanceSpec
			if tmpl := startTemplate(vmi); tmpl != nil {
				start = &tmpl.Spec
			}
			if c.change != nil {
				c.change(&vm.Spec.Template.Spec)
			}
			before := vmi.DeepCopy()
			lu := planLiveUpdate(start, vm, vmi, c.restartSet)
			if lu.restartRequired != c.wantRestart {
				t.Errorf("restartRequired = %q, want %q", lu.restartRequired, c.wantRestart)
			}
			switch {
			case c.wantSpec == nil && lu.spec != nil:
				t.Errorf("instance spec changed: %+v", lu.spec)
			case c.wantSpec != nil && lu.spec == nil:
				t.Error("instance left alone, want a live update")
			case c.wantSpec != nil:
				c.wantSpec(t, lu.spec)
			}
			if !equalSpec(before, vmi) {
				t.Error("planLiveUpdate modified its input")
			}
		})
	}
}

func equalSpec(a, b *kubevirtv1.VirtualMachineInstance) bool {
	return a.Spec.Domain.Memory.Guest.Equal(*b.Spec.Domain.Memory.Guest) && a.Spec.Domain.CPU.Sockets == b.Spec.Domain.CPU.Sockets &&
		len(a.Spec.Domain.Devices.Interfaces) == len(b.Spec.Domain.Devices.Interfaces)
}

// The instance's defaults for hotplug follow KubeVirt's: 4 × sockets (512 vCPUs at most) and 4 × memory
// when memory hotplug can work.
func TestDefaultVMISpec(t *testing.T) {
	for _, c := range []struct {
		name          string
		cpu           *kubevirtv1.CPU
		guest         string
		arch          string
		wantSockets   uint32
		wantMaxSocket uint32
		wantMaxGuest  string
	}{
		{name: "operator's topology", cpu: &kubevirtv1.CPU{Sockets: 1, Cores: 4, Threads: 1}, guest: "4Gi", wantSockets: 1, wantMaxSocket: 4, wantMaxGuest: "16Gi"},
		{name: "cores only", cpu: &kubevirtv1.CPU{Cores: 2}, guest: "1Gi", wantMaxSocket: 0, wantMaxGuest: "4Gi"},
		{name: "no CPU", guest: "2Gi", wantSockets: 1, wantMaxSocket: 4, wantMaxGuest: "8Gi"},
		{name: "512 vCPUs cap", cpu: &kubevirtv1.CPU{Sockets: 2, Cores: 100, Threads: 1}, guest: "1Gi", wantSockets: 2, wantMaxSocket: 5, wantMaxGuest: "4Gi"},
		{name: "small memory", cpu: &kubevirtv1.CPU{Sockets: 1, Cores: 1}, guest: "512Mi", wantSockets: 1, wantMaxSocket: 4},
		{name: "ARM", cpu: &kubevirtv1.CPU{Sockets: 1, Cores: 1}, guest: "2Gi", arch: "arm64", wantSockets: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := kubevirtv1.VirtualMachineInstanceSpec{Architecture: c.arch}
			spec.Domain.CPU = c.cpu.DeepCopy()
			spec.Domain.Memory = &kubevirtv1.Memory{Guest: new(resource.MustParse(c.guest))}
			defaultVMISpec(&spec)
			if spec.Domain.Machine == nil || spec.Domain.Machine.Type == "" || spec.Architecture == "" {
				t.Errorf("machine %+v architecture %q", spec.Domain.Machine, spec.Architecture)
			}
			if spec.Domain.CPU.Sockets != c.wantSockets || spec.Domain.CPU.MaxSockets != c.wantMaxSocket {
				t.Errorf("sockets %d maxSockets %d, want %d %d", spec.Domain.CPU.Sockets, spec.Domain.CPU.MaxSockets, c.wantSockets, c.wantMaxSocket)
			}
			got := ""
			if m := spec.Domain.Memory.MaxGuest; m != nil {
				got = m.String()
			}
			if got != c.wantMaxGuest {
				t.Errorf("maxGuest %q, want %q", got, c.wantMaxGuest)
			}
		})
	}
}

// planUpdates syncs only the dynamic annotations and bumps the instance's generation only while the template
// is still the one it started from.
func TestPlanUpdatesMetadata(t *testing.T) {
	const evict = "descheduler.alpha.kubernetes.io/evict"
	vm := newVM("ns", "vm", kubevirtv1.RunStrategyAlways, nil, nil)
	vm.Generation = 1
	vmi := newVMI(vm, nil)
	vmi.UID = "vmi-uid"
	vmi.Status.Phase = kubevirtv1.Running

	vm.Generation = 2
	vm.Spec.Template.ObjectMeta.Annotations = map[string]string{evict: "true", "other": "x"}
	vm.Spec.Template.ObjectMeta.Labels["new"] = "label"
	p := planVM(vmInputs{vm: vm, vmi: vmi, faults: map[string]string{}})
	if v := p.annotations[evict]; v == nil || *v != "true" || len(p.annotations) != 1 {
		t.Errorf("annotations to write %v, want only %s", p.annotations, evict)
	}
	if p.restartRequired != "" || p.vmiSpec != nil || p.create || p.delete {
		t.Errorf("a metadata change gave %+v", p)
	}

	// Back to the start template: the instance is up to date with generation 3.
	vm.Generation = 3
	vm.Spec.Template = startTemplate(vmi)
	p = planVM(vmInputs{vm: vm, vmi: vmi, faults: map[string]string{}})
	if v := p.annotations[kubevirtv1.VirtualMachineGenerationAnnotation]; v == nil || *v != "3" {
		t.Errorf("generation annotation %v, want 3", v)
	}
	if st := vmStatus(vmInputs{vm: vm, vmi: vmi}, p, metav1.Now()); st.ObservedGeneration != 3 || st.DesiredGeneration != 3 {
		t.Errorf("observed %d desired %d, want 3 3", st.ObservedGeneration, st.DesiredGeneration)
	}
}
