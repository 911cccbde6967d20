package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/novasphere/wukong/internal/version"
	"github.com/novasphere/wukong/test/testenv"
)

// TestHelp: --help exits 0 for the root and every command, and lists the commands.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"manager", "--help"}, {"create-vm", "--help"}, {"render", "--help"},
		{"rollout", "--help"}, {"rollout", "status", "--help"}, {"rollout", "history", "--help"},
		{"rollout", "undo", "--help"}, {"rollout", "pause", "--help"}, {"rollout", "resume", "--help"},
		{"version", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, args...)
			if code != 0 || !strings.Contains(stdout, "Usage:") || stderr != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", code, stdout, stderr)
			}
		})
	}
	_, stdout, _ := run(t, "--help")
	for _, cmd := range []string{"manager", "create-vm", "render", "rollout", "version"} {
		if !strings.Contains(stdout, "\n  "+cmd+" ") {
			t.Errorf("wukong --help does not list %s:\n%s", cmd, stdout)
		}
	}
}

// TestExitCodes: no command or an unknown one is a usage error (2, as before cobra); a bad flag or argument
// is 1 and says what is wrong.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "wukong: no command given"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate" for "wukong"`},
		{[]string{"rollout"}, 2, "wukong rollout: no command given"},
		{[]string{"rollout", "stauts", "web"}, 2, `unknown command "stauts" for "wukong rollout" (did you mean status?)`},
		{[]string{"rollout", "status"}, 1, "name one WukongSet (got 0 arguments)"},
		{[]string{"rollout", "status", "deployment/web"}, 1, `"deployment/web": only WukongSets have rollouts here`},
		{[]string{"rollout", "status", "web", "--wait"}, 1, "unknown flag: --wait\nSee 'wukong rollout status --help' for usage."},
		{[]string{"render", "-f"}, 1, "flag needs an argument: 'f' in -f"},
		{[]string{"version", "-o", "xml"}, 1, `-o "xml": want json or yaml`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// TestGoFlagSyntax: the commands that existed before cobra still take the standard library's flag syntax.
func TestGoFlagSyntax(t *testing.T) {
	sample := filepath.Join(testenv.RepoRoot(), "config", "samples", "vm_v1alpha1_wukongset_variables.yaml")
	for _, args := range [][]string{
		{"render", "-filename=" + sample, "-validate-only"},
		{"render", "--f", sample, "-validate-only"},
		{"render", "-f", sample, "--validate-only"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != 0 || stdout != "WukongSet default/cluster-nodes: 3 members valid\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// TestVersion: the linker's values, as make build sets them, in every output format.
func TestVersion(t *testing.T) {
	code, stdout, stderr := run(t, "version")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"Version:    " + testVersion + "\n", "Git commit: " + testCommit + "\n", "Build date: " + testBuildDate + "\n", "Go version: go1."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("wukong version does not say %q:\n%s", want, stdout)
		}
	}
	if _, stdout, _ := run(t, "version", "--short"); stdout != testVersion+"\n" {
		t.Errorf("version --short = %q; want %q", stdout, testVersion)
	}
	_, stdout, _ = run(t, "version", "-o", "json")
	var info version.Info
	if err := json.Unmarshal([]byte(stdout), &info); err != nil || info.Version != testVersion || info.GitCommit != testCommit || info.BuildDate != testBuildDate {
		t.Errorf("version -o json = %q (%v); want the linker's values", stdout, err)
	}
	if _, stdout, _ := run(t, "--version"); !strings.HasPrefix(stdout, "wukong version "+testVersion+" (commit "+testCommit) {
		t.Errorf("--version = %q", stdout)
	}
}
