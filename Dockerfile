# kramar: the production image. One image runs every role: web (the default command),
# Celery worker, Celery Beat and the one-shot migrate job (see docker-compose.yml).
FROM python:3.11-slim

# gunicorn reads its worker count from WEB_CONCURRENCY; override it per deployment.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 1000 kramar \
    && useradd --system --uid 1000 --gid kramar --home-dir /app --shell /usr/sbin/nologin kramar

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. psycopg[binary] brings its
# own libpq: no compiler or system packages needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# The Ukrainian (and English) catalogues are compiled here, from the committed .po files.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && SECRET_KEY=compilemessages-only DEBUG=false python manage.py compilemessages --ignore '.venv/*' --verbosity 0 \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# Static files are baked into the image (whitenoise serves them, hashed and compressed).
# The settings need a SECRET_KEY to import; this one exists only during the build.
RUN SECRET_KEY=collectstatic-only DEBUG=false python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R kramar:kramar /app

USER kramar

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--graceful-timeout", "20"]
