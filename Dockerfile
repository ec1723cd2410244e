# Headless image for schedulers: `docker run IMAGE` runs the default pipeline on the built-in
# data; `docker run -v /data/rossmann:/app/data/01_raw/rossmann IMAGE kedro run --env rossmann`
# runs a real dataset mounted where the catalog expects it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KEDRO_DISABLE_TELEMETRY=1

WORKDIR /app

# LightGBM's wheel links the system's OpenMP runtime (XGBoost and scikit-learn bundle theirs).
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first (from pyproject.toml), so code changes reuse the cached layer.
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip install --upgrade pip && python -m pip install .

COPY conf ./conf
RUN mkdir -p conf/local data/01_raw data/02_intermediate data/03_primary data/04_feature \
    data/05_model_input data/06_models data/07_model_output data/08_reporting

CMD ["kedro", "run"]
