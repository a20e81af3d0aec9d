# The example program as a static binary on a distroless base, run as a
# non-root user. Build: docker build -t pricefill .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/pricefill ./examples/cli \
 && mkdir /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pricefill /pricefill
# The working directory holds the default SQLite file, backfill.db.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
ENTRYPOINT ["/pricefill"]
