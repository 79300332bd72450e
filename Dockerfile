# vsphere-mcp as a container: the static binary on distroless "static"
# (CA certificates and tzdata, no shell, no package manager), as a non-root
# user. MCP clients run it with `docker run -i --rm -e VSPHERE_URL=… IMAGE`.
#
#   docker build -t vsphere-mcp .                   # from source, on its own
#   docker run -i --rm vsphere-mcp --simulator      # try it without a vCenter
#
# The release builds the same file with BINARY_SOURCE=prebuilt (goreleaser's
# dockers_v2, .goreleaser.yaml): the image then carries the very binary of
# the release archives, copied from the build context, and the source stage
# below is never run. Both need BuildKit (docker's default builder since 23),
# which builds only the stages the image uses.
ARG BINARY_SOURCE=source

# --- from source: cross-compiled on the build machine's own platform, so an
# arm64 image needs no emulation. The flags are the release's (.goreleaser.yaml).
FROM --platform=$BUILDPLATFORM golang:1.26 AS binary-source
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/vsphere-mcp/vsphere-mcp/cmd.version=${VERSION}" \
      -o /out/vsphere-mcp .

# --- prebuilt: goreleaser puts each platform's binary at $TARGETPLATFORM/.
FROM scratch AS binary-prebuilt
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/vsphere-mcp /out/vsphere-mcp

FROM binary-${BINARY_SOURCE} AS binary

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
# The MCP registry checks this label against server.json's name before it
# lists the image (release/release_test.go keeps them equal).
LABEL io.modelcontextprotocol.server.name="io.github.vsphere-mcp/vsphere-mcp" \
      org.opencontainers.image.title="vsphere-mcp" \
      org.opencontainers.image.description="MCP server that lets an AI assistant operate VMware vSphere safely" \
      org.opencontainers.image.source="https://github.com/vsphere-mcp/vsphere-mcp" \
      org.opencontainers.image.url="https://github.com/vsphere-mcp/vsphere-mcp" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=binary /out/vsphere-mcp /usr/local/bin/vsphere-mcp
# distroless's nonroot (65532), by number so a runtime that checks
# runAsNonRoot can tell. Its home, /home/nonroot, holds the audit trail
# (~/.local/state/vsphere-mcp/audit.jsonl): mount a volume there to keep it.
USER 65532:65532
ENV HOME=/home/nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["vsphere-mcp"]
