"""``model.bind(...)``, and so ``bind_tools``, for both LangChain classes.

A binding is langchain-core's own (the class its ``bind`` makes, a ``RunnableBinding``) with
one more attribute: ``batch_jobs``, which sends the bound arguments too. A plain binding
forwards ``batch_jobs`` to the model it binds, which knows nothing of them:
``chat.bind_tools([...]).batch_jobs.create(...)`` would have submitted every record without
its tools.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableBinding

if TYPE_CHECKING:
    from .batch import ModelBatchJobs

__all__ = ["BindsJobArguments", "with_job_arguments"]


def _bound_jobs(binding: RunnableBinding[Any, Any]) -> ModelBatchJobs[Any, Any]:
    """The bound model's batch jobs, each record sent with the bound arguments too."""
    jobs: ModelBatchJobs[Any, Any] = getattr(binding.bound, "batch_jobs")  # noqa: B009
    return jobs.with_arguments(binding.kwargs)


def _serialized_id(cls: type[RunnableBinding[Any, Any]]) -> list[str]:
    # As langchain-core's own binding: ``loads`` makes one of those.
    return [*RunnableBinding.get_lc_namespace(), RunnableBinding.__name__]


def _fields(binding: RunnableBinding[Any, Any]) -> dict[str, Any]:
    return {name: getattr(binding, name) for name in type(binding).model_fields}


def _restore(
    base: type[RunnableBinding[Any, Any]], fields: dict[str, Any]
) -> RunnableBinding[Any, Any]:
    return with_job_arguments(base(**fields))


def _reduce(binding: RunnableBinding[Any, Any]) -> tuple[Any, ...]:
    # Pickled as langchain-core's class and its fields, made again on loading: the class made
    # here is not importable by name.
    return _restore, (type(binding).__mro__[1], _fields(binding))


@functools.cache
def _with_jobs(base: type[RunnableBinding[Any, Any]]) -> type[RunnableBinding[Any, Any]]:
    """``base`` (the class langchain-core's ``bind`` made) with ``batch_jobs``."""
    namespace = {
        "__module__": __name__,
        "__doc__": base.__doc__,
        "batch_jobs": property(_bound_jobs, doc=_bound_jobs.__doc__),
        "lc_id": classmethod(_serialized_id),
        "__reduce__": _reduce,
    }
    made: type[RunnableBinding[Any, Any]] = type(base.__name__, (base,), namespace)
    return made


def with_job_arguments(binding: RunnableBinding[Any, Any]) -> RunnableBinding[Any, Any]:
    """``binding`` as the same class, whose ``batch_jobs`` sends its arguments too."""
    return _with_jobs(type(binding))(**_fields(binding))


class BindsJobArguments:
    """Mixed into both classes, first: ``bind`` returns :func:`with_job_arguments` of core's."""

    if not TYPE_CHECKING:  # type checkers see langchain-core's bind: its class, truthfully

        def bind(self, **kwargs: Any) -> RunnableBinding[Any, Any]:
            """As langchain-core's ``bind``; the result's ``batch_jobs`` sends ``kwargs`` too."""
            return with_job_arguments(super().bind(**kwargs))
