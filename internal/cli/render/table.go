package render

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/redact"
)

// none is what an empty cell shows, as in kubectl.
const none = "<none>"

// memberColumns head the members' table.
var memberColumns = []string{"NAME", "INDEX", "CPU", "MEMORY", "DISKS", "IP ADDRESSES", "LABELS"}

// childTable is the table of one kind of child: its columns after NAME and the cells of one object.
type childTable struct {
	columns []string
	row     func(client.Object) []string
}

// childTables are the tables of --children, in the order they are printed.
var childTables = []childTable{
	{[]string{"RUN STRATEGY", "VOLUMES", "NETWORKS"}, vmRow},
	{[]string{"SIZE", "SOURCE", "STORAGE CLASS"}, dataVolumeRow},
	{[]string{"TYPE", "DATA"}, secretRow},
	{[]string{"CNI TYPE"}, attachmentRow},
}

// kindOf is the index in childTables of obj's table.
func kindOf(obj client.Object) int {
	switch obj.(type) {
	case *kubevirtv1.VirtualMachine:
		return 0
	case *cdiv1.DataVolume:
		return 1
	case *corev1.Secret:
		return 2
	default:
		return 3
	}
}

// writeTables prints the members' table and, with children, one table per kind of child, separated by blank
// lines as kubectl separates the kinds of `kubectl get all`. Children are named kind.group/name.
func writeTables(w io.Writer, sets []setResult, withChildren bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][]string{memberColumns}
	children := make([][][]string, len(childTables))
	for _, s := range sets {
		for _, m := range s.members {
			rows = append(rows, memberRow(m.wukong, m.index))
			for _, c := range m.children {
				k := kindOf(c)
				children[k] = append(children[k], append([]string{Name(c)}, childTables[k].row(c)...))
			}
		}
	}
	writeRows(tw, rows)
	if withChildren {
		for k, t := range childTables {
			if len(children[k]) == 0 {
				continue
			}
			// A blank line ends the tabwriter's column block, so each table gets its own widths.
			fmt.Fprintln(tw)
			writeRows(tw, append([][]string{append([]string{"NAME"}, t.columns...)}, children[k]...))
		}
	}
	return tw.Flush()
}

func writeRows(w io.Writer, rows [][]string) {
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
}

// memberRow is a member's row: NAME, INDEX, CPU, MEMORY, DISKS, IP ADDRESSES, LABELS. With an instance type
// the CPU and MEMORY cells name it in parentheses: it decides both.
func memberRow(m *vmv1alpha1.Wukong, index int) []string {
	cpu, memory := none, none
	if m.Spec.CPU > 0 {
		cpu = strconv.Itoa(int(m.Spec.CPU))
	}
	if !m.Spec.Memory.IsZero() {
		memory = m.Spec.Memory.String()
	}
	if it := m.Spec.Instancetype; it != nil {
		cpu, memory = "("+it.Name+")", "("+it.Name+")"
	}
	return []string{m.Name, strconv.Itoa(index), cpu, memory, disks(m), addresses(m), userLabels(m.Labels)}
}

// disks lists a member's disks with their sizes ("system=50Gi,data=100Gi").
func disks(m *vmv1alpha1.Wukong) string {
	var parts []string
	for _, d := range m.Spec.Disks {
		parts = append(parts, d.Name+"="+d.Size.String())
	}
	return joinOrNone(parts)
}

// userLabels lists a member's labels without the ones every member carries for the operator's bookkeeping,
// which the NAME and INDEX columns already say.
func userLabels(labels map[string]string) string {
	var parts []string
	for k, v := range labels {
		switch k {
		case vmv1alpha1.LabelSet, vmv1alpha1.LabelIndex, vmv1alpha1.LabelRevision:
			continue
		}
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return joinOrNone(parts)
}

// addresses lists each secondary network's configured address ("eth0=192.168.1.100/24", "eth1=dhcp"); the
// pod network's address is only known once the VM runs.
func addresses(m *vmv1alpha1.Wukong) string {
	var parts []string
	for _, n := range m.Spec.Networks {
		addr := "dhcp"
		if n.IPConfig != nil && n.IPConfig.Mode == vmv1alpha1.IPModeStatic {
			addr = n.IPConfig.Address
		}
		parts = append(parts, n.Name+"="+addr)
	}
	return joinOrNone(parts)
}

func vmRow(obj client.Object) []string {
	vm := obj.(*kubevirtv1.VirtualMachine)
	strategy := none
	if vm.Spec.RunStrategy != nil {
		strategy = string(*vm.Spec.RunStrategy)
	}
	var volumes, networks []string
	if t := vm.Spec.Template; t != nil {
		for _, v := range t.Spec.Volumes {
			volumes = append(volumes, v.Name)
		}
		for _, n := range t.Spec.Networks {
			networks = append(networks, n.Name)
		}
	}
	return []string{strategy, joinOrNone(volumes), joinOrNone(networks)}
}

func dataVolumeRow(obj client.Object) []string {
	dv := obj.(*cdiv1.DataVolume)
	size, class := none, none
	if s := dv.Spec.Storage; s != nil {
		if q, ok := s.Resources.Requests[corev1.ResourceStorage]; ok {
			size = q.String()
		}
		if s.StorageClassName != nil {
			class = *s.StorageClassName
		}
	}
	return []string{size, dataVolumeSource(dv), class}
}

// dataVolumeSource says where a DataVolume's data comes from; URLs are redacted, as they may carry a
// password or a token.
func dataVolumeSource(dv *cdiv1.DataVolume) string {
	if ref := dv.Spec.SourceRef; ref != nil {
		ns := dv.Namespace
		if ref.Namespace != nil {
			ns = *ref.Namespace
		}
		return ref.Kind + " " + ns + "/" + ref.Name
	}
	s := dv.Spec.Source
	switch {
	case s == nil:
		return none
	case s.Registry != nil && s.Registry.URL != nil:
		return redact.String(*s.Registry.URL)
	case s.HTTP != nil:
		return redact.String(s.HTTP.URL)
	case s.PVC != nil:
		return "PersistentVolumeClaim " + s.PVC.Namespace + "/" + s.PVC.Name
	case s.Blank != nil:
		return "blank"
	}
	return none
}

func secretRow(obj client.Object) []string {
	s := obj.(*corev1.Secret)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range s.Data {
			if !yield(k) {
				return
			}
		}
	})
	data := joinOrNone(keys)
	if _, ok := s.Data[cloudinit.UserDataKey]; !ok {
		data += " (" + cloudinit.UserDataKey + " left out)"
	}
	return []string{string(s.Type), data}
}

func attachmentRow(obj client.Object) []string {
	nad := obj.(*nadv1.NetworkAttachmentDefinition)
	var config struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(nad.Spec.Config), &config); err != nil || config.Type == "" {
		return []string{none}
	}
	return []string{config.Type}
}

func joinOrNone(parts []string) string {
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, ",")
}
