package version

import (
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/novasphere/wukong", Version: "v0.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-11-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name                    string
		ldVersion, ldCommit     string
		ldDate                  string
		bi                      *debug.BuildInfo
		wantVersion, wantCommit string
		wantDate                string
	}{
		{name: "linker values win", ldVersion: "v1.0.0", ldCommit: "feedface", ldDate: "2026-11-27T12:00:00Z", bi: vcs,
			wantVersion: "v1.0.0", wantCommit: "feedface", wantDate: "2026-11-27T12:00:00Z"},
		{name: "build info fills the gaps, dirty tree marked", bi: vcs,
			wantVersion: "v0.2.0", wantCommit: "0123abcd-dirty", wantDate: "2026-11-01T10:00:00Z"},
		{name: "linker version, build info commit", ldVersion: "v1.0.0", bi: vcs,
			wantVersion: "v1.0.0", wantCommit: "0123abcd-dirty", wantDate: "2026-11-01T10:00:00Z"},
		{name: "a checkout build without VCS stamping", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			wantVersion: "(devel)", wantCommit: Unknown, wantDate: Unknown},
		{name: "no build info at all",
			wantVersion: Unknown, wantCommit: Unknown, wantDate: Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := resolve(tc.ldVersion, tc.ldCommit, tc.ldDate, tc.bi)
			if got.Version != tc.wantVersion || got.GitCommit != tc.wantCommit || got.BuildDate != tc.wantDate {
				t.Errorf("got %+v; want version %q, commit %q, date %q", got, tc.wantVersion, tc.wantCommit, tc.wantDate)
			}
			if got.GoVersion == "" || got.Platform == "" {
				t.Errorf("got %+v; want the Go version and platform", got)
			}
		})
	}
}

// TestBuildsSetEveryVariable reads the Makefile and the Dockerfile: each must give the linker every
// variable above by its package path, so a renamed variable cannot leave a release without its identity.
func TestBuildsSetEveryVariable(t *testing.T) {
	want := []string{"buildDate", "gitCommit", "version"}
	for _, file := range []string{"../../Makefile", "../../Dockerfile"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// The Makefile names the package through $(VERSION_PKG).
		text := strings.ReplaceAll(string(raw), "$(VERSION_PKG)", "github.com/novasphere/wukong/internal/version")
		var got []string
		for _, m := range regexp.MustCompile(`-X github\.com/novasphere/wukong/internal/version\.(\w+)=`).FindAllStringSubmatch(text, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s sets %v with -X, want %v", file, got, want)
		}
	}
}
