// Package install checks what `kustomize build config/default` installs, against a real apiserver: every
// object applies with server-side apply, the manager's Deployment keeps its security settings and passes
// the restricted Pod Security Standard, and the manager's ServiceAccount is allowed what it needs and no
// more, as the apiserver's own RBAC authorizer decides. It also checks that docs/api.md is what
// hack/apidocs generates.
package install
