# keyrot as a container image: one static binary on an empty base, run as a non-root user.
#
#   docker build -t keyrot .
#   docker run --rm -v "$PWD:/src:ro" keyrot scan /src
#
# By default the binary is built here from source (musl, static, every feature). The release
# workflow builds the image from the binaries it has already built, checksummed and attested
# (`--build-arg BINARY=prebuilt`, with them in dist/linux-amd64/ and dist/linux-arm64/), so
# that the image runs exactly the released binary.
ARG BINARY=source

FROM rust:1.95-alpine3.22 AS source
RUN apk add --no-cache musl-dev build-base cmake perl
WORKDIR /build
COPY Cargo.toml Cargo.lock README.md ./
COPY src src
COPY patterns patterns
# Cargo.toml names the test and bench targets; cargo wants their sources present.
COPY tests tests
COPY benches/engine.rs benches/engine.rs
RUN cargo build --release --locked && cp target/release/keyrot /keyrot

FROM scratch AS prebuilt
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/keyrot /keyrot

FROM ${BINARY} AS binary

# Root certificates for the live-IAM calls (`scan --iam`, `audit`) over HTTPS.
FROM alpine:3.22 AS certs
RUN apk add --no-cache ca-certificates

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=binary /keyrot /usr/local/bin/keyrot
# Not root: a scanner of hostile input needs no privilege. Mount what it scans read-only and
# give it a writable folder for reports (`-v "$PWD/out:/out"`, `--output /out/keyrot.sarif`).
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["keyrot"]
CMD ["scan", "/src"]
