# OMM_CONFIG for benchmarking HMA 2.0 (OpenMediaMatch) against Vigil. Not HMA code: a deployment
# config, modelled on hasher-matcher-actioner/reference_omm_configs/scaled_deployment_*_omm_config.py.
#
# One instance serving the matcher + hasher roles (the matcher reference config's "for smaller
# deployments, enabling the hasher role will allow you to combine the Hash+Lookup"), plus the curator
# role so the bank can be created/inspected through the API. PRODUCTION = True (no /dev routes),
# UI off. The in-process index cache refresh (TASK_INDEX_CACHE) runs in every gunicorn worker, as in
# the matcher reference config; the fetcher and indexer are NOT run in the workers (app.py: "DO NOT
# RUN multiple workers with TASK_FETCHER=True or TASK_INDEXER=True") but as the cron role through
# the flask CLI (`flask build_indices`), as scaled_deployment_cron_omm_config.py suggests.
import os

from OpenMediaMatch.storage.postgres.impl import DefaultOMMStore
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.content_type.photo import PhotoContent
from threatexchange.content_type.video import VideoContent

DBUSER = os.environ.get("POSTGRES_USER", "media_match")
DBPASS = os.environ.get("POSTGRES_PASSWORD", "hunter2")
DBHOST = os.environ.get("POSTGRES_HOST", "127.0.0.1")
DBPORT = os.environ.get("POSTGRES_PORT", "5432")
DBNAME = os.environ.get("POSTGRES_DBNAME", "media_match")
DATABASE_URI = f"postgresql+psycopg2://{DBUSER}:{DBPASS}@{DBHOST}:{DBPORT}/{DBNAME}"

PRODUCTION = True
ROLE_HASHER = True
ROLE_MATCHER = True
ROLE_CURATOR = True
UI_ENABLED = False

TASK_FETCHER = False
TASK_INDEXER = False
TASK_INDEX_CACHE = True
TASK_INDEX_CACHE_INTERVAL_SECONDS = 30  # the default
INDEX_CACHE_MAX_STALE_SEC = 65  # the default

# The default store, the same signal/content types as the reference configs (exchanges not needed).
STORAGE_IFACE_INSTANCE = DefaultOMMStore(
    signal_types=[PdqSignal, VideoMD5Signal],
    content_types=[PhotoContent, VideoContent],
)

# INFO logging to stderr, as every reference config does (the index-cache reload is logged at INFO;
# the per-request logging in the lookup path is DEBUG and stays off).
FLASK_LOGGING_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"default": {"format": "[%(asctime)s] %(process)d %(levelname)s in %(module)s: %(message)s"}},
    "handlers": {"wsgi": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "default"}},
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}
