# The operator's image: one static binary (`wukong manager`, `wukong create-vm`, `wukong render`) on a
# distroless base, running as non-root. No image can be built on the development machines (no container
# engine); CI builds and tests the same binary with `make build`.
FROM golang:1.26 AS build
# Build identity for `wukong version` and the wukong_build_info metric, as `make build` gives it (the
# .git folder is not in the build context): docker build --build-arg VERSION=$(git describe --tags
# --always --dirty) --build-arg GIT_COMMIT=$(git rev-parse HEAD) --build-arg BUILD_DATE=$(date -u +%FT%TZ) .
ARG VERSION=dev
ARG GIT_COMMIT=
ARG BUILD_DATE=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w \
      -X github.com/novasphere/wukong/internal/version.version=${VERSION} \
      -X github.com/novasphere/wukong/internal/version.gitCommit=${GIT_COMMIT} \
      -X github.com/novasphere/wukong/internal/version.buildDate=${BUILD_DATE}" \
    -o /out/wukong ./cmd/wukong

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wukong /wukong
USER 65532:65532
ENTRYPOINT ["/wukong"]
CMD ["manager"]
