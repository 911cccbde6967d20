package metrics

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/novasphere/wukong/internal/version"
)

// TestBuildInfo scrapes controller-runtime's registry, which the manager's metrics endpoint serves:
// wukong_build_info is there once, a gauge of 1, labelled with this binary's version data.
func TestBuildInfo(t *testing.T) {
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	info := version.Get()
	want := map[string]string{"version": info.Version, "git_commit": info.GitCommit, "go_version": info.GoVersion}
	for _, f := range families {
		if f.GetName() != "wukong_build_info" {
			continue
		}
		if f.GetType().String() != "GAUGE" || len(f.GetMetric()) != 1 {
			t.Fatalf("wukong_build_info is a %s with %d series; want one gauge series", f.GetType(), len(f.GetMetric()))
		}
		m := f.GetMetric()[0]
		if v := m.GetGauge().GetValue(); v != 1 {
			t.Errorf("value %v; want 1", v)
		}
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(want) {
			t.Errorf("labels %v; want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v || v == "" {
				t.Errorf("label %s = %q; want %q", k, got[k], v)
			}
		}
		return
	}
	t.Fatal("wukong_build_info is not in controller-runtime's registry")
}
