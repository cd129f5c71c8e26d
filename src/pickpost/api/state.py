"""Where the entry points find the runtime the lifespan built."""

from starlette.requests import Request

from pickpost.services.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
