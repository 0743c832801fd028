# Multi-stage build: a static binary on an empty base image, run as a
# non-root user, with the store on a volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/muster ./cmd/muster \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/muster /muster
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
# From / the default store path ./data/muster.db is /data/muster.db, on the
# volume. With a config file and Slack in HTTP mode (README, "Docker"):
#   docker run -p 8080:8080 -v muster-data:/data \
#     -v "$PWD/muster.yaml:/etc/muster/muster.yaml:ro" \
#     -e SLACK_BOT_TOKEN=xoxb-... -e SLACK_SIGNING_SECRET=... \
#     muster serve --config /etc/muster/muster.yaml
WORKDIR /
ENTRYPOINT ["/muster"]
CMD ["serve"]
