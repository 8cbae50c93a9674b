"""A client for the UNetPP.Cluster job API, using only Python's standard library.

Submit a folder of images to a running cluster, follow the job to its end and read its report::

    from unetpp_client import Cluster

    cluster = Cluster("http://127.0.0.1:8080")            # any silo's HTTP port
    job = cluster.submit("/data/plate-7", "/data/plate-7-masks", objects=True)
    for event in cluster.events(job["jobId"]):             # live progress, no polling
        print(event.kind, event.data.get("done"), "/", event.data.get("total"))
    report = cluster.report(job["jobId"])

Every call raises ``ApiError`` with the server's one-line reason when the cluster refuses it.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

__all__ = ["Cluster", "ApiError", "Event", "FINISHED_STATES"]

#: The states a job does not leave.
FINISHED_STATES = frozenset({"Completed", "CompletedWithFailures", "Cancelled", "Failed"})


class ApiError(Exception):
    """The cluster refused a call: ``status`` is the HTTP status, ``detail`` the reason in one line."""

    def __init__(self, status: int, title: str, detail: str, problem: Optional[Dict[str, Any]] = None):
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail
        self.problem = problem or {}


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event of a job: ``kind`` is status, failure or end; ``data`` its JSON."""

    kind: str
    data: Dict[str, Any]
    id: Optional[str] = None


@dataclass
class _EventParser:
    """Turns the lines of a text/event-stream into events (the WHATWG rules: fields, blank line ends one)."""

    last_id: Optional[str] = None
    retry_ms: Optional[int] = None
    _kind: str = "message"
    _data: List[str] = field(default_factory=list)

    def feed(self, line: str) -> Optional[Event]:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: the server's keep-alive
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._kind = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Optional[Event]:
        kind, data = self._kind, self._data
        self._kind, self._data = "message", []
        if not data:
            return None
        return Event(kind, json.loads("\n".join(data)), self.last_id)


class Cluster:
    """A UNetPP.Cluster reached through one silo's HTTP port.

    ``api_key`` is sent as a bearer token when the silo requires one (``unetpp api-key new`` makes
    keys); ``timeout`` bounds each request, not a job.
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", api_key: Optional[str] = None, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    # -- jobs ---------------------------------------------------------------------------------

    def submit(self, input: str, output: str, id: Optional[str] = None, **options: Any) -> Dict[str, Any]:
        """Starts a job: segment every image under ``input`` into ``output``; returns its status.

        Options are those of ``unetpp submit`` in camelCase (``mode="L3"``, ``objects=True``,
        ``maskFormat="ome-tiff"``, ``priority="high"`` ...). Local paths must be absolute and seen
        by every silo. With ``id``, submitting the same job again returns the same job.
        """
        body: Dict[str, Any] = {"input": input, "output": output, **options}
        if id is not None:
            body["id"] = id
        return self._json("POST", "/v1/jobs", body)

    def jobs(self) -> List[Dict[str, Any]]:
        """Every job the cluster knows, with its state and priority."""
        return self._json("GET", "/v1/jobs")

    def status(self, job_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/v1/jobs/{_quote(job_id)}")

    def cancel(self, job_id: str) -> Dict[str, Any]:
        """Stops the job; returns its status once the images in flight are counted."""
        return self._json("DELETE", f"/v1/jobs/{_quote(job_id)}")

    def report(self, job_id: str) -> Dict[str, Any]:
        """The report.json of an ended job."""
        return self._json("GET", f"/v1/jobs/{_quote(job_id)}/report")

    def cluster(self) -> Any:
        """The silos and their workers."""
        return self._json("GET", "/v1/cluster")

    def events(self, job_id: str, last_event_id: Optional[str] = None, reconnect: bool = True) -> Iterator[Event]:
        """The job's events as they happen, ending with its ``end`` event.

        A dropped connection is opened again from the last event seen (``Last-Event-ID``), so no
        failure is given twice; pass ``reconnect=False`` to stop at the first drop instead.
        """
        parser = _EventParser(last_id=last_event_id)
        while True:
            try:
                for event in self._stream(f"/v1/jobs/{_quote(job_id)}/events", parser):
                    yield event
                    if event.kind == "end":
                        return
            except (ConnectionError, socket.timeout, urllib.error.URLError) as dropped:
                if not reconnect or isinstance(dropped, urllib.error.HTTPError):
                    raise
            if not reconnect:
                return
            time.sleep((parser.retry_ms or 2000) / 1000)

    def wait(self, job_id: str) -> Dict[str, Any]:
        """Follows the job to its end; returns its final status."""
        for event in self.events(job_id):
            if event.kind == "end":
                return event.data
        return self.status(job_id)

    # -- HTTP ---------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None) -> urllib.request.Request:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        return request

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        try:
            with urllib.request.urlopen(self._request(method, path, body), timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raise _problem(error) from None

    def _stream(self, path: str, parser: _EventParser) -> Iterator[Event]:
        headers = {"Accept": "text/event-stream"}
        if parser.last_id is not None:
            headers["Last-Event-ID"] = parser.last_id
        try:
            response = urllib.request.urlopen(self._request("GET", path, headers=headers), timeout=self.timeout)
        except urllib.error.HTTPError as error:
            raise _problem(error) from None
        with response:
            for raw in response:
                event = parser.feed(raw.decode("utf-8").rstrip("\r\n"))
                if event is not None:
                    yield event


def _quote(job_id: str) -> str:
    return urllib.parse.quote(job_id, safe="")


def _problem(error: urllib.error.HTTPError) -> ApiError:
    """The server's problem+json as an ApiError; a body that is not one still gives the status."""
    text = error.read().decode("utf-8", errors="replace")
    try:
        problem = json.loads(text)
    except ValueError:
        return ApiError(error.code, error.reason or "error", text.strip())
    return ApiError(error.code, problem.get("title") or error.reason or "error", problem.get("detail") or "", problem)
