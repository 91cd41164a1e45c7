# OMM_CONFIG for the parity run (Benchmarks/hma/parity.sh): the settings of HMA's own test config
# (hasher-matcher-actioner/src/OpenMediaMatch/tests/omm_config.py: every role on, no background
# tasks, no in-process index cache, 100 MB uploads) with the database taken from the environment.
# Not HMA code: a deployment config written for this run.
import os

DBUSER = os.environ.get("POSTGRES_USER", "media_match")
DBPASS = os.environ.get("POSTGRES_PASSWORD", "hunter2")
DBHOST = os.environ.get("POSTGRES_HOST", "127.0.0.1")
DBPORT = os.environ.get("POSTGRES_PORT", "5432")
DBNAME = os.environ.get("POSTGRES_DBNAME", "media_match_test")
DATABASE_URI = f"postgresql+psycopg2://{DBUSER}:{DBPASS}@{DBHOST}:{DBPORT}/{DBNAME}"

PRODUCTION = False
ROLE_HASHER = True
ROLE_MATCHER = True
ROLE_CURATOR = True

TASK_FETCHER = False
TASK_INDEXER = False
TASK_INDEX_CACHE = False
MAX_CONTENT_LENGTH = 100 * 1024 * 1024
