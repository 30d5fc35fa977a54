# One image for web (gunicorn), worker and beat.
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    CONVENE_VAR_DIR=/app/var

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 convene \
    && mkdir -p /app/var && chown -R convene /app/var

USER convene
EXPOSE 8000
# The system checks run first: a misconfiguration (tracking webhooks without a secret) stops
# the start instead of serving.
CMD ["sh", "-c", "python manage.py check --deploy --fail-level ERROR && exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers 3 --access-logfile -"]
