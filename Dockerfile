# rubric serve in a container: a static binary on distroless, as non-root.
#   docker build -t rubric .
#   docker run -p 8080:8080 -v $PWD/policies:/policies:ro -v $PWD/tokens:/tokens:ro \
#     rubric serve --policies /policies --addr 0.0.0.0:8080 --token-file /tokens
# Base images are pinned by digest (a tag can move under a build); to
# update one: crane digest golang:1.26 (or docker buildx imagetools
# inspect), then replace the digest here.
FROM golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.commit=${COMMIT} -X main.date=${DATE}" -o /out/rubric ./cmd/rubric

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/rubric /usr/local/bin/rubric
USER nonroot:nonroot
EXPOSE 8080
# distroless has no shell or curl: rubric probes itself.
HEALTHCHECK --interval=10s --timeout=3s CMD ["/usr/local/bin/rubric", "healthcheck", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/rubric"]
CMD ["serve", "--policies", "/policies", "--addr", "0.0.0.0:8080", "--token-file", "/tokens"]
