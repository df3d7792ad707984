# syntax=docker/dockerfile:1

# ---- build ----
FROM golang:1.26-bookworm AS build

WORKDIR /src

# Dependencies first, so they stay cached while only the sources change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .

# The same binary as `make build` and goreleaser: built by `make build` itself (static, -trimpath, stripped),
# with the version stamped without its "v" (VERSION=v1.2.3 and 1.2.3 both give 1.2.3).
ARG VERSION=dev
ENV GOFLAGS=-buildvcs=false
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    make build VERSION="${VERSION#v}"

# ---- run ----
# Only the binary, on distroless static (CA certificates for HTTPS, a non-root user, nothing else).
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /src/dist/baton-celigo /baton-celigo

USER nonroot:nonroot
ENTRYPOINT ["/baton-celigo"]
