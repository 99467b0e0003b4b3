"""A real Prometheus (Debian's prometheus package) scraping one target on loopback, with
the shipped scrape job and alert rules, queried as Grafana queries it."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO
from tests.kits.daemon import free_port, http_request, wait_for

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


class Prometheus:
    """A Prometheus server scraping one target, with its own config and data folder."""

    def __init__(self, root: Path, target: str) -> None:
        shipped = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())
        [job] = shipped["scrape_configs"]
        job.update(scrape_interval="1s", scrape_timeout="1s",
                   static_configs=[{"targets": [target]}])
        config = {"global": {"evaluation_interval": "1s"}, "scrape_configs": [job],
                  "rule_files": [str(REPO / "deploy" / "alerts.yml")]}
        (root / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = (root / "prometheus.log").open("w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={root / 'prometheus.yml'}",
             f"--storage.tsdb.path={root / 'data'}",
             f"--web.listen-address={self.url.removeprefix('http://')}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("Prometheus to be ready", lambda: self._ready(), timeout_s=60)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited: " + Path(self.log.name).read_text())
        try:
            return http_request("GET", self.url + "/-/ready", {}, None)[0] == 200
        except OSError:
            return False

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query through the HTTP API."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def query_range(self, promql: str, span_s: float = 300, step_s: float = 15) -> list[Any]:
        """A range query over the last `span_s`, as a Grafana time series panel sends it."""
        now = time.time()
        url = self.url + "/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": promql, "start": now - span_s, "end": now, "step": step_s})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert (body["status"], body["data"]["resultType"]) == ("success", "matrix"), body
        result: list[Any] = body["data"]["result"]
        return result

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
