# docdebate: the Slack bot. Socket Mode by default (no inbound port); for HTTP mode run
#   docker run -p 3000:3000 --env-file .env -v docdebate-data:/data docdebate serve --http --port 3000
# Settings: see .env.example. In both modes GET /health answers on port 3000 (DOCDEBATE_HEALTH_PORT), which
# the HEALTHCHECK polls. The SQLite database lives on the /data volume (or set DATABASE_URL to Postgres).
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY requirements.lock pyproject.toml README.md manifest.yml ./
COPY scripts/install-runtime ./scripts/
COPY bot ./bot
COPY personas ./personas
COPY prompts ./prompts
# requirements.lock, then the app with --no-deps, then pip check: the same script CI runs (scripts/image-check).
RUN scripts/install-runtime python && rm -rf /src \
    && useradd --create-home --uid 10001 docdebate \
    && mkdir /data && chown docdebate:docdebate /data

USER docdebate
WORKDIR /home/docdebate
ENV DATABASE_URL=sqlite:////data/docdebate.sqlite \
    DOCDEBATE_HEALTH_PORT=3000
VOLUME /data
EXPOSE 3000
# The slim image has no curl. scripts/image-check runs this same command against a bot it started.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('DOCDEBATE_HEALTH_PORT', '3000'), timeout=4)"]
ENTRYPOINT ["docdebate"]
CMD ["serve"]
