package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// The legacy UUID is RFC 4122 version 5 of the name in KubeVirt's namespace (the value Python's uuid.uuid5
// gives for the same inputs).
func TestLegacyFirmwareUUID(t *testing.T) {
	if got := LegacyFirmwareUUID("web"); got != "d32ff544-f682-571b-8677-3762f07ab8a4" {
		t.Errorf("LegacyFirmwareUUID(web) = %s", got)
	}
	if u := randomUUID(); !uuidPattern.MatchString(u) || u[14] != '4' {
		t.Errorf("randomUUID() = %s, not a version 4 UUID", u)
	}
}

func TestMutateVM(t *testing.T) {
	withFirmware := func(fw *kubevirtv1.Firmware) func(*kubevirtv1.VirtualMachine) {
		return func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Domain.Firmware = fw }
	}
	defaulted := func(vm *kubevirtv1.VirtualMachine) {
		vm.Spec.Template.Spec.Architecture = "amd64"
		vm.Spec.Template.Spec.Domain.Machine = &kubevirtv1.Machine{Type: "pc-q35-rhel9.6.0"}
	}
	for _, c := range []struct {
		name string
		op   admissionv1.Operation
		vm   []func(*kubevirtv1.VirtualMachine)
		want []string
	}{
		{name: "create", op: admissionv1.Create, want: []string{
			`add /spec/template/spec/domain/firmware {"serial":"u1","uuid":"u0"}`,
			`add /spec/template/spec/architecture "amd64"`,
			`add /spec/template/spec/domain/machine {"type":"q35"}`,
		}},
		{name: "create keeps a UUID", op: admissionv1.Create, vm: []func(*kubevirtv1.VirtualMachine){
			withFirmware(&kubevirtv1.Firmware{UUID: "mine"}), defaulted,
		}, want: []string{`add /spec/template/spec/domain/firmware/serial "u0"`}},
		{name: "second webhook", op: admissionv1.Create, vm: []func(*kubevirtv1.VirtualMachine){
			withFirmware(&kubevirtv1.Firmware{UUID: "a", Serial: "b"}), defaulted,
		}},
		{name: "update never sets firmware", op: admissionv1.Update, vm: []func(*kubevirtv1.VirtualMachine){defaulted}},
		{name: "update restores machine type", op: admissionv1.Update, vm: []func(*kubevirtv1.VirtualMachine){
			func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Domain.Machine = &kubevirtv1.Machine{} },
		}, want: []string{`add /spec/template/spec/architecture "amd64"`, `add /spec/template/spec/domain/machine/type "q35"`}},
		{name: "arm64 machine", op: admissionv1.Update, vm: []func(*kubevirtv1.VirtualMachine){
			func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Architecture = "arm64" },
		}, want: []string{`add /spec/template/spec/domain/machine {"type":"virt"}`}},
		{name: "deleting", op: admissionv1.Update, vm: []func(*kubevirtv1.VirtualMachine){
			func(vm *kubevirtv1.VirtualMachine) { vm.DeletionTimestamp = new(metav1.Now()) },
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm := newVM("ns", "vm", kubevirtv1.RunStrategyAlways, nil, nil)
			for _, f := range c.vm {
				f(vm)
			}
			n := 0
			var got []string
			for _, op := range mutateVM(c.op, vm, func() string { n++; return fmt.Sprintf("u%d", n-1) }) {
				v, _ := json.Marshal(op.Value)
				got = append(got, op.Op+" "+op.Path+" "+string(v))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("patch\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestLegacyFirmware(t *testing.T) {
	vm := newVM("ns", "web", kubevirtv1.RunStrategyAlways, nil, nil)
	if fw := legacyFirmware(vm); fw == nil || fw.UUID != LegacyFirmwareUUID("web") || fw.Serial != "" {
		t.Errorf("no firmware: %+v", fw)
	}
	vm.Spec.Template.Spec.Domain.Firmware = &kubevirtv1.Firmware{Serial: "kept"}
	if fw := legacyFirmware(vm); fw == nil || fw.UUID != LegacyFirmwareUUID("web") || fw.Serial != "kept" {
		t.Errorf("serial only: %+v", fw)
	}
	vm.Spec.Template.Spec.Domain.Firmware.UUID = "set"
	if fw := legacyFirmware(vm); fw != nil {
		t.Errorf("UUID set: %+v", fw)
	}
}

// virtAPIConfigurations are the simulators' webhook registrations in the apiserver.
func virtAPIConfigurations(t *testing.T) []admissionregistrationv1.MutatingWebhookConfiguration {
	t.Helper()
	var list admissionregistrationv1.MutatingWebhookConfigurationList
	if err := env.Client.List(context.Background(), &list, client.HasLabels{LabelVirtAPIWebhook}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// The real webhook gives a created VM its firmware UUID, serial, machine type and architecture, and the
// instance boots with that UUID. An update that keeps the firmware keeps both; an update that drops it
// (as a read-modify-write of a spec rendered without it does) gets the legacy UUID back from virt-controller,
// no serial, and RestartRequired: the next boot has a different UUID, so cloud-init runs again.
func TestFirmwareUUID(t *testing.T) {
	ns := startSim(t, fastSim)
	if n := len(virtAPIConfigurations(t)); n != 1 {
		t.Fatalf("%d simulated virt-api webhooks registered, want 1", n)
	}
	create(t, newCloudInitSecret(ns, "fw", nil))
	vm := newVM(ns, "fw", kubevirtv1.RunStrategyAlways, nil, nil)
	create(t, vm)
	fw := vm.Spec.Template.Spec.Domain.Firmware
	switch {
	case fw == nil || !uuidPattern.MatchString(string(fw.UUID)) || !uuidPattern.MatchString(fw.Serial):
		t.Fatalf("created VM firmware %+v, want a random UUID and serial", fw)
	case fw.UUID == LegacyFirmwareUUID("fw"):
		t.Fatal("created VM got the legacy UUID, want a random one")
	case vm.Spec.Template.Spec.Domain.Machine == nil || vm.Spec.Template.Spec.Domain.Machine.Type != "q35" ||
		vm.Spec.Template.Spec.Architecture != "amd64":
		t.Fatalf("machine %+v architecture %q", vm.Spec.Template.Spec.Domain.Machine, vm.Spec.Template.Spec.Architecture)
	}
	uuid, serial := fw.UUID, fw.Serial
	_, first := runningVM(t, ns, "fw")
	if got := FirmwareUUID(first); got != uuid {
		t.Fatalf("instance booted with UUID %s, want the VM's %s", got, uuid)
	}

	t.Run("an update that keeps the firmware", func(t *testing.T) {
		updateTemplate(t, ns, "fw", setGuest("2Gi"))
		time.Sleep(300 * time.Millisecond)
		got := get(t, ns, "fw", &kubevirtv1.VirtualMachine{}).Spec.Template.Spec.Domain.Firmware
		if got == nil || got.UUID != uuid || got.Serial != serial {
			t.Errorf("firmware %+v after an update, want UUID %s serial %s", got, uuid, serial)
		}
		stillRunning(t, ns, "fw", first)
	})

	t.Run("an update that drops the firmware", func(t *testing.T) {
		updateTemplate(t, ns, "fw", func(s *kubevirtv1.VirtualMachineInstanceSpec) {
			s.Domain.Firmware = nil
			s.Domain.Machine = nil
		})
		eventually(t, 5*time.Second, func() string {
			vm := get(t, ns, "fw", &kubevirtv1.VirtualMachine{})
			fw := vm.Spec.Template.Spec.Domain.Firmware
			switch {
			case fw == nil || fw.UUID != LegacyFirmwareUUID("fw") || fw.Serial != "":
				return fmt.Sprintf("firmware %+v, want the legacy UUID and no serial", fw)
			case vm.Spec.Template.Spec.Domain.Machine == nil || vm.Spec.Template.Spec.Domain.Machine.Type != "q35":
				return fmt.Sprintf("machine %+v, want q35 restored on update", vm.Spec.Template.Spec.Domain.Machine)
			}
			if msg := restartRequired(t, ns, "fw"); msg != msgNonLiveUpdatable {
				return fmt.Sprintf("RestartRequired %q", msg)
			}
			return ""
		})
		if got := FirmwareUUID(getVMI(t, ns, "fw")); got != uuid {
			t.Errorf("running instance UUID %s, want it to keep %s", got, uuid)
		}
		annotate(t, get(t, ns, "fw", &kubevirtv1.VirtualMachine{}), AnnotationRestart, new("1"))
		eventually(t, 10*time.Second, func() string {
			if _, vmi := runningVM(t, ns, "fw"); vmi.UID == first.UID || FirmwareUUID(vmi) != LegacyFirmwareUUID("fw") {
				return fmt.Sprintf("instance %s UUID %s, want a new one with the legacy UUID", vmi.UID, FirmwareUUID(vmi))
			}
			return ""
		})
	})
}

// A simulator deletes the registration a dead one left behind; two simulators on one apiserver each register
// a webhook and a VM passes both, keeping the first UUID; a stopped simulator's registration is gone.
func TestWebhookLifecycle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	ca, _, err := newServingCerts()
	if err != nil {
		t.Fatal(err)
	}
	stale := (&virtAPI{name: "sim-virt-api-stale"}).configuration("https://"+addr, ca)
	if err := env.Client.Create(context.Background(), stale); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.IgnoreNotFound(env.Client.Delete(context.Background(), stale)) })

	ns := startSim(t, fastSim)
	for _, cfg := range virtAPIConfigurations(t) {
		if cfg.Name == stale.Name {
			t.Fatal("the dead simulator's webhook is still registered")
		}
	}
	stopSecond := startSimManager(t)
	if n := len(virtAPIConfigurations(t)); n != 2 {
		t.Fatalf("%d webhooks registered, want 2", n)
	}
	vm := newVM(ns, "two", kubevirtv1.RunStrategyHalted, nil, nil)
	create(t, vm)
	fw := vm.Spec.Template.Spec.Domain.Firmware
	if fw == nil || !uuidPattern.MatchString(string(fw.UUID)) || !uuidPattern.MatchString(fw.Serial) {
		t.Fatalf("firmware %+v", fw)
	}
	stopSecond()
	if n := len(virtAPIConfigurations(t)); n != 1 {
		t.Fatalf("%d webhooks registered after one simulator stopped, want 1", n)
	}
	time.Sleep(300 * time.Millisecond)
	if got := get(t, ns, "two", &kubevirtv1.VirtualMachine{}).Spec.Template.Spec.Domain.Firmware; got.UUID != fw.UUID {
		t.Errorf("UUID changed from %s to %s", fw.UUID, got.UUID)
	}
}
