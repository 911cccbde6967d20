package install

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/novasphere/wukong/test/testenv"
)

// TestAPIDocsUpToDate fails when docs/api.md is not what hack/apidocs prints from the current CRDs, so the
// field reference cannot drift from what the apiserver enforces.
func TestAPIDocsUpToDate(t *testing.T) {
	root := testenv.RepoRoot()
	cmd := exec.Command("go", "run", "./hack/apidocs")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./hack/apidocs: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(root, "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("docs/api.md is out of date; run `go run ./hack/apidocs > docs/api.md`.\nFirst difference, line %d:\n  docs/api.md: %s\n  generated:   %s", i+1, g, w)
		}
	}
}
