package crds_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/test/testenv"
)

// servedAs is how a project serves one of its kinds, copied from the project's own sources (cited per entry).
type servedAs struct {
	// file is the generated test CRD under test/crds/bases.
	file string
	// source says where each name below comes from.
	source   string
	group    string
	kind     string
	plural   string
	singular string
	short    []string
	// categories is nil when the project declares none.
	categories []string
	scope      apiextensionsv1.ResourceScope
	// served are the versions served, in the order the CRD lists them; storage is the stored one.
	served  []string
	storage string
}

// realNames are the names KubeVirt v1.7, CDI v1.63 and Multus serve their kinds under. Clients (kubectl,
// RBAC rules, RESTMappers) address resources by these names, so the test CRDs must match them exactly: an
// RBAC rule naming a plural the test apiserver does not serve would pass every test and fail on a cluster.
var realNames = []servedAs{
	{
		file: "kubevirt.io_virtualmachines.yaml",
		source: "kubevirt/kubevirt v1.7.0 pkg/virt-operator/resource/generate/components/crds.go NewVirtualMachineCrd; " +
			"versions from kubevirt.io/api v1.7.0 core/v1/register.go ApiSupportedVersions",
		group: "kubevirt.io", kind: "VirtualMachine", plural: "virtualmachines", singular: "virtualmachine",
		short: []string{"vm", "vms"}, categories: []string{"all"}, scope: apiextensionsv1.NamespaceScoped,
		served: []string{"v1", "v1alpha3"}, storage: "v1",
	},
	{
		file: "kubevirt.io_virtualmachineinstances.yaml",
		source: "kubevirt/kubevirt v1.7.0 pkg/virt-operator/resource/generate/components/crds.go NewVirtualMachineInstanceCrd; " +
			"versions from kubevirt.io/api v1.7.0 core/v1/register.go ApiSupportedVersions",
		group: "kubevirt.io", kind: "VirtualMachineInstance", plural: "virtualmachineinstances", singular: "virtualmachineinstance",
		short: []string{"vmi", "vmis"}, categories: []string{"all"}, scope: apiextensionsv1.NamespaceScoped,
		served: []string{"v1", "v1alpha3"}, storage: "v1",
	},
	{
		file: "cdi.kubevirt.io_datavolumes.yaml",
		source: "kubevirt/containerized-data-importer v1.63.0 pkg/operator/resources/crds_generated.go (datavolume), " +
			"generated from the markers on DataVolume in staging/src/kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1/types.go",
		group: "cdi.kubevirt.io", kind: "DataVolume", plural: "datavolumes", singular: "datavolume",
		short: []string{"dv", "dvs"}, categories: []string{"all"}, scope: apiextensionsv1.NamespaceScoped,
		served: []string{"v1beta1"}, storage: "v1beta1",
	},
	{
		file: "cdi.kubevirt.io_datasources.yaml",
		source: "kubevirt/containerized-data-importer v1.63.1 pkg/operator/resources/crds_generated.go (datasource), " +
			"generated from the markers on DataSource in staging/src/kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1/types.go",
		group: "cdi.kubevirt.io", kind: "DataSource", plural: "datasources", singular: "datasource",
		short: []string{"das"}, categories: []string{"all"}, scope: apiextensionsv1.NamespaceScoped,
		served: []string{"v1beta1"}, storage: "v1beta1",
	},
	{
		file: "k8s.cni.cncf.io_network-attachment-definitions.yaml",
		source: "k8snetworkplumbingwg/multus-cni v4.3.0 deployments/multus-daemonset.yml (v4.2.x and the NAD client's " +
			"artifacts/networks-crd.yaml list only net-attach-def; v4.3.0 added nad)",
		group: "k8s.cni.cncf.io", kind: "NetworkAttachmentDefinition",
		plural: "network-attachment-definitions", singular: "network-attachment-definition",
		short: []string{"nad", "net-attach-def"}, scope: apiextensionsv1.NamespaceScoped,
		served: []string{"v1"}, storage: "v1",
	},
}

// TestNamesMatchTheRealProjects pins the names of the third-party test CRDs to the names the real projects
// serve (see realNames for where each comes from), and that no other test CRD exists unchecked.
func TestNamesMatchTheRealProjects(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(), "test", "crds", "bases")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	for _, want := range realNames {
		checked[want.file] = true
		t.Run(want.kind, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, want.file))
			if err != nil {
				t.Fatalf("%v (the file name is <group>_<plural>.yaml, as controller-gen names it)", err)
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
				t.Fatal(err)
			}
			n := crd.Spec.Names
			var served []string
			storage := ""
			for _, v := range crd.Spec.Versions {
				if v.Served {
					served = append(served, v.Name)
				}
				if v.Storage {
					storage = v.Name
				}
			}
			got := servedAs{
				file: want.file, source: want.source, group: crd.Spec.Group, kind: n.Kind, plural: n.Plural,
				singular: n.Singular, short: sorted(n.ShortNames), categories: sorted(n.Categories),
				scope: crd.Spec.Scope, served: served, storage: storage,
			}
			wantSorted := want
			wantSorted.short, wantSorted.categories = sorted(want.short), sorted(want.categories)
			if !reflect.DeepEqual(got, wantSorted) {
				t.Errorf("%s differs from how the project serves it (%s):\n got %+v\nwant %+v", want.file, want.source, got, wantSorted)
			}
			if wantName := want.plural + "." + want.group; crd.Name != wantName {
				t.Errorf("CRD name %s, want %s", crd.Name, wantName)
			}
		})
	}
	for _, f := range files {
		if !checked[filepath.Base(f)] {
			t.Errorf("%s has no entry in realNames: add how the real project serves it", filepath.Base(f))
		}
	}
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(s))
}
