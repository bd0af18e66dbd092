# docdebate: the Slack bot. Socket Mode by default (no inbound port); for HTTP mode run
#   docker run -p 3000:3000 ... docdebate serve --http --port 3000
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY bot ./bot
COPY personas ./personas
COPY prompts ./prompts
# Dependencies at the versions CI tested (requirements.lock), then the app itself.
RUN pip install -r requirements.lock && pip install --no-deps . && rm -rf /src \
    && useradd --create-home --uid 10001 docdebate

USER docdebate
WORKDIR /home/docdebate
ENV DATABASE_URL=sqlite:////home/docdebate/docdebate.sqlite
EXPOSE 3000
ENTRYPOINT ["docdebate"]
CMD ["serve"]
