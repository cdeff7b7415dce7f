# rubric serve in a container: a static binary on distroless, as non-root.
#   docker build -t rubric .
#   docker run -p 8080:8080 -v $PWD/policies:/policies:ro -v $PWD/tokens:/tokens:ro \
#     rubric serve --policies /policies --addr 0.0.0.0:8080 --token-file /tokens
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.commit=${COMMIT} -X main.date=${DATE}" -o /out/rubric ./cmd/rubric

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rubric /usr/local/bin/rubric
USER nonroot:nonroot
EXPOSE 8080
# distroless has no shell or curl: rubric probes itself.
HEALTHCHECK --interval=10s --timeout=3s CMD ["/usr/local/bin/rubric", "healthcheck", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/rubric"]
CMD ["serve", "--policies", "/policies", "--addr", "0.0.0.0:8080", "--token-file", "/tokens"]
