# The operator's image: one static binary (`wukong manager`, `wukong create-vm`, `wukong render`) on a
# distroless base, running as non-root. No image can be built on the development machines (no container
# engine); CI builds and tests the same binary with `make build`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/wukong ./cmd/wukong

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wukong /wukong
USER 65532:65532
ENTRYPOINT ["/wukong"]
CMD ["manager"]
