"""A request signed, and its answer read, by botocore's public APIs alone.

For a transport that moves the bytes itself (:mod:`._aio_transport`).

* :func:`signed_request` is the request boto3 would send. It runs the client's own call, which
  stops at botocore's public ``before-send`` event: parameter handling, endpoint rules, the
  REST-JSON serializer (guardrail, service-tier and metadata headers included), user agent and
  signing (SigV4 with credentials refreshed as boto3 refreshes them, or a Bedrock API key's
  bearer token) are all botocore's, with the client's configuration and hooks.
* :func:`parsed_response` is what boto3 returns for a response, read by the service's own
  response parser (``botocore.parsers.create_parser``); an error status raises the modeled
  ``ClientError`` subclass boto3 raises, from ``client.exceptions``.
* :class:`EventParser` reads a stream's non-``chunk`` messages as botocore's ``EventStream``
  does: an exception frame raises ``EventStreamError``.

So a transport's errors reach :func:`._translate.map_aws_errors` exactly as boto3's do.
"""

from __future__ import annotations

import io
import logging
import threading
import weakref
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.awsrequest import HeadersDict
from botocore.exceptions import EventStreamError
from botocore.response import StreamingBody

from ._errors import InvalidParameterError

__all__ = ["EventParser", "parsed_response", "signed_request"]

_HANDLER_ID = "langchain-bedrock-claude-signed-request"
_capturing = threading.local()
_registered: weakref.WeakSet[Any] = weakref.WeakSet()


class _Signed(Exception):  # not an error: how the signed request leaves botocore
    """Carries the signed request out of botocore's call, which then sends nothing."""

    def __init__(self, request: Any) -> None:
        super().__init__("signed")
        self.request = request


class _NotAFailure(logging.Filter):
    """Drops botocore's debug record of a "failed" send that is only :class:`_Signed`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _Signed))


def _stop_before_sending(request: Any, **_: Any) -> None:
    # botocore's ``before-send`` handler: returning a response would replace the request; to
    # send nothing and keep the request, the call is ended with it. Only for the calls made by
    # signed_request on this thread: the same client's other calls send as usual.
    if getattr(_capturing, "on", False):
        raise _Signed(request)


@cache
def _method_names() -> dict[str, str]:
    from botocore import xform_name

    operations = ("InvokeModel", "InvokeModelWithResponseStream", "CountTokens")
    return {name: xform_name(name) for name in operations}


def signed_request(client: Any, operation: str, kwargs: Mapping[str, Any]) -> Any:
    """The signed request boto3 would send for ``operation(**kwargs)``; nothing is sent.

    botocore's ``AWSPreparedRequest`` (``url``, ``method``, ``headers``, ``body``), made by
    ``client`` itself.

    Raises:
        InvalidParameterError: a hook on the client answered instead of Bedrock (botocore's
            ``Stubber``): there is no request to send.
        botocore.exceptions.BotoCoreError, ClientError: whatever boto3 raises before sending
            (no credentials, no region, bad parameters).
    """
    if client not in _registered:
        if not _registered:
            # botocore logs what ends a send, with its traceback, at DEBUG: not this.
            logging.getLogger("botocore.endpoint").addFilter(_NotAFailure())
        client.meta.events.register(
            "before-send.bedrock-runtime", _stop_before_sending, unique_id=_HANDLER_ID
        )
        _registered.add(client)
    call = getattr(client, _method_names()[operation])
    _capturing.on = True
    try:
        call(**kwargs)
    except _Signed as signed:
        return signed.request
    finally:
        _capturing.on = False
    raise InvalidParameterError(
        "A hook on the boto3 client (botocore's Stubber?) answered instead of Bedrock, which "
        "the aiohttp transport cannot send: use async_transport='threads' with this client."
    )


@cache
def _parser(protocol: str) -> Any:
    from botocore.parsers import create_parser

    return create_parser(protocol)


def parsed_response(
    client: Any, operation: str, status: int, headers: Mapping[str, str], body: bytes | None
) -> dict[str, Any]:
    """What boto3 returns for this response to ``operation``, as botocore's endpoint reads it.

    ``body``: the whole body, or ``None`` for an event stream's (read by the caller). A
    streamed blob (InvokeModel's) is given as botocore's ``StreamingBody`` over ``body``.

    Raises:
        botocore.exceptions.ClientError: the modeled subclass, for an error status.
    """
    service = client.meta.service_model
    model = service.operation_model(operation)
    payload: Any = body
    if status < 300 and model.has_streaming_output and body is not None:
        payload = StreamingBody(io.BytesIO(body), len(body))
    response = {
        "headers": HeadersDict(headers),
        "status_code": status,
        "body": payload,
        "context": {"operation_name": operation},
    }
    parsed: dict[str, Any] = _parser(service.protocol).parse(response, model.output_shape)
    if status >= 300:
        # As botocore's BaseClient._make_api_call: the error code picks the modeled class.
        error = parsed.get("Error", {})
        code = error.get("QueryErrorCode") or error.get("Code")
        raise client.exceptions.from_code(code)(parsed, operation)
    return parsed


class EventParser:
    """Reads one message of ``operation``'s event stream as botocore's ``EventStream`` does."""

    def __init__(self, client: Any, operation: str) -> None:
        service = client.meta.service_model
        output = service.operation_model(operation).output_shape
        self._shape = output.members[output.serialization["payload"]]
        self._parser = type(_parser(service.protocol)).EVENT_STREAM_PARSER_CLS()
        self._operation = operation

    def __call__(self, message: Any) -> Any:
        """The parsed event (``{"chunk": {...}}``, ...).

        Raises:
            botocore.exceptions.EventStreamError: the message is an exception frame.
        """
        response = message.to_response_dict()
        parsed = self._parser.parse(response, self._shape)
        if response["status_code"] != 200:
            raise EventStreamError(parsed, self._operation)
        return parsed
