// Package crds holds, for tests only, root types that let controller-gen emit structural CRDs for the
// third-party kinds Wukong writes (KubeVirt, CDI, Multus) from their published Go types. Installed in the
// test apiserver, they make it prune and reject what the real CRDs would, so a field we write wrongly fails
// in our tests. Nothing here is part of the manager.
package crds
