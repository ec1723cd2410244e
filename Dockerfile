# One image for schedulers and the service:
#   docker run IMAGE                                   the default pipeline on the built-in data
#   docker run -v ... IMAGE kedro run --env rossmann   a real dataset mounted where the catalog expects it
#   docker run -p 8000:8000 -v ... IMAGE inventory-optimization serve --env rossmann --host 0.0.0.0
# Volumes for data/, mlruns.db and mlartifacts/: README, "Docker".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KEDRO_DISABLE_TELEMETRY=1

WORKDIR /app

# LightGBM's wheel links the system's OpenMP runtime (XGBoost and scikit-learn bundle theirs).
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, from pyproject.toml alone: a stub package with the project's metadata
# makes pip install every dependency (TensorFlow included) in a layer that a code change does
# not invalidate; the stub is removed again.
COPY pyproject.toml README.md ./
RUN mkdir -p src/inventory_optimization \
    && echo '__version__ = "0"' > src/inventory_optimization/__init__.py \
    && python -m pip install --upgrade pip \
    && python -m pip install . \
    && python -m pip uninstall -y inventory_optimization \
    && rm -rf src build

# The code: the package alone, no dependency resolved again.
COPY src ./src
RUN python -m pip install --no-deps .

COPY conf ./conf

# Not root: the runs and the service write only data/, the registry (mlruns.db, mlartifacts/)
# and the log in /app.
RUN useradd --create-home --uid 1000 app \
    && mkdir -p conf/local mlartifacts data/01_raw data/02_intermediate data/03_primary \
       data/04_feature data/05_model_input data/06_models data/07_model_output data/08_reporting \
    && chown -R app:app /app
USER app

EXPOSE 8000
CMD ["kedro", "run"]
