# A pytest plugin (ours, not HMA's) that runs HMA 2.0's own API tests against a live server over
# HTTP instead of Flask's in-process test client. Loaded by Benchmarks/hma/parity.sh with
# `-p hma_live`; the tests themselves are extracted from a ThreatExchange snapshot at run time.
#
# What it replaces (before the test modules are imported):
#   OpenMediaMatch.tests.utils   -> a module of ours: the `app` fixture resets the live server and
#                                   yields a LiveApp; `client` is a LiveClient (requests). HMA's own
#                                   helpers (create_bank, add_hash_to_bank, the image_server fixture)
#                                   are taken unchanged from HMA's utils.py at run time (by `ast`),
#                                   so their assertions stay HMA's.
#   build_all_indices(...)        -> the server's index build: HMA's `flask build_indices` (its cron
#                                   role) for HMA; for Vigil, waiting for the index to report itself
#                                   up to date (Vigil indexes as it writes).
#   get_storage()                 -> a StorageOverHTTP: the few storage calls the tests use for set-up
#                                   mapped to HMA's HTTP routes (bank_update -> POST /c/banks,
#                                   bank_add_content -> POST /c/bank/{b}/signal, get_signal_type_configs
#                                   -> GET /c/signal_type, get_signal_type_index -> GET /m/index/status,
#                                   exchange_update -> POST /c/exchanges).
#   fetcher.fetch_all(...)        -> HMA's `flask fetch`; for Vigil, `POST /c/exchange/{name}/fetch` for
#                                   every exchange, then waiting for each fetch to end up to date.
# Tests that patch HMA's internals or read its database directly are excluded, with the reason.
#
# Environment: PARITY_TARGET=vigil|hma, PARITY_OUT (a folder for logs), and
#   vigil: PARITY_VIGIL_BIN, PARITY_VIGIL_WORK, PARITY_VIGIL_PORT
#   hma:   PARITY_HMA_URL, PARITY_HMA_DSN (psycopg2), PARITY_HMA_SRC (hasher-matcher-actioner/src),
#          PARITY_HMA_UTILS (HMA's tests/utils.py); OMM_CONFIG etc. as for gunicorn.
import ast
import contextlib
import fnmatch
import json as jsonlib
import os
import shutil
import subprocess
import sys
import time
import types
import typing as t
import urllib.parse

import pytest
import requests

TARGET = os.environ.get("PARITY_TARGET", "vigil")

# Tests that cannot run against a live server, with the reason (fnmatch on "file::test").
EXCLUDED: list[tuple[str, str]] = [
    ("test_api.py::test_status_response", "monkeypatches HMA's in-process index cache (matching._get_index_cache)"),
    ("test_api.py::test_status_live_always_alive", "monkeypatches HMA's in-process index cache (matching._get_index_cache)"),
    ("test_api.py::test_lookup_without_role", "changes the Flask app's config (ROLE_HASHER) in process"),
    ("test_api.py::test_exchange_api_set_auth", "replaces storage.exchange_types in process"),
    ("test_api.py::test_exchange_api_schema", "replaces storage.exchange_types in process"),
    ("test_hashing.py::*", "calls HMA's is_valid_url() in process or patches requests.get"),
    ("test_database.py::*", "reads and writes HMA's database through SQLAlchemy models"),
    ("test_postgres_storage_impl.py::*", "tests HMA's storage class (DefaultOMMStore) directly"),
]

# No network here: HMA's tests that fetch this GitHub image get the local image server's image1.jpg.
EXTERNAL_IMAGES = {
    "https://github.com/facebook/ThreatExchange/blob/main/pdq/data/bridge-mods/aaa-orig.jpg?raw=true": "image1.jpg",
}


def exclusion(nodeid: str) -> t.Optional[str]:
    name = nodeid.split("/")[-1]
    for pattern, reason in EXCLUDED:
        if fnmatch.fnmatch(name, pattern):
            return reason
    return None


# ---------------------------------------------------------------------------------------------
# Servers


class VigilServer:
    """A `vigil serve` on fresh data for every test (a new data folder, a new API key)."""

    def __init__(self) -> None:
        self.bin = os.environ["PARITY_VIGIL_BIN"]
        self.work = os.environ["PARITY_VIGIL_WORK"]
        self.port = int(os.environ["PARITY_VIGIL_PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: t.Optional[subprocess.Popen] = None
        self.key = ""
        self.log = open(os.path.join(os.environ.get("PARITY_OUT", self.work), "vigil-serve.log"), "a")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def reset(self, test: str) -> None:
        self.stop()
        data = os.path.join(self.work, "data")
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(data)
        self.key = subprocess.check_output(
            [self.bin, "keys", "create", "--data-directory", data, "--organisation", "parity", "--scopes", "curate,match,hash,admin"],
            stderr=subprocess.DEVNULL, text=True,
        ).strip()
        self.log.write(f"\n===== {test}\n")
        self.log.flush()
        # The signal types HMA's default store installs (storage/postgres/impl.py: PdqSignal, VideoMD5Signal),
        # as the HMA side of this run has them; Vigil's own default adds video_sha256.
        env = dict(os.environ, VIGIL_FETCH_ALLOW_PRIVATE="true", VIGIL_HMA_SIGNAL_TYPES="pdq,video_md5")
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--data-directory", data, "--port", str(self.port), "--allow-url-host", "127.0.0.1"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vigil serve exited with {self.proc.returncode}; see vigil-serve.log")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + "/status", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("vigil serve did not answer /status within 60 s")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def build_indices(self) -> None:
        # Vigil indexes as it writes; wait until every signal type reports the index up to date.
        deadline = time.time() + 30
        while time.time() < deadline:
            status = requests.get(self.base + "/c/signal_type/index", headers=self.headers(), timeout=10).json()
            if all(not v.get("index_out_of_date", True) for v in status.values()):
                return
            time.sleep(0.1)
        raise RuntimeError("Vigil's index did not catch up within 30 s")

    def fetch_all(self) -> None:
        # HMA's `flask fetch` for Vigil: every exchange asked to fetch now (`POST /c/exchange/{name}/fetch`,
        # a Vigil addition), then waiting until each says its last fetch ended well and up to date.
        names = requests.get(self.base + "/c/exchanges", headers=self.headers(), timeout=10).json()
        for name in names:
            response = requests.post(f"{self.base}/c/exchange/{name}/fetch", headers=self.headers(), timeout=10)
            response.raise_for_status()
        deadline = time.time() + 60
        for name in names:
            while True:
                status = requests.get(f"{self.base}/c/exchange/{name}/status", headers=self.headers(), timeout=10).json()
                if status.get("last_fetch_succeeded") is True and status.get("up_to_date") and status.get("running_fetch_start_ts") is None:
                    break
                if status.get("last_fetch_succeeded") is False:
                    raise RuntimeError(f"Vigil's fetch of exchange {name} failed: {status}")
                if time.time() > deadline:
                    raise RuntimeError(f"Vigil's fetch of exchange {name} did not end within 60 s: {status}")
                time.sleep(0.1)


class HMAServer:
    """HMA's gunicorn from source (started by parity.sh); its tables emptied before every test."""

    def __init__(self) -> None:
        self.base = os.environ["PARITY_HMA_URL"].rstrip("/")
        self.dsn = os.environ["PARITY_HMA_DSN"]
        self.src = os.environ["PARITY_HMA_SRC"]

    def reset(self, test: str) -> None:
        import psycopg2  # installed with HMA

        with psycopg2.connect(self.dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            tables = [row[0] for row in cur.fetchall()]
            if tables:
                cur.execute("TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " RESTART IDENTITY CASCADE")
            cur.execute("SELECT lo_unlink(l.oid) FROM pg_largeobject_metadata l")
        conn.close()

    def headers(self) -> dict[str, str]:
        return {}

    def _flask(self, command: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "OpenMediaMatch.app", command],
            cwd=self.src, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def build_indices(self) -> None:
        self._flask("build_indices")

    def fetch_all(self) -> None:
        self._flask("fetch")


_server: t.Any = None


def server() -> t.Any:
    global _server
    if _server is None:
        _server = VigilServer() if TARGET == "vigil" else HMAServer()
    return _server


# ---------------------------------------------------------------------------------------------
# The client: Flask's test client's surface, over requests.


class LiveResponse:
    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content
        self.headers = response.headers
        content_type = response.headers.get("Content-Type", "")
        self.is_json = content_type.split(";")[0].strip() == "application/json"
        self._json: t.Any = None
        if self.is_json:
            with contextlib.suppress(ValueError):
                self._json = jsonlib.loads(response.content)

    @property
    def json(self) -> t.Any:
        return self._json

    def get_json(self) -> t.Any:
        return self._json

    def get_data(self, as_text: bool = False) -> t.Any:
        return self.data.decode("utf-8", "replace") if as_text else self.data


def _local_url(path: str) -> str:
    # Rewrites a url= of an external image to the local image server (no network here).
    parts = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    changed = False
    for i, (key, value) in enumerate(query):
        if key == "url" and value in EXTERNAL_IMAGES and IMAGE_BASE[0]:
            query[i] = (key, f"{IMAGE_BASE[0]}/{EXTERNAL_IMAGES[value]}")
            changed = True
    if not changed:
        return path
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# HMA's tests put an unencoded url in the path ("...?url=http://...&content_type=photo"); requests
# sends it as given, as werkzeug's test client does.
IMAGE_BASE: list[str] = [""]


class LiveClient:
    application: t.Any = None

    def open(self, method: str, path: str, json: t.Any = None, data: t.Any = None, query_string: t.Any = None) -> LiveResponse:
        srv = server()
        params = None
        if query_string is not None:
            params = {k: (str(v) if not isinstance(v, str) else v) for k, v in dict(query_string).items()}
        files = None
        form = None
        opened: list[t.Any] = []
        if isinstance(data, dict):
            files = {}
            form = {}
            for key, value in data.items():
                if isinstance(value, tuple):
                    source, filename, mimetype = (list(value) + [None, None])[:3]
                    handle = open(source, "rb") if isinstance(source, str) else source
                    opened.append(handle)
                    files[key] = (os.path.basename(filename or "upload"), handle, mimetype or "application/octet-stream")
                else:
                    form[key] = value
        try:
            response = requests.request(
                method, srv.base + _local_url(path), json=json, data=form or None, files=files or None, params=params,
                headers=srv.headers(), timeout=120, allow_redirects=False,
            )
        finally:
            for handle in opened:
                handle.close()
        return LiveResponse(response)

    def get(self, path: str, **kw: t.Any) -> LiveResponse:
        return self.open("GET", path, **kw)

    def post(self, path: str, **kw: t.Any) -> LiveResponse:
        return self.open("POST", path, **kw)

    def put(self, path: str, **kw: t.Any) -> LiveResponse:
        return self.open("PUT", path, **kw)

    def delete(self, path: str, **kw: t.Any) -> LiveResponse:
        return self.open("DELETE", path, **kw)


class LiveApp:
    """Stands in for the Flask app: only what the kept tests touch."""

    def __init__(self) -> None:
        self.config: dict[str, t.Any] = {}

    def test_client(self) -> LiveClient:
        client = LiveClient()
        client.application = self
        return client

    @contextlib.contextmanager
    def app_context(self) -> t.Iterator[None]:
        yield


# ---------------------------------------------------------------------------------------------
# Storage calls the tests make for set-up, over HMA's HTTP routes.


def _signal_types() -> dict[str, t.Any]:
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    known: dict[str, t.Any] = {PdqSignal.get_name(): PdqSignal, VideoMD5Signal.get_name(): VideoMD5Signal}
    with contextlib.suppress(ImportError):
        from threatexchange.signal_type.sha256 import VideoSHA256Signal  # type: ignore

        known[VideoSHA256Signal.get_name()] = VideoSHA256Signal
    return known


class StorageOverHTTP:
    def _call(self, method: str, path: str, **kw: t.Any) -> requests.Response:
        srv = server()
        response = requests.request(method, srv.base + path, headers=srv.headers(), timeout=60, **kw)
        return response

    def get_signal_type_configs(self) -> dict[str, t.Any]:
        response = self._call("GET", "/c/signal_type")
        response.raise_for_status()
        known = _signal_types()
        answer = {}
        for item in response.json():
            cls = known.get(item["name"])
            answer[item["name"]] = types.SimpleNamespace(
                signal_type=cls, enabled_ratio=item["enabled_ratio"], enabled=item["enabled_ratio"] > 0
            )
        return answer

    def get_signal_type_index(self, signal_type: t.Any) -> t.Any:
        # "The index is empty" as the live server reports it: absent, or present with no signals.
        response = self._call("GET", "/m/index/status", params={"signal_type": signal_type.get_name()})
        response.raise_for_status()
        status = response.json().get(signal_type.get_name(), {})
        if not status.get("present") or not status.get("size"):
            return None
        return status

    def bank_update(self, bank: t.Any, create: bool = False, rename_from: t.Optional[str] = None) -> None:
        assert create, "only bank creation is mapped"
        response = self._call("POST", "/c/banks", json={"name": bank.name, "enabled_ratio": bank.matching_enabled_ratio})
        assert response.status_code == 201, response.text

    def bank_add_content(self, bank_name: str, signals: dict[t.Any, str], config: t.Any = None) -> int:
        body = {st.get_name(): value for st, value in signals.items()}
        response = self._call("POST", f"/c/bank/{bank_name}/signal", json=body)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def exchange_api_config_update(self, config: t.Any) -> None:
        # Installing the API type: both servers offer the sample API without it.
        return None

    def exchange_update(self, config: t.Any, create: bool = False) -> None:
        response = self._call("POST", "/c/exchanges", json={"api": config.api, "bank": config.name, "api_json": {}})
        assert response.status_code == 201, response.text


def _build_all_indices(*_args: t.Any, **_kw: t.Any) -> None:
    server().build_indices()


def _fetch_all(*_args: t.Any, **_kw: t.Any) -> None:
    server().fetch_all()


# ---------------------------------------------------------------------------------------------
# The replacement for OpenMediaMatch.tests.utils


def _make_utils_module() -> types.ModuleType:
    module = types.ModuleType("OpenMediaMatch.tests.utils")
    import functools
    import http.server
    import shutil as _shutil
    import tempfile
    import threading
    from pathlib import Path

    from flask.testing import FlaskClient
    from PIL import Image
    from threatexchange.signal_type.pdq.signal import PdqSignal

    namespace = module.__dict__
    namespace.update(
        functools=functools, http=http, os=os, shutil=_shutil, tempfile=tempfile, threading=threading, t=t, Path=Path,
        pytest=pytest, Image=Image, FlaskClient=FlaskClient, PdqSignal=PdqSignal, IMAGE_URL_TO_PDQ={},
    )
    # HMA's own helpers and image server, unchanged, from its utils.py.
    source = open(os.environ["PARITY_HMA_UTILS"]).read()
    lines = source.splitlines(keepends=True)
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in ("image_server", "create_bank", "add_hash_to_bank"):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            exec(compile("".join(lines[first - 1 : node.end_lineno]), os.environ["PARITY_HMA_UTILS"], "exec"), namespace)

    @pytest.fixture()
    def app(request: t.Any) -> t.Iterator[LiveApp]:
        server().reset(request.node.nodeid)
        yield LiveApp()

    @pytest.fixture()
    def client(app: LiveApp) -> LiveClient:
        return app.test_client()

    namespace["app"] = app
    namespace["client"] = client
    return module


def pytest_configure(config: t.Any) -> None:
    import OpenMediaMatch.background_tasks.build_index as build_index
    import OpenMediaMatch.background_tasks.fetcher as fetcher
    import OpenMediaMatch.persistence as persistence
    import OpenMediaMatch.tests as tests_pkg

    utils = _make_utils_module()
    sys.modules["OpenMediaMatch.tests.utils"] = utils
    tests_pkg.utils = utils  # type: ignore[attr-defined]
    # Its fixtures (app, client, image_server) for every test module, imported by name or not.
    config.pluginmanager.register(utils, "hma_live_utils")
    build_index.build_all_indices = _build_all_indices  # type: ignore[assignment]
    fetcher.fetch_all = _fetch_all  # type: ignore[assignment]
    storage = StorageOverHTTP()
    persistence.get_storage = lambda: storage  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def _image_base(image_server: str) -> str:
    IMAGE_BASE[0] = image_server
    return image_server


def pytest_collection_modifyitems(config: t.Any, items: list[t.Any]) -> None:
    for item in items:
        reason = exclusion(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"EXCLUDED: {reason}"))


def pytest_sessionfinish(session: t.Any, exitstatus: int) -> None:
    if _server is not None and hasattr(_server, "stop"):
        _server.stop()
