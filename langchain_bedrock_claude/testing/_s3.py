"""A small S3 client on the standard library, for the emulator's batch jobs.

Path-style requests (``<endpoint>/<bucket>/<key>``), signed with SigV4 over an unsigned payload
(``x-amz-content-sha256: UNSIGNED-PAYLOAD``), for an S3 API such as moto's server on loopback.
Bodies are streamed from and to files, never held whole.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import os
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote, urlsplit

__all__ = ["S3Client", "S3Error"]

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_COPY_CHUNK = 1 << 16
_TIMEOUT = 60.0
_UNSIGNED = "UNSIGNED-PAYLOAD"
_DEFAULT_KEYS = ("AKIDEXAMPLE", "emulator-secret")
"""Keys for an S3 that checks none (moto); ``AWS_ACCESS_KEY_ID``/``..._SECRET_...`` win."""


class S3Error(Exception):
    """S3 answered with an error: its status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"S3 {status} {code}: {message}")
        self.status = status
        """HTTP status."""
        self.code = code
        """S3's error code, e.g. ``NoSuchBucket``."""
        self.message = message
        """S3's message."""


@dataclass(frozen=True)
class S3Object:
    """One listed object."""

    key: str
    """The object's key."""
    size: int
    """Its size in bytes."""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class S3Client:
    """Path-style S3 requests to ``endpoint_url`` (e.g. ``http://127.0.0.1:5000``)."""

    def __init__(self, endpoint_url: str, *, region: str = "us-east-1") -> None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) S3 endpoint: {endpoint_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._netloc = parts.netloc
        self._region = region
        self._keys = (
            os.environ.get("AWS_ACCESS_KEY_ID") or _DEFAULT_KEYS[0],
            os.environ.get("AWS_SECRET_ACCESS_KEY") or _DEFAULT_KEYS[1],
        )
        self.endpoint_url = endpoint_url
        """Where requests go."""

    def _signed(self, method: str, path: str, query: str) -> dict[str, str]:
        """SigV4 headers for a request (AWS, "Signature Version 4 signing process")."""
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        headers = {"host": self._netloc, "x-amz-content-sha256": _UNSIGNED, "x-amz-date": stamp}
        names = ";".join(sorted(headers))
        canonical = "\n".join(
            [
                method,
                path,
                query,
                *(f"{name}:{headers[name]}" for name in sorted(headers)),
                "",
                names,
                _UNSIGNED,
            ]
        )
        scope = f"{day}/{self._region}/s3/aws4_request"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
        key = _hmac(f"AWS4{self._keys[1]}".encode(), day)
        for part in (self._region, "s3", "aws4_request"):
            key = _hmac(key, part)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self._keys[0]}/{scope}, "
            f"SignedHeaders={names}, Signature={signature}"
        )
        del headers["host"]  # http.client sends it
        return headers

    def _send(
        self, method: str, bucket: str, key: str = "", query: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPConnection, dict[str, str], str]:
        path = f"/{quote(bucket)}/{quote(key, safe='/~')}" if key else f"/{quote(bucket)}"
        encoded = "&".join(
            f"{quote(name, safe='~')}={quote(value, safe='~')}"
            for name, value in sorted((query or {}).items())
        )
        connection = self._connection()
        return (
            connection,
            self._signed(method, path, encoded),
            f"{path}?{encoded}" if encoded else path,
        )

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=_TIMEOUT)
        return http.client.HTTPConnection(self._host, self._port, timeout=_TIMEOUT)

    @staticmethod
    def _raise(response: http.client.HTTPResponse) -> None:
        body = response.read()
        code, message = "Error", body.decode("utf-8", "replace")[:200]
        try:
            root = ElementTree.fromstring(body)
            code = root.findtext("Code") or code
            message = root.findtext("Message") or message
        except ElementTree.ParseError:
            pass
        raise S3Error(response.status, code, message)

    def list(self, bucket: str, prefix: str) -> Iterator[S3Object]:
        """Every object under ``prefix`` (ListObjectsV2, page by page)."""
        token: str | None = None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            connection, headers, where = self._send("GET", bucket, query=query)
            try:
                connection.request("GET", where, headers=headers)
                response = connection.getresponse()
                if response.status != 200:
                    self._raise(response)
                root = ElementTree.fromstring(response.read())
            finally:
                connection.close()
            for item in root.iter(f"{_NS}Contents"):
                yield S3Object(
                    item.findtext(f"{_NS}Key") or "", int(item.findtext(f"{_NS}Size") or 0)
                )
            token = root.findtext(f"{_NS}NextContinuationToken")
            if root.findtext(f"{_NS}IsTruncated") != "true" or not token:
                return

    def download(self, bucket: str, key: str, target: IO[bytes]) -> None:
        """Copy an object into ``target``, a chunk at a time."""
        connection, headers, where = self._send("GET", bucket, key)
        try:
            connection.request("GET", where, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                self._raise(response)
            shutil.copyfileobj(response, target, _COPY_CHUNK)
        finally:
            connection.close()

    def upload(self, bucket: str, key: str, source: IO[bytes], size: int) -> None:
        """Put ``size`` bytes read from ``source`` as one object (streamed)."""
        connection, headers, where = self._send("PUT", bucket, key)
        try:
            connection.putrequest("PUT", where)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(size))
            connection.putheader("Content-Type", "application/octet-stream")
            connection.endheaders()
            while True:
                data = source.read(_COPY_CHUNK)
                if not data:
                    break
                connection.send(data)
            response = connection.getresponse()
            if response.status != 200:
                self._raise(response)
            response.read()
        finally:
            connection.close()
