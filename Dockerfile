# syntax=docker/dockerfile:1

# ---- build ----
FROM golang:1.26-bookworm AS build

WORKDIR /src

# Dependencies first, so they stay cached while only the sources change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .

ARG VERSION=dev
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X github.com/conductorone/baton-celigo/pkg/connector.Version=${VERSION}" \
      -o /out/baton-celigo ./cmd/baton-celigo

# ---- run ----
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/baton-celigo /baton-celigo

USER nonroot:nonroot
ENTRYPOINT ["/baton-celigo"]
