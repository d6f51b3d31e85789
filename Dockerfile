# Build
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

# Run
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home /app bosak
WORKDIR /app
COPY --from=build /src/target/release/bosak /usr/local/bin/bosak
COPY --from=build /src/static /app/static
ENV BOSAK_STATIC_DIR=/app/static \
    BOSAK_ADDR=0.0.0.0:3000
USER bosak
EXPOSE 3000
CMD ["bosak", "serve"]
