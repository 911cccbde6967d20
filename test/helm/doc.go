// Package helm checks the Helm charts under charts/ with Helm's own Go SDK (the helm binary is not needed):
// each chart lints, renders with the values a user would write, and every rendered object applies with
// server-side apply to a real apiserver (test/testenv), where the objects are read back. The charts copy
// files that are generated or kept elsewhere (the CRDs, the manager's RBAC rules, the Deployment's
// security settings); drift tests fail when a copy differs from its source.
package helm
