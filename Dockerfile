# receipt-points: the API (and, with RP_JOB_BACKEND=dramatiq, the worker) in one image.
# OCR models ship inside the rapidocr wheel: nothing is downloaded at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RP_DATA_DIR=/data RP_DATABASE_URL=sqlite:////data/receipt-points.db RP_HOST=0.0.0.0

RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 app \
 && mkdir -p /data && chown app /data

WORKDIR /srv/receipt-points
COPY pyproject.toml README.md ./
COPY app.py ./
COPY core ./core
COPY ocr ./ocr
COPY merchants ./merchants
COPY dedupe ./dedupe
COPY points ./points
COPY receipts ./receipts
COPY api ./api
COPY training_data ./training_data
COPY migrations ./migrations
RUN pip install --no-cache-dir '.[scale]'

USER app
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["python", "app.py", "serve"]
